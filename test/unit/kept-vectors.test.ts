// An unchanged rebuild keeps the previous vector files as stored (src/index/kept-vectors): it must
// write exactly what a fresh build of the same site from the same embedding cache writes, without
// decoding a shard; after a partial change the rows it reuses from int8 must rank exactly as a
// fresh build's. On the real model and the fixture site, three shards.
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { buildSiteIndex, type IndexRun } from '../../src/build/site-build';
import { SiteIndex } from '../../src/build/site-query';
import { parsePathRule } from '../../src/extract/filters';
import { openIndexDir } from '../../src/index/node-files';
import { IndexReader } from '../../src/index/reader';
import { indexFiles } from '../support';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-kept-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Three shards (the fixture's 14 sections would make one) and a filter from the path (a kept shard's owners are read for the filter table). */
const run = (site: string, out: string, extra: Partial<IndexRun> = {}): IndexRun => ({ site, out, shards: 3, filterFromPath: [parsePathRule('part=^/(guide)/')], ...extra });

/** Each row's int8 codes and scale by its section and window, whichever shard holds it. */
async function rowsBySection(dir: string): Promise<Map<string, string>> {
  const reader = await openIndexDir(dir);
  const rows = new Map<string, string>();
  for (let k = 0; k < reader.manifest.shards.length; k++) {
    const shard = await reader.shard(k);
    for (let r = 0; r < shard.rows; r++) {
      const codes = Buffer.from(shard.codes.buffer, shard.codes.byteOffset + r * shard.dims, shard.dims).toString('base64');
      rows.set(`${shard.owner[r]}/${shard.window![r]}`, `${shard.scales[r]} ${codes}`);
    }
  }
  return rows;
}

describe('an unchanged rebuild keeps the vector files', () => {
  it('writes the bytes of a fresh build from the same cache, without decoding a shard', async () => {
    const cacheDir = join(work, 'cache');
    const out = join(work, 'a');
    const first = await buildSiteIndex(run('test/fixtures/site', out, { cacheDir }));
    expect(first.built).toMatchObject({ sections: 14, embedded: 14, shards: 3 });
    const before = await indexFiles(out);
    expect(JSON.parse(before['manifest.json']!).filters).toBeDefined();

    const decoded = vi.spyOn(IndexReader.prototype, 'readShard');
    const again = await buildSiteIndex(run('test/fixtures/site', out));
    expect(again.built).toMatchObject({ sections: 14, embedded: 0, reused: 14, cached: 0, vectors: first.built.vectors, shards: 3 });
    expect(decoded).not.toHaveBeenCalled();
    expect(await indexFiles(out)).toEqual(before);
    // With the cache too: the previous files are kept, not rebuilt from the cache's float32 rows.
    expect((await buildSiteIndex(run('test/fixtures/site', out, { cacheDir }))).built).toMatchObject({ reused: 14, cached: 0 });
    expect(decoded).not.toHaveBeenCalled();
    expect(await indexFiles(out)).toEqual(before);

    const fresh = join(work, 'fresh');
    expect((await buildSiteIndex(run('test/fixtures/site', fresh, { cacheDir }))).built).toMatchObject({ embedded: 0, cached: 14 });
    expect(await indexFiles(fresh)).toEqual(before);
  });

  it('a damaged shard file is not kept: the build reads the other shards and embeds that one\'s sections again', async () => {
    const out = join(work, 'damaged');
    await buildSiteIndex(run('test/fixtures/site', out));
    const rows = await rowsBySection(out);
    const shard = (await openIndexDir(out)).manifest.shards[1]!;
    const bytes = await readFile(join(out, shard.name));
    bytes[bytes.length - 9]! ^= 0x40; // in the gzip trailer: only the hash check sees it
    await writeFile(join(out, shard.name), bytes);
    const again = await buildSiteIndex(run('test/fixtures/site', out));
    expect(again.built.embedded).toBeGreaterThan(0);
    expect(again.built.embedded).toBeLessThanOrEqual(shard.rows);
    expect(again.built.embedded + again.built.reused).toBe(14);
    expect(await rowsBySection(out)).toEqual(rows); // every file whole again, the same rows
  });

  it('after a partial change, the reused rows rank exactly as a fresh build from the same cache', async () => {
    const site = join(work, 'site');
    await cp('test/fixtures/site', site, { recursive: true });
    const cacheDir = join(work, 'cache-partial');
    const out = join(work, 'partial');
    await buildSiteIndex(run(site, out, { cacheDir }));
    const faq = join(site, 'faq.html');
    await writeFile(faq, (await readFile(faq, 'utf8')).replace('Green tea steeps for two minutes', 'Green tea steeps for three minutes'));

    const decoded = vi.spyOn(IndexReader.prototype, 'readShard');
    const rebuilt = await buildSiteIndex(run(site, out));
    expect(rebuilt.built).toMatchObject({ embedded: 1, reused: 13 });
    expect(decoded).toHaveBeenCalled(); // the rows are read back from int8 to be clustered again
    const fresh = join(work, 'partial-fresh');
    expect((await buildSiteIndex(run(site, fresh, { cacheDir }))).built).toMatchObject({ embedded: 1, cached: 13 });

    // The same int8 codes and scales for every row (k-means may still group them otherwise).
    expect(await rowsBySection(out)).toEqual(await rowsBySection(fresh));
    const [a, b] = await Promise.all([SiteIndex.open(out), SiteIndex.open(fresh)]);
    onTestFinished(() => Promise.all([a.dispose(), b.dispose()]).then(() => undefined));
    for (const query of ['how long does green tea steep', 'teapot answers 418', 'install the package', 'coffee']) {
      // Every shard probed: the ranking over all rows, independent of how they are grouped.
      const ranked = async (index: SiteIndex) => (await index.query(query, { limit: 14, probe: 3 })).map((hit) => [hit.url, hit.score, hit.semantic]);
      const got = await ranked(a);
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(await ranked(b));
    }
  });
});
