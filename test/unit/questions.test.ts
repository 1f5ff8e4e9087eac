/** Questions (src/search/questions): what makes a query one, and the keyword search reading it without its question words. */
import { describe, expect, it } from 'vitest';
import { Bm25Index } from '../../src/search/bm25';
import { isQuestion } from '../../src/search/questions';

describe('isQuestion', () => {
  it('an interrogative opening or a trailing question mark', () => {
    for (const q of ['How do I read a file', 'what is a generator', 'file line by line?', ' Can I pickle a lambda ']) expect(isQuestion(q)).toBe(true);
    for (const q of ['read a file', 'however', 'I/O', '']) expect(isQuestion(q)).toBe(false);
  });
});

describe('a question read without its question words', () => {
  const docs = ['I wonder how to do it', 'read a file line by line', 'Why: a word about files'];
  const index = Bm25Index.build(docs);

  it('leaves out how / do / I of an English question, when another word is left', () => {
    expect(index.search('how do I read a file?', 3, { question: true }).map((h) => h.index)).toEqual([1, 2]);
    expect(index.search('how do I read a file?', 3).map((h) => h.index)).toEqual([0, 1, 2]);
    // Not a question: every word counts; a question of question words only: as typed.
    expect(index.search('I read files', 3, { question: true }).map((h) => h.index)).toEqual(index.search('I read files', 3).map((h) => h.index));
    expect(index.search('how do I', 3, { question: true })).toEqual(index.search('how do I', 3));
    // The last word typed in part is kept unless it is one of them.
    expect(index.search('how do I rea', 3, { question: true, prefix: true }).map((h) => h.index)).toEqual([1]);
    expect(index.searchWithMatch('how do I read', 3, { question: true }).match.terms).toBe(1);
    // Highlights read it so too: its words, the last one open while it is typed.
    expect(index.searchWithMatch('how do I read a file?', 3, { question: true }).read).toBe('read file ');
    expect(index.searchWithMatch('how do I rea', 3, { question: true, prefix: true }).read).toBe('rea');
    expect(index.searchWithMatch('read a file', 3, { question: true }).read).toBe('read a file ');
  });

  it('only in English: another language reads every word', async () => {
    const { loadLanguages } = await import('../../src/search/languages');
    await loadLanguages(['de']);
    const german = Bm25Index.build(['how do I', 'lesen'], { languages: ['de', 'de'] });
    expect(german.search('how do I lesen?', 2, { question: true }).map((h) => h.index)).toEqual(german.search('how do I lesen?', 2).map((h) => h.index));
  });
});
