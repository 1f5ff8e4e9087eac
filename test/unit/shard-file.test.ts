/**
 * writeShardFile (src/index/shard-file.ts) in a folder that may hold the user's files: it replaces
 * only a shard file (by its magic), and a write that fails leaves no temporary file behind.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkShardTarget, ShardReader, writeShardFile } from '../../src/index/shard-file';
import { sgptRejection } from '../support';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-shard-file-'));
});
afterEach(() => rm(work, { recursive: true, force: true }));

const header = { model: { id: 'm', hash: 'h', dims: 1, mode: 'asymmetric' as const }, shard: { index: 0, count: 2 }, site: { sections: 1, fingerprint: 'f' } };
const entries = (hash = 'ab'.repeat(16)) => new Map([[hash, [Float32Array.from([1])]]]);

describe('writeShardFile', () => {
  it("refuses to replace a file of the user's at the shard's name, before and after embedding", async () => {
    const path = join(work, 'shard-0-of-2.sgpt-shard');
    await writeFile(path, 'my notes');
    const early = await sgptRejection(checkShardTarget(path));
    expect(early.code).toBe('INPUT_INVALID');
    expect(early.message).toContain(`${path} is not a shard file`);
    expect((await sgptRejection(writeShardFile(path, header, entries()))).message).toMatch(/not a shard file.*nothing was changed/);
    expect(await readFile(path, 'utf8')).toBe('my notes');
    expect(await readdir(work)).toEqual(['shard-0-of-2.sgpt-shard']);
    await rm(path);
    await mkdir(path);
    expect((await sgptRejection(checkShardTarget(path))).message).toContain('is not a regular file');
  });

  it('replaces a shard file an earlier run wrote', async () => {
    const path = join(work, 'shard-0-of-2.sgpt-shard');
    await writeShardFile(path, header, entries('cd'.repeat(16)));
    await checkShardTarget(path);
    await writeShardFile(path, header, entries());
    const reader = await ShardReader.open(path);
    expect(reader.header.entries).toBe(1);
    await reader.close();
  });

  it('leaves no temporary file when the write fails part-way', async () => {
    const path = join(work, 'shard-0-of-2.sgpt-shard');
    await expect(writeShardFile(path, header, entries('zz'))).rejects.toThrow(/not a text hash/);
    expect(await readdir(work)).toEqual([]);
  });
});
