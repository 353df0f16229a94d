// Proves a codec whose npm package cannot load on this platform fails only when used, with UNSUPPORTED_COMPRESSION_TYPE naming the package.
import { expect, it } from 'vitest';
import { lazyModule } from '../../../src/record/codecs/native-codec.ts';

it('reports a package that does not load as UNSUPPORTED_COMPRESSION_TYPE, each time it is used', () => {
  const load = lazyModule('lz4', 'copyless-no-such-codec-package');
  for (let i = 0; i < 2; i++) {
    expect(() => load()).toThrow(expect.objectContaining({ errorName: 'UNSUPPORTED_COMPRESSION_TYPE', message: expect.stringContaining('copyless-no-such-codec-package') }));
  }
});
