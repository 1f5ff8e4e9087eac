/**
 * Global setup of both test runners: build the package (`npm run build`): the compiled CLI that
 * tests run as bin/sgpt-search.js (dist/lib) and the prebuilt browser runtime (dist/runtime), which
 * the CLI and the Vite plugin ship next to an index (test/e2e/static-site.spec.ts, vite-plugin.test.ts).
 * Skipped when both are newer than everything they are built from, so runs that share a checkout
 * do not rebuild them under each other.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the bundle depends on: sources, build configs, installed packages, which models exist (the default's name). */
const INPUTS = ['src', 'vite.runtime.config.ts', 'vite.shared.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'package.json', 'public/models'];
const OUTPUTS = ['dist/runtime/sgpt-search.js', 'dist/runtime/sgpt-highlight.js', 'dist/lib/index.js', 'dist/lib/cli/main.js'];

function newest(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory() || path.startsWith('public')) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))));
}

export default function buildRuntime(): void {
  const built = Math.min(...OUTPUTS.map((file) => statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0));
  if (built > Math.max(...INPUTS.map(newest))) return;
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: ['ignore', 'inherit', 'inherit'] });
}
