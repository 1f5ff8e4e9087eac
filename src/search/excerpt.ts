/**
 * Plain-text excerpts for result lists (a window of the text around its best-matching passage)
 * and the offsets of the words to mark in them: what the site search and the in-page search
 * both show. Never markup: the element renders text and marks ranges.
 */
import { analyze, analyzePartial, termOf, type AnalyzerOptions } from './analyzer';
import { wordSegments } from './languages';
import { truncateUnits } from './truncate';

const MATCHABLE = /[\p{L}\p{N}\p{M}]+/gu;
/** A one-letter prefix would light up half the excerpt. */
const MIN_PREFIX = 2;

/**
 * Excerpts look for their passage in a text's first this many characters: a document of megabytes
 * given in the page would otherwise be analysed whole at every keystroke, on the main thread.
 */
export const EXCERPT_SCAN = 100_000;

/** The part of `text` that excerpts read (never half of a surrogate pair). */
export function scannedText(text: string): string {
  return truncateUnits(text, EXCERPT_SCAN);
}

/**
 * Where the best-matching passage of `text` starts: of the windows of `span` characters that begin
 * at a matched word, the one holding the most distinct query terms, then the most matches, then
 * the earliest. -1 when no word matches.
 */
export function bestPassage(text: string, query: string, span: number, analyzer: AnalyzerOptions = {}): number {
  const ranges = highlightRanges(text, query, [], analyzer);
  const terms = ranges.map(([start, end]) => {
    const word = text.slice(start, end).toLowerCase();
    return analyze(word, analyzer)[0] ?? word;
  });
  let best = -1;
  let bestDistinct = 0;
  let bestCount = 0;
  // A sliding window over the matches [i, j): linear in their number.
  const inside = new Map<string, number>();
  let j = 0;
  for (let i = 0; i < ranges.length; i++) {
    if (j < i) j = i;
    const limit = ranges[i]![0] + span;
    for (; j < ranges.length && (j === i || ranges[j]![1] <= limit); j++) inside.set(terms[j]!, (inside.get(terms[j]!) ?? 0) + 1);
    if (inside.size > bestDistinct || (inside.size === bestDistinct && j - i > bestCount)) {
      best = ranges[i]![0];
      bestDistinct = inside.size;
      bestCount = j - i;
    }
    const left = (inside.get(terms[i]!) ?? 1) - 1;
    if (left === 0) inside.delete(terms[i]!);
    else inside.set(terms[i]!, left);
  }
  return best;
}

/** A character range [start, end) of a text: the window of it whose embedding ranked the text. */
export type TextWindow = readonly [number, number];

export interface ExcerptOptions {
  /** Characters shown (default 160). */
  max?: number;
  /** The window of the text whose embedding won (offsets in the text), for a hit the model ranked. */
  window?: TextWindow | null;
  /** The query's language's analysis (default English), as the keyword index read it. */
  analyzer?: AnalyzerOptions;
}

/**
 * Up to `max` characters of `text` around its best-matching passage (./bestPassage: the query's
 * words as the keyword index matches them); when no word matches and the model ranked the text by
 * one of its windows (`window`), around that window's centre of weight; else from the start. Cut
 * at word boundaries, with '…' where cut. Only the first EXCERPT_SCAN characters are read.
 */
export function makeExcerpt(whole: string, query: string, { max = 160, window = null, analyzer = {} }: ExcerptOptions = {}): string {
  const text = scannedText(whole);
  const cut = text.length < whole.length;
  if (window !== null && window[0] >= text.length) window = null; // a window past what is read
  const flat = flatten(text);
  if (flat.length <= max) return flat;
  const context = Math.floor(max / 4);
  // A quarter of the window before the passage for context, the rest for the passage.
  let hit = bestPassage(flat, query, Math.floor((max * 3) / 4), analyzer);
  if (hit === -1 && window !== null) {
    // SGPT weights the i-th token of a window by i, so its embedding leans to the window's end:
    // the weights' centre lies two thirds in.
    const centre = flatten(text.slice(0, Math.round(window[0] + ((window[1] - window[0]) * 2) / 3)), false).length;
    // Never so near the end that fewer than `max` characters follow (a window past a cut text's end).
    hit = Math.max(0, Math.min(centre - Math.floor(max / 2), flat.length - max) + context);
  }
  let start = hit <= context ? 0 : hit - context;
  if (start > 0) {
    const space = flat.indexOf(' ', start);
    start = space === -1 || space >= hit ? start : space + 1;
  }
  let end = Math.min(flat.length, start + max);
  if (end < flat.length) {
    const space = flat.lastIndexOf(' ', end);
    if (space > start) end = space;
  }
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length || cut ? '…' : ''}`;
}

/** Runs of whitespace as one space, trimmed (the end kept when `whole` is false: a prefix's length in the flat text). */
function flatten(text: string, whole = true): string {
  const flat = text.replace(/\s+/g, ' ').trimStart();
  return whole ? flat.trimEnd() : flat;
}

/**
 * Offsets of the words in `text` that match the query as the keyword index does (same analyzer:
 * stemmed, stop words dropped; `analyzer`: the query language's), of words starting with a partly
 * typed last word, and of words matching `corrections` (the index's words the keyword search
 * corrected misspelled ones to). A last word with no space after it is a partly typed one: give
 * the query as the search that ranked the text read it (Bm25Result's `read`: the fused ranking
 * closes a last word that is a word), so the marks are the words it matched.
 */
export function highlightRanges(text: string, query: string, corrections: readonly string[] = [], analyzer: AnalyzerOptions = {}): Array<[number, number]> {
  const { terms, prefix } = analyzePartial(query, analyzer);
  // A partly typed word also matches its own stem, as the keyword search does ("Haus" marks "Häuser").
  const wanted = new Set([...terms, ...(prefix === null || prefix.length < MIN_PREFIX ? [] : [termOf(prefix, analyzer)]), ...corrections.flatMap((word) => analyze(word, analyzer))]);
  const ranges: Array<[number, number]> = [];
  if (wanted.size === 0 && !prefix) return ranges;
  const { language } = analyzer;
  const words = language?.segmented ? wordSegments(text, language.code) : Array.from(text.matchAll(MATCHABLE), (m) => ({ word: m[0], index: m.index }));
  for (const { word, index } of words) {
    const lower = word.toLowerCase();
    const term = analyze(word, analyzer)[0];
    if ((term !== undefined && wanted.has(term)) || (prefix !== null && prefix.length >= MIN_PREFIX && lower.startsWith(prefix))) {
      ranges.push([index, index + word.length]);
    }
  }
  return ranges;
}

/** Where the model's windows of each text lie ([start, end) offsets, row order): the embedder's tokenizer answers (src/embed/embedder `windows`). */
export type WindowFinder = (texts: string[]) => Promise<Array<Array<[number, number]>>>;

/** A hit's text and what the model knows of it. */
export interface WindowedText {
  /** The text the excerpt is cut from. */
  text: string;
  /** What the model embedded: the text after its title and headings (src/search/texts). */
  embedded: string;
  /** The window (row, in order) whose embedding won; absent when the model did not rank it. */
  chunk?: number;
  /** How many windows the text has, when known. */
  chunks?: number;
  /**
   * `text` is the start of a longer one (scannedText): its windows are the whole text's but the
   * last, which chunking lines up with the cut instead.
   */
  cut?: boolean;
}

/**
 * Per item, the window whose embedding won, as offsets in its `text`, for the items whose excerpt
 * centres there: ranked by the model, none of the words of `near` (the query and its corrections)
 * in the text, more than one window. Asks `find` only about those; null for the rest.
 */
export async function winningWindows(items: readonly WindowedText[], near: string, find: WindowFinder | null, analyzer: AnalyzerOptions = {}): Promise<Array<TextWindow | null>> {
  const out: Array<TextWindow | null> = items.map(() => null);
  const need = items.flatMap((item, i) => (item.chunk !== undefined && (item.chunks ?? 2) > 1 && bestPassage(item.text, near, 1, analyzer) === -1 ? [i] : []));
  if (need.length === 0 || find === null) return out;
  const found = await find(need.map((i) => items[i]!.embedded));
  need.forEach((i, k) => {
    const { text, embedded, chunk, cut } = items[i]!;
    const windows = found[k] ?? [];
    if (cut && chunk === windows.length - 1) return;
    // The text is the embedded text's tail (after title and headings): shift the window into it.
    const body = text.trim();
    const shift = embedded.lastIndexOf(body) - text.indexOf(body);
    const window = windows[chunk!];
    if (windows.length > 1 && window !== undefined && embedded.endsWith(body) && window[1] - shift > 0) {
      out[i] = [Math.max(0, window[0] - shift), Math.min(text.length, window[1] - shift)];
    }
  });
  return out;
}

/** The words an excerpt centres on: the query's (as the search read it, Bm25Result's `read`) and those the keyword search corrected misspelled ones to. */
export function nearWords(query: string, corrections: readonly string[]): string {
  return [query, ...corrections].join(' ');
}
