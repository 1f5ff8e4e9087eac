/**
 * The product's ranking, shared by the site search (src/index/site-search), the in-page search
 * (src/search/document-search) and eval's `default` row: keyword search as you type, then the
 * keyword and dense top FUSION_DEPTH fused as the fusion settings say.
 */
import type { Bm25Result, Bm25SearchOptions } from './bm25';
import { DEFAULT_LANGUAGE } from './languages';
import { FUSION_DEPTH, fuseHybrid, type FusedHit, type HybridFusionSettings, type ScoredItem } from './fusion';

/**
 * The instant keyword results: search as you type, the last word, while it is typed, matches as a
 * prefix; a word that matches nothing is corrected (typos).
 */
export const KEYWORD_SEARCH: Readonly<Bm25SearchOptions> = { prefix: true, typos: true };

/**
 * Whether any document holds the query's words: the instant keyword search (KEYWORD_SEARCH: a last
 * word typed in part matches as a prefix, a misspelled word its corrections) found some; `hits`
 * are its results, in the query's language and filters. When it found none, results ranked by
 * meaning are the closest in meaning alone, which the element (SearchStage keywordMatch) and the
 * CLI's `query` say above them.
 */
export function keywordMatched(hits: readonly unknown[]): boolean {
  return hits.length > 0;
}

/**
 * The keyword half of the fused ranking: a last word that is a word ("role", "arrays") counts as
 * that word, one that matches nothing whole ("generat") as a prefix. Expanding finished words
 * cost 2.6 % nDCG@10 on short docs queries (model/nano2/heldout_beir.py) and nothing on questions.
 */
export const FUSED_KEYWORD_SEARCH: Readonly<Bm25SearchOptions> = { prefix: 'unknown-only', typos: true };

/**
 * The languages (src/search/languages codes) the shipped models were trained on: English. A query
 * in another language ranks by keyword alone, so that a model that does not know the language
 * cannot pull its results down (fusing in its dense list would).
 */
const DENSE_LANGUAGES: ReadonlySet<string> = new Set([DEFAULT_LANGUAGE]);

/** Whether the dense half is fused in for a query read in language `code`. */
export function denseKnows(code: string): boolean {
  return DENSE_LANGUAGES.has(code);
}

/** Candidates each list contributes for `limit` results. */
export function fusionDepth(limit: number): number {
  return Math.max(FUSION_DEPTH, limit);
}

/** The keyword result (document positions) and the dense list (position, cosine) fused into the top `limit`. */
export function fuseRanking(query: string, keyword: Bm25Result, dense: readonly ScoredItem<number>[], fusion: HybridFusionSettings, limit: number): FusedHit<number>[] {
  const scored = keyword.hits.map((hit) => ({ id: hit.index, score: hit.score }));
  return fuseHybrid(scored, dense, fusion, { limit, query: { query, match: keyword.match } });
}

/**
 * The exact-title boost: a result whose title names the query word for word (case, accents aside
 * and punctuation ignored: "json.dumps" is "JSON dumps") moves to the front of the results, then
 * one whose title is a dotted name ending in the query ("dumps": "json.dumps", "Session.flush"),
 * the others keeping their order. A title "name — what it is" names its name (Sphinx's module
 * pages, "json — JSON encoder and decoder"; PostgreSQL's "CREATE TABLE — define a new table").
 * Among titles that name the query, a page's own (its top section) comes before a section's
 * deeper in a page: "json" is the json module's page before the "json" sections of every
 * "What's New". On the FAQ sets (questions) no query is any section's title, so it changes
 * nothing there; it serves the navigational query, a page's or an API's name typed whole,
 * qualified or not (Sphinx's own search ranks an object whose name ends in the query next after
 * one whose name is the query).
 */
export const EXACT_TITLE_BOOST = true;

const TITLE_WORDS = /[\p{L}\p{N}]+/gu;

/** The words of a title or query, for comparing them whole. */
function titleWords(text: string): string[] {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().match(TITLE_WORDS) ?? [];
}

/** A title that is a dotted name ("json.dumps", "Session.flush()"): its last part; else undefined. */
const DOTTED_NAME = /^(?:[\p{L}_][\p{L}\p{N}_]*\.)+([\p{L}_][\p{L}\p{N}_]*)(?:\(\))?$/u;

/** What a title "name — what it is" (an em or en dash between spaces) names; the title itself otherwise. */
function titleName(title: string): string {
  return title.split(/\s[—–]\s/u, 1)[0]!.trim();
}

/** How a hit is seen by the boost: its title, and whether it is its page's top section (a document given in the page is one). */
export interface TitledHit {
  title: string;
  pageTop: boolean;
}

/**
 * `ranked` with the results whose title names the query first (pages' top sections, then the
 * rest), then those whose dotted name ends in it (EXACT_TITLE_BOOST), each group in its order.
 * The query is read as the keyword search read it: a misspelled word (`corrected`, Bm25Result's)
 * stands for its first correction (the nearest, most common word: the one most likely meant; the
 * others are looser guesses), so "threding lock" puts "threading.Lock" first as "threading lock" does.
 */
export function promoteExactTitles<T>(ranked: readonly T[], query: string, seen: (hit: T) => TitledHit, corrected: ReadonlyMap<string, readonly string[]> = new Map()): T[] {
  const readAs = new Map([...corrected].flatMap(([word, fixes]) => titleWords(word).map((w) => [w, titleWords(fixes[0] ?? '')] as const)));
  const readings = titleWords(query).map((word) => new Set([word, ...(readAs.get(word) ?? [])]));
  if (!EXACT_TITLE_BOOST || readings.length === 0) return [...ranked];
  const isQuery = (text: string): boolean => {
    const words = titleWords(text);
    return words.length === readings.length && words.every((word, i) => readings[i]!.has(word));
  };
  // 0: a page named as the query, 1: a section so named, 2: a dotted name ending in it, 3: the rest.
  const tier = (hit: T): number => {
    const { title, pageTop } = seen(hit);
    const name = titleName(title);
    if (isQuery(title) || isQuery(name)) return pageTop ? 0 : 1;
    return isQuery(DOTTED_NAME.exec(name)?.[1] ?? '') ? 2 : 3;
  };
  const tiers = ranked.map(tier);
  return ranked.map((hit, i) => ({ hit, tier: tiers[i]!, i })).sort((a, b) => a.tier - b.tier || a.i - b.i).map(({ hit }) => hit);
}
