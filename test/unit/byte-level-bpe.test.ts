// A piece's ids from tokenizer.json's vocabulary and merges (src/embed/byte-level-bpe.ts): the
// tokenizer's own ids for every piece it decides, and no decision where it cannot be exact.
import { readFileSync } from 'node:fs';
import { AutoTokenizer } from '@huggingface/transformers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { byteLevelBpe, MAX_PIECE_BYTES, type BpeModelJson } from '../../src/embed/byte-level-bpe';

const SHIPPED = 'public/models/sgpt-nano';
const json = JSON.parse(readFileSync(`${SHIPPED}/tokenizer.json`, 'utf8')) as { model: BpeModelJson & { vocab: Record<string, number>; merges: string[] } };
const PIECES = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const demo = (JSON.parse(readFileSync('demo/data/python-docs.json', 'utf8')) as Array<{ title: string; text: string }>).flatMap(({ title, text }) => [title, text]);

let plain: (text: string) => number[];
beforeAll(async () => {
  const tokenizer = await AutoTokenizer.from_pretrained(SHIPPED);
  plain = (text) => tokenizer.encode(text, { add_special_tokens: false });
});

describe('byteLevelBpe', () => {
  const merge = byteLevelBpe(json.model)!;

  it('merges GPT-2 pieces to the ids its tokenizer gives', () => {
    expect(merge(' hello')).toEqual([23748]);
    expect(merge('hello')).toEqual([31373]);
    expect(merge(' tokenization')).toEqual(plain(' tokenization'));
    expect(merge('')).toEqual([]);
  });

  it('gives the tokenizer\'s ids for every piece of the demo sections it decides, and leaves pieces over MAX_PIECE_BYTES to it', () => {
    const pieces = new Set(demo.flatMap((text) => [...text.matchAll(PIECES)].map((match) => match[0])));
    let decided = 0;
    for (const piece of pieces) {
      const ids = merge(piece);
      if (new TextEncoder().encode(piece).length > MAX_PIECE_BYTES) expect(ids).toBeNull();
      else {
        expect(ids, JSON.stringify(piece)).toEqual(plain(piece));
        decided++;
      }
    }
    expect(decided).toBeGreaterThan(5000);
    // at the limit, and past it
    for (const unit of ['=', ' ', 'ab', 'é', '🙂']) {
      const longest = unit.repeat(Math.floor(MAX_PIECE_BYTES / new TextEncoder().encode(unit).length));
      expect(merge(longest), unit).toEqual(plain(longest));
      expect(merge(longest + unit), unit).toBeNull();
    }
  });

  it('gives the tokenizer\'s ids for any short piece (property: letters, digits, marks, any code point)', () => {
    const piece = fc.oneof(
      fc.stringMatching(/^ ?[A-Za-zÀ-ÿ]{1,20}$/),
      fc.stringMatching(/^ ?[0-9]{1,12}$/),
      fc.stringMatching(/^ ?[!-/:-@[-`{-~]{1,10}$/),
      fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
    );
    fc.assert(
      fc.property(piece, (text) => {
        // one piece as the pre-tokenizer cuts it, so the tokenizer merges it as one word
        const first = text.match(new RegExp(PIECES.source, 'u'))?.[0] ?? text;
        expect(merge(first)).toEqual(plain(first));
      }),
      { numRuns: 2000 },
    );
  });

  it('declines models it cannot reproduce exactly', () => {
    const { model } = json;
    const declined: Array<Partial<BpeModelJson>> = [
      { type: 'WordPiece' },
      { end_of_word_suffix: '</w>' },
      { continuing_subword_suffix: '##' },
      { ignore_merges: true },
      { vocab: null },
      { merges: 'Ġ t' },
      { merges: [...model.merges.slice(0, 10), 7] },
      { merges: [...model.merges.slice(0, 10), ['Ġ', 't']] }, // strings, then a pair: transformers.js reads all as the first
      { merges: [['Ġ', 't'], ...model.merges.slice(1, 10)] }, // the reverse
      { vocab: { ...model.vocab, Ġ: 0xffff } }, // 0xffff with itself would key a pair as -1, the table's empty slot
      { merges: [...model.merges.slice(0, 10), 'Ġ zzzznotatoken'] }, // a merge of a token the vocabulary lacks
      { vocab: { ...model.vocab, Ġ: 70000 } }, // an id past 2^16
      { vocab: { ...model.vocab, Ġt: model.vocab.a! } }, // two tokens sharing an id
      { vocab: Object.fromEntries(Object.entries(model.vocab).filter(([token]) => token !== 'Ā')) }, // a byte with no token
    ];
    for (const change of declined) expect(byteLevelBpe({ ...model, ...change }), JSON.stringify(change).slice(0, 60)).toBeNull();
    expect(byteLevelBpe(undefined)).toBeNull();
    // A merge whose own token is missing (or another token's id) leaves its pieces to the tokenizer, and only those.
    const { Ġhello: _, ...vocab } = model.vocab;
    const lacking = byteLevelBpe({ ...model, vocab })!;
    expect(lacking(' hello')).toBeNull();
    expect(lacking(' world')).toEqual(merge(' world'));
    const shared = byteLevelBpe({ ...model, vocab: { ...vocab, Ġhello: model.vocab.Ġworld! } })!;
    expect(shared(' hello')).toBeNull();
    expect(shared(' world')).toEqual(merge(' world'));
    // Both merge formats: "a b" strings and [a, b] pairs.
    const pairs = byteLevelBpe({ ...model, merges: model.merges.map((m) => m.split(' ')) })!;
    expect(pairs(' hello')).toEqual([23748]);
  });
});
