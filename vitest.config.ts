import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests start real HTTP servers on loopback; two cores here, so keep the pool small.
    maxWorkers: 2,
  },
});
