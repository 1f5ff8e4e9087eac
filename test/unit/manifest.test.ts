import { beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { indexCommand } from '../../src/cli/index-command';
import { SgptError } from '../../src/errors';
import { FORMAT_VERSION, checkModel, decodeTextHashes, encodeShard, encodeTextHashes, fileRefFor, parseManifest, type Manifest } from '../../src/index/format';
import { fsLoader, openIndexDir } from '../../src/index/node-files';
import { ownedFiles } from '../../src/index/output-dir';
import { decodeHead } from '../../src/search/bm25';
import { DEFAULT_FUSION } from '../../src/search/fusion';
import { decodeTypoHead } from '../../src/search/typos';
import { SiteSearch } from '../../src/index/site-search';
import { asVersion4, readIndexDir, writeIndexDir } from '../older-formats';
import { sgptRejection, sgptThrow } from '../support';

let built: string;
let manifest: Manifest;
/** Files listed inside the section table, the buckets, the keyword head and the typo head rather than in the manifest. */
let buckets: string[];
let textFiles: string[];
let chunks: string[];
let typoFiles: string[];
const copies: string[] = [];

beforeAll(async () => {
  built = await mkdtemp(join(tmpdir(), 'sgpt-manifest-'));
  await buildSiteIndex({ site: 'test/fixtures/site', out: built, shards: 2 });
  manifest = JSON.parse(await readFile(join(built, 'manifest.json'), 'utf8'));
  const reader = await openIndexDir(built);
  buckets = reader.sectionTable.buckets.map((b) => b.name);
  textFiles = [...new Set((await reader.allSections()).flatMap((s) => (s.text!.file ? [s.text!.file.name] : [])))];
  chunks = decodeHead(reader.keywordHead, manifest.keyword.name).chunks.map((c) => c.file);
  typoFiles = decodeTypoHead((await reader.typoHead())!, manifest.typos!.name).map((f) => f.file);
  return async () => {
    for (const dir of [built, ...copies]) await rm(dir, { recursive: true, force: true });
  };
});

/** A copy of the built index, altered by `change`. */
async function altered(change: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sgpt-bad-'));
  copies.push(dir);
  await cp(built, dir, { recursive: true });
  await change(dir);
  return dir;
}

async function editManifest(dir: string, edit: (m: Record<string, any>) => void): Promise<void> {
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  edit(m);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
}


describe('manifest validation', () => {
  it('accepts the index it wrote', async () => {
    const reader = await openIndexDir(built);
    expect(reader.manifest.counts).toEqual({ pages: 4, sections: 14, vectors: 14 });
    expect(reader.manifest.shards).toHaveLength(2);
    expect(reader.manifest.centroids).not.toBeNull();
    for (const file of [reader.manifest.sections, reader.manifest.keyword, ...reader.manifest.shards]) {
      expect(file.name).toContain(file.sha256.slice(0, 16));
    }
  });

  it('records the default fusion; a manifest without fusion.method reads as RRF, an unknown one is refused', async () => {
    expect(manifest.fusion).toEqual(DEFAULT_FUSION);
    const old = await openIndexDir(await altered((d) => editManifest(d, (m) => (m.fusion = { semanticWeight: 0.5 }))));
    expect(old.manifest.fusion).toEqual({ method: 'rrf', semanticWeight: 0.5 });
    const error = await sgptRejection(openIndexDir(await altered((d) => editManifest(d, (m) => (m.fusion.method = 'max')))));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toMatch(/fusion\.method must be "rrf", "convex", "adaptive" \(absent: "rrf"\), got "max"/);
    const bad = await sgptRejection(openIndexDir(await altered((d) => editManifest(d, (m) => (m.fusion = { method: 'adaptive', coefficients: [1, 2] })))));
    expect(bad.message).toMatch(/fusion\.coefficients: adaptive fusion needs 9 finite coefficients/);
    const weightless = await sgptRejection(openIndexDir(await altered((d) => editManifest(d, (m) => (m.fusion = { method: 'convex' })))));
    expect(weightless.message).toMatch(/fusion\.semanticWeight must be a number in \[0, 1\]/);
  });

  it('records the fusion a build asks for', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sgpt-fusion-'));
    copies.push(out);
    await buildSiteIndex({ site: 'test/fixtures/site', out, fusion: 'rrf', weight: 0.3 });
    expect((await openIndexDir(out)).manifest.fusion).toEqual({ method: 'rrf', semanticWeight: 0.3 });
    const error = await sgptRejection(indexCommand(['test/fixtures/site', '--out', out, '--fusion', 'max']));
    expect(error).toMatchObject({ code: 'INPUT_INVALID', message: '--fusion must be rrf, convex, adaptive, got "max"' });
    const both = await sgptRejection(indexCommand(['test/fixtures/site', '--out', out, '--fusion', 'adaptive', '--weight', '0.2']));
    expect(both.message).toMatch(/adaptive fusion chooses the semantic weight per query/);
  });

  it('refuses another format version with INDEX_VERSION, asking for a rebuild', async () => {
    const error = await sgptRejection(openIndexDir(await altered((d) => editManifest(d, (m) => (m.version = 1)))));
    expect(error.code).toBe('INDEX_VERSION');
    expect(error.message).toMatch(/version 1 is not supported.*reads versions 2, 3, 4.*rebuild the index/);
  });

  it('reads a version 3 index (no filter table): unfiltered queries answer as in version 4', async () => {
    const dir = await altered(async (d) => {
      await writeIndexDir(d, await asVersion4(await readIndexDir(d)));
      await editManifest(d, (m) => void (m.version = 3));
    });
    const search = await SiteSearch.open(fsLoader(dir));
    expect(search.manifest.version).toBe(3);
    const current = await SiteSearch.open(fsLoader(built));
    expect(await search.keywordSearch('generators', 5)).toEqual(await current.keywordSearch('generators', 5));
  });

  it('reads a version 2 index (no typo table): its misspelled words are simply not corrected', async () => {
    const dir = await altered(async (d) => {
      await writeIndexDir(d, await asVersion4(await readIndexDir(d)));
      await editManifest(d, (m) => {
        m.version = 2;
        delete m.typos;
      });
    });
    const search = await SiteSearch.open(fsLoader(dir));
    expect(search.manifest.version).toBe(2);
    expect(await search.keywordSearch('genrators', 5)).toEqual([]);
    const current = await SiteSearch.open(fsLoader(built));
    const fixed = await current.keywordSearch('genrators', 5);
    expect(fixed.map((h) => h.url)).toEqual((await current.keywordSearch('generators', 5)).map((h) => h.url));
    expect(fixed[0]!.highlights.length).toBeGreaterThan(0); // the corrected word is marked
  });

  it('refuses a file that is not an index manifest', async () => {
    const error = await sgptRejection(openIndexDir(await altered((d) => editManifest(d, (m) => delete m.format))));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toMatch(/^manifest\.json: not an sgpt-search index/);
    expect(() => parseManifest({ ...manifest, shards: [] })).toThrow(/shards must be a non-empty array/);
    expect(() => parseManifest({ ...manifest, sections: { ...manifest.sections, name: '../etc/passwd' } })).toThrow(/not a plain file name/);
    expect(() => parseManifest({ ...manifest, counts: { ...manifest.counts, vectors: 99 } })).toThrow(/shards hold 14 vectors but counts.vectors is 99/);
    for (const probe of [0, -1, 1.5, '3']) expect(() => parseManifest({ ...manifest, probe })).toThrow(`probe must be an integer of at least 1, got ${JSON.stringify(probe)}`);
  });

  it('names a truncated file', async () => {
    const name = manifest.sections.name;
    const dir = await altered(async (d) => writeFile(join(d, name), (await readFile(join(d, name))).subarray(0, 10)));
    const error = await sgptRejection(openIndexDir(dir));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: has 10 bytes but the manifest says \\d+ \\(truncated`));
  });

  it('names a corrupt file of the right length (hash mismatch)', async () => {
    const name = manifest.keyword.name;
    const dir = await altered(async (d) => {
      const bytes = await readFile(join(d, name));
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
      await writeFile(join(d, name), bytes);
    });
    const error = await sgptRejection(openIndexDir(dir));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toContain(`${name}: content hash`);
    expect(error.message).toContain('does not match');
  });

  it('checks a vector shard when it is first read, naming it', async () => {
    const name = manifest.shards[1]!.name;
    const dir = await altered(async (d) => writeFile(join(d, name), (await readFile(join(d, name))).subarray(0, 20)));
    const reader = await openIndexDir(dir); // shards are not read up front
    const error = await sgptRejection(reader.shard(1));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toContain(name);
  });

  it('names a missing file', async () => {
    const name = buckets[0]!;
    const reader = await openIndexDir(await altered((d) => rm(join(d, name))));
    const error = await sgptRejection(reader.sections([0]));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: missing`));
  });

  it('checks keyword chunks and section buckets when a query first reads them, naming them', async () => {
    const search = async (dir: string) => (await SiteSearch.open(fsLoader(dir))).keywordSearch('install');
    const all = await search(built);
    expect(all.length).toBeGreaterThan(0);
    for (const name of chunks) {
      const error = await sgptRejection(search(await altered(async (d) => writeFile(join(d, name), (await readFile(join(d, name))).subarray(0, 30)))));
      expect(error.code).toBe('INDEX_INVALID');
      expect(error.message).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: has 30 bytes but the index lists \\d+ \\(truncated`));
    }
    const name = buckets[0]!;
    const corrupt = await altered(async (d) => {
      const bytes = await readFile(join(d, name));
      bytes[20] = bytes[20]! ^ 0xff;
      await writeFile(join(d, name), bytes);
    });
    const error = await sgptRejection((await openIndexDir(corrupt)).sections([0]));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toMatch(new RegExp(`^${name.replace(/\./g, '\\.')}: content hash [0-9a-f]{16} does not match the one in its name`));
  });

  it('refuses a shard whose layout disagrees with the manifest even when its hash matches', async () => {
    const bytes = encodeShard({ rows: 1, dims: 3, owner: Int32Array.of(0), window: Uint16Array.of(0), scales: Float32Array.of(1), codes: Int8Array.of(1, 2, 3) });
    const ref = await fileRefFor('vectors-0', 'bin', bytes);
    const dir = await altered(async (d) => {
      await writeFile(join(d, ref.name), bytes);
      await editManifest(d, (m) => {
        m.shards = [{ ...ref, rows: 1 }];
        m.counts.vectors = 1;
        m.centroids = null;
      });
    });
    const error = await sgptRejection((await openIndexDir(dir)).shard(0));
    expect(error.message).toBe(`${ref.name}: holds 3-dimensional vectors but the manifest says ${manifest.model.dims}`);
  });

  it('refuses another model, naming both', () => {
    const index = manifest.model;
    expect(() => checkModel(index, { id: `/models/${index.id}/`, dims: index.dims, mode: index.mode, hash: index.hash })).not.toThrow();
    const cases = [
      { id: `not-${index.id}`, dims: index.dims, mode: index.mode },
      { id: index.id, dims: index.dims + 1, mode: index.mode },
      { id: index.id, dims: index.dims, mode: index.mode === 'symmetric' ? ('asymmetric' as const) : ('symmetric' as const) },
      { id: index.id, dims: index.dims, mode: index.mode, hash: '0'.repeat(64) },
    ];
    for (const model of cases) {
      let error: unknown;
      try {
        checkModel(index, model);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SgptError);
      expect((error as SgptError).code).toBe('INDEX_MODEL_MISMATCH');
      expect((error as SgptError).message).toContain(`"${index.id}"`);
      expect((error as SgptError).message).toContain(`"${model.id}"`);
    }
  });

  it('rebuilding over a version 1 index replaces it, leaving files no ownership list names', async () => {
    const stale = 'excerpts-0.0123456789abcdef.json.gzip';
    const dir = await altered(async (d) => {
      await writeFile(join(d, stale), 'old');
      await editManifest(d, (m) => (m.version = 1));
    });
    await buildSiteIndex({ site: 'test/fixtures/site', out: dir, shards: 2 });
    expect((await openIndexDir(dir)).manifest.version).toBe(FORMAT_VERSION);
    expect(await readdir(dir)).toContain(stale);
  });

  it('writes only files the manifest names, and lists them as its own', async () => {
    const names = new Set(await readdir(built));
    const listed = [...[manifest.sections, manifest.keyword, manifest.typos!, manifest.hashes, manifest.centroids!, ...manifest.shards].map((f) => f.name), ...buckets, ...textFiles, ...chunks, ...typoFiles];
    expect([...(await ownedFiles(built))].sort()).toEqual([...listed, manifest.owned!.name].sort());
    listed.push(manifest.owned!.name);
    expect([...names].sort()).toEqual(['manifest.json', ...listed].sort());
  });
});

describe('text hashes (version 6)', () => {
  it('keeps the first 8 bytes of each hash and reads them back as hex; a truncated or longer file is named', () => {
    const hashes = ['00112233445566778899aabbccddeeff', 'ffeeddccbbaa99887766554433221100'];
    const bytes = encodeTextHashes(hashes);
    expect(decodeTextHashes('hashes.bin', bytes, 2)).toEqual(['0011223344556677', 'ffeeddccbbaa9988']);
    expect(sgptThrow(() => decodeTextHashes('hashes.bin', bytes.subarray(0, bytes.length - 1), 2)).code).toBe('INDEX_INVALID');
    expect(() => decodeTextHashes('hashes.bin', Uint8Array.from([...bytes, 0]), 2)).toThrow(/hashes\.bin: has bytes after its hashes/);
    expect(() => decodeTextHashes('hashes.bin', bytes, 3)).toThrow(/holds 2 hashes, the manifest says 3/);
  });
});

describe('compressed files', () => {
  it('stores the files gzipped (text files deflated against their bucket) and names a broken stream', async () => {
    for (const name of [manifest.sections.name, manifest.keyword.name, ...buckets, ...chunks]) expect(name).toMatch(/\.gzip$/);
    for (const ref of [manifest.centroids!, ...manifest.shards]) expect(ref.name).toMatch(/\.bin\.gzip$/);
    expect(manifest.hashes.name).toMatch(/^hashes\.[0-9a-f]{16}\.bin$/); // 8 random bytes a section: nothing for gzip
    for (const name of textFiles) expect(name).toMatch(/\.json\.dfl$/);
    const bytes = new TextEncoder().encode('not gzip at all');
    const ref = await fileRefFor('sections', 'json.gzip', bytes);
    const dir = await altered(async (d) => {
      await writeFile(join(d, ref.name), bytes);
      await editManifest(d, (m) => (m.sections = ref));
    });
    const error = await sgptRejection(openIndexDir(dir));
    expect(error.code).toBe('INDEX_INVALID');
    expect(error.message).toMatch(new RegExp(`^${ref.name.replace(/\./g, '\\.')}: is not valid gzip data`));
  });
});
