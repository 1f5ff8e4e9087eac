/**
 * Opens a site index through a file loader (fetch in the browser, fs in Node): the manifest, the
 * section table and the keyword index's head up front; keyword chunks, section buckets and vector
 * shards on demand (each fetched once, verified against its hash, then cached).
 */
import { SgptError, toSgptError } from '../errors';
import { probe as probeClusters } from '../search/kmeans';
import {
  checkFileName,
  decodeCentroids,
  decodeJson,
  decodeShard,
  decodeTextHashes,
  fileContent,
  inflateWithDictionary,
  textOpening,
  decodeSectionList,
  parseBucket,
  parseFilterTable,
  parseManifest,
  parseSectionTable,
  parseStrings,
  parseTextFile,
  verifyChunk,
  verifyFile,
  type BucketRef,
  type ChunkRef,
  type FileRef,
  type FilterTable,
  type FilterValueRef,
  type Manifest,
  type SectionInfo,
  type SectionTable,
  type TextPlace,
  type Shard,
} from './format';

import { decodeKeyList } from './filter-lists';
/**
 * Reads one file of the index by its name in the manifest's folder; `bytes`, where the manifest
 * gives the file's length, lets a loader stop reading past it (one byte more shows it is longer).
 */
export type FileLoader = (name: string, bytes?: number) => Promise<Uint8Array>;

/** A loader over HTTP, relative to the manifest's URL. */
export function fetchLoader(manifestUrl: string | URL, fetchImpl: typeof fetch = fetch): FileLoader {
  const base = new URL(manifestUrl, typeof location === 'undefined' ? undefined : location.href);
  return async (name) => {
    checkFileName(name, 'a file name');
    const url = new URL(name, base);
    let response: Response;
    try {
      // The manifest names the current build; the other files are immutable (hash in the name).
      response = await fetchImpl(url, name === MANIFEST ? { cache: 'no-cache' } : {});
    } catch (error) {
      throw toSgptError(error, 'INDEX_INVALID', `could not fetch ${url.href}`);
    }
    if (!response.ok) throw new SgptError('INDEX_INVALID', `${name}: ${url.href} answered HTTP ${response.status}; is the index deployed next to manifest.json?`);
    return new Uint8Array(await response.arrayBuffer());
  };
}

export const MANIFEST = 'manifest.json';

export class IndexReader {
  private readonly shardCache = new Map<number, Promise<Shard>>();
  private readonly bucketCache = new Map<number, Promise<SectionInfo[]>>();
  private readonly textCache = new Map<string, Promise<string[]>>();
  private centroidCache: Float32Array | null = null;

  private constructor(
    readonly manifest: Manifest,
    readonly sectionTable: SectionTable,
    /** The keyword index's head, verified (deserialised by the ranking code). */
    readonly keywordHead: Uint8Array,
    private readonly load: FileLoader,
  ) {}

  /** Manifest, section table and keyword head; everything else is fetched when a query needs it. */
  static async open(load: FileLoader): Promise<IndexReader> {
    const manifest = parseManifest(decodeJson(MANIFEST, await load(MANIFEST)));
    const [tableBytes, keywordHead] = await Promise.all([verified(load, manifest.sections), verified(load, manifest.keyword)]);
    const table = parseSectionTable(manifest.sections.name, decodeJson(manifest.sections.name, tableBytes), manifest);
    return new IndexReader(manifest, table, keywordHead, load);
  }

  /** A file listed inside another index file (keyword chunk, section bucket), verified and gunzipped. */
  async chunk(ref: ChunkRef): Promise<Uint8Array> {
    return fileContent(ref.name, await this.verifiedChunk(ref));
  }

  /** A listed file's bytes as stored, after its length and the hash in its name are checked. */
  private async verifiedChunk(ref: ChunkRef): Promise<Uint8Array> {
    const bytes = await this.load(ref.name, ref.bytes);
    await verifyChunk(ref, bytes);
    return bytes;
  }

  /** The `probe` shards whose centroids are nearest the query (all shards when there is one), among `among` when given. */
  async nearestShards(query: Float32Array, probe: number, among: readonly number[] | null = null): Promise<number[]> {
    if (among !== null && among.length <= 1) return [...among];
    const centroids = await this.centroids();
    if (centroids === null) return [0];
    const { dims } = this.manifest.model;
    if (among === null) return probeClusters(query, centroids, dims, Math.max(1, probe));
    // Only shards that hold rows of sections passing a filter: the nearest `probe` of their centroids.
    const sub = new Float32Array(among.length * dims);
    among.forEach((k, i) => sub.set(centroids.subarray(k * dims, (k + 1) * dims), i * dims));
    return probeClusters(query, sub, dims, Math.max(1, probe)).map((i) => among[i]!);
  }

  /** The IVF centroids (shards × dims), fetched and verified once; null with one shard. */
  async centroids(): Promise<Float32Array | null> {
    const { shards, centroids: ref, model } = this.manifest;
    if (shards.length === 1 || ref === null) return null;
    this.centroidCache ??= decodeCentroids(ref.name, await verified(this.load, ref), shards.length, model.dims, this.manifest.version);
    return this.centroidCache;
  }

  /** One shard's vectors, fetched and verified once. */
  shard(index: number): Promise<Shard> {
    return once(this.shardCache, index, () => this.readShard(index));
  }

  /** Shard `index`, read and checked now and not kept (a rebuild streams the previous index's shards once). */
  readShard(index: number): Promise<Shard> {
    const ref = this.manifest.shards[index];
    if (!ref) throw new SgptError('INPUT_INVALID', `shard ${index} does not exist (the index has ${this.manifest.shards.length})`);
    const { dims } = this.manifest.model;
    // Version 6 stores a shard's rows against its centroid (the query's probe has read them already).
    const centroid = this.manifest.version >= 6 ? this.centroids().then((all) => all?.subarray(index * dims, (index + 1) * dims) ?? null) : null;
    return Promise.all([verified(this.load, ref), centroid]).then(([bytes, c]) => decodeShard(ref.name, bytes, dims, this.manifest.counts.sections, this.manifest.version, c));
  }

  /**
   * A file the manifest lists (a shard, the centroids), as stored: its length and hash checked, not
   * gunzipped. A rebuild that keeps the file writes these bytes again.
   */
  storedFile(ref: FileRef): Promise<Uint8Array> {
    return stored(this.load, ref);
  }

  /** Page, anchor, title, heading path and excerpt of the given sections, fetching only the buckets that hold them. */
  async sections(sections: readonly number[]): Promise<Map<number, SectionInfo>> {
    const buckets = this.sectionTable.buckets;
    const wanted = new Map<number, number[]>();
    for (const section of sections) {
      const b = bucketOf(buckets, section);
      wanted.set(b, [...(wanted.get(b) ?? []), section]);
    }
    const out = new Map<number, SectionInfo>();
    await Promise.all(
      [...wanted].map(async ([b, members]) => {
        const infos = await this.bucket(b);
        for (const section of members) out.set(section, infos[section - buckets[b]!.first]!);
      }),
    );
    return out;
  }

  /**
   * The whole text of each section given by its info (from `sections`), fetching only the text
   * files that hold them, each once; null for a section of an index before version 5 (no texts).
   */
  async sectionTexts(infos: readonly SectionInfo[]): Promise<Array<string | null>> {
    return Promise.all(
      infos.map(async ({ text, excerpt }) => {
        if (text === null) return null;
        const { file, index, dictionary } = text;
        // Version 6: the opening is the bucket's excerpt; the file holds the rest (none: nothing follows).
        const opening = dictionary === null ? '' : textOpening(excerpt);
        if (file === null) return opening;
        return opening + (await once(this.textCache, file.name, () => this.textFile(text)))[index]!;
      }),
    );
  }

  /** A text file's texts (version 6: the rests after the openings), verified and checked against its listing. */
  private async textFile({ file, dictionary }: TextPlace): Promise<string[]> {
    const ref = file!;
    const content = dictionary === null ? await this.chunk(ref) : await inflateWithDictionary(ref.name, await this.verifiedChunk(ref), dictionary);
    return parseTextFile(ref.name, decodeJson(ref.name, content), ref.count);
  }

  /** Every section, in order (tools and tests; a page reads only the buckets it shows). */
  async allSections(): Promise<SectionInfo[]> {
    return (await Promise.all(this.sectionTable.buckets.map((_, b) => this.bucket(b)))).flat();
  }

  private bucket(b: number): Promise<SectionInfo[]> {
    const ref = this.sectionTable.buckets[b]!;
    return once(this.bucketCache, b, () => this.chunk(ref).then((bytes) => parseBucket(ref.name, decodeJson(ref.name, bytes), ref, this.manifest.version, this.manifest.shards.length)));
  }

  /** The typo table's head, verified and gunzipped (null: the index has none); the caller caches it. */
  async typoHead(): Promise<Uint8Array | null> {
    const ref = this.manifest.typos;
    return ref ? verified(this.load, ref) : null;
  }

  /** The filter table, checked (empty when the index has none); the caller caches it. */
  async filterTable(): Promise<FilterTable> {
    const ref = this.manifest.filters;
    return ref ? parseFilterTable(ref.name, decodeJson(ref.name, await verified(this.load, ref)), this.manifest) : { keys: [] };
  }

  /** One filter value's sections, fetched and verified; the caller caches them. */
  async filterList(ref: FilterValueRef): Promise<Uint32Array> {
    return decodeSectionList(ref.name, await this.chunk(ref), ref.count, this.manifest.counts.sections);
  }

  /** One file of a filter key's value lists (`counts`: the table's counts of the values it holds), fetched and verified; the caller caches it. */
  async filterKeyList(ref: ChunkRef, counts: readonly number[]): Promise<Uint32Array[]> {
    return decodeKeyList(ref.name, await this.chunk(ref), counts, this.manifest.counts.sections);
  }

  /** Text hash of every section (incremental builds): 32 hex digits, from version 6 their first 16. */
  async textHashes(): Promise<string[]> {
    const ref = this.manifest.hashes;
    const bytes = await verified(this.load, ref);
    const sections = this.manifest.counts.sections;
    return this.manifest.version >= 6 ? decodeTextHashes(ref.name, bytes, sections) : parseStrings(ref.name, decodeJson(ref.name, bytes), sections);
  }

  /** Shards already fetched. */
  get loadedShards(): number[] {
    return [...this.shardCache.keys()];
  }
}

/** The cached promise for `key`, made once; a failure is forgotten so a later call may retry. */
export function once<K, V>(cache: Map<K, Promise<V>>, key: K, make: () => Promise<V>): Promise<V> {
  let cached = cache.get(key);
  if (!cached) {
    cached = make();
    cached.catch(() => cache.delete(key));
    cache.set(key, cached);
  }
  return cached;
}

/** Binary search over the buckets' first sections. */
function bucketOf(buckets: readonly BucketRef[], section: number): number {
  let lo = 0;
  let hi = buckets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (buckets[mid]!.first <= section) lo = mid;
    else hi = mid - 1;
  }
  const bucket = buckets[lo];
  if (!bucket || section < bucket.first || section >= bucket.first + bucket.count) {
    throw new SgptError('INPUT_INVALID', `section ${section} is not in the index`);
  }
  return lo;
}

/** The file's content after its length and hash are checked against the manifest (gunzipped if .gzip). */
async function verified(load: FileLoader, ref: FileRef): Promise<Uint8Array> {
  return fileContent(ref.name, await stored(load, ref));
}

/** The file as stored, after its length and hash are checked against the manifest. */
async function stored(load: FileLoader, ref: FileRef): Promise<Uint8Array> {
  const bytes = await load(ref.name, ref.bytes);
  await verifyFile(ref, bytes);
  return bytes;
}
