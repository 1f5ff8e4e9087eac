/**
 * The Node edge of the index's reading side: an index folder read through the same reader the
 * browser uses (its writing side, a build's output folder, is ./output-dir).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { SgptError } from '../errors';
import { checkFileName } from './format';
import { IndexReader, type FileLoader } from './reader';

/**
 * The bytes of the index file at `path`, at most `limit` + 1 of them (one more than expected shows
 * the file is longer). Only a regular file is read: a FIFO would block (opened without waiting
 * here, so never a hang that ignores SIGTERM) and a device such as /dev/zero never ends (a `query`
 * grew to 4.7 GB on one); either is INDEX_INVALID.
 */
export async function readIndexFile(path: string, limit = Infinity): Promise<Uint8Array> {
  const file = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new SgptError('INDEX_INVALID', `${path}: is ${kind(info)}, not a regular file; an index's files are plain files`);
    const size = Math.min(info.size, limit + 1);
    const bytes = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await file.read(bytes, at, size - at, at);
      if (bytesRead === 0) break; // shortened while read: the length check tells
      at += bytesRead;
    }
    return bytes.subarray(0, at);
  } finally {
    await file.close();
  }
}

function kind(info: { isDirectory(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFIFO()) return 'a FIFO';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'a special file';
}

export function fsLoader(dir: string): FileLoader {
  return async (name, bytes) => {
    checkFileName(name, 'a file name');
    try {
      return await readIndexFile(join(dir, name), bytes);
    } catch (error) {
      if (error instanceof SgptError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new SgptError('INDEX_INVALID', `${name}: missing from ${dir} (incomplete index; rebuild it with \`sgpt-search index\`)`);
      throw new SgptError('INDEX_INVALID', `${name}: cannot read from ${dir}: ${(error as Error).message}`);
    }
  };
}

export function openIndexDir(dir: string): Promise<IndexReader> {
  return IndexReader.open(fsLoader(dir));
}
