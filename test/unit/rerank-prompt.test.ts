import { describe, expect, it } from 'vitest';
import { encodePair, fitToWindow, PROMPTS, splitTemplate, type EncodedPair } from '../../src/rerank/prompt';

/** One token per character: makes every count below checkable by eye. */
const chars = (text: string): number[] => [...text].map((c) => c.codePointAt(0)!);

describe('rerank prompt', () => {
  it('formats the document into the reference prompt "G" and tokenises the query separately', () => {
    const pair = encodePair(chars, PROMPTS.asymmetric, 'doc', 'q?');
    const expected =
      'Documents are searched to find matches with the same content.\nThe document "doc" is a good search result for "';
    expect(pair.context).toEqual(chars(expected));
    expect(pair.instructionLength).toBe(expected.indexOf('"doc"') + 1);
    expect(pair.suffixLength).toBe('" is a good search result for "'.length);
    expect(pair.query).toEqual(chars('q?')); // no closing quote
  });

  it('has a symmetric question variant', () => {
    expect(splitTemplate(PROMPTS.symmetric).instruction).toBe(
      'Questions are searched to find matches with the same content.\nThe question "',
    );
  });

  it('keeps a document with replacement patterns literal', () => {
    const pair = encodePair(chars, 'I {doc} S', '$& $1', 'q');
    expect(pair.context).toEqual(chars('I $& $1 S'));
  });

  it('rejects an empty query and a template without exactly one placeholder', () => {
    expect(() => encodePair(chars, PROMPTS.asymmetric, 'doc', '')).toThrow(/empty query/);
    expect(() => splitTemplate('no placeholder')).toThrow(/exactly one/);
    expect(() => splitTemplate('{doc} and {doc}')).toThrow(/exactly one/);
  });
});

describe('fitting a pair to the model window', () => {
  // instruction 1 2 3 | document 10 11 12 13 | suffix 20 ; query 30 31
  const pair: EncodedPair = { context: [1, 2, 3, 10, 11, 12, 13, 20], instructionLength: 3, suffixLength: 1, query: [30, 31] };

  it('drops the last query token from the input (it is only predicted)', () => {
    const input = fitToWindow(pair, 100);
    expect(input.ids).toEqual([1, 2, 3, 10, 11, 12, 13, 20, 30]);
    expect(input.query).toEqual([30, 31]);
  });

  it('keeps the instruction and cuts the document from the left', () => {
    const input = fitToWindow(pair, 7);
    expect(input.ids).toEqual([1, 2, 3, 12, 13, 20, 30]);
    expect(input.ids.length).toBe(7);
  });

  it('uses exactly maxLength positions at the boundary and nothing is cut when it fits', () => {
    expect(fitToWindow(pair, 9).ids).toEqual([1, 2, 3, 10, 11, 12, 13, 20, 30]);
    expect(fitToWindow(pair, 8).ids).toEqual([1, 2, 3, 11, 12, 13, 20, 30]);
  });

  it('may drop the whole document but never the query or the suffix', () => {
    expect(fitToWindow(pair, 5).ids).toEqual([1, 2, 3, 20, 30]);
    expect(() => fitToWindow(pair, 4)).toThrow(/query of 2 tokens is too long/);
  });
});
