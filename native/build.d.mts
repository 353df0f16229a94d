// Types for native/build.mjs, so TypeScript tests can drive the build.

export declare const ADDON_PATH: string;
export declare const UNAVAILABLE_PATH: string;
export declare function failureLine(output: string): string;
export declare function buildNative(o: {
  root: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}): { ok: boolean; reason: string | null };
