/**
 * Typo tolerance for the keyword index: a query word of MIN_TYPO_WORD letters or more that
 * matches nothing is corrected to the index's words within edit distance 1 (2 for words of
 * LONG_WORD letters or more), a swap of two
 * neighbouring letters counting as one edit (Damerau's optimal string alignment, as Lucene's
 * fuzzy queries with transpositions).
 *
 * The table holds the index's words as written (lowercased, before stemming: "genrator" is one
 * edit from "generator" but three from its stem "gener"), grouped by first letter and length, and
 * the groups are packed in key order into small files listed by a head, so a site index ships it
 * like its term chunks. A word reads only the groups it can be near: its own first letter at
 * lengths L − d … L + d, and its second letter at L − 1 … L (the first two letters swapped, a
 * stray letter in front). A wrong first letter is therefore not corrected, as with Lucene's
 * FuzzyQuery at prefixLength 1: reading every letter's groups would read the whole table.
 *
 * Byte formats (version 1), integers unsigned LEB128 varints, strings UTF-8 length + bytes:
 *   head:  "BMYH", version, F, then per file its first key (letter, length), its file (an
 *          opaque label) and its byte length. File i holds the keys in [key_i, key_{i+1}).
 *   file:  "BMYG", version, G, then per group its letter, length and word count W, the W words
 *          in sorted order front-coded (bytes shared with the previous word, suffix), then the W
 *          numbers of documents holding each word.
 */
import { SgptError } from '../errors';
import { ByteReader, ByteWriter, readFrontCoded, readMagic, readString, writeFrontCoded, writeMagic, writeString } from './varint';

/**
 * Words shorter than this are not corrected: one edit turns most short words into others ("wall"
 * into "will", "call", "well"), so a real word the docs do not use would be "corrected". The two
 * lengths are Meilisearch's defaults.
 */
export const MIN_TYPO_WORD = 5;
/** Words this long or longer may be corrected by two edits. */
export const LONG_WORD = 9;
/** Index words of other lengths never serve as corrections (shorter: no query word reaches them; longer: identifiers, hashes). */
const MIN_TABLE_WORD = MIN_TYPO_WORD - 1;
const MAX_TABLE_WORD = 32;
/** A query word's corrections at the smallest distance, the most common first: at most this many. */
export const MAX_CORRECTIONS = 3;

const HEAD_MAGIC = [0x42, 0x4d, 0x59, 0x48]; // "BMYH"
const FILE_MAGIC = [0x42, 0x4d, 0x59, 0x47]; // "BMYG"
const VERSION = 1;
const LETTER = /\p{L}/u;


/** One group of the table: the index's words with this first letter and length (in code points). */
export interface TypoGroup {
  letter: string;
  length: number;
  /** Sorted. */
  words: string[];
  /** Documents holding each word. */
  docs: number[];
}

export interface TypoKey {
  letter: string;
  length: number;
}

/** A file of the table as its head lists it: its first key, its name and its byte length. */
export interface TypoFileEntry extends TypoKey {
  file: string;
  bytes: number;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareKeys(a: TypoKey, b: TypoKey): number {
  return compareStrings(a.letter, b.letter) || a.length - b.length;
}

/** Edits a word of this many code points may be corrected by: 0, 1 or 2. */
export function allowedEdits(length: number): number {
  return length < MIN_TYPO_WORD ? 0 : length < LONG_WORD ? 1 : 2;
}

/** Whether the table keeps `word` (a lowercased word of the index, not a stop word). */
export function isTableWord(word: string): boolean {
  const length = [...word].length;
  return length >= MIN_TABLE_WORD && length <= MAX_TABLE_WORD && LETTER.test(word);
}

/**
 * Optimal string alignment distance between code point arrays, or `max + 1` as soon as it is
 * certain to exceed `max` (every cell of a row above it).
 */
export function editDistance(a: readonly string[], b: readonly string[], max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let before = new Array<number>(b.length + 1).fill(0); // row i − 2
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j); // row i − 1
  for (let i = 1; i <= a.length; i++) {
    const row = new Array<number>(b.length + 1);
    row[0] = i;
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      row[j] = value;
      if (value < best) best = value;
    }
    if (best > max) return max + 1;
    before = previous;
    previous = row;
  }
  return Math.min(previous[b.length]!, max + 1);
}

/** The groups a word's corrections can be in (none for a word too short to correct). */
export function typoKeys(word: string): TypoKey[] {
  const letters = [...word];
  const d = allowedEdits(letters.length);
  if (d === 0) return [];
  const keys: TypoKey[] = [];
  const add = (letter: string, length: number) => {
    if (length >= MIN_TABLE_WORD && !keys.some((k) => k.letter === letter && k.length === length)) keys.push({ letter, length });
  };
  for (let length = letters.length - d; length <= letters.length + d; length++) add(letters[0]!, length);
  add(letters[1]!, letters.length - 1);
  add(letters[1]!, letters.length);
  return keys.sort(compareKeys);
}

/**
 * The words of `groups` nearest `word` within its allowed edits (never the word itself), the most
 * common first, at most MAX_CORRECTIONS. `group` returns the table's group for a key, if any.
 */
export function corrections(word: string, group: (key: TypoKey) => TypoGroup | undefined): string[] {
  const letters = [...word];
  let max = allowedEdits(letters.length);
  let found: Array<{ word: string; docs: number }> = [];
  for (const key of typoKeys(word)) {
    const g = group(key);
    if (!g) continue;
    g.words.forEach((candidate, i) => {
      if (candidate === word) return;
      const distance = editDistance(letters, [...candidate], max);
      if (distance > max) return;
      if (distance < max) found = []; // a nearer word: only words at this distance from now on
      max = distance;
      if (!found.some((f) => f.word === candidate)) found.push({ word: candidate, docs: g.docs[i]! });
    });
  }
  found.sort((a, b) => b.docs - a.docs || compareStrings(a.word, b.word));
  return found.slice(0, MAX_CORRECTIONS).map((f) => f.word);
}

/** The table's groups, in key order, from each word and the number of documents holding it. */
export function typoGroups(wordDocs: ReadonlyMap<string, number>): TypoGroup[] {
  const groups = new Map<string, TypoGroup>();
  for (const [word, docs] of wordDocs) {
    if (!isTableWord(word)) continue;
    const letters = [...word];
    const id = `${letters.length}:${letters[0]}`;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { letter: letters[0]!, length: letters.length, words: [], docs: [] }));
    group.words.push(word);
    group.docs.push(docs);
  }
  const sorted = [...groups.values()].sort(compareKeys);
  for (const group of sorted) {
    const order = group.words.map((_, i) => i).sort((a, b) => compareStrings(group.words[a]!, group.words[b]!));
    group.words = order.map((i) => group.words[i]!);
    group.docs = order.map((i) => group.docs[i]!);
  }
  return sorted;
}

/** The table in memory (the in-page search): every group by key. */
export class TypoTable {
  private readonly groups: Map<string, TypoGroup>;

  constructor(groups: readonly TypoGroup[]) {
    this.groups = new Map(groups.map((g) => [keyId(g), g]));
  }

  corrections(word: string): string[] {
    return corrections(word, (key) => this.groups.get(keyId(key)));
  }
}

function keyId(key: TypoKey): string {
  return `${key.length}:${key.letter}`;
}

/** Groups packed into files of about `fileBytes` (before compression), each with its first key. */
export function splitTypoGroups(groups: readonly TypoGroup[], fileBytes: number): Array<TypoKey & { bytes: Uint8Array }> {
  const files: Array<TypoKey & { bytes: Uint8Array }> = [];
  let start = 0;
  let size = 0;
  const flush = (end: number) => {
    if (end > start) files.push({ letter: groups[start]!.letter, length: groups[start]!.length, bytes: encodeTypoFile(groups.slice(start, end)) });
    start = end;
    size = 0;
  };
  groups.forEach((group, i) => {
    size += group.words.reduce((sum, word) => sum + word.length + 2, 4);
    if (size >= fileBytes) flush(i + 1);
  });
  flush(groups.length);
  return files;
}

function checkMagic(data: Uint8Array, magic: readonly number[], input: ByteReader, what: string): void {
  readMagic(input, data, magic, VERSION, what, 'typo table file');
}

export function encodeTypoFile(groups: readonly TypoGroup[]): Uint8Array {
  const out = new ByteWriter();
  writeMagic(out, FILE_MAGIC, VERSION);
  out.varint(groups.length);
  for (const group of groups) {
    writeString(out, group.letter);
    out.varint(group.length);
    out.varint(group.words.length);
    writeFrontCoded(out, group.words);
    for (const docs of group.docs) out.varint(docs);
  }
  return out.finish();
}

/** Read one file of the table; its groups must lie in [first, next) (the head's keys of this file and the next). */
export function decodeTypoFile(data: Uint8Array, what: string, first: TypoKey, next: TypoKey | null): TypoGroup[] {
  const input = new ByteReader(data, what);
  const invalid = (message: string) => new SgptError('INDEX_INVALID', `${what}: ${message}`);
  checkMagic(data, FILE_MAGIC, input, what);
  const groups: TypoGroup[] = [];
  for (let count = input.count(); count > 0; count--) {
    const group: TypoGroup = { letter: readString(input, what), length: input.varint(), words: [], docs: [] };
    if ([...group.letter].length !== 1) throw invalid(`group letter ${JSON.stringify(group.letter)} is not one letter`);
    const previousGroup = groups.at(-1);
    if (previousGroup ? compareKeys(previousGroup, group) >= 0 : compareKeys(group, first) !== 0) throw invalid('groups are out of order or do not start at the head\'s key');
    if (next !== null && compareKeys(group, next) >= 0) throw invalid('holds a group that belongs to the next file');
    for (const word of readFrontCoded(input, input.count(), what)) {
      const letters = [...word];
      if (letters[0] !== group.letter || letters.length !== group.length) throw invalid(`word ${JSON.stringify(word)} is not in group ${group.letter}/${group.length}`);
      if (group.words.length > 0 && compareStrings(group.words.at(-1)!, word) >= 0) throw invalid('words are not sorted');
      group.words.push(word);
    }
    for (let i = 0; i < group.words.length; i++) group.docs.push(input.varint());
    groups.push(group);
  }
  if (groups.length === 0) throw invalid('holds no groups');
  if (!input.done) throw invalid('trailing bytes after the groups');
  return groups;
}

export function encodeTypoHead(files: readonly TypoFileEntry[]): Uint8Array {
  const out = new ByteWriter();
  writeMagic(out, HEAD_MAGIC, VERSION);
  out.varint(files.length);
  for (const file of files) {
    writeString(out, file.letter);
    out.varint(file.length);
    writeString(out, file.file);
    out.varint(file.bytes);
  }
  return out.finish();
}

export function decodeTypoHead(data: Uint8Array, what: string): TypoFileEntry[] {
  const input = new ByteReader(data, what);
  checkMagic(data, HEAD_MAGIC, input, what);
  const files: TypoFileEntry[] = [];
  for (let count = input.count(); count > 0; count--) {
    files.push({ letter: readString(input, what), length: input.varint(), file: readString(input, what), bytes: input.varint() });
    if (files.length > 1 && compareKeys(files.at(-2)!, files.at(-1)!) >= 0) throw new SgptError('INDEX_INVALID', `${what}: files are not in key order`);
  }
  if (!input.done) throw new SgptError('INDEX_INVALID', `${what}: trailing bytes after the file list`);
  return files;
}

/**
 * The table of a site index: the head and the files fetched (through the loaders, which verify
 * and cache) only when a query has a word to correct.
 */
export class ChunkedTypos {
  constructor(
    private readonly head: () => Promise<TypoFileEntry[]>,
    private readonly file: (i: number, entries: readonly TypoFileEntry[]) => Promise<TypoGroup[]>,
  ) {}

  async corrections(word: string): Promise<string[]> {
    return correctionsIn(word, [await this.groups(word)]);
  }

  /** The groups `word`'s corrections can be in (and their file-mates), fetched; empty for a word too short to correct. */
  async groups(word: string): Promise<TypoGroup[]> {
    const keys = typoKeys(word);
    if (keys.length === 0) return [];
    const entries = await this.head();
    const needed = new Set<number>();
    for (const key of keys) {
      const i = fileOf(entries, key);
      if (i >= 0) needed.add(i);
    }
    return (await Promise.all([...needed].map((i) => this.file(i, entries)))).flat();
  }
}

/**
 * `word`'s corrections among the groups of several tables as if they were one table over all their
 * documents (several sites searched as one): a word's document counts add up across tables.
 */
export function correctionsIn(word: string, tables: ReadonlyArray<readonly TypoGroup[]>): string[] {
  const docs = new Map<string, Map<string, number>>();
  for (const groups of tables) {
    for (const g of groups) {
      const words = docs.get(keyId(g)) ?? docs.set(keyId(g), new Map()).get(keyId(g))!;
      g.words.forEach((w, i) => words.set(w, (words.get(w) ?? 0) + g.docs[i]!));
    }
  }
  return corrections(word, (key) => {
    const words = docs.get(keyId(key));
    return words && { ...key, words: [...words.keys()], docs: [...words.values()] };
  });
}

/** The file whose key range holds `key` (-1: before the first). */
function fileOf(entries: readonly TypoFileEntry[], key: TypoKey): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(entries[mid]!, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
