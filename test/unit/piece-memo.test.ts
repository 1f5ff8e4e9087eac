// The memoised tokenisation (src/embed/piece-memo.ts) gives exactly the tokenizer's own ids.
import { readFileSync } from 'node:fs';
import { AutoTokenizer } from '@huggingface/transformers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFERRED_BUILD, pieceEncoder, type TokenizerLike } from '../../src/embed/piece-memo';

const SHIPPED = 'public/models/sgpt-nano';
const demo = (JSON.parse(readFileSync('demo/data/python-docs.json', 'utf8')) as Array<{ title: string; text: string }>).flatMap(({ title, text }) => [title, text]);
const edges = [
  '',
  'a   b',
  ' x\n\n y ',
  "I'm sure we'll see 'S and 's, they've it'd",
  '日本語のテキスト 中文 한국어',
  '🙂👍🏽 e\u0301 café',
  '  ',
  '\t\tx\r\n',
  '123 4567 ½ ٣',
  'end  ',
  'def f(x):\n    return x**2  # ok',
  'before<|endoftext|>after',
  '<|endoftext|>',
  'lone surrogate \ud800 here',
];

let tokenizer: TokenizerLike;
beforeAll(async () => {
  tokenizer = (await AutoTokenizer.from_pretrained(SHIPPED)) as unknown as TokenizerLike;
});

describe('pieceEncoder', () => {
  it('memoises the shipped GPT-2 tokenizer', () => {
    expect(pieceEncoder(tokenizer).memoised).toBe(true);
  });

  it('gives the same ids as the tokenizer on the demo sections and edge cases, cold and warm', () => {
    const plain = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    const { encode } = pieceEncoder(tokenizer);
    for (let pass = 0; pass < 2; pass++) {
      for (const text of [...edges, ...demo]) expect(encode(text), JSON.stringify(text.slice(0, 60))).toEqual(plain(text));
    }
    expect(encode('before<|endoftext|>after')).toContain(50256);
  });

  it('merges new pieces itself from the first when the tokenizer is not built yet (DEFERRED_BUILD), after 256 a built one encodes', () => {
    const plain = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    for (const deferred of [true, false]) {
      let asked = 0;
      const counting: TokenizerLike = {
        _tokenizerJSON: tokenizer._tokenizerJSON,
        _tokenizerConfig: tokenizer._tokenizerConfig,
        encode: (text, options) => (asked++, tokenizer.encode(text, options)),
        ...(deferred ? { [DEFERRED_BUILD]: true } : {}),
      };
      const { encode } = pieceEncoder(counting);
      for (const text of demo.slice(0, 40)) expect(encode(text)).toEqual(plain(text));
      expect(asked, deferred ? 'deferred' : 'built').toBe(deferred ? 0 : 256);
    }
  });

  it('gives the same ids as the tokenizer on arbitrary text (property)', () => {
    const { encode } = pieceEncoder(tokenizer);
    const plain = (text: string) => tokenizer.encode(text, { add_special_tokens: false });
    // words, digits, apostrophes, punctuation, every kind of space and any code point, mixed
    const part = fc.oneof(
      fc.constantFrom(' ', '  ', '\n', '\t', '\r\n', '\u00a0', "'s", "'ll", "'", 'é', '½', '٣', '🙂', '<|endoftext|>'),
      fc.stringMatching(/^[A-Za-z]{1,8}$/),
      fc.stringMatching(/^[0-9]{1,5}$/),
      fc.stringMatching(/^[!-\/:-@[-`{-~]{1,3}$/),
      fc.string({ unit: 'binary', maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        expect(encode(text)).toEqual(plain(text));
      }),
      { numRuns: 400 },
    );
  });

  it('leaves any other tokenizer to its own encode', () => {
    const json = (tokenizer as { _tokenizerJSON: Record<string, unknown> })._tokenizerJSON;
    const calls: string[] = [];
    const fake = (changes: Record<string, unknown>): TokenizerLike => ({
      encode: (text) => (calls.push(text), [text.length]),
      _tokenizerJSON: { ...json, ...changes },
    });
    for (const changes of [{ normalizer: { type: 'NFC' } }, { pre_tokenizer: { type: 'Metaspace' } }, { pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true } }, { model: { type: 'WordPiece' } }]) {
      const { encode, memoised } = pieceEncoder(fake(changes));
      expect(memoised).toBe(false);
      expect(encode('two words')).toEqual([9]);
    }
    expect(pieceEncoder({ encode: () => [] }).memoised).toBe(false);
    expect(calls).toEqual(Array(4).fill('two words'));
  });
});
