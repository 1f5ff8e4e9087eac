/**
 * Where the CLI keeps its caches (the one place that decides it): `--cache-dir <dir>` when given,
 * else defaultCacheDir(); `--no-cache` turns every cache off.
 */
import { join, resolve } from 'node:path';
import { SgptError } from '../errors';

/** $XDG_CACHE_HOME/sgpt-search, else node_modules/.cache/sgpt-search under the working directory. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'sgpt-search') : resolve(cwd, 'node_modules', '.cache', 'sgpt-search');
}

/** The cache folder a command's flags ask for; null with `--no-cache`. */
export function cacheFolder(flags: { 'cache-dir'?: string | undefined; 'no-cache'?: boolean | undefined }, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  if (flags['no-cache']) {
    if (flags['cache-dir'] !== undefined) throw new SgptError('INPUT_INVALID', '--cache-dir and --no-cache contradict each other: give one');
    return null;
  }
  return flags['cache-dir'] ?? defaultCacheDir(env, cwd);
}
