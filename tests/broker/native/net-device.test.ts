// Proves that the addon reads a network device's scatter/gather bit without root (loopback always has it) and names the errno for a device that does not exist.

import { describe, expect, it } from 'vitest';

import { native, netdevScatterGather } from '../../../broker/native/index.ts';
import { nativeSuite } from './fixtures.ts';

describe.skipIf(!native.available)(nativeSuite('network device features'), () => {
  it('reads the loopback device as scatter/gather', () => {
    expect(netdevScatterGather('lo')).toEqual({ enabled: true });
  });

  it('names the errno for a device that does not exist', () => {
    expect(netdevScatterGather('nosuchdev0')).toEqual({ reason: 'ETHTOOL_GSG on nosuchdev0 failed with ENODEV' });
  });
});
