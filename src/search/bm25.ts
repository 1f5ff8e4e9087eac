/**
 * A compact BM25 keyword index: built in Node (or the browser), shipped as bytes, searched in the
 * browser while the model is still loading.
 *
 * Scoring is Lucene's BM25 with exact document lengths:
 *   score(q, d) = Σ_{t ∈ q} idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|d|/avgdl))
 *   idf(t)      = ln(1 + (N − df + 0.5) / (df + 0.5))
 * A term repeated in the query counts once per occurrence (Lucene's boolean query does the same).
 *
 * Byte format (version 1), all integers unsigned LEB128 varints:
 *   "BM25" magic, version, flags (bit 0: Porter stemming), k1 and b as float64 LE,
 *   N, then N document lengths (in terms),
 *   stop-word count and each stop word (UTF-8 length + bytes),
 *   T, then T terms in sorted order, front-coded (bytes shared with the previous term, suffix
 *   length, suffix bytes), then the T document frequencies, then each term's doc ids as deltas
 *   (the first from 0), then every term frequency in the same order.
 */
import { SgptError } from '../errors';
import { analyze, analyzePartial, stem, ENGLISH_STOP_WORDS, type AnalyzerOptions } from './analyzer';
import { TopK, type Scored } from './topk';
import { ByteReader, ByteWriter } from './varint';

export interface Bm25Params {
  k1: number;
  b: number;
}

/** The settings the README's reference BM25 figures use. */
export const DEFAULT_BM25_PARAMS: Readonly<Bm25Params> = { k1: 0.9, b: 0.4 };

export interface Bm25BuildOptions extends Partial<Bm25Params> {
  /** Porter stemming (default true). */
  stem?: boolean;
  /** Default: Lucene's 33 English stop words. */
  stopWords?: ReadonlySet<string>;
}

export interface Bm25SearchOptions {
  /**
   * Search-as-you-type: when the query does not end in a separator, its last word is matched as
   * a prefix ("gener" finds "generator"). Default false.
   */
  prefix?: boolean;
  /** Most vocabulary terms one prefix expands to, the most frequent first (default 32). */
  maxExpansions?: number;
  /** Override k1 / b at query time (the index stores lengths, so both can change freely). */
  params?: Partial<Bm25Params>;
}

const MAGIC = [0x42, 0x4d, 0x32, 0x35]; // "BM25"
const VERSION = 1;
const DEFAULT_MAX_EXPANSIONS = 32;
/** A vocabulary term shorter than this is never taken as the stem of a partial word. */
const MIN_STEM_PREFIX = 3;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkParams(params: Bm25Params): Bm25Params {
  const { k1, b } = params;
  if (!Number.isFinite(k1) || k1 < 0) throw new SgptError('INPUT_INVALID', `BM25 k1 must be a number ≥ 0, got ${k1}`);
  if (!Number.isFinite(b) || b < 0 || b > 1) throw new SgptError('INPUT_INVALID', `BM25 b must be between 0 and 1, got ${b}`);
  return { k1, b };
}

interface Bm25Parts {
  params: Bm25Params;
  stem: boolean;
  stopWords: readonly string[];
  docLengths: Uint32Array;
  terms: string[];
  /** Postings of term t are [offsets[t], offsets[t + 1]) in postDocs / postTfs, doc ids ascending. */
  offsets: Uint32Array;
  postDocs: Uint32Array;
  postTfs: Uint32Array;
}

export class Bm25Index {
  readonly params: Bm25Params;
  readonly stem: boolean;
  readonly stopWords: ReadonlySet<string>;
  private readonly docLengths: Uint32Array;
  private readonly terms: string[];
  private readonly termIds: Map<string, number>;
  private readonly offsets: Uint32Array;
  private readonly postDocs: Uint32Array;
  private readonly postTfs: Uint32Array;
  private readonly avgLength: number;

  private constructor(parts: Bm25Parts) {
    this.params = checkParams(parts.params);
    this.stem = parts.stem;
    this.stopWords = new Set(parts.stopWords);
    this.docLengths = parts.docLengths;
    this.terms = parts.terms;
    this.termIds = new Map(parts.terms.map((term, id) => [term, id]));
    this.offsets = parts.offsets;
    this.postDocs = parts.postDocs;
    this.postTfs = parts.postTfs;
    let total = 0;
    for (const length of this.docLengths) total += length;
    this.avgLength = this.docLengths.length > 0 ? total / this.docLengths.length : 0;
  }

  /** Index `docs` (one string per document; callers join title and text). Document ids are positions. */
  static build(docs: readonly string[], options: Bm25BuildOptions = {}): Bm25Index {
    const params = checkParams({ k1: options.k1 ?? DEFAULT_BM25_PARAMS.k1, b: options.b ?? DEFAULT_BM25_PARAMS.b });
    const analyzer: AnalyzerOptions = { stem: options.stem ?? true, stopWords: options.stopWords ?? ENGLISH_STOP_WORDS };
    const postings = new Map<string, { docs: number[]; tfs: number[] }>();
    const docLengths = new Uint32Array(docs.length);
    docs.forEach((text, doc) => {
      if (typeof text !== 'string') {
        throw new SgptError('DOCUMENTS_INVALID', `document ${doc} is ${text === null ? 'null' : typeof text}, expected a string`);
      }
      const counts = new Map<string, number>();
      const terms = analyze(text, analyzer);
      for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
      docLengths[doc] = terms.length;
      for (const [term, tf] of counts) {
        let list = postings.get(term);
        if (list === undefined) postings.set(term, (list = { docs: [], tfs: [] }));
        list.docs.push(doc);
        list.tfs.push(tf);
      }
    });
    const terms = [...postings.keys()].sort(compareStrings);
    const offsets = new Uint32Array(terms.length + 1);
    terms.forEach((term, id) => (offsets[id + 1] = (offsets[id] as number) + postings.get(term)!.docs.length));
    const total = offsets[terms.length] as number;
    const postDocs = new Uint32Array(total);
    const postTfs = new Uint32Array(total);
    terms.forEach((term, id) => {
      const list = postings.get(term)!;
      postDocs.set(list.docs, offsets[id]);
      postTfs.set(list.tfs, offsets[id]);
    });
    return new Bm25Index({
      params,
      stem: analyzer.stem!,
      stopWords: [...analyzer.stopWords!].sort(compareStrings),
      docLengths,
      terms,
      offsets,
      postDocs,
      postTfs,
    });
  }

  get docCount(): number {
    return this.docLengths.length;
  }

  get termCount(): number {
    return this.terms.length;
  }

  private analyzer(): AnalyzerOptions {
    return { stem: this.stem, stopWords: this.stopWords };
  }

  /**
   * Top `k` documents for `query`, best first (ties: lower position); `index` is the document's
   * position in the list the index was built from. Documents sharing no term are not returned.
   */
  search(query: string, k: number, options: Bm25SearchOptions = {}): Scored[] {
    const params = checkParams({ ...this.params, ...options.params });
    const scorer = new Accumulator(this.docCount, params, this.docLengths, this.avgLength);
    const partial = options.prefix ? analyzePartial(query, this.analyzer()) : { terms: analyze(query, this.analyzer()), prefix: null };
    for (const term of partial.terms) {
      const id = this.termIds.get(term);
      if (id === undefined) continue;
      const start = this.offsets[id] as number;
      const end = this.offsets[id + 1] as number;
      scorer.addTerm(end - start, this.postDocs.subarray(start, end), this.postTfs.subarray(start, end));
    }
    if (partial.prefix !== null) this.addPrefix(partial.prefix, options.maxExpansions ?? DEFAULT_MAX_EXPANSIONS, scorer);
    return scorer.top(k);
  }

  /**
   * A partial word matches the terms it starts (the most frequent `max` of them), its own stem, and
   * the longest term it starts with ("generat" → "gener", the stem of "generator"). Together they
   * score as one term (df = documents holding any of them, tf = their summed frequencies), so a
   * rare completion does not outrank the common word the user is most likely typing.
   */
  private addPrefix(prefix: string, max: number, scorer: Accumulator): void {
    const tfs = new Map<number, number>();
    for (const id of this.expand(prefix, max)) {
      for (let i = this.offsets[id] as number; i < (this.offsets[id + 1] as number); i++) {
        const doc = this.postDocs[i] as number;
        tfs.set(doc, (tfs.get(doc) ?? 0) + (this.postTfs[i] as number));
      }
    }
    scorer.addTerm(tfs.size, [...tfs.keys()], [...tfs.values()]);
  }

  private expand(prefix: string, max: number): number[] {
    const ids = new Set<number>();
    const own = this.termIds.get(this.stem ? stem(prefix) : prefix);
    if (own !== undefined) ids.add(own);
    for (let length = prefix.length - 1; length >= MIN_STEM_PREFIX; length--) {
      const id = this.termIds.get(prefix.slice(0, length));
      if (id !== undefined) {
        ids.add(id);
        break;
      }
    }
    const start = lowerBound(this.terms, prefix);
    const completions: number[] = [];
    for (let id = start; id < this.terms.length && this.terms[id]!.startsWith(prefix); id++) completions.push(id);
    const df = (id: number) => (this.offsets[id + 1] as number) - (this.offsets[id] as number);
    completions.sort((a, b) => df(b) - df(a) || a - b);
    for (const id of completions) {
      if (ids.size >= max) break;
      ids.add(id);
    }
    return [...ids];
  }

  /** The compact byte form (see the header comment). */
  encode(): Uint8Array {
    const out = new ByteWriter();
    out.bytes(Uint8Array.from(MAGIC));
    out.varint(VERSION);
    out.varint(this.stem ? 1 : 0);
    out.float64(this.params.k1);
    out.float64(this.params.b);
    out.varint(this.docCount);
    for (const length of this.docLengths) out.varint(length);
    const stops = [...this.stopWords].sort(compareStrings);
    out.varint(stops.length);
    for (const word of stops) {
      const bytes = utf8.encode(word);
      out.varint(bytes.length);
      out.bytes(bytes);
    }
    out.varint(this.terms.length);
    let previous = new Uint8Array(0);
    for (const term of this.terms) {
      const bytes = utf8.encode(term);
      let shared = 0;
      while (shared < bytes.length && shared < previous.length && bytes[shared] === previous[shared]) shared++;
      out.varint(shared);
      out.varint(bytes.length - shared);
      out.bytes(bytes.subarray(shared));
      previous = bytes;
    }
    // Three streams (all dfs, all doc id deltas, all tfs) compress better than interleaved pairs.
    for (let term = 0; term < this.terms.length; term++) out.varint((this.offsets[term + 1] as number) - (this.offsets[term] as number));
    for (let term = 0; term < this.terms.length; term++) {
      let last = 0;
      for (let i = this.offsets[term] as number; i < (this.offsets[term + 1] as number); i++) {
        out.varint((this.postDocs[i] as number) - last);
        last = this.postDocs[i] as number;
      }
    }
    for (const tf of this.postTfs) out.varint(tf);
    return out.finish();
  }

  /** Read the byte form; INDEX_INVALID / INDEX_VERSION when it is not one. */
  static decode(data: Uint8Array): Bm25Index {
    const what = 'BM25 index';
    const input = new ByteReader(data, what);
    const invalid = (message: string) => new SgptError('INDEX_INVALID', `${what}: ${message}`);
    if (data.length < 4 || MAGIC.some((byte, i) => data[i] !== byte)) throw invalid('not a BM25 index (bad magic bytes)');
    input.bytes(4);
    const version = input.varint();
    if (version !== VERSION) throw new SgptError('INDEX_VERSION', `${what}: format version ${version} is not supported (expected ${VERSION}); rebuild the index`);
    const flags = input.varint();
    const params = { k1: input.float64(), b: input.float64() };
    const n = input.varint();
    const docLengths = new Uint32Array(n);
    for (let doc = 0; doc < n; doc++) docLengths[doc] = input.varint();
    const stopWords: string[] = [];
    for (let count = input.varint(); count > 0; count--) stopWords.push(fromUtf8.decode(input.bytes(input.varint())));
    const termCount = input.varint();
    const terms: string[] = [];
    let previous = new Uint8Array(0);
    for (let term = 0; term < termCount; term++) {
      const shared = input.varint();
      if (shared > previous.length) throw invalid(`term ${term} shares ${shared} bytes with a ${previous.length}-byte term`);
      const suffix = input.bytes(input.varint());
      const bytes = new Uint8Array(shared + suffix.length);
      bytes.set(previous.subarray(0, shared));
      bytes.set(suffix, shared);
      terms.push(fromUtf8.decode(bytes));
      previous = bytes;
    }
    const offsets = new Uint32Array(termCount + 1);
    for (let term = 0; term < termCount; term++) {
      const df = input.varint();
      if (df < 1 || df > n) throw invalid(`term "${terms[term]}" has document frequency ${df} of ${n} documents`);
      offsets[term + 1] = (offsets[term] as number) + df;
    }
    const postDocs = new Uint32Array(offsets[termCount] as number);
    for (let term = 0; term < termCount; term++) {
      const start = offsets[term] as number;
      let doc = 0;
      for (let i = start; i < (offsets[term + 1] as number); i++) {
        const delta = input.varint();
        doc += delta;
        if ((delta === 0 && i > start) || doc >= n) throw invalid(`posting list of "${terms[term]}" is out of order or out of range`);
        postDocs[i] = doc;
      }
    }
    const postTfs = new Uint32Array(postDocs.length);
    for (let i = 0; i < postTfs.length; i++) postTfs[i] = input.varint();
    if (!input.done) throw invalid('trailing bytes after the postings');
    for (let term = 1; term < termCount; term++) {
      if (compareStrings(terms[term - 1]!, terms[term]!) >= 0) throw invalid('terms are not sorted');
    }
    try {
      return new Bm25Index({ params, stem: (flags & 1) === 1, stopWords, docLengths, terms, offsets, postDocs, postTfs });
    } catch (error) {
      throw invalid(error instanceof Error ? error.message : String(error));
    }
  }
}

/** First index in sorted `list` whose entry is ≥ `key`. */
function lowerBound(list: readonly string[], key: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Sums BM25 contributions per document for one query, then keeps the best k. */
class Accumulator {
  private readonly scores: Float64Array;
  private readonly touched: number[] = [];

  constructor(
    private readonly n: number,
    private readonly params: Bm25Params,
    private readonly lengths: Uint32Array,
    private readonly avgLength: number,
  ) {
    this.scores = new Float64Array(n);
  }

  /** One query term with document frequency `df`; `docs` and `tfs` are its postings, in step. */
  addTerm(df: number, docs: ArrayLike<number>, tfs: ArrayLike<number>): void {
    const { k1, b } = this.params;
    const weight = Math.log(1 + (this.n - df + 0.5) / (df + 0.5)) * (k1 + 1);
    for (let i = 0; i < docs.length; i++) {
      const doc = docs[i] as number;
      const tf = tfs[i] as number;
      const norm = k1 * (1 - b + (b * (this.lengths[doc] as number)) / this.avgLength);
      if (this.scores[doc] === 0) this.touched.push(doc);
      this.scores[doc]! += (weight * tf) / (tf + norm);
    }
  }

  top(k: number): Scored[] {
    const top = new TopK(Math.min(k, this.touched.length));
    for (const doc of this.touched) top.push(doc, this.scores[doc] as number);
    return top.result();
  }
}
