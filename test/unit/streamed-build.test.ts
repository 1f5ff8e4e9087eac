// The streamed build (vectors waiting in a RowStore on disk, read back a block at a time; files
// handed out as they are made) writes the same bytes as the build that holds everything in memory,
// whatever the block size: a site big enough that k-means trains on a sample and assigns the
// other rows block by block, a rebuild over the previous index, and the real model on the fixture.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex } from '../../src/build/site-build';
import type { Embeddings } from '../../src/embed/types';
import type { Page } from '../../src/extract/html';
import { DiskPages } from '../../src/index/disk-pages';
import { DiskRowStore } from '../../src/index/disk-rows';
import { dequantize } from '../../src/index/int8';
import type { ModelRef } from '../../src/index/format';
import { IndexReader } from '../../src/index/reader';
import { MemoryRowStore, gatherRows, type RowStore } from '../../src/index/row-store';
import { assignShards } from '../../src/index/shards';
import { buildIndex, type BuiltIndex, type DocumentEmbedder } from '../../src/index/writer';
import { gemmScorer } from '../../src/build/gemm-scorer';
import { jsScorer, seededRandom, sphericalKMeans, type BlockScorer } from '../../src/search/kmeans';
import { clusteredData } from '../fixtures/clustered-vectors';
import { indexFiles } from '../support';

const DIMS = 16;
const MODEL: ModelRef = { id: 'fake', hash: 'f'.repeat(64), dims: DIMS, mode: 'asymmetric' };
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-streamed-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** A deterministic stand-in for the model (the writer's arithmetic is under test, not the model's): each text's vector from its characters. */
const embedder: DocumentEmbedder = {
  dims: DIMS,
  async embed(texts): Promise<Embeddings> {
    const vectors = new Float32Array(texts.length * DIMS);
    texts.forEach((text, i) => {
      const random = seededRandom([...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7));
      let norm = 0;
      for (let d = 0; d < DIMS; d++) norm += (vectors[i * DIMS + d] = random() - 0.5) ** 2;
      for (let d = 0; d < DIMS; d++) vectors[i * DIMS + d]! /= Math.sqrt(norm);
    });
    return { vectors, dims: DIMS, rows: texts.length, owner: Int32Array.from(texts, (_, i) => i) };
  },
};

/** `count` pages of 10 sections (some texts repeated), deterministic. */
function pages(count: number, salt = ''): Page[] {
  const words = ['file', 'read', 'line', 'thread', 'lock', 'generator', 'yield', 'sort', 'list', 'json', 'parse', 'socket'];
  const random = seededRandom(3);
  return Array.from({ length: count }, (_, p) => ({
    url: `/p${p}.html`,
    title: `Page ${p}`,
    lang: 'en',
    sections: Array.from({ length: 10 }, (_, s) => {
      const text = s === 9 ? 'the same text on every page' : Array.from({ length: 12 }, () => words[Math.floor(random() * words.length)]).join(' ') + salt;
      return { url: `/p${p}.html`, anchor: `s${s}`, title: `Section ${s}`, pageTitle: `Page ${p}`, headingPath: [`Section ${s}`], text, filters: { part: [`${p % 3}`] } };
    }),
  }));
}

/** Every file under `dir` (dot files too) with its bytes. */
async function everyFile(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name).slice(dir.length + 1)] = (await readFile(join(entry.parentPath, entry.name))).toString('base64');
  }
  return files;
}

/** The files of a build by name (the manifest without its time); `emitted` adds those handed to `emit`. */
function filesOf(built: BuiltIndex, emitted: Map<string, Uint8Array> = new Map()): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, bytes] of [...emitted, ...built.files.map((f) => [f.name, f.bytes] as const)]) {
    out[name] = name === 'manifest.json' ? JSON.stringify({ ...JSON.parse(Buffer.from(bytes).toString('utf8')), built: null }) : Buffer.from(bytes).toString('base64');
  }
  return out;
}

/** Like `embedder`, but a text makes 1–3 windows (by its characters), each its own vector: the rows of one section spread over shards. */
const windowed: DocumentEmbedder = {
  dims: DIMS,
  async embed(texts, role, opts): Promise<Embeddings> {
    const counts = texts.map((text) => 1 + ([...text].reduce((h, c) => h + c.charCodeAt(0), 0) % 3));
    const windows = texts.flatMap((text, i) => Array.from({ length: counts[i]! }, (_, k) => `${text} window ${k}`));
    const { vectors, rows } = await embedder.embed(windows, role, opts);
    return { vectors, dims: DIMS, rows, owner: Int32Array.from(counts.flatMap((n, i) => Array<number>(n).fill(i))) };
  },
};

/** Build in memory (files kept), or streamed (files emitted, vectors on disk, `block` rows at a time); `missing`: previous files left unreadable. */
async function build(input: Page[], streamed: { block: number } | null, previous?: BuiltIndex, model: DocumentEmbedder = embedder, missing: readonly string[] = [], kmeansScorer: BlockScorer = jsScorer): Promise<BuiltIndex & { all: Record<string, string> }> {
  const reader = previous && (await IndexReader.open(async (name) => (missing.includes(name) ? undefined : previous.files.find((f) => f.name === name)?.bytes) ?? (() => { throw new Error(`${name} missing`); })()));
  const emitted = new Map<string, Uint8Array>();
  const store: RowStore = streamed ? await DiskRowStore.create(join(work, `rows-${Math.random()}`), DIMS, streamed.block) : new MemoryRowStore(DIMS);
  const built = await buildIndex(input, model, {
    model: MODEL,
    shards: 12,
    store,
    kmeansScorer,
    previous: reader ?? null,
    ...(streamed ? { rowBlock: streamed.block, emit: async (name: string, bytes: Uint8Array) => void emitted.set(name, bytes) } : {}),
  });
  const all = filesOf(built, emitted);
  // A later rebuild reads the previous index from these.
  return { ...built, files: Object.entries(all).map(([name]) => ({ name, bytes: emitted.get(name) ?? built.files.find((f) => f.name === name)!.bytes })), all };
}

describe('streamed index build', () => {
  it('shards like in-memory k-means when it trains on a sample and assigns the rest block by block, from rows stored in any order', async () => {
    const rows = 3000; // k = 8: a sample of 2048 rows, so 952 are assigned after training
    const { vectors } = clusteredData(rows, 0, DIMS, { clusters: 20, seed: 5 });
    const expected = await sphericalKMeans(vectors, DIMS, { k: 8 });
    const order = Int32Array.from({ length: rows }, (_, r) => r).sort((a, b) => ((a * 7919) % rows) - ((b * 7919) % rows));
    for (const store of [new MemoryRowStore(DIMS), await DiskRowStore.create(join(work, 'kmeans-rows'), DIMS, 5)]) {
      const positions = new Int32Array(rows);
      for (const r of order) positions[r] = await store.append([vectors.subarray(r * DIMS, (r + 1) * DIMS)]);
      expect(await gatherRows(store, positions.subarray(10, 13), 1)).toEqual(vectors.slice(10 * DIMS, 13 * DIMS));
      const got = await assignShards(store, positions, 8, { block: 7 });
      expect(got.assignment).toEqual(expected.assignments);
      expect(got.centroids).toEqual(expected.centroids);
      await store.close();
    }
  });

  it('writes the bytes of the in-memory build, one vector at a time or in blocks, first build and rebuild alike', async () => {
    const site = pages(300); // 3,000 sections, 2,701 distinct texts: k-means trains on a sample
    const memory = await build(site, null);
    expect(memory.stats).toMatchObject({ sections: 3000, shards: 12 });
    for (const block of [1, 97]) expect((await build(site, { block })).all).toEqual(memory.all);
    // A rebuild with half the texts changed: the rest stream out of the previous index's shards.
    const changed = [...site.slice(0, 150), ...pages(300, ' changed').slice(150)];
    const again = await build(changed, null, memory);
    expect(again.stats.reused).toBeGreaterThan(1000);
    expect(again.stats.embedded).toBeGreaterThan(1000);
    expect((await build(changed, { block: 1 }, memory)).all).toEqual(again.all);
  });

  it('pages spilled to a temporary file read back as they went in, and build the same bytes as pages in memory', async () => {
    const site = pages(300);
    // Text that tests the file's framing: newlines, quotes, non-ASCII, a lone surrogate, a page far longer than a read.
    site[7]!.sections[2]!.text = 'line one\nline "two" — naïve 日本語 \ud800 end';
    site[8]!.sections[0]!.text = 'x'.repeat(3 << 20);
    const spilled = await DiskPages.create(join(work, 'pages.jsonl'));
    try {
      for (const page of site) await spilled.append(page);
      const back = [];
      for await (const page of spilled.pages()) back.push(page);
      expect(back).toEqual(site);
      const memory = await build(site, null);
      const streamedBuild = await buildIndex(spilled, embedder, { model: MODEL, shards: 12, store: await DiskRowStore.create(join(work, 'rows-spilled'), DIMS, 97), rowBlock: 97 });
      expect(filesOf(streamedBuild)).toEqual(memory.all);
    } finally {
      await spilled.close();
    }
  });

  it('an unchanged rebuild keeps the previous clustering without k-means, and a second one writes the same bytes', async () => {
    const site = pages(300);
    const first = await build(site, null);
    const again = await build(site, { block: 64 }, first);
    expect(again.stats.reused).toBe(3000);
    const vectorFiles = (b: typeof first) => Object.keys(b.all).filter((name) => /^(centroids|vectors-)/.test(name)).sort();
    expect(again.manifest.centroids).toEqual(first.manifest.centroids);
    expect(vectorFiles(again)).toEqual(vectorFiles(first));
    // Each shard holds the same sections' rows as before (the int8 rows themselves are the same codes).
    const owners = async (b: typeof first) => {
      const reader = await IndexReader.open(async (name) => b.files.find((f) => f.name === name)!.bytes);
      return Promise.all(b.manifest.shards.map(async (_, k) => [...(await reader.shard(k)).owner]));
    };
    expect(await owners(again)).toEqual(await owners(first));
    // The vector files (shards and centroids) are the previous build's bytes themselves, kept rather than encoded and gzipped again.
    const stored = (b: typeof first, name: string) => b.files.find((f) => f.name === name)!.bytes;
    expect(vectorFiles(first)).toHaveLength(13);
    for (const name of vectorFiles(first)) expect(stored(again, name)).toBe(stored(first, name));
    expect(again.all).toEqual(first.all);
    const third = await build(site, null, again);
    expect(third.all).toEqual(again.all);
    expect(vectorFiles(third)).toEqual(vectorFiles(again));
    // One changed section: k-means runs again from the previous centroids.
    const changed = site.map((page, p) => (p === 0 ? { ...page, sections: page.sections.map((section, s) => (s === 0 ? { ...section, text: 'something else' } : section)) } : page));
    const moved = await build(changed, null, third);
    expect(moved.stats).toMatchObject({ reused: 2999, embedded: 1 });
    // The shard holding the changed section is written anew, not kept from the previous build.
    const changedShard = (await owners(moved)).findIndex((rows) => rows.includes(0));
    expect(third.manifest.shards.map((ref) => ref.name)).not.toContain(moved.manifest.shards[changedShard]!.name);
  });

  it('writes each row\'s window number, and a rebuild takes a section\'s rows from several shards back in window order', async () => {
    const site = pages(300);
    const first = await build(site, null, undefined, windowed);
    expect(first.stats.vectors).toBeGreaterThan(4000);
    expect((await build(site, { block: 7 }, undefined, windowed)).all).toEqual(first.all);
    /** Per section, its rows' dequantised vectors by window number, and how many shards they sit in. */
    const rowsOf = async (b: BuiltIndex, sections: number) => {
      const reader = await IndexReader.open(async (name) => b.files.find((f) => f.name === name)!.bytes);
      const out = Array.from({ length: sections }, () => ({ windows: [] as Float32Array[], shards: new Set<number>(), lostIn0: [] as boolean[] }));
      for (let k = 0; k < b.manifest.shards.length; k++) {
        const shard = await reader.shard(k);
        const vectors = dequantize(shard, DIMS);
        for (let r = 0; r < shard.rows; r++) {
          const entry = out[shard.owner[r]!]!;
          expect(entry.windows[shard.window![r]!]).toBeUndefined();
          entry.windows[shard.window![r]!] = vectors.slice(r * DIMS, (r + 1) * DIMS);
          entry.shards.add(k);
          entry.lostIn0[shard.window![r]!] = k === 0;
        }
      }
      return out;
    };
    const before = await rowsOf(first, 3000);
    expect(before.filter((entry) => entry.shards.size > 1).length).toBeGreaterThan(100);
    const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, d) => sum + x * b[d]!, 0);
    const sameRows = (after: typeof before) =>
      after.forEach((entry, s) => {
        expect(entry.windows.length).toBe(before[s]!.windows.length);
        entry.windows.forEach((vector, k) => expect(cosine(vector, before[s]!.windows[k]!)).toBeGreaterThan(0.99));
      });
    // Unchanged: the clustering kept, the same vector files (rows and window numbers).
    const same = await build(site, { block: 5 }, first, windowed);
    expect(same.stats.reused).toBe(3000);
    const vectorFiles = (b: BuiltIndex) => b.files.map((f) => f.name).filter((name) => /^(centroids|vectors-)/.test(name)).sort();
    expect(vectorFiles(same)).toEqual(vectorFiles(first));
    // One section changed: k-means runs, and every other section's rows come from the previous shards.
    const changed = site.map((page, p) => (p === 0 ? { ...page, sections: page.sections.map((section, s) => (s === 0 ? { ...section, text: 'something else' } : section)) } : page));
    const again = await build(changed, null, first, windowed);
    expect(again.stats).toMatchObject({ reused: 2999, embedded: 1 });
    expect((await build(changed, { block: 1 }, first, windowed)).all).toEqual(again.all);
    sameRows((await rowsOf(again, 3000)).map((entry, s) => (s === 0 ? before[0]! : entry)));
    // A previous shard unreadable: a section whose readable rows are not windows 0 … m−1 is embedded
    // again, not taken with a gap (a section that lost only its last windows cannot be told from a
    // shorter one: it keeps its first m, as the in-memory build did).
    const lost = first.manifest.shards[0]!.name;
    const gaps = await build(site, { block: 3 }, first, windowed, [lost]);
    const kept = before.map((entry) => {
      const readable = entry.windows.map((_, k) => k).filter((k) => !entry.lostIn0[k]);
      return readable.length > 0 && readable.every((k, i) => k === i) ? readable.length : 0;
    });
    expect(kept.filter((m, s) => m < before[s]!.windows.length).length).toBeGreaterThan(0);
    expect(gaps.stats.embedded).toBe(kept.filter((m) => m === 0).length);
    expect(gaps.stats.reused).toBe(3000 - gaps.stats.embedded);
    (await rowsOf(gaps, 3000)).forEach((entry, s) => {
      expect(entry.windows.length).toBe(kept[s] || before[s]!.windows.length);
      entry.windows.forEach((vector, k) => expect(cosine(vector, before[s]!.windows[k]!)).toBeGreaterThan(0.99));
    });
  });

  it('a site that cannot be read fails before the output folder (where the pages would spill) is made', async () => {
    const out = join(work, 'never-made');
    await expect(buildSiteIndex({ site: join(work, 'no-such-site'), out })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    await expect(readdir(out)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('k-means through onnxruntime-node\'s GEMM writes the bytes of plain JS k-means, first build and rebuild alike', async () => {
    const notes: string[] = [];
    const gemm = gemmScorer((line) => notes.push(line));
    try {
      const site = pages(300); // k-means trains on a sample, then assigns the other rows
      const plain = await build(site, null);
      const fast = await build(site, { block: 64 }, undefined, embedder, [], gemm);
      expect(fast.all).toEqual(plain.all);
      const changed = [...site.slice(0, 280), ...pages(30, ' again').slice(10)]; // the rebuild starts from the previous centroids
      expect((await build(changed, null, fast, embedder, [], gemm)).all).toEqual((await build(changed, null, plain)).all);
      expect(notes).toEqual([]);
    } finally {
      await gemm.release();
    }
  });

  it('the CLI build (vectors on disk, files put in place as made; k-means through the GEMM) equals itself with one vector held at a time and with plain JS k-means, on the real model', async () => {
    const run = { site: 'test/fixtures/site', shards: 3 };
    await buildSiteIndex({ ...run, out: join(work, 'cli') });
    await buildSiteIndex({ ...run, out: join(work, 'cli-one'), rowBlock: 1 });
    await buildSiteIndex({ ...run, out: join(work, 'cli-js'), kmeansScorer: jsScorer });
    expect(await indexFiles(join(work, 'cli-one'))).toEqual(await indexFiles(join(work, 'cli')));
    expect(await indexFiles(join(work, 'cli-js'))).toEqual(await indexFiles(join(work, 'cli')));
    expect((await readdir(join(work, 'cli'))).filter((name) => name.startsWith('.'))).toEqual([]); // the temporary vector file is gone
  });

  it('a build stopped during k-means stops before the next k-means++ centre or iteration, leaving --out as it found it', async () => {
    const out = join(work, 'stopped');
    await buildSiteIndex({ site: 'test/fixtures/site', out, shards: 2 });
    const before = await everyFile(out);
    const stop = new AbortController();
    let scored = 0;
    // Real k-means scoring; the first block scored (the first k-means++ centre's) is when the reader presses Ctrl-C.
    const stopping: BlockScorer = {
      relativeError: (dims) => jsScorer.relativeError(dims),
      against(centroids, k, dims) {
        const score = jsScorer.against(centroids, k, dims);
        return (rows, count) => {
          scored++;
          stop.abort();
          return score(rows, count);
        };
      },
    };
    // Three shards where the folder has two: no clustering kept, k-means runs from k-means++ seeding.
    await expect(buildSiteIndex({ site: 'test/fixtures/site', out, shards: 3, kmeansScorer: stopping, signal: stop.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(scored).toBe(1);
    expect(await everyFile(out)).toEqual(before);
  });
});
