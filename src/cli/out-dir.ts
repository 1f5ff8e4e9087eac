/** Where a build may write: never into the site folder or a folder that holds it. Shared by `index`, its shards and `merge`. */
import { realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { SgptError } from '../errors';

/**
 * Refuse an output folder that is the site or holds it: a build there would mix its files with the
 * site's own. An index inside the site (`<site>/sgpt`) is the normal case.
 */
export async function checkOut(site: string, out: string): Promise<void> {
  const real = async (path: string) => realpath(path).catch(() => resolve(path));
  const [siteDir, outDir] = [await real(site), await real(out)];
  const up = relative(outDir, siteDir);
  if (up === '' || (!up.startsWith('..') && !isAbsolute(up))) {
    throw new SgptError('INPUT_INVALID', `--out ${out} is the site folder or holds it (${site}): write the index into a folder of its own, e.g. --out ${join(site, 'sgpt')}`);
  }
}
