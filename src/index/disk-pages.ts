/**
 * A PageSource (./page-source) in a temporary file: pages appended as they are extracted, one JSON
 * line each, and read back a page at a time for each pass of the build. The build's memory then
 * holds a page, not the site's text. Node edge.
 */
import { open, rm, type FileHandle } from 'node:fs/promises';
import type { Page } from '../extract/html';
import { SgptError } from '../errors';
import type { PageSource } from './page-source';
import { writeAll } from './write-all';

/** Bytes of appended pages buffered before a write, and read at once. */
const BUFFER_BYTES = 1 << 20;
const READ_BYTES = 1 << 20;
const NEWLINE = 0x0a;

export class DiskPages implements PageSource {
  /** Pages appended. */
  count = 0;
  private pending: string[] = [];
  private pendingBytes = 0;

  private constructor(
    private readonly file: FileHandle,
    private readonly path: string,
  ) {}

  /** A new, empty file at `path` (a file the caller owns, e.g. in the output's staging folder). */
  static async create(path: string): Promise<DiskPages> {
    try {
      return new DiskPages(await open(path, 'w'), path);
    } catch (error) {
      throw new SgptError('INPUT_INVALID', `cannot create the temporary pages file ${path}: ${(error as Error).message}`);
    }
  }

  async append(page: Page): Promise<void> {
    const line = `${JSON.stringify(page)}\n`;
    this.pending.push(line);
    this.pendingBytes += line.length;
    this.count++;
    if (this.pendingBytes >= BUFFER_BYTES) await this.flush();
  }

  /**
   * The pages in order, read a chunk at a time as they are asked for (readline's iterator reads
   * ahead of a slow consumer and would hold the whole file).
   */
  async *pages(): AsyncGenerator<Page> {
    await this.flush();
    const file = await open(this.path, 'r');
    try {
      let rest = Buffer.alloc(0);
      for (;;) {
        const chunk = Buffer.alloc(READ_BYTES);
        const { bytesRead } = await file.read(chunk, 0, READ_BYTES, null);
        if (bytesRead === 0) break;
        let data = rest.length === 0 ? chunk.subarray(0, bytesRead) : Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
        for (let end = data.indexOf(NEWLINE); end >= 0; end = data.indexOf(NEWLINE)) {
          yield JSON.parse(data.toString('utf8', 0, end)) as Page;
          data = data.subarray(end + 1);
        }
        rest = Buffer.from(data);
      }
      if (rest.length > 0) throw new SgptError('INTERNAL', `temporary pages file ${this.path} ends inside a page`);
    } finally {
      await file.close();
    }
  }

  /** Removes the file. */
  async close(): Promise<void> {
    await this.file.close();
    await rm(this.path, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    await writeAll(this.file, Buffer.from(text), null, `the temporary pages file ${this.path}`);
  }
}
