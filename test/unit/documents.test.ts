/** Document validation (element and worker) and the text the model embeds for a document. */
import { describe, expect, it } from 'vitest';
import { documentText, validateDocuments } from '../../src/worker/documents';
import { bestPassage, makeExcerpt } from '../../src/search/excerpt';
import { sgptThrow } from '../support';

function problem(value: unknown): string {
  const error = sgptThrow(() => validateDocuments(value));
  expect(error.code).toBe('DOCUMENTS_INVALID');
  return error.message;
}

describe('validateDocuments', () => {
  it('returns a valid array as it is', () => {
    const docs = [
      { id: 'a', title: 'A', text: 'first', url: '/a' },
      { id: 2, title: '', text: '' },
    ];
    expect(validateDocuments(docs)).toBe(docs);
    expect(validateDocuments([])).toEqual([]);
  });

  it('names what is wrong and where', () => {
    expect(problem({ id: 'a' })).toBe('documents must be an array of {id, title, text, url}, got object');
    expect(problem(null)).toBe('documents must be an array of {id, title, text, url}, got null');
    expect(problem([{ id: 'a', title: 'A', text: 'x' }, 'b'])).toBe('document 1 must be an object with id, title and text');
    expect(problem([{ title: 'A', text: 'x' }])).toBe('document 0 needs an id (a non-empty string or a number), got undefined');
    expect(problem([{ id: '', title: 'A', text: 'x' }])).toBe('document 0 needs an id (a non-empty string or a number), got ""');
    expect(problem([{ id: Number.NaN, title: 'A', text: 'x' }])).toBe('document 0 needs an id (a non-empty string or a number), got null');
    expect(problem([{ id: 'a', title: 'A', text: 'x' }, { id: 'b', title: 'B', text: 'y' }, { id: 'a', title: 'C', text: 'z' }])).toBe(
      'document 2 repeats the id "a" of document 0',
    );
    expect(problem([{ id: 'a', title: 3, text: 'x' }])).toBe('document 0 (id "a"): title must be a string');
    expect(problem([{ id: 7, title: 'A', text: null }])).toBe('document 0 (id 7): text must be a string');
    expect(problem([{ id: 'a', title: 'A', text: 'x', url: 5 }])).toBe('document 0 (id "a"): url must be a string when given');
  });
});

describe('documentText', () => {
  it('is the title, a newline and the text; either alone when the other is empty', () => {
    expect(documentText({ id: 1, title: 'Tea', text: 'Steep it.' })).toBe('Tea\nSteep it.');
    expect(documentText({ id: 1, title: '', text: 'Steep it.' })).toBe('Steep it.');
    expect(documentText({ id: 1, title: 'Tea', text: '' })).toBe('Tea');
  });
});

describe('makeExcerpt', () => {
  const text = `${'Alpha beta gamma delta. '.repeat(10)}The kettle boils water for tea. ${'Epsilon zeta eta theta. '.repeat(10)}`;

  it('returns short text whole, whitespace collapsed', () => {
    expect(makeExcerpt('  Tea\n\n is   good ', 'tea')).toBe('Tea is good');
  });

  it('starts near the first query word found, cut at spaces, with ellipses', () => {
    const excerpt = makeExcerpt(text, 'Kettle please', { max: 60 });
    expect(excerpt.startsWith('…')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerpt).toContain('The kettle boils water');
    expect(excerpt.length).toBeLessThanOrEqual(62);
    // whole words only
    expect(excerpt.slice(1, -1).split(' ').every((w) => text.includes(w))).toBe(true);
  });

  it('starts at the beginning when no query word occurs', () => {
    expect(makeExcerpt(text, 'zz qq', { max: 30 })).toBe('Alpha beta gamma delta. Alpha…');
  });

  it('centres on the passage holding the most query terms, not the first mention (stemmed, as the index matches)', () => {
    const doc = `A kettle is mentioned first. ${'Filler words about nothing. '.repeat(12)}Descaling kettles: boil vinegar in the kettle, then rinse. ${'More filler here. '.repeat(12)}`;
    const excerpt = makeExcerpt(doc, 'descale kettle vinegar', { max: 80 });
    expect(excerpt).toContain('Descaling kettles: boil vinegar');
    expect(excerpt).not.toContain('mentioned first');
    expect(bestPassage(doc, 'descale kettle vinegar', 60)).toBe(doc.indexOf('Descaling'));
    expect(bestPassage(doc, 'zz', 60)).toBe(-1);
    expect(bestPassage(doc, 'kettle', 60)).toBe(doc.indexOf('kettles'));
  });
});
