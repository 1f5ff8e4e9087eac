import { describe, expect, it } from 'vitest';
import { readSgptSettings } from '../../src/embed/sgpt-settings';
import { sgptThrow } from '../support';

function codeOf(fn: () => unknown): string {
  return sgptThrow(fn).code;
}

describe('readSgptSettings', () => {
  it('defaults to symmetric, 75 tokens, pad 50256, the SGPT brackets', () => {
    expect(readSgptSettings({ model_type: 'gpt2' })).toEqual({
      mode: 'symmetric',
      padTokenId: 50256,
      queryBrackets: [58, 60],
      documentBrackets: [90, 92],
      maxLength: { query: 75, document: 75 },
    });
  });

  it('asymmetric without max_length defaults to 300 per role', () => {
    expect(readSgptSettings({ sgpt: { mode: 'asymmetric' } }).maxLength).toEqual({ query: 300, document: 300 });
  });

  it('reads every field of the "sgpt" key', () => {
    const settings = readSgptSettings({
      sgpt: {
        mode: 'asymmetric',
        pooling: 'weightedmean',
        pad_token_id: 7,
        query_brackets: [1, 2],
        document_brackets: [3, 4],
        max_length: { query: 40, document: 200 },
      },
    });
    expect(settings).toEqual({
      mode: 'asymmetric',
      padTokenId: 7,
      queryBrackets: [1, 2],
      documentBrackets: [3, 4],
      maxLength: { query: 40, document: 200 },
    });
  });

  it('accepts a single number for max_length, and a partial object keeps the default for the other role', () => {
    expect(readSgptSettings({ sgpt: { max_length: 50 } }).maxLength).toEqual({ query: 50, document: 50 });
    expect(readSgptSettings({ sgpt: { mode: 'asymmetric', max_length: { query: 20 } } }).maxLength).toEqual({
      query: 20,
      document: 300,
    });
  });

  it('overrides win over the config, and a mode override changes the default length', () => {
    expect(readSgptSettings({ sgpt: { mode: 'asymmetric' } }, { mode: 'symmetric' })).toMatchObject({
      mode: 'symmetric',
      maxLength: { query: 75, document: 75 },
    });
    expect(readSgptSettings({}, { mode: 'asymmetric', maxLength: 64 }).maxLength).toEqual({ query: 64, document: 64 });
    expect(readSgptSettings({ sgpt: { max_length: 60 } }, { maxLength: { document: 30 } }).maxLength).toEqual({
      query: 60,
      document: 30,
    });
  });

  it('a malformed "sgpt" key is MODEL_INVALID', () => {
    expect(codeOf(() => readSgptSettings('not an object'))).toBe('MODEL_INVALID');
    expect(codeOf(() => readSgptSettings({ sgpt: [] }))).toBe('MODEL_INVALID');
    expect(codeOf(() => readSgptSettings({ sgpt: { mode: 'specb' } }))).toBe('MODEL_INVALID');
    expect(codeOf(() => readSgptSettings({ sgpt: { pooling: 'mean' } }))).toBe('MODEL_INVALID');
    expect(codeOf(() => readSgptSettings({ sgpt: { query_brackets: [58] } }))).toBe('MODEL_INVALID');
    expect(codeOf(() => readSgptSettings({ sgpt: { document_brackets: [90, -1] } }))).toBe('MODEL_INVALID');
    expect(codeOf(() => readSgptSettings({ sgpt: { pad_token_id: 1.5 } }))).toBe('MODEL_INVALID');
    expect(codeOf(() => readSgptSettings({ sgpt: { max_length: '300' } }))).toBe('MODEL_INVALID');
    expect(codeOf(() => readSgptSettings({ sgpt: { max_length: { query: 0 } } }))).toBe('MODEL_INVALID');
  });

  it('the message names the bad field', () => {
    expect(() => readSgptSettings({ sgpt: { mode: 'specb' } })).toThrow(/sgpt\.mode.*"specb"/);
  });

  it('bad overrides are INPUT_INVALID', () => {
    expect(codeOf(() => readSgptSettings({}, { mode: 'both' as never }))).toBe('INPUT_INVALID');
    expect(codeOf(() => readSgptSettings({}, { maxLength: -3 }))).toBe('INPUT_INVALID');
  });

  it('rejects lengths beyond the model positions or without room for text', () => {
    expect(codeOf(() => readSgptSettings({ n_positions: 64, sgpt: { max_length: 100 } }))).toBe('MODEL_INVALID');
    expect(codeOf(() => readSgptSettings({ n_positions: 64 }, { maxLength: 65 }))).toBe('INPUT_INVALID');
    expect(readSgptSettings({ n_positions: 64 }, { maxLength: 64 }).maxLength.query).toBe(64);
    expect(codeOf(() => readSgptSettings({ max_position_embeddings: 128, sgpt: { mode: 'asymmetric' } }))).toBe(
      'MODEL_INVALID',
    );
    expect(codeOf(() => readSgptSettings({ sgpt: { mode: 'asymmetric', max_length: 2 } }))).toBe('MODEL_INVALID');
    expect(readSgptSettings({ sgpt: { mode: 'asymmetric', max_length: 3 } }).maxLength.document).toBe(3);
    // The role in words ("for querys" before).
    expect(() => readSgptSettings({ n_positions: 64 }, { maxLength: { query: 100 } })).toThrow(/^max length 100 for queries exceeds the model's 64 positions/);
    expect(() => readSgptSettings({ sgpt: { mode: 'asymmetric', max_length: 2 } })).toThrow(/max length 2 for queries leaves no room/);
  });

  it('rejects token ids outside the vocabulary', () => {
    expect(codeOf(() => readSgptSettings({ vocab_size: 80 }))).toBe('MODEL_INVALID'); // pad 50256
    expect(() => readSgptSettings({ vocab_size: 80, sgpt: { pad_token_id: 0 } })).toThrow(/90.*vocab_size 80/);
  });
});
