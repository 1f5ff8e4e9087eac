/**
 * The site index format, version 8: the one place that knows the manifest and the file layouts
 * (described for people in docs/INDEX-FORMAT.md). Pure: no fs, no fetch; both the Node writer and
 * the browser reader go through these functions.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { isMode, type Mode } from '../embed/sgpt-settings';
import { SgptError } from '../errors';
import { anchorFragment } from '../extract/text-fragment';
import { FUSION_METHODS, checkCoefficients, type FusionMethod, type HybridFusionSettings } from '../search/fusion';
import { dequantize, predictedCode, predictionFactor, projectionCoefficient, quantize, type Quantized } from './int8';
import { ByteReader, ByteWriter, readMagic, writeMagic } from '../search/varint';

export const FORMAT_NAME = 'sgpt-search-index';
export const FORMAT_VERSION = 8;
/**
 * Versions this reader reads: 7 is 8 without each section's shards in its bucket (a semantic query
 * then reads only the shards nearest the query vector); 6 is 7 with float32 centroids (SGC1; 7 stores them as int8 codes
 * and a scale each, SGC2, so four times the shards cost no more centroid bytes); 5 is 6 with whole texts in gzip text files, whole heading paths,
 * whole text hashes (JSON) and plain vector codes, not gzipped; 4 is 5 without section texts and
 * window numbers (excerpts are the sections' starts),
 * 3 is 4 without a filter table, 2 is 3 without a typo table (no corrections).
 */
const READABLE_VERSIONS: readonly number[] = [2, 3, 4, 5, 6, 7, FORMAT_VERSION];

/** An immutable file of the index: its name contains the first 16 hex digits of its sha256. */
export interface FileRef {
  name: string;
  bytes: number;
  sha256: string;
}

export interface ShardRef extends FileRef {
  /** Vector rows (section chunks) in the shard. */
  rows: number;
}

export interface ModelRef {
  /** The model's name: the last segment of its folder or hub id, e.g. 'tiny-gpt2'. */
  id: string;
  /** sha256 over the model's config.json and ONNX weights ('' when unknown). */
  hash: string;
  dims: number;
  mode: Mode;
  /**
   * Optional: the model folder the build shipped with the index (`sgpt-search index` copies it),
   * relative to the manifest, e.g. "model/tiny-gpt2/". A page without a `model` attribute loads it.
   */
  url?: string;
}

export interface Manifest {
  format: typeof FORMAT_NAME;
  version: number;
  /** ISO time of the build (informational). */
  built: string;
  model: ModelRef;
  counts: { pages: number; sections: number; vectors: number };
  /**
   * How semantic results fuse the keyword and the semantic ranking, and the semantic share (0..1).
   * `method` may be absent in a manifest (indexes built before it existed): that reads as "rrf".
   */
  fusion: HybridFusionSettings;
  /** Shards a query reads by default (IVF nprobe); a page or command may ask for more. */
  probe: number;
  /**
   * Optional: the site root relative to the manifest's folder (e.g. "../" for an index in
   * <site>/sgpt/). Readers resolve page urls ("/guide/x.html") against it, so the site works under
   * any path prefix; without it, page urls are relative to the host's root.
   */
  root?: string;
  /** The section table (JSON, see SectionTable), read up front: which bucket file holds which sections. */
  sections: FileRef;
  /** Text hash per section (encodeTextHashes; before version 6 a JSON array of strings): read by incremental builds only. */
  hashes: FileRef;
  /** The keyword (BM25) index's head (statistics and term-range chunk list), in the ranking code's serialisation. */
  keyword: FileRef;
  /**
   * The keyword index's typo table head (src/search/typos: which file holds which word groups),
   * read only when a query has a word that matches nothing. Absent in version 2 indexes.
   */
  typos?: FileRef;
  /**
   * The filter table (src/index/filters: each filter value's section count, shards and id-list
   * file), read when a query is filtered or asks for facets. Absent before version 4 and in an
   * index whose sections carry no filters.
   */
  filters?: FileRef;
  /** IVF centroids, one per shard; null when there is a single shard. */
  centroids: FileRef | null;
  shards: ShardRef[];
  /**
   * Optional: every file the build wrote into its folder besides the manifest (JSON array of
   * '/'-separated relative paths: index, runtime and model files). Read by the next build only,
   * which removes nothing else.
   */
  owned?: FileRef;
}

/**
 * A file listed inside another (verified) file rather than in the manifest: its name carries the
 * first 16 hex digits of its sha256, which readers check together with its length.
 */
export interface ChunkRef {
  name: string;
  bytes: number;
}

export interface BucketRef extends ChunkRef {
  /** First section in the bucket (from the counts of the buckets before it). */
  first: number;
  /** Consecutive sections in the bucket. */
  count: number;
}

/** sections.json: the section buckets in section order. */
export interface SectionTable {
  buckets: BucketRef[];
}

/** The link a site hit gives a section: its page, then its anchor (an id, or its heading's text) when it has one. */
export function sectionUrl(section: Pick<SectionInfo, 'url' | 'anchor'>): string {
  return `${section.url}${anchorFragment(section.anchor)}`;
}

/** What a result shows of a section; a bucket file holds these for consecutive sections. */
export interface SectionInfo {
  /** Index of the page in the site (pages in path order). */
  page: number;
  /** Site-relative page URL. */
  url: string;
  pageTitle: string;
  anchor: string;
  title: string;
  /** Titles of the enclosing headings, outermost first, ending with the section's own. */
  headingPath: string[];
  /** The start of the section's text. */
  excerpt: string;
  /** Where the section's whole text is (null before version 5). */
  text: TextPlace | null;
  /**
   * The vector shards holding the section's windows, ascending (null before version 8): a semantic
   * query also reads those of its best keyword hits, so they get their dense score (SiteSearch).
   */
  shards: number[] | null;
}

/**
 * A section's place in its bucket's text files. Version 6: `file` holds the text after the
 * section's opening (textOpening of its excerpt), deflated with `dictionary` (the bucket's
 * opening lines, textDictionary); a null `file` is an empty rest. Version 5: `file` holds the
 * whole text (gzip) and `dictionary` is null.
 */
export interface TextPlace {
  file: TextRef | null;
  index: number;
  dictionary: Uint8Array | null;
}

/** A bucket file as written: each page once, then the sections that point into it, then (version 5) the files of their texts. */
export interface BucketFile {
  pages: Array<{ index: number; url: string; title: string }>;
  /**
   * `path`: the heading path; version 6 writes `up` instead (the enclosing titles) when the path
   * ends with the section's own title, as nearly every one does: the title is not stored twice.
   */
  sections: Array<{ page: number; anchor: string; title: string; path?: string[]; up?: string[]; excerpt: string; shards?: number[] }>;
  /** The bucket's sections' texts, `count` consecutive sections per file (version 6: no name when all their rests are empty). */
  texts?: Array<{ name?: string; bytes?: number; count: number }>;
}

/** A text file as a bucket lists it: its sections' count. */
export interface TextRef extends ChunkRef {
  count: number;
}

/** A text file: the whole text (version 6: the rest after the opening) of consecutive sections (read for the hits shown, to cut excerpts at the match). */
export interface TextFile {
  texts: string[];
}

/** Version 6 text files: raw deflate (no gzip framing: the hash in the name checks them) with a preset dictionary. */
export const TEXT_SUFFIX = '.json.dfl';
/** Deflate's window: a dictionary longer than this would not be reached. */
const DICTIONARY_BYTES = 32 * 1024;

/** The excerpt without the ellipsis the writer adds when it cuts (src/index/writer excerpt): always a prefix of the section's text. */
export function textOpening(excerpt: string): string {
  return excerpt.endsWith('…') ? excerpt.slice(0, -1) : excerpt;
}

/**
 * A bucket's text files' dictionary: its sections' opening lines, one a line, UTF-8, the last
 * 32 KiB. A text file holds what follows those openings, so deflate finds their words here.
 */
export function textDictionary(excerpts: readonly string[]): Uint8Array {
  const bytes = new TextEncoder().encode(excerpts.join('\n'));
  return bytes.subarray(Math.max(0, bytes.byteLength - DICTIONARY_BYTES));
}

/** One shard's vectors: int8 rows, their scales, the section each row belongs to and which of its windows it is. */
export interface Shard extends Quantized {
  rows: number;
  dims: number;
  owner: Int32Array;
  /** Per row, its window's number among the section's windows, in text order (null in version 1 shards). */
  window: Uint16Array | null;
}

const invalid = (file: string, message: string): SgptError => new SgptError('INDEX_INVALID', `${file}: ${message}`);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function count(value: unknown, what: string, file: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalid(file, `${what} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return value;
}

function atLeastOne(value: unknown, what: string, file: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalid(file, `${what} must be an integer of at least 1, got ${JSON.stringify(value)}`);
  return value;
}

function text(value: unknown, what: string, file: string): string {
  if (typeof value !== 'string') throw invalid(file, `${what} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

const HEX64 = /^[0-9a-f]{64}$/;
/** No embedding model comes near this many dimensions: a larger model.dims is a forged manifest. */
const MAX_DIMS = 65_536;
/** File names are plain names in the manifest's folder: no paths, no URLs. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** model.url: plain folder names below the manifest's folder, ending in "/" (never another origin or a parent). */
const MODEL_URL = /^(?:[A-Za-z0-9][A-Za-z0-9._-]*\/)+$/;
/**
 * A page url: a root-relative path ("/guide/x.html"), percent-encoded (no "?", "#", "\\", spaces or
 * "//" that could make it a query, a fragment or another host). Resolved against the manifest's root.
 */
const PAGE_URL = /^\/(?!\/)(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/;
/** root: "./" or "../" repeated: the manifest's folder or one above it, never another origin. */
const ROOT = /^(?:\.\/|(?:\.\.\/)+)$/;

/** A name taken from an index file is a plain file name in the index's folder before it is used. */
export function checkFileName(name: string, what: string, file = 'manifest.json'): void {
  if (!FILE_NAME.test(name) || name.length > 255) throw invalid(file, `${what} ${JSON.stringify(name)} is not a plain file name`);
}

/** One entry of an ownership or pending list: a path and the sha256 of the bytes the build wrote there (null: a list of a version before hashes). */
export interface OwnedEntry {
  path: string;
  sha256: string | null;
}

/**
 * The ownership list (and the pending list, same form): relative paths of plain names below the
 * folder (never a parent, an absolute path or a URL), each `{"path", "sha256"}`; a bare path
 * string is an entry of a list written before the hashes (sha256 null).
 */
export function parseOwned(name: string, json: unknown): OwnedEntry[] {
  if (!Array.isArray(json)) throw invalid(name, 'expected a JSON array of paths');
  return json.map((entry: unknown) => {
    const { path, sha256 } = typeof entry === 'string' ? { path: entry, sha256: null } : isRecord(entry) ? entry : { path: undefined, sha256: undefined };
    if (typeof path !== 'string' || !path.split('/').every((part) => FILE_NAME.test(part))) throw invalid(name, `${JSON.stringify(entry)} is not a relative path of plain names`);
    if (sha256 !== null && (typeof sha256 !== 'string' || !HEX64.test(sha256))) throw invalid(name, `${JSON.stringify(path)}: sha256 must be 64 lowercase hex digits`);
    return { path, sha256: sha256 as string | null };
  });
}

function fileRef(value: unknown, what: string): FileRef {
  const file = 'manifest.json';
  if (!isRecord(value)) throw invalid(file, `${what} must be an object with name, bytes and sha256`);
  const name = text(value.name, `${what}.name`, file);
  checkFileName(name, `${what}.name`);
  const sha256 = text(value.sha256, `${what}.sha256`, file);
  if (!HEX64.test(sha256)) throw invalid(file, `${what}.sha256 must be 64 lowercase hex digits`);
  if (!name.includes(sha256.slice(0, 16))) throw invalid(file, `${what}.name ${name} does not contain its hash ${sha256.slice(0, 16)}`);
  return { name, bytes: count(value.bytes, `${what}.bytes`, file), sha256 };
}

function siteRoot(value: unknown): string {
  const root = text(value, 'root', 'manifest.json');
  if (!ROOT.test(root)) throw invalid('manifest.json', `root ${JSON.stringify(root)} must be "./" or "../" repeated (the site root above the index)`);
  return root;
}

/** Check a parsed manifest.json: version first (INDEX_VERSION), then every field (INDEX_INVALID). */
/** The manifest's fusion: {method: "adaptive", coefficients} or {method: "convex" | "rrf" (absent: "rrf"), semanticWeight}. */
function readFusion(fusion: unknown, file: string): HybridFusionSettings {
  if (!isRecord(fusion)) throw invalid(file, 'fusion must be an object');
  const method = fusion.method ?? 'rrf';
  if (!FUSION_METHODS.includes(method as FusionMethod)) {
    throw invalid(file, `fusion.method must be ${FUSION_METHODS.map((m) => JSON.stringify(m)).join(', ')} (absent: "rrf"), got ${JSON.stringify(fusion.method)}`);
  }
  if (method === 'adaptive') {
    const coefficients = fusion.coefficients;
    if (!Array.isArray(coefficients)) throw invalid(file, 'fusion.coefficients must be an array of numbers');
    try {
      checkCoefficients(coefficients);
    } catch (error) {
      throw invalid(file, `fusion.coefficients: ${(error as Error).message}`);
    }
    return { method, coefficients: coefficients as number[] };
  }
  if (typeof fusion.semanticWeight !== 'number' || !(fusion.semanticWeight >= 0 && fusion.semanticWeight <= 1)) {
    throw invalid(file, 'fusion.semanticWeight must be a number in [0, 1]');
  }
  return { method: method as 'rrf' | 'convex', semanticWeight: fusion.semanticWeight };
}

export function parseManifest(json: unknown): Manifest {
  const file = 'manifest.json';
  if (!isRecord(json) || json.format !== FORMAT_NAME) throw invalid(file, `not an sgpt-search index (expected "format": "${FORMAT_NAME}")`);
  if (typeof json.version !== 'number' || !READABLE_VERSIONS.includes(json.version)) {
    throw new SgptError('INDEX_VERSION', `manifest.json: index format version ${JSON.stringify(json.version)} is not supported by this sgpt-search (reads versions ${READABLE_VERSIONS.join(', ')}); rebuild the index with this version's \`sgpt-search index\``);
  }
  const model = json.model;
  if (!isRecord(model)) throw invalid(file, 'model must be an object');
  if (!isMode(model.mode)) throw invalid(file, `model.mode must be "symmetric" or "asymmetric", got ${JSON.stringify(model.mode)}`);
  const dims = count(model.dims, 'model.dims', file);
  if (dims === 0 || dims > MAX_DIMS) throw invalid(file, `model.dims must be from 1 to ${MAX_DIMS}`);
  const counts = json.counts;
  if (!isRecord(counts)) throw invalid(file, 'counts must be an object');
  const fusion = readFusion(json.fusion, file);
  if (!Array.isArray(json.shards) || json.shards.length === 0) throw invalid(file, 'shards must be a non-empty array');
  const shards = json.shards.map((s: unknown, i: number) => ({ ...fileRef(s, `shards[${i}]`), rows: count(isRecord(s) ? s.rows : undefined, `shards[${i}].rows`, file) }));
  const centroids = json.centroids === null ? null : fileRef(json.centroids, 'centroids');
  if (shards.length > 1 && centroids === null) throw invalid(file, `${shards.length} shards need a centroids file`);
  const modelUrl = model.url === undefined ? undefined : text(model.url, 'model.url', file);
  if (modelUrl !== undefined && (!MODEL_URL.test(modelUrl) || modelUrl.includes('..'))) {
    throw invalid(file, `model.url ${JSON.stringify(modelUrl)} must be a folder below the manifest's, like "model/tiny-gpt2/"`);
  }
  const manifest: Manifest = {
    format: FORMAT_NAME,
    version: json.version,
    built: typeof json.built === 'string' ? json.built : '',
    model: { id: text(model.id, 'model.id', file), hash: text(model.hash, 'model.hash', file), dims, mode: model.mode, ...(modelUrl === undefined ? {} : { url: modelUrl }) },
    counts: {
      pages: count(counts.pages, 'counts.pages', file),
      sections: count(counts.sections, 'counts.sections', file),
      vectors: count(counts.vectors, 'counts.vectors', file),
    },
    fusion,
    probe: atLeastOne(json.probe, 'probe', file),
    ...(json.root === undefined ? {} : { root: siteRoot(json.root) }),
    sections: fileRef(json.sections, 'sections'),
    hashes: fileRef(json.hashes, 'hashes'),
    keyword: fileRef(json.keyword, 'keyword'),
    ...(json.typos === undefined ? {} : { typos: fileRef(json.typos, 'typos') }),
    ...(json.filters === undefined ? {} : { filters: fileRef(json.filters, 'filters') }),
    centroids,
    shards,
    ...(json.owned === undefined ? {} : { owned: fileRef(json.owned, 'owned') }),
  };
  const rows = shards.reduce((sum, s) => sum + s.rows, 0);
  if (rows !== manifest.counts.vectors) throw invalid(file, `shards hold ${rows} vectors but counts.vectors is ${manifest.counts.vectors}`);
  return manifest;
}

/** The model a page or command is about to query with. `hash` is compared only when both sides know it. */
export interface QueryModel {
  id: string;
  dims: number;
  mode: Mode;
  hash?: string;
}

/** 'test/fixtures/models/tiny-gpt2/', '/models/tiny-gpt2' and 'org/tiny-gpt2' all name 'tiny-gpt2'. */
export function modelName(source: string): string {
  const parts = source.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  return parts[parts.length - 1] ?? source;
}

/** How two models' identities differ (none: vectors of one are comparable with the other's); a hash counts where both state one. */
export function modelDifferences(a: QueryModel, b: QueryModel): string[] {
  const problems: string[] = [];
  if (a.id !== b.id) problems.push(`model ${JSON.stringify(a.id)} vs ${JSON.stringify(b.id)}`);
  if (a.dims !== b.dims) problems.push(`dims ${a.dims} vs ${b.dims}`);
  if (a.mode !== b.mode) problems.push(`mode ${a.mode} vs ${b.mode}`);
  if (a.hash && b.hash && a.hash !== b.hash) problems.push(`model hash ${a.hash.slice(0, 12)}… vs ${b.hash.slice(0, 12)}…`);
  return problems;
}

/** Vectors from one model are meaningless to another: refuse, naming both. */
export function checkModel(index: ModelRef, query: QueryModel): void {
  const queryId = modelName(query.id);
  const problems = modelDifferences(index, { ...query, id: queryId });
  if (problems.length > 0) {
    throw new SgptError(
      'INDEX_MODEL_MISMATCH',
      `the index was built with model ${JSON.stringify(index.id)} (${index.mode}, ${index.dims} dims) but the query uses ${JSON.stringify(queryId)} (${query.mode}, ${query.dims} dims): ${problems.join(', ')}. Rebuild the index with this model or load the index's model.`,
    );
  }
}

/**
 * sha256 as lowercase hex: the one hash of the browser path (index files, the model, documents).
 * Web Crypto where there is one (Node, https and localhost pages: ~5× faster), else @noble/hashes:
 * `crypto.subtle` exists only in secure contexts, and a docs site on plain http is not one.
 */
export async function sha256Hex(bytes: Uint8Array | string): Promise<string> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const subtle = globalThis.crypto?.subtle as SubtleCrypto | undefined;
  return hex(subtle ? new Uint8Array(await subtle.digest('SHA-256', data as Uint8Array<ArrayBuffer>)) : sha256(data));
}

/** Bytes as lowercase hex, two digits a byte. */
function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The model's identity hash (manifest `model.hash`): sha256 over "name\0sha256\n" lines of
 * config.json, then the ONNX weights by name. Node hashes a model folder's files with it; the
 * browser the files it loaded, so both sides agree on a folder with one weights file.
 */
export async function modelContentHash(digests: ReadonlyMap<string, string>): Promise<string> {
  const onnx = [...digests.keys()].filter((name) => /^onnx\/[^/]+\.onnx$/.test(name)).sort();
  const names = [...(digests.has('config.json') ? ['config.json'] : []), ...onnx];
  return sha256Hex(names.map((name) => `${name}\0${digests.get(name)}\n`).join(''));
}

/** A truncated or altered file is refused before it is parsed. */
export async function verifyFile(ref: FileRef, bytes: Uint8Array): Promise<void> {
  if (bytes.byteLength !== ref.bytes) {
    throw invalid(ref.name, `has ${bytes.byteLength} bytes but the manifest says ${ref.bytes} (truncated or from another build); rebuild or re-upload the index`);
  }
  const hash = await sha256Hex(bytes);
  if (hash !== ref.sha256) throw invalid(ref.name, `content hash ${hash.slice(0, 16)}… does not match the manifest's ${ref.sha256.slice(0, 16)}… (corrupt or from another build)`);
}

/** A file listed by name and length only: its length and the hash its name carries must match. */
export async function verifyChunk(ref: ChunkRef, bytes: Uint8Array): Promise<void> {
  if (bytes.byteLength !== ref.bytes) {
    throw invalid(ref.name, `has ${bytes.byteLength} bytes but the index lists ${ref.bytes} (truncated or from another build); rebuild or re-upload the index`);
  }
  const hash = (await sha256Hex(bytes)).slice(0, 16);
  if (!ref.name.includes(`.${hash}.`)) throw invalid(ref.name, `content hash ${hash} does not match the one in its name (corrupt or from another build)`);
}

/**
 * Text-like files are stored gzipped, whatever the server does. Not '.gz': some servers send
 * '.gz' files with Content-Encoding: gzip, and the browser would hand us other bytes than we hashed.
 */
export const GZIP_SUFFIX = '.gzip';

export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** What a .gzip index file may expand to (the largest real one is well under 1 MiB): a forged gzip bomb stops here. */
export const MAX_CONTENT_BYTES = 64 * 1024 * 1024;

/** The file's content: gunzipped when its name ends in .gzip (a broken or oversized stream is INDEX_INVALID naming the file). */
export async function fileContent(name: string, bytes: Uint8Array): Promise<Uint8Array> {
  return name.endsWith(GZIP_SUFFIX) ? inflate(name, [bytes], 'gzip') : bytes;
}

/**
 * A version 6 text file's content: raw deflate against `dictionary`. DecompressionStream takes no
 * dictionary, so the dictionary goes in front as a stored block (what a preset dictionary is: the
 * window's start) and is cut off the output. A broken stream is INDEX_INVALID naming the file.
 */
export async function inflateWithDictionary(name: string, bytes: Uint8Array, dictionary: Uint8Array): Promise<Uint8Array> {
  const n = dictionary.byteLength;
  // Stored block header: BFINAL 0, BTYPE 00 (to the byte boundary), LEN and its complement, little-endian.
  const stored = new Uint8Array([0, n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff]);
  const content = await inflate(name, [stored, dictionary, bytes], 'deflate-raw', n);
  return content.subarray(n);
}

/** The decompressed concatenation of `parts`, at most MAX_CONTENT_BYTES past `skip` (INDEX_INVALID naming the file otherwise). */
async function inflate(name: string, parts: readonly Uint8Array[], format: CompressionFormat, skip = 0): Promise<Uint8Array> {
  const reader = new Blob(parts as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(new DecompressionStream(format)).getReader();
  const out: Uint8Array[] = [];
  let total = 0;
  try {
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      total += part.value.byteLength;
      if (total > MAX_CONTENT_BYTES + skip) {
        await reader.cancel();
        throw invalid(name, `expands to more than ${MAX_CONTENT_BYTES} bytes (not an index file)`);
      }
      out.push(part.value);
    }
  } catch (error) {
    if (error instanceof SgptError) throw error;
    throw invalid(name, `is not valid ${format === 'gzip' ? 'gzip' : 'deflate'} data (${error instanceof Error ? error.message : String(error)})`);
  }
  return concatBytes(out, total);
}

/** `parts` joined into one array of `total` bytes (a stream's chunks). */
export function concatBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.byteLength;
  }
  return out;
}

/** `stem.<first 16 hex of sha256>.ext`: immutable names that caches may keep forever. */
export async function fileRefFor(stem: string, ext: string, bytes: Uint8Array): Promise<FileRef> {
  const sha256 = await sha256Hex(bytes);
  return { name: `${stem}.${sha256.slice(0, 16)}.${ext}`, bytes: bytes.byteLength, sha256 };
}

// Binary layouts are little-endian (every platform that runs this). Header: 4-byte magic, uint32, uint32.
/** Version 1 shards (index versions 2–4) have no window numbers; version 2 (index version 5) stores the codes as they are. */
const SHARD_MAGIC_V1 = 'SGV1';
const SHARD_MAGIC_V2 = 'SGV2';
const SHARD_MAGIC = 'SGV3';
/** The most windows a section may have: window numbers are uint16. */
export const MAX_WINDOWS = 65_536;
const CENTROIDS_MAGIC_V1 = 'SGC1';
const CENTROIDS_MAGIC = 'SGC2';
const HEADER = 12;

function header(magic: string, a: number, b: number, total: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < 4; i++) bytes[i] = magic.charCodeAt(i);
  view.setUint32(4, a, true);
  view.setUint32(8, b, true);
  return { bytes, view };
}

function readHeader(name: string, bytes: Uint8Array, magic: string): [number, number] {
  if (bytes.byteLength < HEADER) throw invalid(name, `too short (${bytes.byteLength} bytes) for a header`);
  const found = String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!);
  if (found !== magic) throw invalid(name, `expected magic ${magic}, found ${JSON.stringify(found)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return [view.getUint32(4, true), view.getUint32(8, true)];
}

/** Copy into a fresh, aligned buffer (a fetched or read buffer may be shared or unaligned). */
function aligned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
}

/**
 * Shard: 'SGV3', rows, dims, then int32 owner[rows], float32 scale[rows], uint16 window[rows],
 * int8 coef[rows], uint8 residual[dims × rows] (dimension-major: a dimension's rows together):
 * codes[r][d] = residual[d][r] + predictedCode(predictionFactor(coef[r], scale[r]), centroid[d]) (mod 256, as int8),
 * `centroid` the shard's (null with one shard: coefficients 0, residuals are the codes).
 */
export function encodeShard(shard: Shard, centroid: Float32Array | null = null): Uint8Array {
  const { rows, dims, window, codes, scales } = shard;
  if (window === null) throw new SgptError('INTERNAL', 'a shard is written with its rows\' window numbers');
  const { bytes } = header(SHARD_MAGIC, rows, dims, HEADER + 11 * rows + rows * dims);
  bytes.set(new Uint8Array(shard.owner.buffer, shard.owner.byteOffset, rows * 4), HEADER);
  bytes.set(new Uint8Array(scales.buffer, scales.byteOffset, rows * 4), HEADER + 4 * rows);
  bytes.set(new Uint8Array(window.buffer, window.byteOffset, rows * 2), HEADER + 8 * rows);
  const coefs = new Int8Array(bytes.buffer, HEADER + 10 * rows, rows);
  const residuals = HEADER + 11 * rows;
  for (let r = 0; r < rows; r++) {
    const coef = centroid === null ? 0 : projectionCoefficient(codes, r * dims, scales[r]!, centroid);
    coefs[r] = coef;
    const factor = predictionFactor(coef, scales[r]!);
    for (let d = 0; d < dims; d++) bytes[residuals + d * rows + r] = codes[r * dims + d]! - (centroid === null ? 0 : predictedCode(factor, centroid[d]!));
  }
  return bytes;
}

/**
 * Reads SGV3 (`version` 6 and later; `centroid`: the shard's, null with one shard), SGV2 (version
 * 5: codes as they are) or SGV1 (earlier: no window numbers, codes right after the scales).
 */
export function decodeShard(name: string, input: Uint8Array, expectDims: number, sectionCount: number, version = FORMAT_VERSION, centroid: Float32Array | null = null): Shard {
  const { bytes, layout, rows, dims, owner } = shardHead(name, input, expectDims, sectionCount, version);
  if (centroid !== null && centroid.length !== dims) throw new SgptError('INTERNAL', `a centroid of ${centroid.length} dims for ${dims}-dimensional rows`);
  const base = bytes.byteOffset;
  const scales = new Float32Array(bytes.buffer, base + HEADER + 4 * rows, rows);
  const stored = new Int8Array(bytes.buffer, base + HEADER + SHARD_ROW_BYTES[layout - 1]! * rows, rows * dims);
  return {
    rows,
    dims,
    owner,
    scales,
    window: layout >= 2 ? new Uint16Array(bytes.buffer, base + HEADER + 8 * rows, rows) : null,
    codes: layout === 3 ? residualCodes(stored, new Int8Array(bytes.buffer, base + HEADER + 10 * rows, rows), scales, centroid) : stored,
  };
}

/** A shard's rows' sections (its owner array, checked), without decoding its codes: what a rebuild that keeps the file needs. */
export function decodeShardOwners(name: string, input: Uint8Array, expectDims: number, sectionCount: number, version = FORMAT_VERSION): Int32Array {
  return shardHead(name, input, expectDims, sectionCount, version).owner;
}

/** Bytes per row before the codes in SGV1, SGV2, SGV3: owner, scale, then window (2+), coefficient (3). */
const SHARD_ROW_BYTES = [8, 10, 11] as const;

/** A shard's layout (1–3 by the index version), header, length and owners, checked. */
function shardHead(name: string, input: Uint8Array, expectDims: number, sectionCount: number, version: number): { bytes: Uint8Array; layout: 1 | 2 | 3; rows: number; dims: number; owner: Int32Array } {
  const bytes = aligned(input);
  const layout = version >= 6 ? 3 : version === 5 ? 2 : 1;
  const [rows, dims] = readHeader(name, bytes, [SHARD_MAGIC_V1, SHARD_MAGIC_V2, SHARD_MAGIC][layout - 1]!);
  if (dims !== expectDims) throw invalid(name, `holds ${dims}-dimensional vectors but the manifest says ${expectDims}`);
  const expected = HEADER + SHARD_ROW_BYTES[layout - 1]! * rows + rows * dims;
  if (bytes.byteLength !== expected) throw invalid(name, `has ${bytes.byteLength} bytes, expected ${expected} for ${rows} rows of ${dims} dims`);
  const owner = new Int32Array(bytes.buffer, bytes.byteOffset + HEADER, rows);
  for (const section of owner) if (section < 0 || section >= sectionCount) throw invalid(name, `row owner ${section} is outside the ${sectionCount} sections`);
  return { bytes, layout, rows, dims, owner };
}

/** SGV3's codes back in row order: each residual plus its predicted code, wrapped to int8. */
function residualCodes(residuals: Int8Array, coefs: Int8Array, scales: Float32Array, centroid: Float32Array | null): Int8Array {
  const rows = scales.length;
  const dims = rows === 0 ? 0 : residuals.length / rows;
  const codes = new Int8Array(residuals.length);
  for (let r = 0; r < rows; r++) {
    const factor = predictionFactor(coefs[r]!, scales[r]!);
    for (let d = 0; d < dims; d++) codes[r * dims + d] = residuals[d * rows + r]! + (centroid === null ? 0 : predictedCode(factor, centroid[d]!));
  }
  return codes;
}

/**
 * Centroids (shard i holds the rows nearest centroid i): 'SGC2', k, dims, float32 scale[k], then
 * int8 codes[k*dims], centroid i ≈ codes × scale[i] (int8.ts's quantisation). Version 6 wrote
 * 'SGC1', k, dims, float32 centroid[k*dims]. The writer codes its shards against the decoded
 * centroids (decodeCentroids of these bytes), so writer and reader predict the same codes.
 */
export function encodeCentroids(centroids: Float32Array, k: number, dims: number): Uint8Array {
  const { codes, scales } = quantize(centroids.subarray(0, k * dims), dims);
  const { bytes } = header(CENTROIDS_MAGIC, k, dims, HEADER + 4 * k + k * dims);
  bytes.set(new Uint8Array(scales.buffer, scales.byteOffset, 4 * k), HEADER);
  bytes.set(new Uint8Array(codes.buffer, codes.byteOffset, k * dims), HEADER + 4 * k);
  return bytes;
}

/** The centroids a file holds (SGC2; SGC1 in a version 6 or older index), checked against the manifest's k and dims. */
export function decodeCentroids(name: string, input: Uint8Array, expectK: number, expectDims: number, version = FORMAT_VERSION): Float32Array {
  const bytes = aligned(input);
  const [k, dims] = readHeader(name, bytes, version >= 7 ? CENTROIDS_MAGIC : CENTROIDS_MAGIC_V1);
  if (k !== expectK || dims !== expectDims) throw invalid(name, `holds ${k} centroids of ${dims} dims, the manifest needs ${expectK} of ${expectDims}`);
  const size = version >= 7 ? HEADER + 4 * k + k * dims : HEADER + 4 * k * dims;
  if (bytes.byteLength !== size) throw invalid(name, `has ${bytes.byteLength} bytes, expected ${size}`);
  if (version < 7) return new Float32Array(bytes.buffer, bytes.byteOffset + HEADER, k * dims);
  const scales = new Float32Array(bytes.buffer, bytes.byteOffset + HEADER, k);
  if (scales.some((scale) => !Number.isFinite(scale) || scale < 0)) throw invalid(name, 'holds a centroid scale that is not a finite, non-negative number');
  return dequantize({ codes: new Int8Array(bytes.buffer, bytes.byteOffset + HEADER + 4 * k, k * dims), scales }, dims);
}

export function encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

export function decodeJson(name: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw invalid(name, `is not valid UTF-8 JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

const HASHES_MAGIC = [0x53, 0x47, 0x48, 0x31]; // "SGH1"
/** Bytes kept of each text hash (version 6): 64 bits, so two texts of one site share one with odds of ~n² / 2⁶⁵. */
export const TEXT_HASH_BYTES = 8;

/** hashes.bin (version 6): magic SGH1, format 1, varint count, then the first TEXT_HASH_BYTES of each hash (hex in, bytes out). */
export function encodeTextHashes(hashes: readonly string[]): Uint8Array {
  const out = new ByteWriter();
  writeMagic(out, HASHES_MAGIC, 1);
  out.varint(hashes.length);
  const head = out.finish();
  const bytes = new Uint8Array(head.length + hashes.length * TEXT_HASH_BYTES);
  bytes.set(head);
  hashes.forEach((hash, i) => {
    for (let b = 0; b < TEXT_HASH_BYTES; b++) bytes[head.length + i * TEXT_HASH_BYTES + b] = parseInt(hash.slice(2 * b, 2 * b + 2), 16);
  });
  return bytes;
}

/** Reads what encodeTextHashes wrote: `sections` hashes of 2 × TEXT_HASH_BYTES hex digits. */
export function decodeTextHashes(name: string, bytes: Uint8Array, sections: number): string[] {
  const input = new ByteReader(bytes, name);
  readMagic(input, bytes, HASHES_MAGIC, 1, name, 'text hash list');
  const n = input.count();
  if (n !== sections) throw invalid(name, `holds ${n} hashes, the manifest says ${sections}`);
  const raw = input.bytes(n * TEXT_HASH_BYTES);
  if (!input.done) throw invalid(name, 'has bytes after its hashes');
  return Array.from({ length: n }, (_, i) => hex(raw.subarray(i * TEXT_HASH_BYTES, (i + 1) * TEXT_HASH_BYTES)));
}

/** A JSON array of exactly `length` strings (text hashes before version 6). */
export function parseStrings(name: string, json: unknown, length: number): string[] {
  if (!Array.isArray(json) || json.some((v) => typeof v !== 'string')) throw invalid(name, 'expected a JSON array of strings');
  if (json.length !== length) throw invalid(name, `holds ${json.length} entries, the manifest says ${length}`);
  return json as string[];
}

/** Check the section table: plain bucket names with their hash, counts that cover every section. */
export function parseSectionTable(name: string, json: unknown, manifest: Manifest): SectionTable {
  if (!isRecord(json) || !Array.isArray(json.buckets)) throw invalid(name, 'expected { "buckets": [...] }');
  let first = 0;
  const buckets = json.buckets.map((b: unknown, i: number): BucketRef => {
    if (!isRecord(b)) throw invalid(name, `buckets[${i}] must be an object`);
    const ref = chunkRef(name, b, `buckets[${i}]`);
    const bucket = { ...ref, first, count: count(b.count, `buckets[${i}].count`, name) };
    if (bucket.count === 0) throw invalid(name, `buckets[${i}] holds no sections`);
    first += bucket.count;
    return bucket;
  });
  if (first !== manifest.counts.sections) throw invalid(name, `buckets cover ${first} sections, the manifest says ${manifest.counts.sections}`);
  return { buckets };
}

const HASH_IN_NAME = /\.([0-9a-f]{16})\./;

/** `{ name, bytes }` of a file listed in `file`: a plain name that carries a hash. */
export function chunkRef(file: string, value: Record<string, unknown>, what: string): ChunkRef {
  const name = text(value.name, `${what}.name`, file);
  if (!FILE_NAME.test(name) || name.length > 255 || !HASH_IN_NAME.test(name)) throw invalid(file, `${what}.name ${JSON.stringify(name)} is not a plain file name with a 16-hex-digit hash`);
  return { name, bytes: count(value.bytes, `${what}.bytes`, file) };
}

/** Check one bucket file against its table entry (an index of `shardCount` vector shards); returns its sections' info in order. */
export function parseBucket(name: string, json: unknown, ref: BucketRef, version = FORMAT_VERSION, shardCount = Number.MAX_SAFE_INTEGER): SectionInfo[] {
  if (!isRecord(json) || !Array.isArray(json.pages) || !Array.isArray(json.sections)) throw invalid(name, 'expected { "pages": [...], "sections": [...] }');
  const pages = new Map<number, { url: string; title: string }>();
  json.pages.forEach((p: unknown, i: number) => {
    if (!isRecord(p)) throw invalid(name, `pages[${i}] must be an object`);
    const url = text(p.url, `pages[${i}].url`, name);
    if (!PAGE_URL.test(url)) throw invalid(name, `pages[${i}].url ${JSON.stringify(url)} is not a percent-encoded path from the site root`);
    pages.set(count(p.index, `pages[${i}].index`, name), { url, title: text(p.title, `pages[${i}].title`, name) });
  });
  if (json.sections.length !== ref.count) throw invalid(name, `holds ${json.sections.length} sections, the section table says ${ref.count}`);
  const texts = bucketTexts(name, json, ref.count, version);
  const infos = json.sections.map((s: unknown, i: number): SectionInfo => {
    if (!isRecord(s)) throw invalid(name, `sections[${i}] must be an object`);
    const page = count(s.page, `sections[${i}].page`, name);
    const meta = pages.get(page);
    if (!meta) throw invalid(name, `sections[${i}].page ${page} is not among the bucket's pages`);
    const title = text(s.title, `sections[${i}].title`, name);
    const up = version >= 6 && s.path === undefined;
    const path = up ? s.up : s.path;
    if (!Array.isArray(path) || path.some((t) => typeof t !== 'string')) throw invalid(name, `sections[${i}].${up ? 'up' : 'path'} must be an array of strings`);
    return {
      page,
      url: meta.url,
      pageTitle: meta.title,
      anchor: text(s.anchor, `sections[${i}].anchor`, name),
      title,
      headingPath: up ? [...(path as string[]), title] : (path as string[]),
      excerpt: text(s.excerpt, `sections[${i}].excerpt`, name),
      text: texts?.[i] ?? null,
      shards: version >= 8 ? sectionShards(s.shards, shardCount, `sections[${i}].shards`, name) : null,
    };
  });
  // Version 6: one dictionary for the bucket's text files, made from the openings just read.
  const dictionary = version >= 6 && texts !== null ? textDictionary(infos.map((info) => info.excerpt)) : null;
  if (dictionary !== null) for (const info of infos) info.text!.dictionary = dictionary;
  return infos;
}

/** A section's shard list: distinct shard numbers below `shardCount`, ascending. */
function sectionShards(value: unknown, shardCount: number, what: string, file: string): number[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid(file, `${what} must be a non-empty array of shard numbers`);
  value.forEach((shard: unknown, i) => {
    if (!Number.isInteger(shard) || (shard as number) < 0 || (shard as number) >= shardCount) throw invalid(file, `${what}[${i}] is ${JSON.stringify(shard)}, not a shard number below ${shardCount}`);
    if (i > 0 && (shard as number) <= value[i - 1]) throw invalid(file, `${what} must be ascending without repeats`);
  });
  return value as number[];
}

/**
 * Per section of a bucket, its text file and place there: the `texts` list must cover the bucket's
 * sections exactly; version 6 files are TEXT_SUFFIX files, or none for sections whose rest is empty.
 */
function bucketTexts(name: string, json: Record<string, unknown>, sections: number, version: number): TextPlace[] | null {
  if (json.texts === undefined) return null;
  if (!Array.isArray(json.texts)) throw invalid(name, 'texts must be an array');
  const out: TextPlace[] = [];
  json.texts.forEach((t: unknown, i: number) => {
    if (!isRecord(t)) throw invalid(name, `texts[${i}] must be an object with name, bytes and count`);
    const sectionCount = count(t.count, `texts[${i}].count`, name);
    if (sectionCount === 0) throw invalid(name, `texts[${i}] holds no sections`);
    const file = version >= 6 && t.name === undefined ? null : { ...chunkRef(name, t, `texts[${i}]`), count: sectionCount };
    if (file !== null && (version >= 6) !== file.name.endsWith(TEXT_SUFFIX)) throw invalid(name, `texts[${i}].name ${file.name} is not a version ${version} text file`);
    for (let index = 0; index < sectionCount; index++) out.push({ file, index, dictionary: null });
  });
  if (out.length !== sections) throw invalid(name, `texts cover ${out.length} sections, the bucket holds ${sections}`);
  return out;
}

/** Check a text file against its listing: `count` strings. */
export function parseTextFile(name: string, json: unknown, count: number): string[] {
  if (!isRecord(json) || !Array.isArray(json.texts) || json.texts.some((t) => typeof t !== 'string')) throw invalid(name, 'expected { "texts": [strings] }');
  if (json.texts.length !== count) throw invalid(name, `holds ${json.texts.length} texts, its bucket lists ${count}`);
  return json.texts as string[];
}

/**
 * filters.json: per filter key its values, each with its section count, the shards holding its
 * vectors and its id-list file; and the key's lists files (every value's ids, for facet counts;
 * absent in indexes written before them).
 */
export interface FilterTable {
  keys: Array<{ key: string; values: FilterValueRef[]; lists?: KeyListRef[] }>;
}

/** A file of a key's value lists (src/index/filter-lists): the values [first, next file's first). */
export interface KeyListRef extends ChunkRef {
  first: number;
}

export interface FilterValueRef extends ChunkRef {
  value: string;
  /** Sections carrying the value. */
  count: number;
  /** Vector shards holding rows of those sections, ascending (a filtered query probes only these). */
  shards: number[];
}

/** Check filters.json against the manifest (shard numbers, counts no larger than the sections). */
export function parseFilterTable(name: string, json: unknown, manifest: Manifest): FilterTable {
  if (!isRecord(json) || !Array.isArray(json.keys)) throw invalid(name, 'expected {"keys": [...]}');
  const seen = new Set<string>();
  const keys = json.keys.map((entry: unknown, k: number) => {
    if (!isRecord(entry) || !Array.isArray(entry.values)) throw invalid(name, `keys[${k}] must be {"key", "values": [...]}`);
    const key = text(entry.key, `keys[${k}].key`, name);
    if (seen.has(key)) throw invalid(name, `filter key ${JSON.stringify(key)} is listed twice`);
    seen.add(key);
    const values = entry.values.map((v: unknown, i: number) => {
      const what = `keys[${k}].values[${i}]`;
      if (!isRecord(v) || !Array.isArray(v.shards)) throw invalid(name, `${what} must be {"value", "count", "shards", "name", "bytes"}`);
      const sectionCount = count(v.count, `${what}.count`, name);
      if (sectionCount > manifest.counts.sections) throw invalid(name, `${what}.count ${sectionCount} exceeds the index's ${manifest.counts.sections} sections`);
      const shards = v.shards.map((s: unknown, j: number) => count(s, `${what}.shards[${j}]`, name));
      if (shards.some((s, j) => s >= manifest.shards.length || (j > 0 && s <= shards[j - 1]!))) throw invalid(name, `${what}.shards must be ascending shard numbers below ${manifest.shards.length}`);
      return { ...chunkRef(name, v, what), value: text(v.value, `${what}.value`, name), count: sectionCount, shards };
    });
    if (entry.lists === undefined) return { key, values };
    if (!Array.isArray(entry.lists)) throw invalid(name, `keys[${k}].lists must be an array`);
    const lists = entry.lists.map((l: unknown, i: number) => {
      const what = `keys[${k}].lists[${i}]`;
      if (!isRecord(l)) throw invalid(name, `${what} must be {"first", "name", "bytes"}`);
      return { ...chunkRef(name, l, what), first: count(l.first, `${what}.first`, name) };
    });
    // The files cover the values in order: the first from value 0, each later one further on.
    if (lists.some((l, i) => (i === 0 ? l.first !== 0 : l.first <= lists[i - 1]!.first) || l.first >= values.length)) {
      throw invalid(name, `keys[${k}].lists must start at value 0 and at ascending values below ${values.length}`);
    }
    return { key, values, lists };
  });
  return { keys };
}

const FILTER_MAGIC = [0x53, 0x47, 0x46, 0x31]; // "SGF1"

/** A filter value's file: magic SGF1, format 1, the section count, then the ascending section ids delta-coded as varints. */
export function encodeSectionList(sections: readonly number[]): Uint8Array {
  const out = new ByteWriter();
  writeMagic(out, FILTER_MAGIC, 1);
  writeSectionIds(out, sections);
  return out.finish();
}

/** A section list's body: the count, then the ascending ids as varint gaps. */
export function writeSectionIds(out: ByteWriter, sections: readonly number[]): void {
  out.varint(sections.length);
  let last = -1;
  for (const s of sections) {
    out.varint(s - last - 1);
    last = s;
  }
}

/** Reads what encodeSectionList wrote, checked against the table's count and the index's sections. */
export function decodeSectionList(name: string, bytes: Uint8Array, expectCount: number, sectionCount: number): Uint32Array {
  const input = new ByteReader(bytes, name);
  readMagic(input, bytes, FILTER_MAGIC, 1, name, 'filter value list');
  return readSectionIds(input, name, expectCount, sectionCount);
}

/** Reads what writeSectionIds wrote, checked against the table's count and the index's sections. */
export function readSectionIds(input: ByteReader, name: string, expectCount: number, sectionCount: number): Uint32Array {
  const n = input.count();
  if (n !== expectCount) throw invalid(name, `lists ${n} sections, the filter table says ${expectCount}`);
  const out = new Uint32Array(n);
  let last = -1;
  for (let i = 0; i < n; i++) {
    last += input.varint() + 1;
    if (last >= sectionCount) throw invalid(name, `section ${last} is not in the index (${sectionCount} sections)`);
    out[i] = last;
  }
  return out;
}
