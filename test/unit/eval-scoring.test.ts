import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ndcgAt } from '../../src/eval/metrics';
import { judgementsByPage, pagesOf, scoringOf } from '../../src/eval/scoring';
import { pageOfUrl } from '../../src/search/texts';

describe('scoring by page', () => {
  it('reads a section url as its page', () => {
    expect(pageOfUrl('/topics/settings.html#depth-priority')).toBe('/topics/settings.html');
    expect(pageOfUrl('/index.html')).toBe('/index.html');
    expect(pageOfUrl('/a.html#x#y')).toBe('/a.html');
  });

  it('reads a ranking as the pages it reaches, each where its first section ranks', () => {
    expect(pagesOf(['a#1', 'b#1', 'a#2', 'c', 'b#2'], pageOfUrl)).toEqual(['a', 'b', 'c']);
    expect(pagesOf([], pageOfUrl)).toEqual([]);
  });

  it('judges a page as its best judged section', () => {
    const qrels = new Map([['q', new Map([['a#1', 1], ['a#2', 2], ['b#1', 0]])]]);
    expect(judgementsByPage(qrels, pageOfUrl)).toEqual(new Map([['q', new Map([['a', 2], ['b', 0]])]]));
  });

  it('scores a section of a judged page as found: hand-computed nDCG@10', () => {
    const corpus = ['a#1', 'a#2', 'b#1', 'c#1'].map((url, i) => ({ id: `s${i}`, title: '', text: '', url }));
    const qrels = new Map([['q', new Map([['s0', 2], ['s2', 1]])]]); // pages a (2) and b (1)
    const scoring = scoringOf({ dir: 'set', corpus, qrels }, 'page');
    // Sections c#1, a#2, b#1, a#1 reach pages c, a, b: gains 0, 2, 1 against the ideal 2, 1.
    const ranking = scoring.ranking(['s3', 's1', 's2', 's0']);
    expect(ranking).toEqual(['c', 'a', 'b']);
    const dcg = 2 / Math.log2(3) + 1 / Math.log2(4);
    const ideal = 2 + 1 / Math.log2(3);
    expect(ndcgAt(ranking, scoring.qrels.get('q')!, 10)).toBeCloseTo(dcg / ideal, 12);
    // By document the same ranking finds the grade-2 section last.
    const byDocument = scoringOf({ dir: 'set', corpus, qrels }, 'document');
    expect(ndcgAt(byDocument.ranking(['s3', 's1', 's2', 's0']), byDocument.qrels.get('q')!, 10)).toBeCloseTo((1 / Math.log2(4) + 2 / Math.log2(5)) / ideal, 12);
  });

  it('keeps a judged id the corpus lacks as a page never found, and refuses a record without a url', () => {
    const corpus = [{ id: 's0', title: '', text: '', url: '/a.html#x' }];
    const scoring = scoringOf({ dir: 'set', corpus, qrels: new Map([['q', new Map([['gone', 1]])]]) }, 'page');
    expect(scoring.qrels.get('q')).toEqual(new Map([['gone', 1]]));
    expect(ndcgAt(scoring.ranking(['s0']), scoring.qrels.get('q')!, 10)).toBe(0);
    expect(() => scoringOf({ dir: 'set', corpus: [...corpus, { id: 's1', title: '', text: '' }], qrels: new Map() }, 'page')).toThrow(
      /scoring by page needs each corpus record's "url"; set: record "s1" has none/,
    );
  });

  it('never scores a ranking lower by page than by section when each page holds one judged section at most (property)', () => {
    // Grouping can only move a judged page up: its first section ranks no lower than the judged one.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 8, maxLength: 8 }), fc.shuffledSubarray([0, 1, 2, 3, 4, 5, 6, 7]), fc.integer({ min: 0, max: 7 }), (pageOfSection, order, judged) => {
        const corpus = pageOfSection.map((page, i) => ({ id: `s${i}`, title: '', text: '', url: `p${page}#${i}` }));
        const qrels = new Map([['q', new Map([[`s${judged}`, 1]])]]);
        const ranking = order.map((i) => `s${i}`);
        const byPage = scoringOf({ dir: 'set', corpus, qrels }, 'page');
        const byDocument = scoringOf({ dir: 'set', corpus, qrels }, 'document');
        expect(ndcgAt(byPage.ranking(ranking), byPage.qrels.get('q')!, 10)).toBeGreaterThanOrEqual(ndcgAt(ranking, byDocument.qrels.get('q')!, 10) - 1e-12);
      }),
    );
  });
});
