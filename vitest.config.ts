import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Unit and parity tests run in Node; browser behaviour is Playwright's job (test/e2e).
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/parity/**/*.test.ts'],
    environment: 'node',
    // dist/runtime, which the Vite plugin and CLI tests ship next to an index.
    globalSetup: ['test/build-runtime.ts'],
    // Two files at once even on 2 cores (Vitest's default there is one): 132 s against 194 s for
    // the suite, much of it waiting on model loads, worker threads and child processes.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // Model loads on 2 shared cores can take seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
