/**
 * Builds a site index from extracted pages: embeds each section (reusing the vectors of sections
 * whose text, model and mode are unchanged since the previous build), quantises to int8, splits
 * the vectors into IVF shards, builds the keyword index, and hands each file to `emit` as it is
 * made (or keeps them), the manifest last. The vectors wait in a RowStore (./row-store), which the
 * caller may put on disk: then the build holds a block of vectors at a time, not all of them;
 * the pages are read in passes (./page-source), from a temporary file when the caller spilled
 * them there, so it holds a page of text at a time, not the site's.
 * No fs here: the caller writes the files (see ./output-dir).
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, gzipSync } from 'node:zlib';
import type { EmbedOptions } from '../embed/types';
import { collectVectors, type Collected, type DocumentEmbedder, type PreviousRows } from './collect-vectors';
import { emitKeptVectors, keptVectors, type VectorFiles } from './kept-vectors';
import { embeddingTexts, keywordTexts, pagesOf, sectionInfo, type PageInput } from './page-source';
import { DEFAULT_ROW_BLOCK, gatherRows, MemoryRowStore, type RowStore } from './row-store';
import type { KnownVectors } from './vector-cache';
import { Bm25Builder, encodeHead } from '../search/bm25';
import { languageCode, loadLanguages } from '../search/languages';
import { encodeTypoHead, splitTypoGroups } from '../search/typos';
import { resolveFusion, type FusionMethod } from '../search/fusion';
import type { BlockScorer } from '../search/kmeans';
import type { Page } from '../extract/html';
import { SgptError } from '../errors';
import { dequantize, quantize } from './int8';
import { assignShards, maxShards, MIN_SHARD_ROWS, type ShardAssignment } from './shards';
import { writeFilters } from './filters';
import { SectionShards } from './section-shards';
import type { KeywordEntry } from '../search/texts';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  GZIP_SUFFIX,
  decodeCentroids,
  encodeCentroids,
  encodeJson,
  encodeShard,
  encodeTextHashes,
  TEXT_HASH_BYTES,
  MAX_WINDOWS,
  TEXT_SUFFIX,
  fileRefFor,
  textDictionary,
  textOpening,
  type BucketFile,
  type FileRef,
  type Manifest,
  type ModelRef,
  type TextFile,
  type ShardRef,
} from './format';
import type { IndexReader } from './reader';

export type { DocumentEmbedder };

/**
 * Shards a query reads by default for an index of `shards`: an eighth of them, at least 12 (the
 * bytes of the 3 shards of 64 KiB read before) and at most 24 (twice those bytes, ~0.3 MB). A
 * fixed count reads an ever smaller share of a growing site: 3 of 110 shards on the Python docs
 * lost much of the dense half's gain (scripts/site-eval.ts). Routing by centred or radius-widened
 * centroids and probing the top keyword hits' shards kept less per byte read (issue 8).
 */
export function defaultProbe(shards: number): number {
  return Math.max(1, Math.min(shards, Math.max(PROBE_FLOOR, Math.min(PROBE_CAP, Math.ceil(shards / 8)))));
}
const PROBE_FLOOR = 12;
const PROBE_CAP = 24;

export interface BuildOptions {
  model: ModelRef;
  /** Number of IVF shards, or 'auto' (one per ~16 KiB of vectors, one for small sites). */
  shards?: number | 'auto';
  /** Shards a query reads by default (default: defaultProbe of the shard count). */
  probe?: number;
  /** Semantic weight in the fused ranking (default: DEFAULT_FUSION's). */
  semanticWeight?: number;
  /** How semantic results fuse the two rankings (default: DEFAULT_FUSION's). */
  fusionMethod?: FusionMethod;
  /** The site root relative to the index folder (manifest root), when the index sits inside the site. */
  root?: string;
  /** The index previously at the output, for reusing unchanged sections' vectors. */
  previous?: IndexReader | null;
  /** Vectors known before embedding (the embedding cache, shard files), tried first. */
  known?: KnownVectors;
  /** Characters of section text kept as the excerpt. */
  excerptChars?: number;
  /** Sequences per model call (default: the engine's). */
  batchSize?: number;
  /** Where the vectors wait between collecting and writing (default: memory); the build closes it. */
  store?: RowStore;
  /** Vectors read from the store at once (default DEFAULT_ROW_BLOCK); the output does not depend on it. */
  rowBlock?: number;
  /** How k-means scores blocks of rows against its centroids (default: plain JS; Node builds inject a GEMM); the output does not depend on it. */
  kmeansScorer?: BlockScorer;
  /** Receives each file (not the manifest) as soon as it is made; without it the files are kept in `files`. */
  emit?: (name: string, bytes: Uint8Array) => Promise<void>;
  onProgress?: EmbedOptions['onProgress'];
  signal?: AbortSignal;
}

export interface BuiltIndex {
  manifest: Manifest;
  /** Files to write, by name; manifest.json comes last (with `emit`, the manifest only). */
  files: Array<{ name: string; bytes: Uint8Array }>;
  /** Sections embedded now, reused from the previous index, or taken from `known` (cache or shard files). */
  stats: { pages: number; sections: number; vectors: number; embedded: number; reused: number; cached: number; shards: number };
}

/**
 * Vector shards of about this size (before gzip): a query reads its `probe` nearest, so the finer
 * the shards the fewer of a query's bytes go to rows far from it. On the docs-question dev sets,
 * at the bytes 3 shards of 64 KiB read, 12 of 16 KiB kept the exact dense top-10 at 0.86 against
 * 0.72 (SQLAlchemy's docs) and 0.92 against 0.89 (SQLite's); int8 centroids (index version 7)
 * keep the centroids file the size four times fewer float32 ones had.
 */
const SHARD_TARGET_BYTES = 16 * 1024;
/**
 * Section bucket files of about this size (before gzip): a result list fetches one small file per
 * hit, and the section table lists every bucket, so smaller buckets trade per-hit bytes for table bytes.
 */
const SECTION_BUCKET_BYTES = 4 * 1024;
/**
 * Text files of about this many characters of rest (the text after each section's opening, before
 * compression): a hit shown reads its section's file to cut the excerpt at the match, so small
 * files keep a result list's bytes low (a longer section has a file of its own). On the Python
 * docs 3 KB against 2 KB: 0.97 × the text files' bytes, +0.9 KB read per query (5 hits).
 */
const TEXT_FILE_BYTES = 3 * 1024;
/** Keyword chunks of about this size (before gzip): a query fetches the chunks of its terms. */
const KEYWORD_CHUNK_BYTES = 8 * 1024;
/** Typo table files of about this size (before gzip): a misspelled word reads one to three. */
const TYPO_FILE_BYTES = 2 * 1024;

/**
 * Shard count for 'auto': about SHARD_TARGET_BYTES each, never fewer than MIN_SHARD_ROWS rows a
 * shard (k-means needs members) nor more than maxShards (k-means' time: sites past ~26k rows at
 * 256 dims get bigger shards, ~190 rows each at 80k rows).
 */
export function autoShards(rows: number, dims: number): number {
  const bytes = rows * (dims + 8);
  return Math.max(1, Math.min(Math.round(bytes / SHARD_TARGET_BYTES), Math.floor(rows / MIN_SHARD_ROWS), maxShards(rows)));
}

/** Whether the previous build used this model and mode, so its vectors (and clusters) carry over. */
function sameModel(previous: IndexReader | null | undefined, model: ModelRef): previous is IndexReader {
  if (!previous) return false;
  const old = previous.manifest.model;
  return old.id === model.id && old.hash === model.hash && old.mode === model.mode && old.dims === model.dims && model.hash !== '';
}

/** The previous build's IVF centroids when it had `k` shards of the same model: where k-means starts. */
async function previousCentroids(previous: IndexReader | null | undefined, model: ModelRef, k: number): Promise<Float32Array | undefined> {
  if (!sameModel(previous, model) || previous.manifest.shards.length !== k) return undefined;
  return (await previous.centroids().catch(() => null)) ?? undefined;
}

/** The previous build's rows when its model and mode match (those of readable shards only), a shard at a time. */
function previousRows(previous: IndexReader | null | undefined, model: ModelRef, hashes: readonly string[] | null): PreviousRows | undefined {
  if (!sameModel(previous, model) || hashes === null) return undefined;
  return {
    each: async (wanted, take) => {
      // Sections with the same text have the same vectors: take them from the first such section only.
      const source = new Map<string, number>();
      hashes.forEach((hash, section) => {
        if (wanted.has(hash) && !source.has(hash)) source.set(hash, section);
      });
      if (source.size === 0) return;
      // A section's rows may sit in several shards: collectVectors puts them back in window order.
      for (let s = 0; s < previous.manifest.shards.length; s++) {
        // A damaged previous index (missing or corrupt files) gives what can still be read: the rest is embedded again.
        const shard = await previous.readShard(s).catch(() => null);
        if (shard === null) continue;
        const vectors = dequantize(shard, shard.dims);
        for (let r = 0; r < shard.rows; r++) {
          const section = shard.owner[r]!;
          const hash = hashes[section]!;
          if (source.get(hash) === section) await take(hash, vectors.subarray(r * shard.dims, (r + 1) * shard.dims), s, shard.window?.[r] ?? null);
        }
      }
    },
  };
}

/**
 * The previous build's clustering when this build is that build again: the same sections in the
 * same order, every row taken from it, as many rows and shards. k-means started from its centroids
 * would spend a pass over every row to find each where the previous build put it: that build
 * assigned these rows to these centroids (as int8 after a rebuild, so k-means would stop there
 * with the same bytes; as float after a first build, where it might move a row on the edge of two
 * shards). Keeping them costs nothing and leaves the vector files unchanged. Null when anything
 * differs (then k-means runs).
 */
async function keptClustering(previous: IndexReader | null | undefined, model: ModelRef, previousHashes: readonly string[] | null, hashes: readonly string[], k: number, rows: { position: Int32Array; previousShard: Int32Array }): Promise<ShardAssignment | null> {
  if (!sameModel(previous, model) || previousHashes === null || k <= 1 || previous.manifest.shards.length !== k || previous.manifest.counts.vectors !== rows.position.length) return null;
  if (previousHashes.length !== hashes.length || previousHashes.some((hash, s) => hash !== hashes[s])) return null;
  const assignment = Int32Array.from(rows.position, (p) => rows.previousShard[p]!);
  if (assignment.includes(-1)) return null;
  const centroids = await previousCentroids(previous, model, k);
  return centroids === undefined ? null : { assignment, centroids };
}

/** Adds a file to the build under an immutable name (`stem.<hash16>.ext`, gzipped when `compress`). */
export type AddFile = (stem: string, ext: string, content: Uint8Array, compress?: boolean) => Promise<FileRef>;

/**
 * A file as the index stores it: its bytes (gzipped when `compress`, by zlib itself: the same bytes
 * as CompressionStream, at less than half its CPU in Node) and its immutable name.
 */
export async function indexFile(stem: string, ext: string, content: Uint8Array, compress = false): Promise<{ ref: FileRef; bytes: Uint8Array }> {
  const bytes = compress ? gzipSync(content) : content;
  return { ref: await fileRefFor(stem, compress ? `${ext}${GZIP_SUFFIX}` : ext, bytes), bytes };
}

/**
 * What a result shows of each section, in buckets of consecutive sections, and the table of
 * buckets; the pages are read once, in order. `shardsOf`: the vector shards of each section, listed
 * in its entry (absent: a keyword-only pass that writes no vectors).
 */
export async function writeSections(pages: Iterable<Page> | AsyncIterable<Page>, excerptChars: number, add: AddFile, shardsOf?: SectionShards): Promise<FileRef> {
  const table: Array<{ name: string; bytes: number; count: number }> = [];
  let texts = 0;
  let bucket: BucketFile = { pages: [], sections: [] };
  let bucketTexts: string[] = [];
  let bytes = 0;
  const flush = async () => {
    const openings = bucket.sections.map((entry) => entry.excerpt);
    const rests = bucketTexts.map((text, i) => text.slice(textOpening(openings[i]!).length));
    bucket.texts = await writeTexts(rests, textDictionary(openings), add, texts);
    texts += bucket.texts.filter((file) => file.name !== undefined).length;
    const ref = await add(`sections-${table.length}`, 'json', encodeJson(bucket), true);
    table.push({ name: ref.name, bytes: ref.bytes, count: bucket.sections.length });
    bucket = { pages: [], sections: [] };
    bucketTexts = [];
    bytes = 0;
  };
  let index = 0;
  let sectionIndex = 0;
  for await (const page of pages) {
    for (const section of page.sections) {
      if (bucket.sections.length > 0 && bytes >= SECTION_BUCKET_BYTES) await flush();
      if (bucket.pages.at(-1)?.index !== index) {
        bucket.pages.push({ index, url: page.url, title: page.title });
        bytes += page.url.length + page.title.length;
      }
      const path = section.headingPath;
      const ownTitle = path.length > 0 && path[path.length - 1] === section.title;
      const shards = shardsOf?.of(sectionIndex);
      const entry = { page: index, anchor: section.anchor, title: section.title, ...(ownTitle ? { up: path.slice(0, -1) } : { path }), excerpt: excerpt(section.text, excerptChars), ...(shards === undefined ? {} : { shards }) };
      bucket.sections.push(entry);
      bucketTexts.push(section.text);
      bytes += entry.anchor.length + entry.title.length + path.join('').length + entry.excerpt.length + 40;
      sectionIndex++;
    }
    index++;
  }
  if (bucket.sections.length > 0) await flush();
  return add('sections', 'json', encodeJson({ buckets: table }), true);
}

/**
 * Consecutive sections' rests (their texts after the openings the bucket holds) in files of about
 * TEXT_FILE_BYTES (`text-<first + i>`), each raw deflate against the bucket's `dictionary`,
 * listed as a bucket lists them; sections whose rests are all empty get no file.
 */
async function writeTexts(rests: readonly string[], dictionary: Uint8Array, add: AddFile, first: number): Promise<NonNullable<BucketFile['texts']>> {
  const listed: NonNullable<BucketFile['texts']> = [];
  let files = 0;
  for (let at = 0; at < rests.length; ) {
    const file: TextFile = { texts: [] };
    let bytes = 0;
    while (at < rests.length && (file.texts.length === 0 || bytes + rests[at]!.length <= TEXT_FILE_BYTES)) {
      bytes += rests[at]!.length;
      file.texts.push(rests[at++]!);
    }
    if (bytes === 0) {
      listed.push({ count: file.texts.length });
      continue;
    }
    const deflated = deflateRawSync(encodeJson(file), dictionary.byteLength > 0 ? { dictionary } : {});
    const ref = await add(`text-${first + files++}`, TEXT_SUFFIX.slice(1), deflated);
    listed.push({ name: ref.name, bytes: ref.bytes, count: file.texts.length });
  }
  return listed;
}

/**
 * The keyword index over `texts` (one per section, with its title's name keys): term-range chunks, then the head that lists
 * them; and its typo table (src/search/typos): files of word groups, then the head that lists them.
 * `langs`: each section's page `lang`, which picks its analysis (default: all English); `weights`:
 * each section's weight (default: all 1).
 */
export async function writeKeyword(texts: Iterable<KeywordEntry> | AsyncIterable<KeywordEntry>, add: AddFile, langs?: readonly string[], weights?: readonly number[]): Promise<{ keyword: FileRef; typos: FileRef }> {
  const languages = langs?.map(languageCode);
  await loadLanguages(languages ?? []);
  const builder = new Bm25Builder({ languages, weights });
  for await (const { text, names } of texts) builder.add(text, names);
  const index = builder.finish();
  const { stats, chunks } = index.split(KEYWORD_CHUNK_BYTES);
  const entries = [];
  for (const [i, chunk] of chunks.entries()) {
    const ref = await add(`terms-${i}`, 'bm25', chunk.bytes, true);
    entries.push({ first: chunk.first, file: ref.name, bytes: ref.bytes });
  }
  const typoFiles = [];
  for (const [i, file] of splitTypoGroups(index.typoGroups(), TYPO_FILE_BYTES).entries()) {
    const ref = await add(`typos-${i}`, 'bm2y', file.bytes, true);
    typoFiles.push({ letter: file.letter, length: file.length, file: ref.name, bytes: ref.bytes });
  }
  return {
    keyword: await add('keyword', 'bm25', encodeHead({ stats, chunks: entries }), true),
    typos: await add('typos', 'bm2y', encodeTypoHead(typoFiles), true),
  };
}

export async function buildIndex(pages: PageInput, embedder: DocumentEmbedder, options: BuildOptions): Promise<BuiltIndex> {
  const { model } = options;
  const store = options.store ?? new MemoryRowStore(model.dims);
  try {
    return await writeIndex(pages, embedder, store, options);
  } finally {
    await store.close();
  }
}

async function writeIndex(pages: PageInput, embedder: DocumentEmbedder, store: RowStore, options: BuildOptions): Promise<BuiltIndex> {
  const { model } = options;
  if (embedder.dims !== model.dims || store.dims !== model.dims) throw new SgptError('INTERNAL', `embedder has ${embedder.dims} dims and the row store ${store.dims} but the model ref says ${model.dims}`);
  // A pass over the pages for what each section needs later; their texts are read again when needed.
  const { pages: pageCount, hashes, langs, weights, filters } = await sectionInfo(pages, textHash);
  const sectionCount = hashes.length;
  const files: Array<{ name: string; bytes: Uint8Array }> = [];
  const emit = options.emit ?? (async (name: string, bytes: Uint8Array) => void files.push({ name, bytes }));
  const add: AddFile = async (...file) => {
    const { ref, bytes } = await indexFile(...file);
    await emit(ref.name, bytes);
    return ref;
  };

  const shardCount = (rows: number) => (options.shards === undefined || options.shards === 'auto' ? autoShards(rows, model.dims) : Math.min(options.shards, rows));
  const previous = sameModel(options.previous, model) ? options.previous : null;
  const previousHashes = previous === null ? null : await previous.textHashes().then((old) => asFullHashes(old, hashes), () => null);
  // An unchanged site keeps the previous build's vector files as stored (./kept-vectors): nothing to collect, cluster or encode.
  const kept = previous === null ? null : await keptVectors(previous, previousHashes, hashes, shardCount);
  // Vectors: known (cache, shard files), reused by text hash, embedded for the rest.
  const texts = embeddingTexts(pages);
  let collected: Collected | null = null;
  try {
    collected =
      kept !== null
        ? null
        : await collectVectors(texts, hashes, embedder, {
            previous: previousRows(options.previous, model, previousHashes),
            known: options.known,
            store,
            batchSize: options.batchSize,
            onProgress: options.onProgress,
            signal: options.signal,
          });
    const long = collected === null ? -1 : collected.rowsOf.findIndex((rows) => rows.length > MAX_WINDOWS);
    if (long >= 0) {
      const [text] = await texts([long]);
      throw new SgptError('INPUT_INVALID', `section ${long} (${JSON.stringify(text!.slice(0, 60))}…) makes ${collected!.rowsOf[long]!.length} windows, more than the ${MAX_WINDOWS} an index holds: split the page`);
    }
  } finally {
    await texts.close();
  }

  const vectors = kept ?? (await writeShards(collected!, store, { previous: options.previous, model, previousHashes, hashes, shardCount, block: options.rowBlock ?? DEFAULT_ROW_BLOCK, scorer: options.kmeansScorer, signal: options.signal }, add));
  if (kept !== null) await emitKeptVectors(previous!, kept, emit);
  const filtersRef = await writeFilters(filters, vectors.shardsOf, add);
  // The keyword side after the shards: its many small allocations collect k-means' sample, where
  // a sample gathered after the keyword index stacked on that index's uncollected arrays.
  const sectionsRef = await writeSections(pagesOf(pages), options.excerptChars ?? 240, add, vectors.shardsOf);
  const hashesRef = await add('hashes', 'bin', encodeTextHashes(hashes));
  const keywordRefs = await writeKeyword(keywordTexts(pages), add, langs, weights);

  const manifest: Manifest = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    built: new Date().toISOString(),
    model,
    ...(options.root === undefined ? {} : { root: options.root }),
    counts: { pages: pageCount, sections: sectionCount, vectors: vectors.rows },
    fusion: resolveFusion(options.fusionMethod, options.semanticWeight),
    probe: Math.max(1, Math.min(options.probe ?? defaultProbe(vectors.shards.length), vectors.shards.length)),
    sections: sectionsRef,
    hashes: hashesRef,
    keyword: keywordRefs.keyword,
    typos: keywordRefs.typos,
    ...(filtersRef ? { filters: filtersRef } : {}),
    centroids: vectors.centroids,
    shards: vectors.shards,
  };
  files.push({ name: 'manifest.json', bytes: encodeJson(manifest) });
  return {
    manifest,
    files,
    stats: {
      pages: manifest.counts.pages,
      sections: sectionCount,
      vectors: vectors.rows,
      embedded: collected?.embedded ?? 0,
      reused: collected?.reused ?? sectionCount,
      cached: collected?.known ?? 0,
      shards: vectors.shards.length,
    },
  };
}

/**
 * The collected rows in IVF shards (the previous build's clustering kept, or k-means), each shard
 * written as soon as its members are read back from the store, then the centroids.
 */
async function writeShards(
  collected: Collected,
  store: RowStore,
  how: { previous: IndexReader | null | undefined; model: ModelRef; previousHashes: readonly string[] | null; hashes: readonly string[]; shardCount: (rows: number) => number; block: number; scorer: BlockScorer | undefined; signal: AbortSignal | undefined },
  add: AddFile,
): Promise<VectorFiles> {
  const { rowsOf } = collected;
  const { model, block } = how;
  // Row r of the index: window window[r] of section owner[r], its vector at store position position[r].
  const dims = model.dims;
  const rowCount = rowsOf.reduce((sum, rows) => sum + rows.length, 0);
  const owner = new Int32Array(rowCount);
  const window = new Uint16Array(rowCount);
  const position = new Int32Array(rowCount);
  let row = 0;
  rowsOf.forEach((rows, s) => {
    rows.forEach((p, k) => {
      position[row] = p;
      window[row] = k;
      owner[row++] = s;
    });
  });

  const shardCount = how.shardCount(rowCount);
  const { assignment, centroids } =
    (await keptClustering(how.previous, model, how.previousHashes, how.hashes, shardCount, { position, previousShard: collected.previousShard })) ??
    (await assignShards(store, position, shardCount, { initial: await previousCentroids(how.previous, model, shardCount), block, ...(how.scorer === undefined ? {} : { scorer: how.scorer }), ...(how.signal === undefined ? {} : { signal: how.signal }) }));
  const shardsOf = new SectionShards(rowsOf.length);
  for (let r = 0; r < rowCount; r++) shardsOf.add(owner[r]!, assignment[r]!);
  const members = shardMembers(assignment, shardCount);
  // The centroids as stored (int8): the shards are coded against what the reader will decode.
  const centroidFile = shardCount > 1 ? encodeCentroids(centroids, shardCount, dims) : null;
  const stored = centroidFile === null ? null : decodeCentroids('centroids', centroidFile, shardCount, dims);
  const shards: ShardRef[] = [];
  for (let k = 0; k < shardCount; k++) {
    const rows = members[k]!;
    const q = quantize(await gatherRows(store, rows.map((r) => position[r]!), block), dims);
    const bytes = encodeShard({ rows: rows.length, dims, owner: rows.map((r) => owner[r]!), window: Uint16Array.from(rows, (r) => window[r]!), ...q }, stored === null ? null : stored.subarray(k * dims, (k + 1) * dims));
    // Residuals against the centroid, gzipped: ~0.82 × the plain codes (the reader gunzips by the name).
    shards.push({ ...(await add(`vectors-${k}`, 'bin', bytes, true)), rows: rows.length });
  }
  const centroidsRef = centroidFile === null ? null : await add('centroids', 'bin', centroidFile, true);
  return { rows: rowCount, shards, centroids: centroidsRef, shardsOf };
}

/** The rows of each shard, ascending. */
function shardMembers(assignment: Int32Array, shardCount: number): Int32Array[] {
  const sizes = new Int32Array(shardCount);
  for (const k of assignment) sizes[k]!++;
  const members = Array.from(sizes, (size) => new Int32Array(size));
  const fill = new Int32Array(shardCount);
  assignment.forEach((k, r) => (members[k]![fill[k]!++] = r));
  return members;
}

/** A section's text hash: the first 32 hex digits of the sha256 of the text the model embeds (the cache's key; the index keeps its first 16). */
export function textHash(embedded: string): string {
  // node:crypto, synchronously: WebCrypto's per-call round trip cost more than the hashing of a section.
  // Only the first 16 bytes made hex: a slice of the full hex string would keep all 64 characters alive.
  return createHash('sha256').update(embedded).digest().toString('hex', 0, 16);
}

/**
 * The previous build's text hashes as this build's: version 6 keeps each hash's first 16 hex digits,
 * which stand for the hash of this build's that begins with them ('' for none: that text changed).
 */
function asFullHashes(previous: readonly string[], current: readonly string[]): string[] {
  if (previous.every((hash) => hash.length === 32)) return [...previous];
  const byPrefix = new Map(current.map((hash) => [hash.slice(0, 2 * TEXT_HASH_BYTES), hash]));
  return previous.map((hash) => byPrefix.get(hash) ?? '');
}

/** The start of the text, cut at a word boundary. */
export function excerpt(text: string, max: number): string {
  if (text.length <= max) return text;
  const space = text.lastIndexOf(' ', max);
  return `${text.slice(0, space > max / 2 ? space : max)}…`;
}
