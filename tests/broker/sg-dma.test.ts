// Proves the one scatter/gather assumption: a given flag wins; otherwise the
// device owning the listener's address is asked, the loopback device is known
// to gather even when it cannot be asked, and a wildcard address, an unknown
// address or a device that cannot be asked fall back to "no scatter/gather",
// each with its reason.

import type os from 'node:os';
import { describe, expect, it } from 'vitest';
import { sgDmaAssumption, type SgDmaProbe } from '../../broker/sg-dma.ts';

const lo = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' } as const;
const lo6 = { ...lo, address: '::1', family: 'IPv6', netmask: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', cidr: '::1/128', scopeid: 0 } as const;
const eth = { address: '10.1.2.3', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.1.2.3/24' } as const;
const interfaces = { lo: [lo, lo6], eth0: [eth] } as unknown as NodeJS.Dict<os.NetworkInterfaceInfo[]>;

const asked: string[] = [];
const probe = (answers: Record<string, boolean>): SgDmaProbe => (name) => {
  asked.push(name);
  return name in answers ? { enabled: answers[name] } : { reason: 'ETHTOOL_GSG failed with EOPNOTSUPP' };
};

describe('sgDmaAssumption', () => {
  it('takes a given flag as it is, without asking any device', () => {
    asked.length = 0;
    expect(sgDmaAssumption({ flag: false, host: '127.0.0.1', probe: probe({ lo: true }), interfaces })).toEqual({
      enabled: false,
      source: 'flag',
      detail: '--sg-dma false given',
    });
    expect(asked).toEqual([]);
  });

  it('asks the device that owns the listener address', () => {
    expect(sgDmaAssumption({ flag: null, host: '10.1.2.3', probe: probe({ eth0: false }), interfaces })).toEqual({
      enabled: false,
      source: 'detected',
      detail: 'interface eth0: scatter-gather off (ETHTOOL_GSG)',
    });
    for (const host of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) {
      expect(sgDmaAssumption({ flag: null, host, probe: probe({ lo: true }), interfaces }), host).toEqual({
        enabled: true,
        source: 'detected',
        detail: 'loopback interface lo: scatter-gather on (ETHTOOL_GSG)',
      });
    }
  });

  it('knows loopback gathers even when the device cannot be asked', () => {
    const a = sgDmaAssumption({ flag: null, host: '127.0.0.1', probe: probe({}), interfaces });
    expect(a).toMatchObject({ enabled: true, source: 'detected' });
    expect(a.detail).toMatch(/loopback interface lo: the loopback driver always does scatter-gather \(not asked: ETHTOOL_GSG failed/);
  });

  it('assumes no scatter/gather, and says why, when there is no single device or it cannot be asked', () => {
    for (const host of ['0.0.0.0', '::']) {
      const a = sgDmaAssumption({ flag: null, host, probe: probe({ lo: true, eth0: true }), interfaces });
      expect(a).toMatchObject({ enabled: false, source: 'default' });
      expect(a.detail).toMatch(/every interface/);
    }
    expect(sgDmaAssumption({ flag: null, host: '192.0.2.9', probe: probe({}), interfaces }).detail).toMatch(/not an address of a local interface/);
    const eth0 = sgDmaAssumption({ flag: null, host: '10.1.2.3', probe: probe({}), interfaces });
    expect(eth0).toMatchObject({ enabled: false, source: 'default' });
    expect(eth0.detail).toMatch(/interface eth0: scatter-gather unknown \(ETHTOOL_GSG failed with EOPNOTSUPP\)/);
  });
});
