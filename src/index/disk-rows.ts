/**
 * A RowStore (./row-store) in a temporary file: appends are buffered up to `bufferRows` rows and
 * written in one call, reads are positional. The build's memory then holds a block of rows at a
 * time, not the site's vectors. Node edge.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import { SgptError } from '../errors';
import type { RowStore } from './row-store';
import { writeAll } from './write-all';

export class DiskRowStore implements RowStore {
  private count = 0;
  /** Rows written to the file; the rest are in `pending`. */
  private flushed = 0;
  private pending: Float32Array;
  private pendingRows = 0;

  private constructor(
    private readonly file: FileHandle,
    private readonly path: string,
    readonly dims: number,
    private readonly bufferRows: number,
  ) {
    this.pending = new Float32Array(bufferRows * dims);
  }

  /** A new, empty store at `path` (a file the caller owns, e.g. in the output's staging folder). */
  static async create(path: string, dims: number, bufferRows = 1024): Promise<DiskRowStore> {
    try {
      return new DiskRowStore(await open(path, 'w+'), path, dims, Math.max(1, bufferRows));
    } catch (error) {
      throw new SgptError('INPUT_INVALID', `cannot create the temporary vector file ${path}: ${(error as Error).message}`);
    }
  }

  get rows(): number {
    return this.count;
  }

  async append(rows: readonly Float32Array[]): Promise<number> {
    const first = this.count;
    for (const row of rows) {
      this.pending.set(row, this.pendingRows++ * this.dims);
      this.count++;
      if (this.pendingRows === this.bufferRows) await this.flush();
    }
    return first;
  }

  async read(first: number, count: number): Promise<Float32Array> {
    if (first + count > this.flushed) await this.flush();
    const out = new Float32Array(count * this.dims);
    const bytes = new Uint8Array(out.buffer);
    const { bytesRead } = await this.file.read(bytes, 0, bytes.length, first * this.dims * 4);
    if (bytesRead !== bytes.length) throw new SgptError('INTERNAL', `temporary vector file ${this.path}: read ${bytesRead} of ${bytes.length} bytes at row ${first}`);
    return out;
  }

  async close(): Promise<void> {
    await this.file.close();
    await rm(this.path, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.pendingRows === 0) return;
    const bytes = new Uint8Array(this.pending.buffer, 0, this.pendingRows * this.dims * 4);
    await writeAll(this.file, bytes, this.flushed * this.dims * 4, `the temporary vector file ${this.path}`);
    this.flushed += this.pendingRows;
    this.pendingRows = 0;
  }
}
