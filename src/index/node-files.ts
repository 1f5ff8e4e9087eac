/**
 * The Node edge of the index's reading side: an index folder read through the same reader the
 * browser uses (its writing side, a build's output folder, is ./output-dir).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SgptError } from '../errors';
import { checkFileName } from './format';
import { IndexReader, type FileLoader } from './reader';

export function fsLoader(dir: string): FileLoader {
  return async (name) => {
    checkFileName(name, 'a file name');
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
