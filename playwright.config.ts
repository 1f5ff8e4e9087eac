import { defineConfig } from '@playwright/test';

/**
 * Fixed port for the test server (strict: a busy port fails fast instead of testing another app);
 * E2E_PORT moves it so that two checkouts on one machine can run their suites side by side.
 */
export const E2E_PORT = Number(process.env.E2E_PORT ?? 5199);

// Debian's Chromium, never a downloaded browser; no background traffic of its own.
export const chromiumLaunch = {
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
};

export default defineConfig({
  testDir: 'test/e2e',
  // Two browsers at once, a file each: on these 2 cores the suite took 9.2 min so against ~11 with
  // one (much of a test is waiting on the worker, the server or the page). E2E_WORKERS overrides it.
  workers: Number(process.env.E2E_WORKERS ?? 2),
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  // dist/runtime, which the static-site test ships through the CLI.
  globalSetup: './test/build-runtime.ts',
  // Several people may run suites on one machine: PW_OUTPUT_DIR keeps their artifacts apart.
  outputDir: process.env.PW_OUTPUT_DIR ?? 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    browserName: 'chromium',
    launchOptions: chromiumLaunch,
    // In CI a failed test keeps its trace: actions, console and network, without the screencast
    // and DOM snapshots, which made every test half as slow again on these 2 cores.
    trace: process.env.CI ? { mode: 'retain-on-failure', screenshots: false, snapshots: false } : 'off',
  },
  webServer: {
    // The vite binary itself, not npx: stopping it must not leave a child server running.
    command: `node_modules/.bin/vite --config vite.config.ts --port ${E2E_PORT} --strictPort --host 127.0.0.1`,
    url: `http://127.0.0.1:${E2E_PORT}/`,
    env: { SGPT_E2E: '1' },
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
