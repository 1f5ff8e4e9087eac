/** Document validation (element and worker) and the text the model embeds for a document. */
import { describe, expect, it } from 'vitest';
import { documentText, validateDocuments } from '../../src/worker/documents';
import { bestPassage, makeExcerpt } from '../../src/search/excerpt';
import { sgptThrow } from '../support';
import { DocumentSearch, SLICED_CHARS, type TextDocument } from '../../src/search/document-search';
import { DEFAULT_FUSION } from '../../src/search/fusion';

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
    expect(problem([{ id: 'a', title: 'A', text: 'x', lang: 'Deutsch (Schweiz)' }])).toBe('document 0 (id "a"): lang "Deutsch (Schweiz)" is not a language tag (write e.g. "de", "pt-BR", "ja")');
    expect(problem([{ id: 'a', title: 'A', text: 'x', lang: 7 }])).toMatch(/lang 7 is not a language tag/);
    expect(problem([{ id: 'a', title: 'A', text: 'x', weight: 0 }])).toBe('document 0 (id "a"): weight 0 must be a number > 0 and ≤ 100 (1 is the default; 2 doubles its keyword score)');
    expect(problem([{ id: 'a', title: 'A', text: 'x', weight: '2' }])).toMatch(/weight "2" must be a number/);
    expect(problem([{ id: 'a', title: 'A', text: 'x', weight: 101 }])).toMatch(/weight 101 must be/);
    expect(problem([{ id: 'a', title: 'A', text: 'x', keywords: 'venv' }])).toBe('document 0 (id "a"): keywords must be an array of non-empty strings, e.g. ["venv", "virtualenv"]');
    expect(problem([{ id: 'a', title: 'A', text: 'x', keywords: ['venv', ' '] }])).toMatch(/keywords must be an array of non-empty strings/);
    const ok = [{ id: 'a', title: 'A', text: 'x', lang: 'pt-BR', weight: 2.5, keywords: ['venv'] }];
    expect(validateDocuments(ok)).toBe(ok);
  });
});

describe('in-page documents: languages, weights and aliases', () => {
  const docs: TextDocument[] = [
    { id: 'en-install', title: 'Installing packages', text: 'Install packages with pip into a virtual environment.' },
    { id: 'de-install', title: 'Pakete installieren', text: 'Installieren Sie die Pakete mit pip in eine virtuelle Umgebung.', lang: 'de-DE' },
    { id: 'de-files', title: 'Dateien lesen', text: 'Eine Datei Zeile für Zeile lesen.', lang: 'de' },
    { id: 'ja', title: 'パッケージのインストール', text: '仮想環境にパッケージをインストールします。', lang: 'ja' },
    { id: 'venv', title: 'Isolated environments', text: 'Each project gets its own interpreter and site directory.', keywords: ['venv', 'virtualenv'] },
    { id: 'env', title: 'Environment variables', text: 'The venv module reads environment variables.' },
  ];
  let search: DocumentSearch;

  it('analyses each document in its lang and searches the query language\'s documents only', async () => {
    const opened = DocumentSearch.open(docs);
    expect(opened).toBeInstanceOf(Promise); // German's stemmer is fetched first
    search = await opened;
    // "installiert" stems to the German documents' "installieren" only when read as German.
    expect(search.keywordSearch('installiert', 5, 'de').map((h) => docs[h.doc]!.id)).toEqual(['de-install']);
    expect(search.keywordSearch('Datei', 5, 'de-AT').map((h) => docs[h.doc]!.id)).toEqual(['de-files']);
    expect(search.keywordSearch('pip', 5, 'en').map((h) => docs[h.doc]!.id)).toEqual(['en-install']); // the German one holds pip too
    expect(search.keywordSearch('インストール', 5, 'ja').map((h) => docs[h.doc]!.id)).toEqual(['ja']);
    expect(search.keywordSearch('pip', 5).map((h) => docs[h.doc]!.id).sort()).toEqual(['de-install', 'en-install']); // no language: every document
    // English only: built at once.
    expect(DocumentSearch.open(docs.filter((d) => d.lang === undefined))).toBeInstanceOf(DocumentSearch);
  });

  it('indexes a big set in slices, the event loop turning between them, into the same index as at once', async () => {
    const many = Array.from({ length: 4_000 }, (_, i) => ({ id: i, title: `Note ${i}`, text: `note ${i} on kettles, cups and water number ${i % 97} `.repeat(12), ...(i % 3 === 0 ? { weight: 2 } : {}) }));
    expect(many.reduce((sum, doc) => sum + doc.text.length, 0)).toBeGreaterThan(SLICED_CHARS);
    let turned = false;
    setTimeout(() => (turned = true), 0);
    const opened = DocumentSearch.open(many);
    expect(opened).toBeInstanceOf(Promise);
    const sliced = await (opened as Promise<DocumentSearch>).then((ready) => (expect(turned).toBe(true), ready));
    const whole = new DocumentSearch(many);
    for (const query of ['kettles number 42', 'note 3999', 'cups water']) {
      expect(sliced.keywordSearch(query, 10)).toEqual(whole.keywordSearch(query, 10));
    }
  });

  it('fuses only the query language\'s documents, and leaves the dense list out for a language the model does not know', async () => {
    const dense = [{ id: 'de-install', score: 0.9 }, { id: 'en-install', score: 0.8 }];
    expect((await search.fusedSearch('install packages', dense, DEFAULT_FUSION, 5, 'en')).map((h) => docs[h.doc]!.id)).toEqual(['en-install']);
    // A German query: the dense list (of a model that knows English only) is not fused in.
    const german = await search.fusedSearch('Pakete', [{ id: 'de-files', score: 0.99 }], DEFAULT_FUSION, 5, 'de');
    expect(german.map((h) => docs[h.doc]!.id)).toEqual(['de-install']);
  });

  it('ranks an alias like a title word and multiplies a weighted document\'s score', () => {
    expect(search.keywordSearch('venv', 5, 'en').map((h) => docs[h.doc]!.id)).toEqual(['venv', 'env']);
    const plain = new DocumentSearch([{ id: 'a', title: 'Setup', text: 'install it' }, { id: 'b', title: 'Notes', text: 'install it' }]);
    const weighted = new DocumentSearch([{ id: 'a', title: 'Setup', text: 'install it' }, { id: 'b', title: 'Notes', text: 'install it', weight: 3 }]);
    const [a, b] = [plain.keywordSearch('install', 2), weighted.keywordSearch('install', 2)];
    expect(b.map((h) => h.doc)).toEqual([1, 0]);
    expect(b[0]!.score).toBeCloseTo(3 * a.find((h) => h.doc === 1)!.score, 10);
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
