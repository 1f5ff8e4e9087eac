/**
 * Plain-text excerpts for result lists (a window of the text around the query's first matching
 * word) and the offsets of the words to mark in them: what the site search and the in-page search
 * both show. Never markup: the element renders text and marks ranges.
 */
import { analyze, analyzePartial, termOf, type AnalyzerOptions } from './analyzer';
import { wordSegments } from './languages';

const WORD = /[\p{L}\p{N}_]{3,}/gu;
const MATCHABLE = /[\p{L}\p{N}\p{M}]+/gu;
/** A one-letter prefix would light up half the excerpt. */
const MIN_PREFIX = 2;

/**
 * Up to `max` characters of `text`, starting a little before the first word of `query` (3+ letters,
 * case-insensitive) found in it, else from the start; cut at word boundaries, with '…' where cut.
 */
export function makeExcerpt(text: string, query: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const lower = flat.toLowerCase();
  let hit = -1;
  for (const word of query.toLowerCase().match(WORD) ?? []) {
    const at = lower.indexOf(word);
    if (at !== -1 && (hit === -1 || at < hit)) hit = at;
  }
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
