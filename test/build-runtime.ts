/**
 * Global setup of both test runners: build the prebuilt browser runtime (dist/runtime), which the
 * CLI and the Vite plugin ship next to an index (test/e2e/static-site.spec.ts, vite-plugin.test.ts).
 * Skipped when the bundle is newer than everything it is built from, so runs that share a checkout
 * do not rebuild it under each other.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the bundle depends on: sources, build configs, installed packages, which models exist (the default's name). */
const INPUTS = ['src', 'vite.runtime.config.ts', 'vite.shared.ts', 'package-lock.json', 'package.json', 'public/models'];

function newest(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory() || path.startsWith('public')) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

export default function buildRuntime(): void {
  const built = statSync('dist/runtime/sgpt-search.js', { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built > Math.max(...INPUTS.map(newest))) return;
  execFileSync('npm', ['run', '--silent', 'build:runtime'], { stdio: ['ignore', 'inherit', 'inherit'] });
}
