import { describe, expect, it } from 'vitest';
import { readSgptSettings } from '../../src/embed/sgpt-settings';
import { textBudget, wrapIds } from '../../src/embed/wrap';

const asymmetric = readSgptSettings({ sgpt: { mode: 'asymmetric', max_length: { query: 10, document: 20 } } });
const symmetric = readSgptSettings({ sgpt: { mode: 'symmetric', max_length: 12 } });

describe('wrapIds', () => {
  it('asymmetric queries get [ and ] as ids 58 and 60', () => {
    expect(wrapIds([15496, 995], asymmetric, 'query')).toEqual([58, 15496, 995, 60]);
  });
  it('asymmetric documents get { and } as ids 90 and 92', () => {
    expect(wrapIds([15496, 995], asymmetric, 'document')).toEqual([90, 15496, 995, 92]);
  });
  it('symmetric mode leaves the ids alone, for both roles', () => {
    expect(wrapIds([15496, 995], symmetric, 'query')).toEqual([15496, 995]);
    expect(wrapIds([15496, 995], symmetric, 'document')).toEqual([15496, 995]);
  });
  it('an empty asymmetric text is just the brackets', () => {
    expect(wrapIds([], asymmetric, 'query')).toEqual([58, 60]);
  });
  it('does not mutate its input', () => {
    const ids = [1, 2];
    wrapIds(ids, asymmetric, 'query');
    expect(ids).toEqual([1, 2]);
  });
  it('the bracket ids are the GPT-2 byte-level ids of the characters (ord - 33)', () => {
    expect(['[', ']', '{', '}'].map((c) => c.charCodeAt(0) - 33)).toEqual([58, 60, 90, 92]);
  });
});

describe('textBudget', () => {
  it('subtracts the two brackets in asymmetric mode', () => {
    expect(textBudget(asymmetric, 'query')).toBe(8);
    expect(textBudget(asymmetric, 'document')).toBe(18);
  });
  it('is the whole length in symmetric mode', () => {
    expect(textBudget(symmetric, 'document')).toBe(12);
  });
});
