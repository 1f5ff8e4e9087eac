/**
 * writeAll (src/index/write-all.ts): a write that stops short (a full disk) is an error naming the
 * file, in every temporary file of a build, not damage found later when it is read back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskPages } from '../../src/index/disk-pages';
import { writeAll } from '../../src/index/write-all';
import type { Page } from '../../src/extract/html';
import { sgptRejection } from '../support';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-write-all-'));
});
afterEach(() => rm(work, { recursive: true, force: true }));

/** A file handle whose writes write at most `room` bytes, then fail as a full disk does. */
function fullDisk(room: number): Pick<FileHandle, 'write'> {
  return {
    write: (async (bytes: Uint8Array, _offset: number, length: number) => {
      if (room === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const bytesWritten = Math.min(room, length);
      room -= bytesWritten;
      return { bytesWritten, buffer: bytes };
    }) as FileHandle['write'],
  };
}

describe('writeAll', () => {
  it('fails on a short write and on ENOSPC, naming the file and the disk', async () => {
    const short = await sgptRejection(writeAll(fullDisk(3) as FileHandle, new Uint8Array(10), null, 'the temporary pages file /x'));
    expect(short.code).toBe('INPUT_INVALID');
    expect(short.message).toBe('cannot write the temporary pages file /x: wrote 3 of 10 bytes (disk full?)');
    const full = await sgptRejection(writeAll(fullDisk(0) as FileHandle, new Uint8Array(10), null, 'the shard file /y'));
    expect(full.message).toMatch(/^cannot write the shard file \/y \(disk full\?\): ENOSPC/);
  });

  it('the pages spill says the disk is full on a short write, not that the file ends inside a page', async () => {
    const pages = await DiskPages.create(join(work, 'pages.jsonl'));
    const inner = pages as unknown as { file: Pick<FileHandle, 'write' | 'close'> };
    const real = inner.file;
    inner.file = { ...fullDisk(5), close: async () => undefined };
    await pages.append({ url: '/a.html', title: 'A', sections: [] } as unknown as Page);
    const pass = pages.pages();
    const error = await sgptRejection(pass.next());
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toMatch(/cannot write the temporary pages file .*pages\.jsonl: wrote 5 of \d+ bytes \(disk full\?\)/);
    await real.close();
  });
});
