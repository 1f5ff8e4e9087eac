import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { documentText, loadBeir, productEmbeddingText } from '../../src/eval/beir';

const mini = resolve(import.meta.dirname, '../fixtures/beir-mini');
const scratch = mkdtempSync(join(tmpdir(), 'beir-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let made = 0;
/** A data set folder with the given files (paths relative to it). */
function dataset(files: Record<string, string | Uint8Array>): string {
  const dir = join(scratch, `set-${made++}`);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return dir;
}

const corpus = '{"_id": "d1", "title": "T", "text": "one"}\n{"_id": "d2", "text": "two"}\n';
const queries = '{"_id": "q1", "text": "first"}\n{"_id": "q2", "text": "second"}\n';
const qrels = 'query-id\tcorpus-id\tscore\nq1\td1\t1\n';

describe('BEIR loader', () => {
  it('reads the mini fixture: judged queries only, graded qrels', async () => {
    const data = await loadBeir(mini);
    expect(data.corpus).toHaveLength(12);
    expect(data.corpus[0]).toEqual({ id: 'd1', title: 'Generators', text: expect.stringContaining('yield') });
    expect(data.queries.map((q) => q.id)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8', 'q9', 'q10', 'q11']);
    expect(data.qrels.get('q4')).toEqual(new Map([['d6', 2], ['d2', 1]]));
    expect(data.unknownDocs).toBe(0);
    expect(documentText(data.corpus[0]!)).toBe(`Generators ${data.corpus[0]!.text}`);
  });

  it('reads gzipped corpus and queries, a missing title, numeric ids, CRLF and blank lines', async () => {
    const dir = dataset({
      'corpus.jsonl.gz': gzipSync(corpus.replace('"d2"', '7') + '\r\n'),
      'queries.jsonl.gz': gzipSync(queries),
      'qrels/test.tsv': 'query-id\tcorpus-id\tscore\r\nq1\t7\t2\r\nq1\tgone\t1\r\n',
    });
    const data = await loadBeir(dir);
    expect(data.corpus).toEqual([
      { id: 'd1', title: 'T', text: 'one' },
      { id: '7', title: '', text: 'two' },
    ]);
    expect(data.qrels.get('q1')).toEqual(new Map([['7', 2], ['gone', 1]]));
    expect(data.unknownDocs).toBe(1);
    expect(documentText(data.corpus[1]!)).toBe('two');
  });

  it("reads a site section's place and hints: the baselines read its path as its title, the product reads it as the site index does", async () => {
    const section = { _id: 's1', title: 'Locks', text: 'Take the lock.', url: '/t.html#locks', page_title: 'Threading', heading_path: ['Threading', 'Locks'], keywords: ['mutex'], weight: 2, lang: 'en-GB' };
    const lead = { _id: 's0', title: 'Threading', text: 'Threads.', page_title: 'Threading', heading_path: [] };
    const dir = dataset({ 'corpus.jsonl': `${JSON.stringify(section)}\n${JSON.stringify(lead)}\n`, 'queries.jsonl': queries, 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\ts1\t1\n' });
    const [doc, top] = (await loadBeir(dir)).corpus;
    expect(doc).toEqual({ id: 's1', title: 'Locks', text: 'Take the lock.', place: { pageTitle: 'Threading', headingPath: ['Threading', 'Locks'] }, keywords: ['mutex'], weight: 2, lang: 'en-GB', url: '/t.html#locks' });
    expect(documentText(doc!)).toBe('Threading › Locks Take the lock.');
    expect(productEmbeddingText(doc!)).toBe('Threading › Locks\nTake the lock.');
    expect(documentText(top!)).toBe('Threading Threads.');
    expect(productEmbeddingText(top!)).toBe('Threading\nThreads.');
    // Without a place, a document is a one-section page.
    expect(productEmbeddingText({ id: 'd', title: 'T', text: 'x' })).toBe('T\nx');
    const bad: [string, RegExp][] = [
      ['{"_id": "d", "text": "x", "heading_path": "A › B"}', /line 1: "heading_path" must be a list of strings, got "A › B"/],
      ['{"_id": "d", "text": "x", "heading_path": ["A"]}', /line 1: "heading_path" needs "page_title"/],
      ['{"_id": "d", "text": "x", "page_title": 3, "heading_path": ["A"]}', /line 1: "page_title" must be a string, got 3/],
      ['{"_id": "d", "text": "x", "lang": 7}', /line 1: "lang" must be a string, got 7/],
      ['{"_id": "d", "text": "x", "url": ["/a.html"]}', /line 1: "url" must be a string, got \["\/a.html"\]/],
      ['{"_id": "d", "text": "x", "page_title": "A"}', /line 1: "page_title" needs "heading_path"/],
      ['{"_id": "d", "text": "x", "keywords": [1]}', /line 1: "keywords" must be a list of strings/],
      ['{"_id": "d", "text": "x", "weight": 0}', /line 1: weight 0 must be a number > 0/],
    ];
    for (const [line, message] of bad) {
      await expect(loadBeir(dataset({ 'corpus.jsonl': `${line}\n`, 'queries.jsonl': queries, 'qrels/test.tsv': qrels })), String(message)).rejects.toThrow(message);
    }
  });

  it('reads another split', async () => {
    const dir = dataset({ 'corpus.jsonl': corpus, 'queries.jsonl': queries, 'qrels/train.tsv': 'query-id\tcorpus-id\tscore\nq2\td2\t1\n' });
    expect((await loadBeir(dir, { split: 'train' })).queries.map((q) => q.id)).toEqual(['q2']);
    await expect(loadBeir(dir)).rejects.toThrow(/missing qrels\/test\.tsv/);
  });

  it('names missing files', async () => {
    await expect(loadBeir(join(scratch, 'nowhere'))).rejects.toThrow(/does not exist/);
    await expect(loadBeir(dataset({ 'queries.jsonl': queries, 'qrels/test.tsv': qrels }))).rejects.toThrow(/missing corpus\.jsonl \(or corpus\.jsonl\.gz\)/);
    await expect(loadBeir(dataset({ 'corpus.jsonl': corpus, 'qrels/test.tsv': qrels }))).rejects.toThrow(/missing queries\.jsonl/);
  });

  it('reports malformed lines with file and line number', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'corpus.jsonl': `${corpus}{"_id": "d3", "text": \n` }, /corpus\.jsonl line 3: not valid JSON/],
      [{ 'corpus.jsonl': '{"_id": "d1"}\n' }, /corpus\.jsonl line 1: "text" must be a string, got undefined/],
      [{ 'corpus.jsonl': '[1, 2]\n' }, /corpus\.jsonl line 1: expected a JSON object/],
      [{ 'corpus.jsonl': `${corpus}{"_id": "d1", "text": "again"}\n` }, /corpus\.jsonl line 3: duplicate _id "d1"/],
      [{ 'queries.jsonl': '{"_id": "q1", "text": 5}\n' }, /queries\.jsonl line 1: "text" must be a string/],
      // An empty query was scored as one (a row of zeros or chance in every method's mean).
      [{ 'queries.jsonl': '{"_id": "q1", "text": " "}\n' }, /queries\.jsonl line 1: the query "text" is empty: give the words to search for, or leave the query out/],
      [{ 'qrels/test.tsv': 'q1\td1\t1\n' }, /test\.tsv line 1: expected the header/],
      [{ 'qrels/test.tsv': `${qrels}q1\td2\n` }, /test\.tsv line 3: expected "query-id<TAB>corpus-id<TAB>score"/],
      [{ 'qrels/test.tsv': `${qrels}q1\td2\thigh\n` }, /test\.tsv line 3: score must be an integer, got "high"/],
      [{ 'qrels/test.tsv': `${qrels}q9\td2\t1\n` }, /1 judged query id\(s\) are not in queries\.jsonl, e\.g\. "q9"/],
      [{ 'qrels/test.tsv': '' }, /test\.tsv: empty/],
      // Nothing to find: every score would be a zero that looks like a result.
      [{ 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\td1\t0\n' }, /test\.tsv: no query has a relevant document \(a score above 0\)/],
      [{ 'qrels/test.tsv': 'query-id\tcorpus-id\tscore\nq1\tnope\t1\n' }, /test\.tsv: none of the 1 relevant documents is in corpus\.jsonl \(2 documents\), e\.g\. "nope"/],
      [{ 'corpus.jsonl': '' }, /none of the 1 relevant documents is in corpus\.jsonl \(0 documents\)/],
    ];
    for (const [override, message] of cases) {
      const dir = dataset({ 'corpus.jsonl': corpus, 'queries.jsonl': queries, 'qrels/test.tsv': qrels, ...override });
      await expect(loadBeir(dir), String(message)).rejects.toThrow(message);
      await expect(loadBeir(dir)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    }
  });

  it('reports a corrupt gzip file', async () => {
    const gz = gzipSync(corpus);
    const dir = dataset({ 'corpus.jsonl.gz': gz.subarray(0, gz.length - 8), 'queries.jsonl': queries, 'qrels/test.tsv': qrels });
    await expect(loadBeir(dir)).rejects.toThrow(/corpus\.jsonl\.gz: cannot read after line/);
  });
});
