/**
 * The Node edge of the index: read an index folder through the same reader the browser uses, and
 * write a built index (immutable files first, manifest.json last, stale files of older builds removed).
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SgptError } from '../errors';
import { IndexReader, MANIFEST, type FileLoader } from './reader';
import type { BuiltIndex } from './writer';

export function fsLoader(dir: string): FileLoader {
  return async (name) => {
    try {
      return new Uint8Array(await readFile(join(dir, name)));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new SgptError('INDEX_INVALID', `${name}: missing from ${dir} (incomplete index; rebuild it with \`sgpt-search index\`)`);
      throw new SgptError('INDEX_INVALID', `${name}: cannot read from ${dir}: ${(error as Error).message}`);
    }
  };
}

export function openIndexDir(dir: string): Promise<IndexReader> {
  return IndexReader.open(fsLoader(dir));
}

/** Names this writer produces (and version 1 wrote): kept out of the way of anything else in the folder. */
const OURS = /^(vectors-\d+|terms-\d+|sections-\d+|centroids|sections|keyword|hashes|excerpts-\d+)\.[0-9a-f]{16}\.(bin|json|bm25)(\.gzip)?$/;

/** Write the files, then swap in the manifest, then delete files no manifest names any more. Returns bytes written. */
export async function writeIndexDir(dir: string, built: BuiltIndex): Promise<number> {
  await mkdir(dir, { recursive: true });
  let bytes = 0;
  for (const file of built.files) {
    bytes += file.bytes.byteLength;
    if (file.name === MANIFEST) continue;
    await writeFile(join(dir, file.name), file.bytes);
  }
  const manifest = built.files.find((f) => f.name === MANIFEST);
  if (!manifest) throw new SgptError('INTERNAL', 'built index has no manifest.json');
  const tmp = join(dir, `${MANIFEST}.tmp`);
  await writeFile(tmp, manifest.bytes);
  await rename(tmp, join(dir, MANIFEST));
  const keep = new Set(built.files.map((f) => f.name));
  for (const name of await readdir(dir)) if (OURS.test(name) && !keep.has(name)) await rm(join(dir, name));
  return bytes;
}
