/**
 * What a title names, for the exact-title boost (src/search/ranking): its words compared whole
 * (case, accents and punctuation aside: "json.dumps" is "JSON dumps"), the name of a title "name —
 * what it is" (Sphinx's module pages, "json — JSON encoder and decoder"; PostgreSQL's "CREATE TABLE
 * — define a new table"), and the last part of a dotted name ("Session.flush" names "flush" too).
 *
 * The keyword index holds each section's names as name keys (src/search/bm25: terms no query term
 * can be, ending in a mark that says how the title names it), so a query finds the sections titled
 * as it is however low they rank by BM25: "pathlib" finds the pathlib module's page behind forty
 * sections that mention pathlib more often.
 */

/** How a title names a key, best first: a page's own title, a deeper section's, the last part of a dotted name. */
export const NAME_MARKS = ['\u0001', '\u0002', '\u0003'] as const;

/** Longest name (in words) that gets a key: names and headings, not sentences. */
export const MAX_NAME_WORDS = 6;

/** Most names a list title gives ("os.execl, os.execle, …"): a longer list (a page's heading of thousands) is one phrase, so a title cannot add thousands of keys. */
export const MAX_TITLE_NAMES = 16;

const TITLE_WORDS = /[\p{L}\p{N}]+/gu;

/** The words of a title or query, for comparing them whole. */
export function titleWords(text: string): string[] {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().match(TITLE_WORDS) ?? [];
}

/** A title that is a dotted name ("json.dumps", "Session.flush()"), or a Rust path ("Option::unwrap_or"): its last part. */
const DOTTED_NAME = /^(?:[\p{L}_][\p{L}\p{N}_]*(?:\.|::))+([\p{L}_][\p{L}\p{N}_]*)(?:\(\))?$/u;

/** A section number before a title ("5.5. ", "8. "; Sphinx's numbered sections): not part of its name. */
const SECTION_NUMBER = /^\d+(?:\.\d+)*\.\s+(?=\S)/u;

/**
 * What a title names: for "name — what it is" (an em or en dash between spaces) the name, else the
 * title itself, without a section number before it ("5.5. Dictionaries" names "Dictionaries").
 */
function titleName(title: string): string {
  return title.split(/\s[—–]\s/u, 1)[0]!.trim().replace(SECTION_NUMBER, '');
}

/**
 * The names a title gives: its name (titleName), or each of a list of names without spaces
 * ("os.execl, os.execle, os.execv": a definition's aliases, which the extractor titles so).
 */
export function titleNames(title: string): string[] {
  const name = titleName(title);
  const parts = name.split(/,\s+/u);
  return parts.length > 1 && parts.length <= MAX_TITLE_NAMES && parts.every((part) => /^[^\s,]+$/u.test(part)) ? parts : [name];
}

/** The last part of a dotted name ("flush" of "Session.flush()"); "" when `name` is not one. */
export function dottedLast(name: string): string {
  return DOTTED_NAME.exec(name)?.[1] ?? '';
}

/** The index key of words, marked. */
function key(words: readonly string[], mark: string): string {
  return `${words.join(' ')}${mark}`;
}

/**
 * The name keys of a section titled `title` (`pageTop`: its page's top section): its title's words
 * and its names' (titleNames), then their dotted names' last parts, each at most MAX_NAME_WORDS words.
 */
export function nameKeys(title: string, pageTop: boolean): string[] {
  const names = titleNames(title);
  const own = NAME_MARKS[pageTop ? 0 : 1];
  const keys = new Set<string>();
  for (const words of [titleWords(title), ...names.map(titleWords)]) if (words.length > 0 && words.length <= MAX_NAME_WORDS) keys.add(key(words, own));
  for (const name of names) {
    const last = titleWords(dottedLast(name));
    if (last.length > 0) keys.add(key(last, NAME_MARKS[2]));
  }
  return [...keys];
}

/**
 * Each word of a query with the words it may be read as: itself and, when the keyword search
 * corrected it (`corrected`, Bm25Result's), its first correction (the nearest, most common word:
 * the one most likely meant; the others are looser guesses).
 */
export function queryReadings(query: string, corrected: ReadonlyMap<string, readonly string[]> = new Map()): Array<Set<string>> {
  const readAs = new Map([...corrected].flatMap(([word, fixes]) => titleWords(word).map((w) => [w, titleWords(fixes[0] ?? '')] as const)));
  return titleWords(query).map((word) => new Set([word, ...(readAs.get(word) ?? [])]));
}

/** The name keys a query read so (queryReadings) looks up, each mark's: its words as typed and as corrected; none past MAX_NAME_WORDS. */
export function queryNameKeys(readings: ReadonlyArray<ReadonlySet<string>>): string[] {
  if (readings.length === 0 || readings.length > MAX_NAME_WORDS) return [];
  const typed = readings.map((words) => [...words][0]!);
  const fixed = readings.map((words) => [...words].at(-1)!);
  return [...new Set([typed, fixed].map((words) => words.join(' ')))].flatMap((words) => NAME_MARKS.map((mark) => `${words}${mark}`));
}

/** Whether an index term is a name key (never a query's term, never a completion). */
export function isNameKey(term: string): boolean {
  return NAME_MARKS.some((mark) => term.endsWith(mark));
}
