// Proves a broken addon build cannot go green where it should have built: with COPYLESS_REQUIRE_NATIVE=1 (.ci/run sets it where a C compiler exists) a missing addon is a failure naming the build's reason, not a row of skipped native tests; without the switch the addon stays optional.
import { describe, expect, it } from 'vitest';
import { native } from '../../../broker/native/index.ts';
import { REQUIRE_NATIVE_ENV, nativeRequirementFailure } from '../../helpers/native-required.ts';

const required = process.env[REQUIRE_NATIVE_ENV] === '1';

describe('native addon requirement', () => {
  it('fails only when the addon is required and missing, naming the reason', () => {
    const missing = { available: false, reason: 'node-gyp rebuild failed: cc: error' };
    expect(nativeRequirementFailure({ [REQUIRE_NATIVE_ENV]: '1' }, missing)).toBe(
      'COPYLESS_REQUIRE_NATIVE=1 (a C compiler exists) but the native addon is unavailable: node-gyp rebuild failed: cc: error; the native tests would all be skipped',
    );
    expect(nativeRequirementFailure({}, missing)).toBeNull();
    expect(nativeRequirementFailure({ [REQUIRE_NATIVE_ENV]: '0' }, missing)).toBeNull();
    expect(nativeRequirementFailure({ [REQUIRE_NATIVE_ENV]: '1' }, { available: true, reason: null })).toBeNull();
  });

  it.runIf(required)(`the addon loaded in this run${required ? '' : ` (skipped: ${REQUIRE_NATIVE_ENV} is not set)`}`, () => {
    const failure = nativeRequirementFailure(process.env, native);
    expect(failure, failure ?? '').toBeNull();
  });
});
