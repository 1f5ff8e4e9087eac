/**
 * The product's ranking, shared by the site search (src/index/site-search), the in-page search
 * (src/search/document-search) and eval's `default` row: keyword search as you type, then the
 * keyword and dense top FUSION_DEPTH fused as the fusion settings say.
 */
import type { Bm25Result, Bm25SearchOptions } from './bm25';
import type { Scored } from './topk';
import { DEFAULT_LANGUAGE } from './languages';
import { FUSION_DEPTH, fuseHybrid, type FusedHit, type HybridFusionSettings, type ScoredItem } from './fusion';
import { dottedLast, queryReadings, titleNames, titleWords } from './title-names';

/**
 * The instant keyword results: search as you type, the last word, while it is typed, matches as a
 * prefix; a word that matches nothing is corrected (typos).
 */
export const KEYWORD_SEARCH: Readonly<Bm25SearchOptions> = { prefix: true, typos: true, names: true, question: true };

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
export const FUSED_KEYWORD_SEARCH: Readonly<Bm25SearchOptions> = { prefix: 'unknown-only', typos: true, names: true };

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

/**
 * The fused ranking's top `limit`, and the fused score of every candidate (a document titled as the
 * query past the top `limit` keeps its own when it comes first: titledFirst; one that was no
 * candidate has none).
 */
export function fusedTop(query: string, keyword: Bm25Result, dense: readonly ScoredItem<number>[], fusion: HybridFusionSettings, limit: number): { top: FusedHit<number>[]; scoreOf: (id: number) => number } {
  const all = fuseRanking(query, keyword, dense, fusion, fusionDepth(limit));
  const scores = new Map(all.map((hit) => [hit.id, hit.score]));
  return { top: all.slice(0, limit), scoreOf: (id) => scores.get(id) ?? 0 };
}

/**
 * The keyword result (document positions) and the dense list (position, cosine) fused into the top
 * `limit`, the depth both were asked for (fusionDepth): a keyword result shorter than that holds
 * every match, so the rest score BM25's 0 (FusionOptions.keywordFloor), unless a word of the query
 * matched nothing and was read as its typo corrections: such hits are guesses at what was meant
 * ("wall clock" in the demo's corpus, where no section says "clock", found "lock" and "click"),
 * and their list keeps min-max, whose last hit weighs as a miss.
 */
export function fuseRanking(query: string, keyword: Bm25Result, dense: readonly ScoredItem<number>[], fusion: HybridFusionSettings, limit: number): FusedHit<number>[] {
  const scored = keyword.hits.map((hit) => ({ id: hit.index, score: hit.score }));
  const complete = scored.length < limit && keyword.corrections.length === 0;
  return fuseHybrid(scored, dense, fusion, { limit, query: { query, match: keyword.match }, ...(complete ? { keywordFloor: 0 } : {}) });
}

/**
 * The exact-title boost: a result whose title names the query word for word (case, accents aside
 * and punctuation ignored: "json.dumps" is "JSON dumps") moves to the front of the results, then
 * one whose title is a dotted name ending in the query ("dumps": "json.dumps", "Session.flush"),
 * the others keeping their order. A title "name — what it is" names its name (Sphinx's module
 * pages, "json — JSON encoder and decoder"; PostgreSQL's "CREATE TABLE — define a new table").
 * Among titles that name the query, a page's own (its top section, titled as the page) comes
 * before other sections: "json" is the json module's page before the "json" sections of every
 * "What's New", and a heading that many pages share above their own titles (SQLite's "SQLite C
 * Interface" on 255) is a section: the first few of them come first, not all. On the FAQ sets (questions) no query is any section's title, so it changes
 * nothing there; it serves the navigational query, a page's or an API's name typed whole,
 * qualified or not (Sphinx's own search ranks an object whose name ends in the query next after
 * one whose name is the query).
 */
export const EXACT_TITLE_BOOST = true;

/** Most sections titled as the query, other than pages' own (isPageHead), that move first (pages so titled and dotted names have no limit). */
export const TITLED_SECTIONS_FIRST = 3;

/** How a hit is seen by the boost: its title, and whether it stands for its page (src/search/texts' isPageHead; a document given in the page does). */
export interface TitledHit {
  title: string;
  pageHead: boolean;
}

/**
 * `ranked` with the results whose title names the query first (pages' top sections, then the
 * first TITLED_SECTIONS_FIRST others), then those whose dotted name ends in it (EXACT_TITLE_BOOST),
 * each group in its order.
 * The query is read as the keyword search read it (queryReadings: a misspelled word also as its
 * first correction), so "threding lock" puts "threading.Lock" first as "threading lock" does.
 * A question is read as what it asks about (Bm25Result.titled: "what is a generator?" names the
 * glossary's "generator"), and `question` keeps dotted names out: "how do I copy a file?" is not
 * a question about `distutils.file_util.copy_file`. A title that is the question as `asked`
 * (Bm25Result.asked: the Rust book's "What Is Ownership?") comes before those.
 */
export function promoteExactTitles<T>(ranked: readonly T[], query: string, seen: (hit: T) => TitledHit, corrected: ReadonlyMap<string, readonly string[]> = new Map(), question = false, asked = query): T[] {
  const readings = queryReadings(query, corrected);
  if (!EXACT_TITLE_BOOST || readings.length === 0) return [...ranked];
  const reads = (words: readonly Set<string>[]) => (text: string): boolean => {
    const own = titleWords(text);
    return own.length === words.length && own.every((word, i) => words[i]!.has(word));
  };
  const isQuery = reads(readings);
  const isAsked = question ? reads(queryReadings(asked, corrected)) : () => false;
  // 0: a page named as the question asked ("What Is Ownership?"), 1: a section so named, 2: a page
  // named as the query (a question: what it asks about), 3: a section so named, 4: a dotted name
  // ending in it, 5: the rest.
  const tier = (hit: T): number => {
    const { title, pageHead } = seen(hit);
    const names = titleNames(title);
    if (isAsked(title)) return pageHead ? 0 : 1;
    if (isQuery(title) || names.some(isQuery)) return pageHead ? 2 : 3;
    return !question && names.some((name) => isQuery(dottedLast(name))) ? 4 : 5;
  };
  let sections = 0;
  // Past the first few, a section titled as the query keeps its place: Python's "pathlib" is the
  // module's page, then the "pathlib" of three What's New pages, not of all nine.
  const tiers = ranked.map(tier).map((t) => ((t === 1 || t === 3) && ++sections > TITLED_SECTIONS_FIRST ? 5 : t));
  return ranked.map((hit, i) => ({ hit, tier: tiers[i]!, i })).sort((a, b) => a.tier - b.tier || a.i - b.i).map(({ hit }) => hit);
}

/** How titledFirst reads a ranking's entries. */
export interface TitledRanking<T> {
  /** The boost's view of an entry (promoteExactTitles). */
  seen: (hit: T) => TitledHit;
  /** An entry's document (a keyword hit's `index`). */
  idOf: (hit: T) => number;
  /** The entry of a document the keyword search found titled as the query (Bm25Result.named) that the ranking lacks. */
  extra: (hit: Scored) => T;
}

/**
 * The results shown: `ranked` with the documents titled as the query that it lacks (`keyword.named`:
 * however low BM25 ranked them, "pathlib" finds the pathlib module's page), those titled as the
 * query first (promoteExactTitles), the first `limit` kept.
 */
export function titledFirst<T>(ranked: readonly T[], keyword: Pick<Bm25Result, 'named' | 'corrected' | 'titled' | 'asked' | 'question'>, limit: number, how: TitledRanking<T>): T[] {
  return promoteExactTitles(withNamed(ranked, keyword.named, how.idOf, how.extra), keyword.titled, how.seen, keyword.corrected, keyword.question, keyword.asked).slice(0, limit);
}

/** `ranked` and after it the documents of `named` (Bm25Result.named) it lacks, as `extra` makes their entries. */
export function withNamed<T>(ranked: readonly T[], named: readonly Scored[], idOf: (hit: T) => number, extra: (hit: Scored) => T): T[] {
  const present = new Set(ranked.map(idOf));
  return [...ranked, ...named.filter((hit) => !present.has(hit.index)).map(extra)];
}
