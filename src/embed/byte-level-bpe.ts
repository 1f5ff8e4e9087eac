/**
 * One pre-tokenised piece of text to ids, for a byte-level BPE tokenizer (GPT-2's), read from its
 * tokenizer.json. transformers.js' own per-piece path keys every candidate pair with
 * `JSON.stringify` and allocates a heap node for it: ~30 µs a piece, most of an `embed` call's
 * tokenisation (its first sight of each of a slice's pieces; piece-memo.ts remembers them after).
 * The merge rule is the same (the lowest-ranked adjacent pair, the leftmost of equal ranks, one
 * merge at a time: transformers.js' and Hugging Face tokenizers' order), on a plain array.
 * `test/unit/byte-level-bpe.test.ts` holds it to the tokenizer's own ids (and piece-memo's tests, whole texts).
 */

/**
 * Longest piece (in bytes) merged here: the loop below is quadratic in it (~0.1 ms at 128 bytes);
 * a longer one (a run of `=` or spaces, a blob) goes to the tokenizer, whose heap is O(n log n).
 */
export const MAX_PIECE_BYTES = 256;

/** What is read of tokenizer.json's `model`. */
export interface BpeModelJson {
  type?: unknown;
  vocab?: unknown;
  merges?: unknown;
  end_of_word_suffix?: unknown;
  continuing_subword_suffix?: unknown;
  ignore_merges?: unknown;
}

/** GPT-2's byte -> printable character table (every byte a character of its own, spaces and controls moved past 255). */
function byteCharacters(): string[] {
  const table: string[] = new Array<string>(256);
  let next = 256;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
    table[byte] = String.fromCharCode(printable ? byte : next++);
  }
  return table;
}

/**
 * The merges' ranks in an open-addressing table keyed by the pair's two ids (each < 0xffff, so
 * that no pair's key is the empty slot's -1): a lookup hashes one integer, not a string.
 */
class RankTable {
  private readonly keys: Int32Array;
  private readonly ranks: Int32Array;
  private readonly mask: number;

  constructor(size: number) {
    let capacity = 1024;
    while (capacity < size * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.keys = new Int32Array(capacity).fill(-1);
    this.ranks = new Int32Array(capacity);
  }

  private slot(key: number): number {
    let slot = (Math.imul(key, 0x9e3779b1) >>> 0) & this.mask;
    while (this.keys[slot] !== -1 && this.keys[slot] !== key) slot = (slot + 1) & this.mask;
    return slot;
  }

  set(left: number, right: number, rank: number): void {
    const key = (left << 16) | right;
    const slot = this.slot(key);
    this.keys[slot] = key;
    this.ranks[slot] = rank;
  }

  /** The pair's merge rank, or -1. */
  rank(left: number, right: number): number {
    const slot = this.slot((left << 16) | right);
    return this.keys[slot] === -1 ? -1 : this.ranks[slot]!;
  }
}

/**
 * A piece's ids, or null where this path does not decide them (a piece over MAX_PIECE_BYTES, or
 * one that merges into a token the vocabulary lacks or gives another token's id: the tokenizer's
 * own rules apply). Null from the factory when the model is not a plain BPE this path reproduces:
 * suffixes, ignore_merges, an unreadable vocabulary or merge list (or one mixing "a b" strings and
 * [a, b] pairs: transformers.js reads every entry as the first one is written), a byte or merged
 * token with no id under 0xffff, or two of them sharing one (a pair is looked up by its tokens' ids).
 */
export function byteLevelBpe(model: BpeModelJson | undefined): ((piece: string) => number[] | null) | null {
  if (model?.type !== 'BPE' || model.end_of_word_suffix || model.continuing_subword_suffix || model.ignore_merges) return null;
  const { vocab, merges } = model;
  if (typeof vocab !== 'object' || vocab === null || !Array.isArray(merges)) return null;
  // The parsed JSON is read as it is (a Map of it cost more than the merges; an inherited
  // property is never a number). Each id's token is remembered, so that two tokens sharing one are seen.
  const entries = vocab as Record<string, unknown>;
  const tokenOf = new Array<string | undefined>(0x10000).fill(undefined);
  const idOf = (token: string): number => {
    const id = entries[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= 0xffff) return -1;
    const known = tokenOf[id];
    if (known === undefined) tokenOf[id] = token;
    else if (known !== token) return -1;
    return id;
  };
  const byteIds = byteCharacters().map(idOf);
  if (byteIds.includes(-1)) return null;
  const pairs = Array.isArray(merges[0]);
  const ranks = new RankTable(merges.length);
  // A repeated merge keeps its last rank, as transformers.js' Map does.
  for (let rank = 0; rank < merges.length; rank++) {
    const merge: unknown = merges[rank];
    let first: unknown, second: unknown;
    if (pairs) {
      if (Array.isArray(merge) && merge.length === 2) [first, second] = merge as unknown[];
    } else if (typeof merge === 'string') {
      // transformers.js reads "a b c" as ["a", "b"]
      const space = merge.indexOf(' ');
      const end = merge.indexOf(' ', space + 1);
      [first, second] = space < 0 ? [] : [merge.slice(0, space), merge.slice(space + 1, end < 0 ? undefined : end)];
    }
    if (typeof first !== 'string' || typeof second !== 'string') return null;
    const [left, right] = [idOf(first), idOf(second)];
    if (left < 0 || right < 0) return null;
    ranks.set(left, right, rank);
  }
  // A merge's own token is looked up the first time a piece needs it (most merges never are,
  // and the joined strings' lookups were half of the build): -2 not yet, -1 none.
  const merged = new Int32Array(merges.length).fill(-2);
  const utf8 = new TextEncoder();
  return (piece) => {
    const bytes = utf8.encode(piece);
    if (bytes.length > MAX_PIECE_BYTES) return null;
    const word = Array.from(bytes, (byte) => byteIds[byte]!);
    while (word.length > 1) {
      // the lowest rank; of equal ranks the leftmost (strict <)
      let [at, best] = [-1, Infinity];
      for (let i = 0; i + 1 < word.length; i++) {
        const rank = ranks.rank(word[i]!, word[i + 1]!);
        if (rank >= 0 && rank < best) [at, best] = [i, rank];
      }
      if (at < 0) break;
      if (merged[best] === -2) merged[best] = idOf(tokenOf[word[at]!]! + tokenOf[word[at + 1]!]!);
      if (merged[best] === -1) return null;
      word.splice(at, 2, merged[best]!);
    }
    return word;
  };
}
