/**
 * Writing a build's temporary and shard files (Node edge). FileHandle.write may write part of
 * what it was given and say so only in bytesWritten (a full disk); a file cut short there would
 * be read back later as damage ("ends inside a page"). So every such write goes through here.
 */
import type { FileHandle } from 'node:fs/promises';
import { SgptError } from '../errors';

/** Writes all of `bytes` at `position` (null: where the file is), or fails naming `what` (e.g. "the temporary pages file …"). */
export async function writeAll(file: FileHandle, bytes: Uint8Array, position: number | null, what: string): Promise<void> {
  let written: number;
  try {
    ({ bytesWritten: written } = await file.write(bytes, 0, bytes.length, position));
  } catch (error) {
    throw new SgptError('INPUT_INVALID', `cannot write ${what} (disk full?): ${(error as Error).message}`);
  }
  if (written !== bytes.length) throw new SgptError('INPUT_INVALID', `cannot write ${what}: wrote ${written} of ${bytes.length} bytes (disk full?)`);
}
