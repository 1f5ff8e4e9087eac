/**
 * Every decoder of index files and the manifest reader, on random and mutated bytes (fast-check):
 * each input is either read or refused with a coded SgptError, never another exception, and
 * nothing read is larger than the bytes it came from (no count in a file can make a reader
 * allocate past its input). The inputs start from a real index, so mutations reach deep into
 * the formats instead of stopping at the magic bytes.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { SgptError } from '../../src/errors';
import {
  MAX_CONTENT_BYTES,
  decodeCentroids,
  decodeJson,
  decodeShard,
  fileContent,
  parseBucket,
  parseOwned,
  parseSectionTable,
  decodeTextHashes,
  type Manifest,
} from '../../src/index/format';
import { openIndexDir } from '../../src/index/node-files';
import type { FileLoader } from '../../src/index/reader';
import { decodeChunk, decodeHead } from '../../src/search/bm25';
import { decodeTypoFile, decodeTypoHead, type TypoFileEntry } from '../../src/search/typos';
import { SiteSearch } from '../../src/index/site-search';

const SITE = resolve(import.meta.dirname, '../fixtures/site');
const TINY = resolve(import.meta.dirname, '../../test/fixtures/models/tiny-gpt2');
/** Runs per property: a few hundred, seeded, so a failure reproduces. */
const RUNS = { numRuns: 300, seed: 11 };
const CODES = new Set(['INDEX_INVALID', 'INDEX_VERSION', 'INDEX_MODEL_MISMATCH']);

let dir: string;
let manifest: Manifest;
/** Decoded contents of the real index's files. */
let head: Uint8Array;
let chunk: Uint8Array;
let shard: Uint8Array;
let centroids: Uint8Array;
let table: Uint8Array;
let bucket: Uint8Array;
let hashes: Uint8Array;
let owned: Uint8Array;
let typoHead: Uint8Array;
let typoFile: Uint8Array;
let typoEntries: TypoFileEntry[];
let raw: Map<string, Uint8Array>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sgpt-fuzz-'));
  await buildSiteIndex({ site: SITE, out: dir, model: TINY, shards: 2 });
  const reader = await openIndexDir(dir);
  manifest = reader.manifest;
  const file = async (name: string) => fileContent(name, new Uint8Array(await readFile(join(dir, name))));
  head = reader.keywordHead;
  const firstChunk = decodeHead(head, 'head').chunks[0]!;
  chunk = await file(firstChunk.file);
  shard = await file(manifest.shards[0]!.name);
  centroids = await file(manifest.centroids!.name);
  table = await file(manifest.sections.name);
  bucket = await file(reader.sectionTable.buckets[0]!.name);
  hashes = await file(manifest.hashes.name);
  owned = await file(manifest.owned!.name);
  typoHead = await file(manifest.typos!.name);
  typoEntries = decodeTypoHead(typoHead, 'typos');
  typoFile = await file(typoEntries[0]!.file);
  raw = new Map();
  for (const name of [manifest.sections.name, manifest.keyword.name, manifest.hashes.name, manifest.centroids!.name, ...manifest.shards.map((s) => s.name), ...reader.sectionTable.buckets.map((b) => b.name), firstChunk.file]) {
    raw.set(name, new Uint8Array(await readFile(join(dir, name))));
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Random bytes, or `base` with bits flipped, cut short, grown, or with a run of 0xff (huge varints) or 0x00 written in. */
function mutated(base: () => Uint8Array): fc.Arbitrary<Uint8Array> {
  const at = fc.nat();
  return fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc.tuple(at, fc.integer({ min: 0, max: 7 })).map(([i, bit]) => {
      const out = base().slice();
      if (out.length > 0) out[i % out.length]! ^= 1 << bit;
      return out;
    }),
    at.map((i) => base().slice(0, i % (base().length + 1))),
    fc.tuple(at, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([i, extra]) => {
      const b = base();
      const cut = i % (b.length + 1);
      return Uint8Array.from([...b.subarray(0, cut), ...extra, ...b.subarray(cut)]);
    }),
    fc.tuple(at, fc.integer({ min: 1, max: 10 }), fc.constantFrom(0xff, 0x00, 0x7f)).map(([i, n, byte]) => {
      const out = base().slice();
      for (let k = 0; k < n && out.length > 0; k++) out[(i + k) % out.length] = byte;
      return out;
    }),
  );
}

/** `run` reads the input or refuses it with a coded SgptError; anything else fails the property. */
async function readsOrRefuses<T>(run: () => T | Promise<T>): Promise<T | null> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof SgptError) || !CODES.has(error.code)) throw error;
    return null;
  }
}

describe('decoders on random and mutated bytes', () => {
  it('keyword head', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(() => head), async (bytes) => {
        const decoded = await readsOrRefuses(() => decodeHead(bytes, 'head'));
        if (decoded) expect(decoded.stats.docLengths.length + decoded.chunks.length).toBeLessThanOrEqual(bytes.length);
      }),
      RUNS,
    );
  });

  it('typo table head and file', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(() => typoHead), mutated(() => typoFile), async (headBytes, fileBytes) => {
        const entries = await readsOrRefuses(() => decodeTypoHead(headBytes, 'typos'));
        if (entries) expect(entries.length).toBeLessThanOrEqual(headBytes.length);
        const groups = await readsOrRefuses(() => decodeTypoFile(fileBytes, 'typos-0', typoEntries[0]!, typoEntries[1] ?? null));
        if (groups) expect(groups.reduce((n, g) => n + g.words.length, 0)).toBeLessThanOrEqual(fileBytes.length);
      }),
      RUNS,
    );
  });

  it('keyword chunk', async () => {
    const { stats, chunks } = decodeHead(head, 'head');
    await fc.assert(
      fc.asyncProperty(mutated(() => chunk), async (bytes) => {
        const decoded = await readsOrRefuses(() => decodeChunk(bytes, 'chunk', stats.docLengths.length, chunks[0]!.first, chunks[1]?.first ?? null));
        if (decoded) expect(decoded.docs.length + decoded.terms.length).toBeLessThanOrEqual(bytes.length);
      }),
      RUNS,
    );
  });

  it('vector shard and centroids', async () => {
    const { dims } = manifest.model;
    await fc.assert(
      fc.asyncProperty(mutated(() => shard), mutated(() => centroids), async (s, c) => {
        const decoded = await readsOrRefuses(() => decodeShard('shard', s, dims, manifest.counts.sections));
        if (decoded) expect(decoded.rows * dims).toBeLessThanOrEqual(s.length);
        const k = await readsOrRefuses(() => decodeCentroids('centroids', c, manifest.shards.length, dims));
        // Version 7: one int8 code per value (and a float32 scale per centroid).
        if (k) expect(k.length).toBeLessThanOrEqual(c.length);
      }),
      RUNS,
    );
  });

  it('section table, bucket, text hashes and ownership list (JSON)', async () => {
    const ref = { name: 'sections-0', bytes: 0, first: 0, count: 0 };
    await fc.assert(
      fc.asyncProperty(mutated(() => table), mutated(() => bucket), mutated(() => hashes), mutated(() => owned), async (t, b, h, o) => {
        await readsOrRefuses(() => parseSectionTable('sections', decodeJson('sections', t), manifest));
        const json = await readsOrRefuses(() => decodeJson('bucket', b));
        const count = Array.isArray((json as { sections?: unknown })?.sections) ? (json as { sections: unknown[] }).sections.length : 0;
        await readsOrRefuses(() => parseBucket('bucket', json, { ...ref, count }));
        await readsOrRefuses(() => decodeTextHashes('hashes', h, manifest.counts.sections));
        const paths = await readsOrRefuses(() => parseOwned('owned', decodeJson('owned', o)));
        for (const { path } of paths ?? []) expect(path.split('/').every((part) => part !== '..' && part !== '' && !part.includes('\\'))).toBe(true);
      }),
      RUNS,
    );
  });

  it('gzip streams, a bomb included', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(() => raw.get(manifest.sections.name)!), async (bytes) => {
        await readsOrRefuses(() => fileContent('x.json.gzip', bytes));
      }),
      RUNS,
    );
    const zeros = new Uint8Array(MAX_CONTENT_BYTES + 1);
    const bomb = new Uint8Array(await new Response(new Blob([zeros]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer());
    const error = await readsOrRefuses(() => fileContent('bomb.json.gzip', bomb));
    expect(error).toBeNull();
  });
});

/** JSON values a forger would try in a manifest field. */
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(-1, 1e300, 2 ** 53, NaN, '../manifest.json', '/etc/passwd', 'https://evil.example/x', '//evil.example/', 'javascript:alert(1)', '../../', 'model/../../', ''),
);

describe('the manifest reader on mutated manifests', () => {
  it('opens, searches by keyword and by vector, or refuses with a code', async () => {
    const text = await readFile(join(dir, 'manifest.json'), 'utf8');
    const paths: string[][] = [];
    const walk = (value: unknown, path: string[]) => {
      paths.push(path);
      if (value !== null && typeof value === 'object') for (const [key, inner] of Object.entries(value)) walk(inner, [...path, key]);
    };
    walk(JSON.parse(text), []);
    const asked: string[] = [];
    const load: (manifestText: string) => FileLoader = (manifestText) => async (name) => {
      asked.push(name);
      if (name === 'manifest.json') return new TextEncoder().encode(manifestText);
      const bytes = raw.get(name) ?? (await readFile(join(dir, name)).then((b) => new Uint8Array(b), () => null));
      if (bytes === null) throw new SgptError('INDEX_INVALID', `${name}: missing`);
      return bytes;
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths.slice(1)), hostileValue, fc.float({ noNaN: true, min: -1, max: 1 }), async (path, value, x) => {
        const json = JSON.parse(text);
        let target = json;
        for (const key of path.slice(0, -1)) target = target[key];
        target[path.at(-1)!] = value;
        const search = await readsOrRefuses(() => SiteSearch.open(load(JSON.stringify(json))));
        if (search === null) return;
        await readsOrRefuses(() => search.keywordSearch('kettle water', 5));
        await readsOrRefuses(() => search.semanticSearch('kettle water', new Float32Array(search.manifest.model.dims).fill(x), { limit: 5 }));
      }),
      RUNS,
    );
    // Every name the reader asked its loader for was a plain file name of this folder.
    expect(asked.filter((name) => !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name))).toEqual([]);
  });
});
