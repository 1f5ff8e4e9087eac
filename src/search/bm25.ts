/**
 * A compact BM25 keyword index: built in Node (or the browser), shipped as a small head and
 * term-range chunks, searched in the browser while the model is still loading. A query fetches
 * the head once and then only the chunks that hold its terms.
 *
 * Scoring is Lucene's BM25 with exact document lengths:
 *   score(q, d) = Σ_{t ∈ q} idf(t) · tf·(k1 + 1) / (tf + k1·(1 − b + b·|d|/avgdl))
 *   idf(t)      = ln(1 + (N − df + 0.5) / (df + 0.5))
 * A term repeated in the query counts once per occurrence (Lucene's boolean query does the same).
 * The whole index in memory (Bm25Index) and its chunks (ChunkedBm25) share the scoring code, so
 * both give the same scores.
 *
 * Byte formats (version 2), all integers unsigned LEB128 varints, strings as UTF-8 length + bytes:
 *   head:  "BM2H", version, flags (bit 0: stemming; bit 1: languages follow), k1 and b as float64 LE,
 *          N, then N document lengths (in terms), stop-word count and each (English) stop word,
 *          [with bit 1: language count L, L language codes (src/search/languages), and when L > 1
 *          one byte per document, its language's position in that list],
 *          [with bit 2: count W of weighted documents, then W times the document's id as a delta
 *          from the previous one (the first from 0) and its weight as float64 LE],
 *          chunk count C, then per chunk its first term, its file (an opaque label) and its byte length.
 *   chunk: "BM2T", version, T, then T terms in sorted order, front-coded (bytes shared with the
 *          previous term, suffix length, suffix bytes), then the T document frequencies, then each
 *          term's doc ids as deltas (the first from 0), then every term frequency in the same order.
 * Chunk i holds the terms in [first_i, first_{i+1}).
 */
import { SgptError } from '../errors';
import { concatArrays } from '../embed/concat';
import { analyze, analyzePartial, analyzeWords, closeLastWord, termOf, ENGLISH_STOP_WORDS, type AnalyzerOptions, type PartialQuery } from './analyzer';
import { TopK, type Scored } from './topk';
import { DEFAULT_LANGUAGE, language, languageCode, loadLanguages } from './languages';
import { TypoTable, correctionsIn, typoGroups, type ChunkedTypos, type TypoGroup } from './typos';
import { isWeight, MAX_WEIGHT } from '../extract/weights';
import { QUESTION_WORDS, isQuestion } from './questions';
import { NAME_MARKS, isNameKey, queryNameKeys, queryReadings } from './title-names';
import { ByteReader, ByteWriter, readFrontCoded, readMagic, readString, writeFrontCoded, writeMagic, writeString } from './varint';

export interface Bm25Params {
  k1: number;
  b: number;
}

/** The settings the README's reference BM25 figures use. */
export const DEFAULT_BM25_PARAMS: Readonly<Bm25Params> = { k1: 0.9, b: 0.4 };

export interface Bm25BuildOptions extends Partial<Bm25Params> {
  /** Porter stemming (default true). */
  stem?: boolean;
  /** Default: Lucene's 33 English stop words (English documents only; other languages have their own). */
  stopWords?: ReadonlySet<string>;
  /**
   * Each document's language (src/search/languages: a code from languageCode, loaded with
   * loadLanguages), which decides its analysis; default: all English.
   */
  languages?: readonly string[];
  /**
   * Each document's weight, which multiplies its score (`data-sgpt-weight`, a record's `weight`):
   * finite and > 0; default all 1. An index with every weight 1 is written as one without weights.
   */
  weights?: readonly number[];
}

export interface Bm25SearchOptions {
  /**
   * Search-as-you-type: when the query does not end in a separator, its last word is matched as
   * a prefix ("gener" finds "generator"). 'unknown-only': only when, taken as a whole word, it
   * matches nothing ("role" is the word role, "generat" still finds "generator"): for a ranking
   * that should treat a finished query as finished. Default false.
   */
  prefix?: boolean | 'unknown-only';
  /** Only documents this accepts are returned (a filter); statistics stay those of the whole index. */
  filter?: (doc: number) => boolean;
  /** Most vocabulary terms one prefix expands to, the most frequent first (default 32). */
  maxExpansions?: number;
  /** Override k1 / b at query time (the index stores lengths, so both can change freely). */
  params?: Partial<Bm25Params>;
  /**
   * Correct a word that matches nothing (a partial last word: nothing by prefix either) to the
   * index's words within one or two edits (src/search/typos); they score together as one term.
   * Default false.
   */
  typos?: boolean;
  /**
   * The query's language (a `lang` value): the query is analysed as that language's documents
   * were, and only documents in it are returned. One the index does not hold, or none: every
   * document, the query read in the language most of them are in (queryLanguage).
   */
  language?: string;
  /**
   * Also return the documents whose title names the query (Bm25Result.named; src/search/title-names:
   * name keys indexed with Bm25Builder.add), however they rank by BM25. Default false.
   */
  names?: boolean;
  /**
   * A question (src/search/questions isQuestion) in English is read without the words that only
   * make it one ("how do I read a file" as "read file"), when any other word is left. Default false.
   */
  question?: boolean;
}

/** Most documents Bm25Result.named holds: a page of results. */
export const MAX_NAMED = 10;

const HEAD_MAGIC = [0x42, 0x4d, 0x32, 0x48]; // "BM2H"
const CHUNK_MAGIC = [0x42, 0x4d, 0x32, 0x54]; // "BM2T"
const VERSION = 2;
const DEFAULT_MAX_EXPANSIONS = 32;
/** A vocabulary term shorter than this is never taken as the stem of a partial word. */
const MIN_STEM_PREFIX = 3;
/** Sorts after every character a term can hold: `prefix + END` bounds the terms starting with prefix. */
const END = '\uffff';


function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkParams(params: Bm25Params): Bm25Params {
  const { k1, b } = params;
  if (!Number.isFinite(k1) || k1 < 0) throw new SgptError('INPUT_INVALID', `BM25 k1 must be a number ≥ 0, got ${k1}`);
  if (!Number.isFinite(b) || b < 0 || b > 1) throw new SgptError('INPUT_INVALID', `BM25 b must be between 0 and 1, got ${b}`);
  return { k1, b };
}

/** What scoring needs besides the postings: parameters, analysis and every document's length. */
export interface Bm25Stats {
  params: Bm25Params;
  stem: boolean;
  /** English stop words. */
  stopWords: readonly string[];
  docLengths: Uint32Array;
  /** The documents' languages (codes, DEFAULT_LANGUAGE for English), in order of first use; never empty. */
  languages: readonly string[];
  /** Per document, its language's position in `languages`; null when there is one language. */
  docLanguages: Uint8Array | null;
  /** Per document, the factor its score is multiplied by; null when every weight is 1. */
  docWeights: Float64Array | null;
}

/** The documents' weights as stats hold them (null: all 1). */
function documentWeights(count: number, weights: readonly number[] | undefined): Float64Array | null {
  if (weights === undefined) return null;
  if (weights.length !== count) throw new SgptError('INTERNAL', `${weights.length} document weights for ${count} documents`);
  const bad = weights.findIndex((w) => !isWeight(w));
  if (bad >= 0) throw new SgptError('INPUT_INVALID', `document ${bad} has weight ${weights[bad]}; a weight must be a number > 0 and ≤ ${MAX_WEIGHT}`);
  return weights.every((w) => w === 1) ? null : Float64Array.from(weights);
}

/** A sorted run of terms with their postings (the whole vocabulary, or one chunk of it). */
export class TermTable {
  private readonly ids: Map<string, number>;

  /** Postings of term t are [offsets[t], offsets[t + 1]) in docs / tfs, doc ids ascending. */
  constructor(
    readonly terms: readonly string[],
    readonly offsets: Uint32Array,
    readonly docs: Uint32Array,
    readonly tfs: Uint32Array,
  ) {
    this.ids = new Map(terms.map((term, id) => [term, id]));
  }

  postings(term: string): Postings | undefined {
    const id = this.ids.get(term);
    return id === undefined ? undefined : this.postingsOf(id);
  }

  /** Terms starting with `prefix`, in sorted order (name keys are not words: never one). */
  startingWith(prefix: string): Array<[string, Postings]> {
    const out: Array<[string, Postings]> = [];
    for (let id = lowerBound(this.terms, prefix); id < this.terms.length && this.terms[id]!.startsWith(prefix); id++) {
      if (!isNameKey(this.terms[id]!)) out.push([this.terms[id]!, this.postingsOf(id)]);
    }
    return out;
  }

  private postingsOf(id: number): Postings {
    const start = this.offsets[id]!;
    const end = this.offsets[id + 1]!;
    return { docs: this.docs.subarray(start, end), tfs: this.tfs.subarray(start, end) };
  }
}

export interface Postings {
  docs: Uint32Array;
  tfs: Uint32Array;
}

/** Where a query's terms are looked up: one table, or the loaded chunks of a split index. */
interface TermSource {
  postings(term: string): Postings | undefined;
  startingWith(prefix: string): Array<[string, Postings]>;
}

/**
 * The vocabulary terms a partial last word may match besides its completions: its own stem, and
 * the terms it starts with, longest first ("generat" → "gener", the stem of "generator").
 */
function prefixKeys(prefix: string, analyzer: AnalyzerOptions): { own: string; shorter: string[] } {
  const shorter: string[] = [];
  for (let length = prefix.length - 1; length >= MIN_STEM_PREFIX; length--) shorter.push(prefix.slice(0, length));
  return { own: termOf(prefix, analyzer), shorter };
}

/** Whether the last word may be partial (then its chunks and completions are read). */
function isPrefix(options: Bm25SearchOptions): boolean {
  return options.prefix === true || options.prefix === 'unknown-only';
}

/**
 * The query's finished terms and words and, with `prefix`, its partial last word; with
 * `options.question`, an English question without its question words (QUESTION_WORDS).
 */
function parseQuery(query: string, analyzer: AnalyzerOptions, options: Bm25SearchOptions, code: string): PartialQuery & { dropped?: true } {
  const partial = isPrefix(options) ? analyzePartial(query, analyzer) : { ...analyzeWords(query, analyzer), prefix: null };
  if (!options.question || code !== DEFAULT_LANGUAGE || !isQuestion(query)) return partial;
  const asked = (word: string) => !QUESTION_WORDS.has(word.toLowerCase());
  const keep = partial.words.map(asked);
  const prefix = partial.prefix !== null && asked(partial.prefix) ? partial.prefix : null;
  if (!keep.includes(true) && prefix === null) return partial;
  return { terms: partial.terms.filter((_, i) => keep[i]), words: partial.words.filter((_, i) => keep[i]), prefix, dropped: true };
}

/** Bm25Result.read: the query, its last word closed unless read as a prefix; a question without its question words as its words read. */
function readAs(query: string, partial: PartialQuery & { dropped?: true }): string {
  if (partial.dropped) return partial.prefix === null ? `${partial.words.join(' ')} ` : [...partial.words, partial.prefix].join(' ');
  return partial.prefix === null ? closeLastWord(query) : query;
}

/**
 * What a question asks about, as the exact-title boost and the name keys read it (Bm25Result.titled):
 * the question without its question words whether or not the scoring drops them (the fused
 * ranking's keyword half keeps them), so "what is a generator?" names the glossary's "generator"
 * in the keyword results and the fused ones alike; null for a query that is no question.
 */
function questionSubject(query: string, parsed: PartialQuery & { dropped?: true }, analyzer: AnalyzerOptions, options: Bm25SearchOptions, code: string): string | null {
  // `parsed` is the search's own reading of the query: a question's already, when the scoring drops its question words.
  const asked = options.question ? parsed : parseQuery(query, analyzer, { ...options, question: true }, code);
  return asked.dropped ? readAs(query, asked) : null;
}

/** The corrections of a word (src/search/typos), as words of the index. */
type Corrector = (word: string) => readonly string[];

/**
 * How well a query matched the index, for fusion to judge how far to trust the keyword ranking:
 * `terms` counts the query's terms (a partial last word is one), `matched` those found as typed
 * (a misspelled word's corrections do not count: a question in words the docs do not use should
 * still lean on meaning, and a correction of such a word is a guess) in any
 * document, and `ceiling` is the score a document would get with every term at saturation,
 * Σ idf(t)·(k1 + 1) (an unmatched term at df = 0), so `top score / ceiling` is in [0, 1).
 */
export interface QueryMatch {
  terms: number;
  matched: number;
  ceiling: number;
}

export interface Bm25Result {
  hits: Scored[];
  match: QueryMatch;
  /** The index's words that misspelled query words were corrected to (for highlighting); usually none. */
  corrections: string[];
  /** Each misspelled query word (as tokenised) with the words it was read as (the exact-title boost reads the query so). */
  corrected: Map<string, string[]>;
  /**
   * The query as this search read it, for highlighting to read it the same way (src/search/excerpt;
   * a result link carries it to src/highlight): as given when its last word was matched as a
   * prefix, else with that word closed (closeLastWord), so that it marks the word, not every word
   * it begins ("re.sub" in the fused ranking marks "sub", not "substring").
   */
  read: string;
  /** The query as the exact-title boost reads it: `read`, but a question always without its question words (questionSubject). */
  titled: string;
  /** A question as asked, question words and all (a heading "What Is Ownership?" names it whole); else `titled`. */
  asked: string;
  /** Whether the query is a question (English) that `titled` reads without its question words: the boost then moves only titles that name it whole. */
  question: boolean;
  /**
   * With `names`: the documents whose title names the query (as typed, or with its corrections),
   * those passing the language and filter, at most MAX_NAMED: a page's own title first, then a
   * section's, then a dotted name's last part, each by score; [] without.
   */
  named: Scored[];
}

/** How a query is read: its language's analysis, and which documents it may return (null: all). */
export interface QueryLanguage {
  code: string;
  analyzer: AnalyzerOptions;
  allowed: ((doc: number) => boolean) | null;
}

/** The scoring shared by the in-memory and the chunked index. */
class Scorer {
  readonly params: Bm25Params;
  private readonly avgLength: number;
  /** The largest document weight: a query's ceiling (QueryMatch) allows for it, so strength stays below 1. */
  private readonly maxWeight: number;
  /** The language most documents are in (its position in stats.languages; ties: the first used). */
  private readonly mainLanguage: number;

  constructor(readonly stats: Bm25Stats) {
    this.maxWeight = stats.docWeights ? stats.docWeights.reduce((max, w) => Math.max(max, w), 1) : 1;
    const counts = new Array<number>(stats.languages.length).fill(0);
    for (const at of stats.docLanguages ?? []) counts[at]!++;
    this.mainLanguage = counts.indexOf(Math.max(...counts));
    this.params = checkParams(stats.params);
    let total = 0;
    for (const length of stats.docLengths) total += length;
    this.avgLength = stats.docLengths.length > 0 ? total / stats.docLengths.length : 0;
  }

  /**
   * The language a query is read in: options.language when the index holds it; else the one most of
   * its documents are in (not the first page's: a site whose paths put `de/` before `en/` would
   * read an English query as German, and keep the model out of it).
   */
  queryLanguage(options: Bm25SearchOptions): QueryLanguage {
    const { languages, docLanguages } = this.stats;
    const asked = options.language === undefined ? -1 : languages.indexOf(languageCode(options.language));
    const code = languages[asked >= 0 ? asked : this.mainLanguage]!;
    const analyzer = code === DEFAULT_LANGUAGE ? { stem: this.stats.stem, stopWords: new Set(this.stats.stopWords) } : { stem: this.stats.stem, language: language(code) };
    return { code, analyzer, allowed: asked >= 0 && docLanguages ? (doc) => docLanguages[doc] === asked : null };
  }

  /** `correct` (with `options.typos`) is asked for the corrections of each word that matches nothing. */
  search(query: string, k: number, options: Bm25SearchOptions, source: TermSource, correct?: Corrector): Bm25Result {
    const params = checkParams({ ...this.params, ...options.params });
    const scores = new Accumulator(this.stats.docLengths.length, params, this.stats.docLengths, this.avgLength, this.stats.docWeights, this.maxWeight);
    const { analyzer, allowed, code } = this.queryLanguage(options);
    const partial = parseQuery(query, analyzer, options, code);
    const corrections: string[] = [];
    const corrected = new Map<string, string[]>();
    const fix: Corrector | undefined =
      options.typos && correct
        ? (word) => {
            const found = correct(word);
            corrections.push(...found.filter((w) => !corrections.includes(w)));
            if (found.length > 0) corrected.set(word, [...found]);
            return found;
          }
        : undefined;
    if (partial.prefix !== null && options.prefix === 'unknown-only') {
      const whole = analyzeWords(partial.prefix, analyzer); // none for a stop word
      if (whole.terms.every((term) => source.postings(term) !== undefined)) {
        partial.terms.push(...whole.terms);
        partial.words.push(...whole.words);
        partial.prefix = null;
      }
    }
    partial.terms.forEach((term, i) => {
      const postings = source.postings(term);
      if (postings) scores.addTerm(postings.docs.length, postings.docs, postings.tfs);
      else this.addUnion(fix ? this.correctedPostings(partial.words[i]!, fix, source, analyzer) : [], scores, false);
    });
    if (partial.prefix !== null) {
      const matched = this.prefixPostings(partial.prefix, options.maxExpansions ?? DEFAULT_MAX_EXPANSIONS, source, analyzer);
      // Only a shorter term ("gen" for "genrator"): the word is more likely misspelled than partial.
      const corrected = matched.direct ? [] : fix ? this.correctedPostings(partial.prefix, fix, source, analyzer) : [];
      this.addUnion(corrected.length > 0 ? corrected : matched.lists, scores, corrected.length === 0);
    }
    const { filter } = options;
    const accept = filter && allowed ? (doc: number) => allowed(doc) && filter(doc) : (filter ?? allowed);
    const read = readAs(query, partial);
    const subject = questionSubject(query, partial, analyzer, options, code);
    const asked = subject === null ? read : closeLastWord(query);
    const keys = subject === null ? nameKeysOf(read, corrected) : [...nameKeysOf(asked, corrected), ...nameKeysOf(subject, corrected)];
    const named = options.names ? namedDocs(keys, source, scores, accept) : [];
    return { hits: scores.top(k, accept), match: scores.match, corrections, corrected, read, titled: subject ?? read, asked, question: subject !== null, named };
  }

  /** The postings of a word's corrections (their terms, each once). */
  private correctedPostings(word: string, correct: Corrector, source: TermSource, analyzer: AnalyzerOptions): Postings[] {
    const terms = new Set(correct(word).flatMap((w) => analyze(w, analyzer)));
    return [...terms].flatMap((term) => source.postings(term) ?? []);
  }

  /**
   * Several terms scored as one (df = documents holding any of them, tf = their summed
   * frequencies): a partial word's matches, a misspelled word's corrections. So a rare one does
   * not outrank the common word the user most likely means. None: a term that matched nothing.
   */
  private addUnion(lists: readonly Postings[], scores: Accumulator, found = true): void {
    if (lists.length === 1) {
      scores.addTerm(lists[0]!.docs.length, lists[0]!.docs, lists[0]!.tfs, found);
      return;
    }
    const tfs = new Map<number, number>();
    for (const { docs, tfs: counts } of lists) {
      for (let i = 0; i < docs.length; i++) tfs.set(docs[i]!, (tfs.get(docs[i]!) ?? 0) + counts[i]!);
    }
    scores.addTerm(tfs.size, [...tfs.keys()], [...tfs.values()], found);
  }

  /**
   * A partial word matches its own stem and the terms it starts (the most frequent `max` of them);
   * they score together (addUnion). Only when it matches none of those, the longest term it starts
   * with: a word whose stem is shorter than what is typed ("generat" → "gener"). A word that is a
   * term, or begins one, never takes a shorter term too: "ValueError" joined with "value" (in
   * thousands of sections) put ValueError's own section 12th. `direct`: whether any but the shorter term matched.
   */
  private prefixPostings(prefix: string, max: number, source: TermSource, analyzer: AnalyzerOptions): { lists: Postings[]; direct: boolean } {
    const matched = new Map<string, Postings>();
    const { own, shorter } = prefixKeys(prefix, analyzer);
    const ownPostings = source.postings(own);
    if (ownPostings) matched.set(own, ownPostings);
    const completions = source.startingWith(prefix);
    completions.sort(([ta, a], [tb, b]) => b.docs.length - a.docs.length || compareStrings(ta, tb));
    for (const [term, postings] of completions) {
      if (matched.size >= max) break;
      if (!matched.has(term)) matched.set(term, postings);
    }
    if (matched.size > 0) return { lists: [...matched.values()], direct: true };
    const stem = shorter.map((term) => source.postings(term)).find((postings) => postings !== undefined);
    return { lists: stem ? [stem] : [], direct: false };
  }
}

/** The name keys a query looks up (src/search/title-names), its misspelled words also read as `corrected`. */
function nameKeysOf(query: string, corrected: ReadonlyMap<string, readonly string[]> = new Map()): string[] {
  return queryNameKeys(queryReadings(query, corrected));
}

/** Bm25Result.named: the documents under `keys` (in the keys' order of marks, each by score), those `accept`ed, at most MAX_NAMED. */
function namedDocs(keys: readonly string[], source: TermSource, scores: Accumulator, accept: ((doc: number) => boolean) | null): Scored[] {
  const out: Scored[] = [];
  const seen = new Set<number>();
  for (const mark of NAME_MARKS) {
    const docs = new Set(keys.filter((key) => key.endsWith(mark)).flatMap((key) => [...(source.postings(key)?.docs ?? [])]));
    const found = [...docs].filter((doc) => !seen.has(doc) && (accept === null || accept(doc))).map((index) => ({ index, score: scores.scoreOf(index) }));
    for (const hit of found.sort((a, b) => b.score - a.score || a.index - b.index)) {
      if (out.length === MAX_NAMED) return out;
      seen.add(hit.index);
      out.push(hit);
    }
  }
  return out;
}

/** The index split for shipping: a head (statistics and chunk list) and term-range chunks. */
export interface Bm25Split {
  stats: Bm25Stats;
  /** Chunk bytes, in term order, each with its first term. */
  chunks: Array<{ first: string; bytes: Uint8Array }>;
}

/** Most languages one index holds (a document's language is one byte). */
const MAX_LANGUAGES = 255;

/** The distinct languages of the documents, each document's position among them, and each language's analysis. */
function documentLanguages(codes: readonly string[] | undefined, english: AnalyzerOptions) {
  const languages: string[] = [];
  const docLanguages = new Uint8Array(codes?.length ?? 0);
  (codes ?? []).forEach((code, doc) => {
    let at = languages.indexOf(code);
    if (at < 0) at = languages.push(code) - 1;
    if (at >= MAX_LANGUAGES) throw new SgptError('INPUT_INVALID', `the documents are in more than ${MAX_LANGUAGES} languages`);
    docLanguages[doc] = at;
  });
  if (languages.length === 0) languages.push(DEFAULT_LANGUAGE);
  const analyzers = languages.map((code) => (code === DEFAULT_LANGUAGE ? english : { stem: english.stem, language: language(code) }));
  return { languages, docLanguages: languages.length > 1 ? docLanguages : null, analyzers };
}

/**
 * Each document's (term id, tf) pairs, documents in order, appended in blocks of typed arrays: no
 * copying as they grow, and 8 bytes a posting (the doc id is implied by the order).
 */
class PostingLog {
  private static readonly BLOCK = 1 << 16;
  private readonly blocks: Uint32Array[] = [];
  private used = PostingLog.BLOCK;
  /** Per document, its pairs. */
  private readonly perDoc: number[] = [];

  /** The next document's pairs. */
  add(pairs: Iterable<[number, number]>): void {
    let count = 0;
    for (const [term, tf] of pairs) {
      if (this.used === PostingLog.BLOCK) {
        this.blocks.push(new Uint32Array(2 * PostingLog.BLOCK));
        this.used = 0;
      }
      const block = this.blocks[this.blocks.length - 1]!;
      block[2 * this.used] = term;
      block[2 * this.used++ + 1] = tf;
      count++;
    }
    this.perDoc.push(count);
  }

  /** Visits every posting in document order; `release`: frees each block once visited (the last pass). */
  each(visit: (term: number, doc: number, tf: number) => void, release = false): void {
    let doc = 0;
    let left = this.perDoc[0] ?? 0;
    const last = this.blocks.length - 1;
    for (let b = 0; b <= last; b++) {
      const block = this.blocks[b]!;
      const count = b === last ? this.used : PostingLog.BLOCK;
      for (let i = 0; i < count; i++) {
        while (left === 0) left = this.perDoc[++doc]!;
        visit(block[2 * i]!, doc, block[2 * i + 1]!);
        left--;
      }
      if (release) this.blocks[b] = new Uint32Array(0);
    }
  }
}

/**
 * Builds a Bm25Index a document at a time (a site build streams its sections' texts; it keeps no
 * array of them). The postings gather in flat typed arrays (PostingLog), then a counting sort by
 * term: a few bytes a posting, where a list per term cost tens.
 */
export class Bm25Builder {
  private readonly params: Bm25Params;
  private readonly analyzer: AnalyzerOptions;
  private readonly languages: ReturnType<typeof documentLanguages>;
  private readonly termIds = new Map<string, number>();
  private readonly postings = new PostingLog();
  private readonly wordDocs = new Map<string, number>();
  private readonly docLengths: number[] = [];

  constructor(private readonly options: Bm25BuildOptions = {}) {
    this.params = checkParams({ k1: options.k1 ?? DEFAULT_BM25_PARAMS.k1, b: options.b ?? DEFAULT_BM25_PARAMS.b });
    this.analyzer = { stem: options.stem ?? true, stopWords: options.stopWords ?? ENGLISH_STOP_WORDS };
    this.languages = documentLanguages(options.languages, this.analyzer);
  }

  /**
   * The next document (its id is its position); `names`: its title's name keys
   * (src/search/title-names nameKeys), indexed as terms that no query term can be and that do not
   * count in its length.
   */
  add(text: string, names: readonly string[] = []): void {
    const doc = this.docLengths.length;
    if (typeof text !== 'string') {
      throw new SgptError('DOCUMENTS_INVALID', `document ${doc} is ${text === null ? 'null' : typeof text}, expected a string`);
    }
    const { analyzers, docLanguages } = this.languages;
    const counts = new Map<string, number>();
    const { terms, words } = analyzeWords(text, analyzers[docLanguages?.[doc] ?? 0]);
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    for (const name of names) counts.set(name, 1);
    for (const word of new Set(words)) this.wordDocs.set(word, (this.wordDocs.get(word) ?? 0) + 1);
    this.docLengths.push(terms.length);
    const ids = this.termIds;
    this.postings.add(Array.from(counts, ([term, tf]): [number, number] => {
      let id = ids.get(term);
      if (id === undefined) ids.set(term, (id = ids.size));
      return [id, tf];
    }));
  }

  /** The index of the documents added (the builder is spent). */
  finish(): Bm25Index {
    const { params, analyzer, termIds, postings, wordDocs, docLengths } = this;
    const count = docLengths.length;
    const codes = this.options.languages;
    if (codes !== undefined && codes.length !== count) throw new SgptError('INTERNAL', `${codes.length} document languages for ${count} documents`);
    const { languages, docLanguages } = this.languages;
    const terms = [...termIds.keys()].sort(compareStrings);
    const rank = new Uint32Array(terms.length); // first-seen id -> sorted position
    terms.forEach((term, position) => (rank[termIds.get(term)!] = position));
    termIds.clear();
    const offsets = new Uint32Array(terms.length + 1);
    postings.each((id) => offsets[rank[id]! + 1]!++);
    for (let t = 0; t < terms.length; t++) offsets[t + 1]! += offsets[t]!;
    const postDocs = new Uint32Array(offsets[terms.length]!);
    const postTfs = new Uint32Array(postDocs.length);
    const fill = offsets.slice(0, terms.length);
    // Postings come in document order, so each term's doc ids land ascending.
    postings.each((id, doc, tf) => {
      const at = fill[rank[id]!]!++;
      postDocs[at] = doc;
      postTfs[at] = tf;
    }, true);
    const docWeights = documentWeights(count, this.options.weights);
    const stats = { params, stem: analyzer.stem!, stopWords: [...analyzer.stopWords!].sort(compareStrings), docLengths: Uint32Array.from(docLengths), languages, docLanguages, docWeights };
    return Bm25Index.assemble(stats, new TermTable(terms, offsets, postDocs, postTfs), wordDocs);
  }
}

export class Bm25Index {
  private readonly scorer: Scorer;
  private typoTable: TypoTable | null = null;

  private constructor(
    stats: Bm25Stats,
    private readonly table: TermTable,
    /** The index's words (before stemming) and the documents holding each: typo correction's vocabulary. */
    private readonly wordDocs: ReadonlyMap<string, number>,
  ) {
    this.scorer = new Scorer(stats);
  }

  /** The index a Bm25Builder made. */
  static assemble(stats: Bm25Stats, table: TermTable, wordDocs: ReadonlyMap<string, number>): Bm25Index {
    return new Bm25Index(stats, table, wordDocs);
  }

  /** Index `docs` (one string per document; callers join title and text), with their name keys (Bm25Builder.add). Document ids are positions. */
  static build(docs: readonly string[], options: Bm25BuildOptions = {}, names: ReadonlyArray<readonly string[]> = []): Bm25Index {
    const builder = new Bm25Builder(options);
    docs.forEach((doc, i) => builder.add(doc, names[i]));
    return builder.finish();
  }

  /** The typo table's groups (src/search/typos), for shipping. */
  typoGroups(): TypoGroup[] {
    return typoGroups(this.wordDocs);
  }

  get params(): Bm25Params {
    return this.scorer.params;
  }

  get docCount(): number {
    return this.scorer.stats.docLengths.length;
  }

  get termCount(): number {
    return this.table.terms.length;
  }

  /**
   * Top `k` documents for `query`, best first (ties: lower position); `index` is the document's
   * position in the list the index was built from. Documents sharing no term are not returned.
   */
  search(query: string, k: number, options: Bm25SearchOptions = {}): Scored[] {
    return this.searchWithMatch(query, k, options).hits;
  }

  /** The language a query in `lang` is read in and the documents it may return, as ChunkedBm25.language (languages loaded). */
  language(lang: string | undefined): QueryLanguage {
    return this.scorer.queryLanguage({ language: lang });
  }

  /** `search`, with how well the query matched (for fusion). */
  searchWithMatch(query: string, k: number, options: Bm25SearchOptions = {}): Bm25Result {
    return this.scorer.search(query, k, options, this.table, (word) => {
      // Built on the first query that needs it: most searches never do.
      this.typoTable ??= new TypoTable(this.typoGroups());
      return this.typoTable.corrections(word);
    });
  }

  /** Split into term-range chunks of about `chunkBytes` each (a term's postings are never split). */
  split(chunkBytes: number): Bm25Split {
    const { terms, offsets, docs, tfs } = this.table;
    const chunks: Bm25Split['chunks'] = [];
    let start = 0;
    let size = 0;
    const flush = (end: number) => {
      if (end > start) chunks.push({ first: terms[start]!, bytes: encodeChunk(this.table, start, end) });
      start = end;
      size = 0;
    };
    for (let id = 0; id < terms.length; id++) {
      // Estimated encoded size: the term, its df, and ~1 byte per doc delta and tf (2 for big deltas).
      size += terms[id]!.length + 2;
      let last = 0;
      for (let i = offsets[id]!; i < offsets[id + 1]!; i++) {
        size += (docs[i]! - last < 128 ? 1 : 2) + (tfs[i]! < 128 ? 1 : 2);
        last = docs[i]!;
      }
      if (size >= chunkBytes) flush(id + 1);
    }
    flush(terms.length);
    return { stats: this.scorer.stats, chunks };
  }
}

/** Terms [start, end) of a table with their postings. */
function encodeChunk(table: TermTable, start: number, end: number): Uint8Array {
  const { terms, offsets, docs, tfs } = table;
  const out = new ByteWriter();
  writeMagic(out, CHUNK_MAGIC, VERSION);
  out.varint(end - start);
  writeFrontCoded(out, terms.slice(start, end));
  // Three streams (all dfs, all doc id deltas, all tfs) compress better than interleaved pairs.
  for (let id = start; id < end; id++) out.varint(offsets[id + 1]! - offsets[id]!);
  for (let id = start; id < end; id++) {
    let last = 0;
    for (let i = offsets[id]!; i < offsets[id + 1]!; i++) {
      out.varint(docs[i]! - last);
      last = docs[i]!;
    }
  }
  for (let i = offsets[start]!; i < offsets[end]!; i++) out.varint(tfs[i]!);
  return out.finish();
}

/**
 * Read one chunk; `what` names it in errors (INDEX_INVALID / INDEX_VERSION). `docCount` bounds
 * the doc ids, `first` and `next` the terms (the head's first term of this chunk and of the next).
 */
export function decodeChunk(data: Uint8Array, what: string, docCount: number, first: string, next: string | null): TermTable {
  const input = new ByteReader(data, what);
  const invalid = (message: string) => new SgptError('INDEX_INVALID', `${what}: ${message}`);
  readMagic(input, data, CHUNK_MAGIC, VERSION, what, 'keyword chunk');
  const termCount = input.count();
  const terms = readFrontCoded(input, termCount, what);
  if (terms[0] !== first) throw invalid(`starts at term ${JSON.stringify(terms[0])}, the keyword head says ${JSON.stringify(first)}`);
  for (let term = 1; term < termCount; term++) if (compareStrings(terms[term - 1]!, terms[term]!) >= 0) throw invalid('terms are not sorted');
  if (next !== null && compareStrings(terms[termCount - 1]!, next) >= 0) throw invalid(`holds term ${JSON.stringify(terms[termCount - 1])}, which belongs to the next chunk`);
  const offsets = new Uint32Array(termCount + 1);
  for (let term = 0; term < termCount; term++) {
    const df = input.varint();
    if (df < 1 || df > docCount) throw invalid(`term "${terms[term]}" has document frequency ${df} of ${docCount} documents`);
    offsets[term + 1] = offsets[term]! + df;
    // Each posting takes at least two bytes (doc id delta and frequency).
    if (offsets[term + 1]! * 2 > input.left) throw new SgptError('INDEX_INVALID', `${what} is truncated or corrupt (${offsets[term + 1]} postings in ${input.left} bytes)`);
  }
  const docs = new Uint32Array(offsets[termCount]!);
  for (let term = 0; term < termCount; term++) {
    const start = offsets[term]!;
    let doc = 0;
    for (let i = start; i < offsets[term + 1]!; i++) {
      const delta = input.varint();
      doc += delta;
      if ((delta === 0 && i > start) || doc >= docCount) throw invalid(`posting list of "${terms[term]}" is out of order or out of range`);
      docs[i] = doc;
    }
  }
  const tfs = new Uint32Array(docs.length);
  for (let i = 0; i < tfs.length; i++) {
    tfs[i] = input.varint();
    if (tfs[i] === 0) throw invalid('a term frequency is 0');
  }
  if (!input.done) throw invalid('trailing bytes after the postings');
  return new TermTable(terms, offsets, docs, tfs);
}

/** A chunk as the head lists it: its first term, the file that holds it and that file's byte length. */
export interface ChunkEntry {
  first: string;
  file: string;
  bytes: number;
}

export interface Bm25Head {
  stats: Bm25Stats;
  chunks: ChunkEntry[];
}

export function encodeHead(head: Bm25Head): Uint8Array {
  const { stats, chunks } = head;
  const out = new ByteWriter();
  writeMagic(out, HEAD_MAGIC, VERSION);
  const languages = stats.languages.length > 1 || stats.languages[0] !== DEFAULT_LANGUAGE;
  out.varint((stats.stem ? 1 : 0) | (languages ? 2 : 0) | (stats.docWeights ? 4 : 0));
  out.float64(stats.params.k1);
  out.float64(stats.params.b);
  out.varint(stats.docLengths.length);
  for (const length of stats.docLengths) out.varint(length);
  out.varint(stats.stopWords.length);
  for (const word of stats.stopWords) writeString(out, word);
  if (languages) {
    out.varint(stats.languages.length);
    for (const code of stats.languages) writeString(out, code);
    if (stats.docLanguages) out.bytes(stats.docLanguages);
  }
  if (stats.docWeights) {
    const weighted = [...stats.docWeights.keys()].filter((doc) => stats.docWeights![doc] !== 1);
    out.varint(weighted.length);
    let last = 0;
    for (const doc of weighted) {
      out.varint(doc - last);
      out.float64(stats.docWeights[doc]!);
      last = doc;
    }
  }
  out.varint(chunks.length);
  for (const chunk of chunks) {
    writeString(out, chunk.first);
    writeString(out, chunk.file);
    out.varint(chunk.bytes);
  }
  return out.finish();
}

/** Read a head; `what` names it in errors (INDEX_INVALID / INDEX_VERSION). */
export function decodeHead(data: Uint8Array, what: string): Bm25Head {
  const input = new ByteReader(data, what);
  const invalid = (message: string) => new SgptError('INDEX_INVALID', `${what}: ${message}`);
  readMagic(input, data, HEAD_MAGIC, VERSION, what, 'keyword head');
  const flags = input.varint();
  const params = { k1: input.float64(), b: input.float64() };
  const n = input.count();
  const docLengths = new Uint32Array(n);
  for (let doc = 0; doc < n; doc++) docLengths[doc] = input.varint();
  const stopWords: string[] = [];
  for (let count = input.count(); count > 0; count--) stopWords.push(readString(input, what));
  const languages: string[] = [];
  let docLanguages: Uint8Array | null = null;
  if (flags & 2) {
    for (let count = input.count(); count > 0; count--) {
      const code = readString(input, what);
      if (languageCode(code) !== code || languages.includes(code)) throw invalid(`language ${JSON.stringify(code)} is not one this reader analyses, or is listed twice`);
      languages.push(code);
    }
    if (languages.length === 0 || languages.length > MAX_LANGUAGES) throw invalid(`lists ${languages.length} languages`);
    if (languages.length > 1) {
      docLanguages = input.bytes(n).slice();
      if (docLanguages.some((at) => at >= languages.length)) throw invalid('a document\'s language is out of range');
    }
  } else languages.push(DEFAULT_LANGUAGE);
  let docWeights: Float64Array | null = null;
  if (flags & 4) {
    docWeights = new Float64Array(n).fill(1);
    let doc = 0;
    for (let count = input.count(), first = true; count > 0; count--, first = false) {
      const delta = input.varint();
      doc += delta;
      if ((delta === 0 && !first) || doc >= n) throw invalid('a weighted document is out of order or out of range');
      const weight = input.float64();
      if (!isWeight(weight)) throw invalid(`document ${doc} has weight ${weight}`);
      docWeights[doc] = weight;
    }
  }
  const chunks: ChunkEntry[] = [];
  for (let count = input.count(); count > 0; count--) chunks.push({ first: readString(input, what), file: readString(input, what), bytes: input.varint() });
  if (!input.done) throw invalid('trailing bytes after the chunk list');
  for (let i = 1; i < chunks.length; i++) if (compareStrings(chunks[i - 1]!.first, chunks[i]!.first) >= 0) throw invalid('chunks are not in term order');
  try {
    checkParams(params);
  } catch (error) {
    throw invalid((error as Error).message);
  }
  return { stats: { params, stem: (flags & 1) === 1, stopWords, docLengths, languages, docLanguages, docWeights }, chunks };
}

/**
 * A split index: the head in memory, chunks fetched (through `load`) when a query needs them.
 * Scores are those of the whole index.
 */
export class ChunkedBm25 {
  private readonly scorer: Scorer;
  private languagesLoaded: Promise<void> | undefined;
  private readonly firsts: string[];

  /** `load(i)` returns chunk i decoded (the caller verifies and caches it); `typos`: the index's typo table, if it has one. */
  constructor(
    readonly head: Bm25Head,
    private readonly load: (chunk: number) => Promise<TermTable>,
    private readonly typos: ChunkedTypos | null = null,
  ) {
    this.scorer = new Scorer(head.stats);
    this.firsts = head.chunks.map((c) => c.first);
  }

  get docCount(): number {
    return this.head.stats.docLengths.length;
  }

  async search(query: string, k: number, options: Bm25SearchOptions = {}): Promise<Scored[]> {
    return (await this.searchWithMatch(query, k, options)).hits;
  }

  /**
   * The language a query in `lang` is read in (the one most documents are in when it holds none in `lang`)
   * and the documents it may return (null: all), as `search` with `language: lang` uses them.
   */
  async language(lang: string | undefined): Promise<QueryLanguage> {
    // The index's languages' stemmers and stop words, fetched once (English needs none).
    this.languagesLoaded ??= loadLanguages(this.head.stats.languages);
    await this.languagesLoaded;
    return this.scorer.queryLanguage({ language: lang });
  }

  /** `search`, with how well the query matched (for fusion). */
  async searchWithMatch(query: string, k: number, options: Bm25SearchOptions = {}): Promise<Bm25Result> {
    await this.language(options.language);
    const tables = new Map<number, TermTable>();
    const source = await this.source(this.chunksFor(query, options), tables);
    // Scoring asks for the corrections of the words that match nothing; with none, that is the result.
    const unknown: string[] = [];
    const result = this.scorer.search(query, k, options, source, (word) => (unknown.push(word), []));
    if (unknown.length === 0 || this.typos === null) return result;
    const fixes = new Map(await Promise.all(unknown.map(async (word) => [word, await this.typos!.corrections(word)] as const)));
    const { analyzer } = this.scorer.queryLanguage(options);
    const terms = [...fixes.values()].flat().flatMap((word) => analyze(word, analyzer));
    if (options.names) terms.push(...nameKeysOf(query, fixes));
    const more = new Set(terms.map((term) => this.chunkOf(term)).filter((i) => i >= 0));
    return this.scorer.search(query, k, options, await this.source(more, tables), (word) => fixes.get(word) ?? []);
  }

  /**
   * The chunks `query` reads and those of the `more` terms (corrections), loaded, as a term
   * source (MergedBm25 searches several indexes as one).
   */
  async termSource(query: string, options: Bm25SearchOptions = {}, more: readonly string[] = []): Promise<TermSource> {
    await this.language(options.language);
    const needed = this.chunksFor(query, options);
    for (const term of more) if (this.chunkOf(term) >= 0) needed.add(this.chunkOf(term));
    return this.source(needed, new Map());
  }

  /** The typo table's groups that may hold `word`'s corrections (none without a table). */
  typoGroups(word: string): Promise<TypoGroup[]> {
    return this.typos?.groups(word) ?? Promise.resolve([]);
  }

  /** Loads chunks `needed` into `tables` (which may hold others already) and looks terms up in all of them. */
  private async source(needed: Set<number>, tables: Map<number, TermTable>): Promise<TermSource> {
    await Promise.all([...needed].filter((i) => !tables.has(i)).map(async (i) => tables.set(i, await this.load(i))));
    const ordered = [...tables].sort(([a], [b]) => a - b).map(([, t]) => t);
    return {
      postings: (term) => {
        const i = this.chunkOf(term);
        return i < 0 ? undefined : tables.get(i)?.postings(term);
      },
      startingWith: (prefix) => ordered.flatMap((t) => t.startingWith(prefix)),
    };
  }

  /** The chunks a query reads: those of its terms, and for a partial last word the range of its completions. */
  chunksFor(query: string, options: Bm25SearchOptions = {}): Set<number> {
    const { analyzer, code } = this.scorer.queryLanguage(options);
    const partial = parseQuery(query, analyzer, options, code);
    const terms = [...partial.terms];
    const needed = new Set<number>();
    if (partial.prefix !== null) {
      const { own, shorter } = prefixKeys(partial.prefix, analyzer);
      terms.push(own, ...shorter);
      const from = Math.max(0, this.chunkOf(partial.prefix));
      for (let i = from; i < this.firsts.length && this.firsts[i]! < partial.prefix + END; i++) needed.add(i);
    }
    if (options.names) terms.push(...nameKeysOf(questionSubject(query, partial, analyzer, options, code) ?? query));
    for (const term of terms) {
      const i = this.chunkOf(term);
      if (i >= 0) needed.add(i);
    }
    return needed;
  }

  /** The chunk whose range holds `term` (-1: before the first term). */
  private chunkOf(term: string): number {
    let lo = 0;
    let hi = this.firsts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.firsts[mid]! <= term) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}

/**
 * The statistics of several indexes as those of one over all their documents, in order (several
 * sites on one scale): N, every document's length (so the average length) and weight, languages
 * merged; document frequencies add up when postings are joined. Indexes analysed differently
 * (k1, b, stemming, stop words) cannot share a scale: INDEX_MODEL_MISMATCH.
 */
export function mergeStats(parts: readonly Bm25Stats[], names: readonly string[]): Bm25Stats {
  const first = parts[0];
  if (!first) throw new SgptError('INPUT_INVALID', 'merging keyword indexes needs at least one');
  parts.forEach((stats, i) => {
    const same = stats.params.k1 === first.params.k1 && stats.params.b === first.params.b && stats.stem === first.stem && stats.stopWords.join(' ') === first.stopWords.join(' ');
    if (!same) throw new SgptError('INDEX_MODEL_MISMATCH', `${names[i]} was built with other keyword settings (k1, b, stemming or stop words) than ${names[0]}: rebuild both with one version of sgpt-search`);
  });
  const languages: string[] = [];
  for (const stats of parts) for (const code of stats.languages) if (!languages.includes(code)) languages.push(code);
  if (languages.length > MAX_LANGUAGES) throw new SgptError('INPUT_INVALID', `the indexes hold more than ${MAX_LANGUAGES} languages`);
  const count = parts.reduce((n, stats) => n + stats.docLengths.length, 0);
  const docLengths = new Uint32Array(count);
  const docLanguages = new Uint8Array(count);
  const weighted = parts.some((stats) => stats.docWeights);
  const docWeights = weighted ? new Float64Array(count).fill(1) : null;
  let at = 0;
  for (const stats of parts) {
    docLengths.set(stats.docLengths, at);
    const codes = stats.languages.map((code) => languages.indexOf(code));
    for (let doc = 0; doc < stats.docLengths.length; doc++) docLanguages[at + doc] = codes[stats.docLanguages?.[doc] ?? 0]!;
    if (docWeights && stats.docWeights) docWeights.set(stats.docWeights, at);
    at += stats.docLengths.length;
  }
  return { ...first, docLengths, languages, docLanguages: languages.length > 1 ? docLanguages : null, docWeights };
}

/**
 * Several split indexes searched as one: document ids run through the indexes in order (the
 * second's first document follows the first's last), and scores are those of one index built over
 * all their documents (mergeStats; a term's postings are joined across indexes, so its document
 * frequency is their sum); a misspelled word is corrected as that index's typo table would.
 */
export class MergedBm25 {
  private readonly scorer: Scorer;
  /** Each index's first document id in the merged numbering. */
  private readonly starts: number[];
  private languagesLoaded: Promise<void> | undefined;

  /** `names` name the indexes in errors. */
  constructor(private readonly parts: readonly ChunkedBm25[], names: readonly string[]) {
    this.scorer = new Scorer(mergeStats(parts.map((part) => part.head.stats), names));
    let next = 0;
    this.starts = parts.map((part) => ((next += part.docCount), next - part.docCount));
  }

  get docCount(): number {
    return this.scorer.stats.docLengths.length;
  }

  async search(query: string, k: number, options: Bm25SearchOptions = {}): Promise<Scored[]> {
    return (await this.searchWithMatch(query, k, options)).hits;
  }

  /** `search`, with how well the query matched (for fusion). */
  async searchWithMatch(query: string, k: number, options: Bm25SearchOptions = {}): Promise<Bm25Result> {
    await this.language(options.language);
    // Scoring asks for the corrections of the words that match nothing; with none, that is the result.
    const unknown: string[] = [];
    const result = this.scorer.search(query, k, options, await this.source(query, options), (word) => (unknown.push(word), []));
    if (unknown.length === 0 || !options.typos) return result;
    // Each word's corrections from the tables of all the indexes, their counts added up (correctionsIn).
    const fixes = new Map(await Promise.all(unknown.map(async (word) => [word, correctionsIn(word, await Promise.all(this.parts.map((part) => part.typoGroups(word))))] as const)));
    const { analyzer } = this.scorer.queryLanguage(options);
    const terms = [...fixes.values()].flat().flatMap((word) => analyze(word, analyzer));
    if (options.names) terms.push(...nameKeysOf(query, fixes));
    return this.scorer.search(query, k, options, await this.source(query, options, terms), (word) => fixes.get(word) ?? []);
  }

  /** As ChunkedBm25.language, over the languages of all the indexes. */
  async language(lang: string | undefined): Promise<QueryLanguage> {
    this.languagesLoaded ??= loadLanguages(this.scorer.stats.languages);
    await this.languagesLoaded;
    return this.scorer.queryLanguage({ language: lang });
  }

  /** The indexes' term sources for a query (and the `more` terms) as one: postings shifted to merged ids and joined. */
  private async source(query: string, options: Bm25SearchOptions, more: readonly string[] = []): Promise<TermSource> {
    const sources = await Promise.all(this.parts.map((part) => part.termSource(query, options, more)));
    const shift = (postings: Postings, i: number): Postings => ({ docs: postings.docs.map((doc) => doc + this.starts[i]!), tfs: postings.tfs });
    const join = (lists: Postings[]): Postings => ({ docs: concatArrays(lists.map((l) => l.docs), Uint32Array), tfs: concatArrays(lists.map((l) => l.tfs), Uint32Array) });
    return {
      postings: (term) => {
        const lists = sources.flatMap((source, i) => {
          const postings = source.postings(term);
          return postings ? [shift(postings, i)] : [];
        });
        return lists.length === 0 ? undefined : join(lists);
      },
      startingWith: (prefix) => {
        const byTerm = new Map<string, Postings[]>();
        sources.forEach((source, i) => {
          for (const [term, postings] of source.startingWith(prefix)) byTerm.set(term, [...(byTerm.get(term) ?? []), shift(postings, i)]);
        });
        return [...byTerm].sort(([a], [b]) => compareStrings(a, b)).map(([term, lists]) => [term, join(lists)]);
      },
    };
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
  readonly match: QueryMatch = { terms: 0, matched: 0, ceiling: 0 };

  constructor(
    private readonly n: number,
    private readonly params: Bm25Params,
    private readonly lengths: Uint32Array,
    private readonly avgLength: number,
    private readonly weights: Float64Array | null,
    private readonly maxWeight: number,
  ) {
    this.scores = new Float64Array(n);
  }

  /** One query term with document frequency `df`; `docs` and `tfs` are its postings, in step; `found`: as typed (not a correction). */
  addTerm(df: number, docs: ArrayLike<number>, tfs: ArrayLike<number>, found = true): void {
    const { k1, b } = this.params;
    const weight = Math.log(1 + (this.n - df + 0.5) / (df + 0.5)) * (k1 + 1);
    this.match.terms++;
    if (df > 0 && found) this.match.matched++;
    this.match.ceiling += weight * this.maxWeight;
    for (let i = 0; i < docs.length; i++) {
      const doc = docs[i] as number;
      const tf = tfs[i] as number;
      const norm = k1 * (1 - b + (b * (this.lengths[doc] as number)) / this.avgLength);
      if (this.scores[doc] === 0) this.touched.push(doc);
      this.scores[doc]! += (weight * tf) / (tf + norm);
    }
  }

  /** A document's score (weighted; 0 when it holds no query term). */
  scoreOf(doc: number): number {
    return (this.scores[doc] as number) * (this.weights?.[doc] ?? 1);
  }

  /** The best `k` of the documents `allowed` (null: all). */
  top(k: number, allowed: ((doc: number) => boolean) | null = null): Scored[] {
    const docs = allowed ? this.touched.filter(allowed) : this.touched;
    const top = new TopK(Math.min(k, docs.length));
    for (const doc of docs) top.push(doc, this.scoreOf(doc));
    return top.result();
  }
}
