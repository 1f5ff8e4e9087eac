import { defineConfig } from 'vitest/config';

// Unit and parity tests run in Node; browser behaviour is Playwright's job (test/e2e).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/parity/**/*.test.ts'],
    environment: 'node',
    // dist/runtime, which the Vite plugin and CLI tests ship next to an index.
    globalSetup: ['test/build-runtime.ts'],
    // Model loads on 2 shared cores can take seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
