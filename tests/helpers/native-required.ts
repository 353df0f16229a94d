// Whether this run must have the native addon: .ci/run sets
// COPYLESS_REQUIRE_NATIVE=1 where a C compiler exists, so a broken addon build
// fails CI instead of quietly skipping every native test.

export const REQUIRE_NATIVE_ENV = 'COPYLESS_REQUIRE_NATIVE';

/** Why the run fails for want of the addon, or null when it does not (not required, or loaded). */
export function nativeRequirementFailure(env: NodeJS.ProcessEnv, native: { available: boolean; reason: string | null }): string | null {
  if (env[REQUIRE_NATIVE_ENV] !== '1' || native.available) return null;
  return `${REQUIRE_NATIVE_ENV}=1 (a C compiler exists) but the native addon is unavailable: ${native.reason ?? 'no reason recorded'}; the native tests would all be skipped`;
}
