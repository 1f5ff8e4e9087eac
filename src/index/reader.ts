/**
 * Opens a site index through a file loader (fetch in the browser, fs in Node): the manifest, the
 * section metadata and the keyword index up front, the vector shards on demand (each fetched once,
 * verified against its hash, then cached).
 */
import { SgptError, toSgptError } from '../errors';
import { probe as probeClusters } from '../search/kmeans';
import {
  decodeCentroids,
  decodeJson,
  decodeShard,
  fileContent,
  parseManifest,
  parseSections,
  parseStrings,
  verifyFile,
  type ExcerptRef,
  type FileRef,
  type Manifest,
  type SectionsFile,
  type Shard,
} from './format';

/** Reads one file of the index by its name in the manifest's folder. */
export type FileLoader = (name: string) => Promise<Uint8Array>;

/** A loader over HTTP, relative to the manifest's URL. */
export function fetchLoader(manifestUrl: string | URL, fetchImpl: typeof fetch = fetch): FileLoader {
  const base = new URL(manifestUrl, typeof location === 'undefined' ? undefined : location.href);
  return async (name) => {
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
  private readonly excerptCache = new Map<number, Promise<string[]>>();
  private centroids: Float32Array | null = null;

  private constructor(
    readonly manifest: Manifest,
    readonly sections: SectionsFile,
    /** The keyword index's bytes, verified (deserialised by the ranking code). */
    readonly keywordBytes: Uint8Array,
    private readonly load: FileLoader,
  ) {}

  /** Manifest, sections and keyword index; centroids are fetched with the first semantic query. */
  static async open(load: FileLoader): Promise<IndexReader> {
    const manifest = parseManifest(decodeJson(MANIFEST, await load(MANIFEST)));
    const [sectionBytes, keywordBytes] = await Promise.all([verified(load, manifest.sections), verified(load, manifest.keyword)]);
    const sections = parseSections(manifest.sections.name, decodeJson(manifest.sections.name, sectionBytes), manifest);
    return new IndexReader(manifest, sections, keywordBytes, load);
  }

  /** The `probe` shards whose centroids are nearest the query (all shards when there is one). */
  async nearestShards(query: Float32Array, probe: number): Promise<number[]> {
    const { shards, centroids: ref, model } = this.manifest;
    if (shards.length === 1 || ref === null) return [0];
    this.centroids ??= decodeCentroids(ref.name, await verified(this.load, ref), shards.length, model.dims);
    return probeClusters(query, this.centroids, model.dims, Math.max(1, probe));
  }

  /** One shard's vectors, fetched and verified once. */
  shard(index: number): Promise<Shard> {
    const ref = this.manifest.shards[index];
    if (!ref) throw new SgptError('INPUT_INVALID', `shard ${index} does not exist (the index has ${this.manifest.shards.length})`);
    let cached = this.shardCache.get(index);
    if (!cached) {
      cached = verified(this.load, ref).then((bytes) => decodeShard(ref.name, bytes, this.manifest.model.dims, this.manifest.counts.sections));
      cached.catch(() => this.shardCache.delete(index)); // a failed fetch may be retried
      this.shardCache.set(index, cached);
    }
    return cached;
  }

  /** Titles of the enclosing headings, outermost first, ending with the section's own. */
  headingPath(section: number): string[] {
    const path: string[] = [];
    for (let s = section; s >= 0; s = this.sections.sections[s]!.parent) path.unshift(this.sections.sections[s]!.title);
    return path;
  }

  /** Excerpts of the given sections, fetching only the buckets that hold them (each once). */
  async excerpts(sections: readonly number[]): Promise<Map<number, string>> {
    const buckets = this.manifest.excerpts;
    const wanted = new Map<number, number[]>();
    for (const section of sections) {
      const b = bucketOf(buckets, section);
      wanted.set(b, [...(wanted.get(b) ?? []), section]);
    }
    const out = new Map<number, string>();
    await Promise.all(
      [...wanted].map(async ([b, members]) => {
        const ref = buckets[b]!;
        let cached = this.excerptCache.get(b);
        if (!cached) {
          cached = verified(this.load, ref).then((bytes) => parseStrings(ref.name, decodeJson(ref.name, bytes), ref.count));
          cached.catch(() => this.excerptCache.delete(b));
          this.excerptCache.set(b, cached);
        }
        const texts = await cached;
        for (const section of members) out.set(section, texts[section - ref.first]!);
      }),
    );
    return out;
  }

  /** Text hash of every section (incremental builds). */
  async textHashes(): Promise<string[]> {
    const ref = this.manifest.hashes;
    return parseStrings(ref.name, decodeJson(ref.name, await verified(this.load, ref)), this.manifest.counts.sections);
  }

  /** Shards already fetched. */
  get loadedShards(): number[] {
    return [...this.shardCache.keys()];
  }
}

/** Binary search over the buckets' first sections. */
function bucketOf(buckets: readonly ExcerptRef[], section: number): number {
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
  const bytes = await load(ref.name);
  await verifyFile(ref, bytes);
  return fileContent(ref.name, bytes);
}
