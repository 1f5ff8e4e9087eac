// Builds that fan out (index --shard i/N, then merge) and the embedding cache (--cache-dir), on the
// fixture site with the default model: the merged index and a build from the cache are the bytes
// of a single build; every mistake with shard files or a damaged cache gets a clear outcome.
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex, type IndexRun } from '../../src/build/site-build';
import { buildShard } from '../../src/build/shard-build';
import { SgptError } from '../../src/errors';
import { ShardReader, shardSections, writeShardFile, type ShardHeader } from '../../src/index/shard-file';
import { checkShardSet, mergeShardFiles } from '../../src/index/shard-merge';
import { parsePathRule } from '../../src/extract/filters';
import { decodeVectorEntry, encodeVectorEntry } from '../../src/index/vector-entry';
import { entryKey } from '../../src/index/vector-cache';
import { indexFiles } from '../support';

const SITE = 'test/fixtures/site';
const BIN = resolve('bin/sgpt-search.js');
let work: string;
let single: string;

// Three IVF shards, so k-means runs and its input must be the same vectors to give the same files.
const run = (out: string, extra: Partial<IndexRun> = {}): IndexRun => ({ site: SITE, out, shards: 3, ...extra });

async function sgptError(promise: Promise<unknown>): Promise<SgptError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(SgptError);
  return error as SgptError;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-shards-'));
  single = join(work, 'single');
  await buildSiteIndex(run(single));
});

afterAll(() => rm(work, { recursive: true, force: true }));

describe('index --shard i/N and merge', () => {
  let shardDir: string;
  beforeAll(async () => {
    shardDir = join(work, 'shards');
    for (const index of [0, 1]) await buildShard(run(shardDir), { index, count: 2 });
  });

  it('the merged index is byte for byte the single build (manifest apart from its time)', async () => {
    const paths = ['shard-0-of-2.sgpt-shard', 'shard-1-of-2.sgpt-shard'].map((n) => join(shardDir, n));
    const merged = await mergeShardFiles(paths);
    const out = join(work, 'merged');
    const summary = await buildSiteIndex({ ...run(out), from: merged }).finally(() => merged.close());
    expect(summary.built).toMatchObject({ sections: 14, embedded: 0, cached: 14 });
    expect(await indexFiles(out)).toEqual(await indexFiles(single));
  });

  it('a merge carries the filters the pages give (read with the pages, not from the shards)', async () => {
    const filterFromPath = [parsePathRule('area=^/([^/]+)/')];
    const paths = ['shard-0-of-2.sgpt-shard', 'shard-1-of-2.sgpt-shard'].map((n) => join(shardDir, n));
    const out = join(work, 'merged-filters');
    const merged = await mergeShardFiles(paths);
    await buildSiteIndex({ ...run(out, { filterFromPath }), from: merged }).finally(() => merged.close());
    const singleFiltered = join(work, 'single-filters');
    await buildSiteIndex(run(singleFiltered, { filterFromPath }));
    const files = await indexFiles(out);
    expect(Object.keys(files).some((name) => name.startsWith('filters.'))).toBe(true);
    expect(files).toEqual(await indexFiles(singleFiltered));
  });

  it('splits the distinct texts between the shards, each once', async () => {
    const [a, b] = await Promise.all([0, 1].map((i) => ShardReader.open(join(shardDir, `shard-${i}-of-2.sgpt-shard`))));
    const [keysA, keysB] = [[...a!.hashes()], [...b!.hashes()]];
    const keys = [...keysA, ...keysB];
    expect(new Set(keys).size).toBe(keys.length);
    expect(keysA.length).toBeGreaterThan(0);
    expect(keysB.length).toBeGreaterThan(0);
    expect((await a!.read(keysA[0]!))![0]!.length).toBe(a!.header.model.dims);
    expect(await a!.read(keysB[0]!)).toBeNull();
    await Promise.all([a!.close(), b!.close()]);
    expect(shardSections(['x', 'y', 'x', 'z'], { index: 1, count: 2 })).toEqual([1]);
    expect(shardSections(['x', 'y', 'x', 'z'], { index: 0, count: 2 })).toEqual([0, 3]);
  });

  it('a missing shard, a repeated shard, a corrupt or truncated file are errors naming them', async () => {
    const zero = join(shardDir, 'shard-0-of-2.sgpt-shard');
    expect((await sgptError(mergeShardFiles([zero]))).message).toMatch(/missing shard 1\/2/);
    const copy = join(work, 'copy-of-0.sgpt-shard');
    await copyFile(zero, copy);
    expect((await sgptError(mergeShardFiles([zero, copy]))).message).toMatch(/shard 0\/2 is given twice/);
    const bytes = await readFile(zero);
    const corrupt = Buffer.from(bytes);
    corrupt[corrupt.length - 40]! ^= 0xff;
    await writeFile(copy, corrupt);
    // The flipped byte is in the last entry's vectors: found when the merge reads that entry.
    const reader = await ShardReader.open(copy);
    const error = await sgptError(Promise.all([...reader.hashes()].map((hash) => reader.read(hash))));
    await reader.close();
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toMatch(/copy-of-0\.sgpt-shard: entry \d+ fails its checksum/);
    await writeFile(copy, bytes.subarray(0, bytes.length - 100));
    expect((await sgptError(ShardReader.open(copy))).message).toMatch(/runs past the end|is missing/);
  });

  it('shards of another model, another N or another site are refused before merging', () => {
    const header = (index: number, count: number, extra: Partial<ShardHeader> = {}): ShardHeader => ({
      format: 'sgpt-search-shard', version: 1, entries: 0, shard: { index, count },
      model: { id: 'sgpt-nano', hash: 'a'.repeat(64), dims: 384, mode: 'asymmetric' },
      site: { sections: 14, fingerprint: 'f' }, ...extra,
    });
    const message = (headers: ShardHeader[]) => {
      try {
        checkShardSet(headers.map((h, i) => ({ path: `s${i}.sgpt-shard`, header: h })));
      } catch (error) {
        return `${(error as SgptError).code}: ${(error as Error).message}`;
      }
      return 'no error';
    };
    expect(message([header(0, 2), header(1, 2)])).toBe('no error');
    expect(message([header(0, 2), header(1, 2, { model: { id: 'tiny-gpt2', hash: 'b'.repeat(64), dims: 64, mode: 'asymmetric' } })])).toMatch(/^INDEX_MODEL_MISMATCH: .*tiny-gpt2.*sgpt-nano/);
    // Only the width differs: the message says so.
    expect(message([header(0, 2), header(1, 2, { model: { id: 'sgpt-nano', hash: 'a'.repeat(64), dims: 256, mode: 'asymmetric' } })])).toMatch(/^INDEX_MODEL_MISMATCH: .*256 dims.* 384 dims/);
    expect(message([header(0, 2), header(1, 3)])).toMatch(/^INPUT_INVALID: shard s1\.sgpt-shard is 1\/3 but s0\.sgpt-shard is 0\/2/);
    expect(message([header(0, 2), header(1, 2, { site: { sections: 15, fingerprint: 'g' } })])).toMatch(/different versions of the site/);
    expect(message([])).toMatch(/no shard files given/);
  });

  it('the CLI: index --shard writes the file, merge refuses an incomplete set with exit 1', async () => {
    const out = join(work, 'cli');
    const cli = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => done({ code, stderr }));
    });
    const shard = await cli(['index', SITE, '--out', out, '--shard', '1/3']);
    expect(shard.stderr).toMatch(/shard 1\/3: \d+ of the site's 14 sections' texts/);
    expect(shard.code).toBe(0);
    const merge = await cli(['merge', SITE, out, '--out', join(work, 'cli-index')]);
    expect(merge.stderr).toMatch(/INPUT_INVALID: missing shards 0\/3, 2\/3 \(given 1 of 3\)/);
    expect(merge.code).toBe(1);
    expect((await cli(['index', SITE, '--out', out, '--shard', '3/3'])).stderr).toMatch(/--shard must be i\/N with 0 ≤ i < N/);
  });
});

describe('the embedding cache (--cache-dir)', () => {
  it('a build from the cache embeds nothing and writes the same bytes; a corrupt entry is embedded again', async () => {
    const cacheDir = join(work, 'cache');
    const first = await buildSiteIndex(run(join(work, 'c1'), { cacheDir }));
    expect(first.built).toMatchObject({ embedded: 14, cached: 0 });
    const second = await buildSiteIndex(run(join(work, 'c2'), { cacheDir }));
    expect(second.built).toMatchObject({ embedded: 0, cached: 14 });
    expect(await indexFiles(join(work, 'c2'))).toEqual(await indexFiles(single));

    const [folder] = await readdir(cacheDir);
    const sub = join(cacheDir, folder!);
    const [bucket] = (await readdir(sub)).sort();
    const [entry] = await readdir(join(sub, bucket!));
    const path = join(sub, bucket!, entry!);
    const bytes = await readFile(path);
    bytes[20]! ^= 0x01;
    await writeFile(path, bytes);
    const warnings: string[] = [];
    const third = await buildSiteIndex(run(join(work, 'c3'), { cacheDir, onWarning: (m) => warnings.push(m) }));
    expect(third.built).toMatchObject({ embedded: 1, cached: 13 });
    expect(warnings.join('\n')).toMatch(/1 corrupt entries in the embedding cache .* were embedded again and replaced/);
    expect(await indexFiles(join(work, 'c3'))).toEqual(await indexFiles(single));
    const { model } = JSON.parse(await readFile(join(single, 'manifest.json'), 'utf8'));
    expect(decodeVectorEntry(new Uint8Array(await readFile(path)), 384, entryKey(model, entry!.slice(0, -4)))).not.toBeNull();
  });

  it("an entry is bound to its text, model and format: one copied under another text's name, or of the unkeyed format, is embedded again", async () => {
    const cacheDir = join(work, 'cache'); // filled by the test above
    const { model } = JSON.parse(await readFile(join(single, 'manifest.json'), 'utf8'));
    const sub = join(cacheDir, (await readdir(cacheDir))[0]!);
    const entries = [];
    for (const bucket of (await readdir(sub)).sort()) for (const name of await readdir(join(sub, bucket))) entries.push({ path: join(sub, bucket, name), hash: name.slice(0, -4) });
    const [a, b] = entries;
    // The audit's poisoning: a sound entry of text A under text B's name was used as B's vectors.
    await copyFile(a!.path, b!.path);
    const warnings: string[] = [];
    const poisoned = await buildSiteIndex(run(join(work, 'c4'), { cacheDir, onWarning: (m) => warnings.push(m) }));
    expect(poisoned.built).toMatchObject({ embedded: 1, cached: 13 });
    expect(warnings.join('\n')).toMatch(/1 corrupt entries in the embedding cache/);
    expect(await indexFiles(join(work, 'c4'))).toEqual(await indexFiles(single));
    // An entry of the first format (its checksum over its own bytes only) is not trusted either; it
    // is older, not damaged: embedded again without a warning (every entry of a cache after an upgrade).
    const rows = decodeVectorEntry(new Uint8Array(await readFile(b!.path)), 384, entryKey(model, b!.hash))!;
    expect(rows).not.toBeNull();
    await writeFile(b!.path, encodeVectorEntry(rows, 384));
    const quiet: string[] = [];
    expect((await buildSiteIndex(run(join(work, 'c5'), { cacheDir, onWarning: (m) => quiet.push(m) }))).built).toMatchObject({ embedded: 1, cached: 13 });
    expect(quiet.filter((m) => /corrupt/.test(m))).toEqual([]);
    // Nor one keyed for another model, mode or dims.
    expect(decodeVectorEntry(encodeVectorEntry(rows, 384, entryKey({ ...model, mode: 'symmetric' }, b!.hash)), 384, entryKey(model, b!.hash))).toBeNull();
  });

  it('entries: a changed byte, a cut, other dims or a non-finite value are refused', () => {
    const rows = [Float32Array.from([0.6, 0.8]), Float32Array.from([1, 0])];
    const bytes = encodeVectorEntry(rows, 2);
    expect(decodeVectorEntry(bytes, 2)).toEqual(rows);
    expect(decodeVectorEntry(bytes, 3)).toBeNull();
    expect(decodeVectorEntry(bytes.subarray(0, bytes.length - 1), 2)).toBeNull();
    const flipped = Uint8Array.from(bytes);
    flipped[13]! ^= 0x80;
    expect(decodeVectorEntry(flipped, 2)).toBeNull();
    expect(decodeVectorEntry(encodeVectorEntry([Float32Array.from([NaN, 0])], 2), 2)).toBeNull();
  });
});

it('writeShardFile refuses what is not a text hash', async () => {
  const model = { id: 'm', hash: 'h', dims: 1, mode: 'asymmetric' as const };
  await expect(writeShardFile(join(work, 'bad.sgpt-shard'), { model, shard: { index: 0, count: 1 }, site: { sections: 1, fingerprint: 'f' } }, new Map([['zz', [Float32Array.from([1])]]]))).rejects.toThrow(/not a text hash/);
});
