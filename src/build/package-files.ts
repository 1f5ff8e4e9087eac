/**
 * Where the package's own files are (public/models, dist/runtime), found from this module whether it
 * runs from source (src/build/) or compiled (dist/lib/build/): the nearest folder above with a
 * package.json is the package root, in a checkout and in node_modules alike.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PACKAGE_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, e.g. packageFile('dist/runtime/'). */
export function packageFile(path: string): string {
  return join(PACKAGE_ROOT, path);
}
