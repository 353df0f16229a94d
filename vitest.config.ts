import { defineConfig } from 'vitest/config';

// Tests bind port 0 and use their own temp dirs, so files run in parallel.
// Two workers match the 2-core CI machine; socket tests get generous timeouts.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
