import { describe, expect, it } from 'vitest';
import { analyze, analyzePartial, analyzeWords, ENGLISH_STOP_WORDS, stem, tokenize } from '../../src/search/analyzer';

describe('analyzer', () => {
  it("has Lucene's 33 English stop words", () => {
    expect(ENGLISH_STOP_WORDS.size).toBe(33);
    for (const word of ['the', 'a', 'such', 'their', 'will']) expect(ENGLISH_STOP_WORDS.has(word)).toBe(true);
    expect(ENGLISH_STOP_WORDS.has('what')).toBe(false);
  });

  it('lowercases and splits on anything that is not a letter, digit or mark', () => {
    expect(tokenize('Hello, World! os.path.join() 3.14 x_y')).toEqual(['hello', 'world', 'os', 'path', 'join', '3', '14', 'x', 'y']);
    expect(tokenize('Café naïve Ωmega')).toEqual(['café', 'naïve', 'ωmega']);
    // A decomposed accent (e + U+0301) stays inside the word.
    expect(tokenize('cafe\u0301 au lait')).toEqual(['cafe\u0301', 'au', 'lait']);
  });

  it('makes one token per Han / Hiragana character', () => {
    expect(tokenize('日本語 text')).toEqual(['日', '本', '語', 'text']);
  });

  it('drops a possessive ’s', () => {
    expect(tokenize("Python's GIL and Guido’s")).toEqual(['python', 'gil', 'and', 'guido']);
  });

  it("Porter-stems like Porter's paper", () => {
    const cases: Record<string, string> = {
      caresses: 'caress', ponies: 'poni', cats: 'cat', feed: 'feed', agreed: 'agre', plastered: 'plaster',
      motoring: 'motor', sing: 'sing', conflated: 'conflat', hopping: 'hop', filing: 'file', happy: 'happi',
      relational: 'relat', generalization: 'gener', generator: 'gener', electrical: 'electr', adjustment: 'adjust',
      controlling: 'control', roll: 'roll',
    };
    for (const [word, expected] of Object.entries(cases)) expect(stem(word), word).toBe(expected);
    expect(stem('données')).toBe('données'); // only plain a–z words are stemmed
  });

  it('analyses: stop words out, stems in, duplicates kept', () => {
    expect(analyze('The generators and the Generator')).toEqual(['gener', 'gener']);
    expect(analyze('The running of the bulls', { stem: false })).toEqual(['running', 'bulls']);
    expect(analyze('the cat', { stopWords: new Set() })).toEqual(['the', 'cat']);
  });

  it('treats a word still being typed as a prefix', () => {
    expect(analyzePartial('what is a gener')).toEqual({ terms: ['what'], words: ['what'], prefix: 'gener' });
    expect(analyzePartial('what is a generator ')).toEqual({ terms: ['what', 'gener'], words: ['what', 'generator'], prefix: null });
    expect(analyzePartial("python's")).toEqual({ terms: ['python'], words: ['python'], prefix: null });
    expect(analyzePartial('')).toEqual({ terms: [], words: [], prefix: null });
  });

  it('keeps the word each term came from (what typo correction compares), stop words dropped from both', () => {
    expect(analyzeWords('The Generators of os.path')).toEqual({ terms: ['gener', 'os', 'path'], words: ['generators', 'os', 'path'] });
  });
});
