/**
 * Global setup of both test runners: build the prebuilt browser runtime (dist/runtime), which the
 * CLI and the Vite plugin ship next to an index (test/e2e/static-site.spec.ts, vite-plugin.test.ts).
 * About a second; always rebuilt, so no test runs against a stale bundle.
 */
import { execFileSync } from 'node:child_process';

export default function buildRuntime(): void {
  execFileSync('npm', ['run', '--silent', 'build:runtime'], { stdio: ['ignore', 'inherit', 'inherit'] });
}
