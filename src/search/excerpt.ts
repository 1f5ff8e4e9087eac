/**
 * Plain-text excerpts for result lists (a window of the text around its best-matching passage)
 * and the offsets of the words to mark in them: what the site search and the in-page search
 * both show. Never markup: the element renders text and marks ranges.
 */
import { analyze, analyzePartial, termOf, type AnalyzerOptions } from './analyzer';
import { wordSegments } from './languages';

const MATCHABLE = /[\p{L}\p{N}\p{M}]+/gu;
/** A one-letter prefix would light up half the excerpt. */
const MIN_PREFIX = 2;

/**
 * Where the best-matching passage of `text` starts: of the windows of `span` characters that begin
 * at a matched word, the one holding the most distinct query terms, then the most matches, then
 * the earliest. -1 when no word matches.
 */
export function bestPassage(text: string, query: string, span: number): number {
  const ranges = highlightRanges(text, query);
  const terms = ranges.map(([start, end]) => {
    const word = text.slice(start, end).toLowerCase();
    return analyze(word)[0] ?? word;
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

/**
 * Up to `max` characters of `text` around its best-matching passage (./bestPassage: the query's
 * words as the keyword index matches them), else from the start; cut at word boundaries, with '…'
 * where cut.
 */
export function makeExcerpt(text: string, query: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  // A quarter of the window before the passage for context, the rest for the passage.
  const hit = bestPassage(flat, query, Math.floor((max * 3) / 4));
  let start = hit <= max / 4 ? 0 : hit - Math.floor(max / 4);
  if (start > 0) {
    const space = flat.indexOf(' ', start);
    start = space === -1 || space >= hit ? start : space + 1;
  }
  let end = Math.min(flat.length, start + max);
  if (end < flat.length) {
    const space = flat.lastIndexOf(' ', end);
    if (space > start) end = space;
  }
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}

/**
 * Offsets of the words in `text` that match the query as the keyword index does (same analyzer:
 * stemmed, stop words dropped; `analyzer`: the query language's), of words starting with a partly
 * typed last word, and of words matching `corrections` (the index's words the keyword search
 * corrected misspelled ones to).
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
