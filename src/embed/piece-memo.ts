/**
 * Tokenisation at the cost of a map lookup per word, for GPT-2-style byte-level BPE tokenizers.
 * Such a tokenizer cuts a text into pieces with one fixed rule (its ByteLevel pre-tokenizer's
 * regex) and encodes each piece on its own, so a text's ids are its pieces' ids end to end. We cut
 * with the same rule and ask the tokenizer only for pieces not seen before: transformers.js' own
 * per-piece path (byte mapping, an LRU cache, the merges) costs ~20 × a lookup here, and was most
 * of an index build's embedding time once the model became a lookup (`npm run bench -- throughput`).
 * Any other tokenizer, and any text that holds an added token (`<|endoftext|>`), goes to the
 * tokenizer whole. `test/unit/piece-memo.test.ts` holds the two paths to the same ids.
 */

import { byteLevelBpe, type BpeModelJson } from './byte-level-bpe';

/** GPT-2's pre-tokenisation rule, as tokenizer.json's ByteLevel pre-tokenizer applies it (use_regex). */
const GPT2_PIECES = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * New pieces a tokenizer already built encodes itself (~30 µs each) before ./byte-level-bpe's
 * merge table is built (~40 ms): a browser's first queries never pay for the table.
 */
const PIECES_BEFORE_MERGE_TABLE = 256;

/**
 * True on a tokenizer whose transformers.js build is deferred until something needs it (./model,
 * in Node): its own encode would first cost that build (~115 ms), so new pieces go to the merge
 * table at once.
 */
export const DEFERRED_BUILD = Symbol('sgpt-search: tokenizer not yet built');

/** Pieces remembered at most (~100 B each); past it, new pieces are encoded but not kept. */
const MAX_PIECES = 200_000;

export type Encode = (text: string) => number[];

/** What is read of a tokenizer.json (transformers.js keeps it as `_tokenizerJSON`). */
interface TokenizerJson {
  normalizer?: unknown;
  pre_tokenizer?: { type?: unknown; add_prefix_space?: unknown; use_regex?: unknown } | null;
  model?: BpeModelJson;
  added_tokens?: Array<{ content?: unknown }>;
}

/** A loaded transformers.js tokenizer, as far as this module reads it. */
export interface TokenizerLike {
  encode(text: string, options: { add_special_tokens: boolean }): number[];
  _tokenizerJSON?: unknown;
  _tokenizerConfig?: unknown;
}

/**
 * The added tokens' texts when a tokenizer (its tokenizer.json and tokenizer_config.json) splits
 * exactly by GPT2_PIECES and nothing else changes the text first (no normalizer, no prefix
 * space): this module encodes its texts; null otherwise.
 */
export function byteLevelAddedTokens(tokenizerJson: unknown, tokenizerConfig: unknown): string[] | null {
  const json = tokenizerJson as TokenizerJson | undefined;
  const config = tokenizerConfig as { add_prefix_space?: unknown; remove_space?: unknown; do_lowercase_and_remove_accent?: unknown } | undefined;
  const pre = json?.pre_tokenizer;
  if (json === undefined || json.normalizer !== null || pre?.type !== 'ByteLevel' || pre.use_regex === false || pre.add_prefix_space === true) return null;
  if (json.model?.type !== 'BPE' || config?.add_prefix_space === true || config?.remove_space === true || config?.do_lowercase_and_remove_accent === true) return null;
  const added = (json.added_tokens ?? []).map((token) => token.content);
  return added.every((content): content is string => typeof content === 'string' && content !== '') ? added : null;
}

/**
 * Bare ids (no special tokens added) of a text: memoised by piece when the tokenizer allows it
 * (`memoised` says which), else the tokenizer's own encode. A new piece is merged by
 * ./byte-level-bpe's table, built for the first one when the tokenizer's own build is deferred
 * (DEFERRED_BUILD), else after PIECES_BEFORE_MERGE_TABLE.
 */
export function pieceEncoder(tokenizer: TokenizerLike): { encode: Encode; memoised: boolean } {
  const plain: Encode = (text) => tokenizer.encode(text, { add_special_tokens: false });
  const added = byteLevelAddedTokens(tokenizer._tokenizerJSON, tokenizer._tokenizerConfig);
  if (added === null) return { encode: plain, memoised: false };
  const pieces = new Map<string, readonly number[]>();
  let merge: ReturnType<typeof byteLevelBpe> | undefined;
  const beforeTable = (tokenizer as { [DEFERRED_BUILD]?: boolean })[DEFERRED_BUILD] === true ? 0 : PIECES_BEFORE_MERGE_TABLE;
  let fresh = 0;
  const encode: Encode = (text) => {
    if (added.some((content) => text.includes(content))) return plain(text);
    const ids: number[] = [];
    for (const match of text.matchAll(GPT2_PIECES)) {
      const piece = match[0];
      let known = pieces.get(piece);
      if (known === undefined) {
        if (merge === undefined && ++fresh > beforeTable) merge = byteLevelBpe((tokenizer._tokenizerJSON as TokenizerJson).model);
        known = merge?.(piece) ?? plain(piece);
        if (pieces.size < MAX_PIECES) pieces.set(piece, known);
      }
      for (const id of known) ids.push(id);
    }
    return ids;
  };
  return { encode, memoised: true };
}
