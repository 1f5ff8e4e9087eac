/**
 * One ranking everywhere: on a small corpus, eval's `default` row, the CLI's `query` over a site
 * index of the same documents (one page each), and the in-page path (the worker's dense list
 * fused by DocumentSearch, as the element does) give the same top 10 for every query, with the
 * real default model. The site index keeps int8 vectors (cosine ≥ 0.999 to float), so there two
 * neighbours may swap where rounding splits a near tie; nothing moves further.
 * (test/e2e/one-ranking.spec.ts checks the element in Chromium against the same rankings.)
 * A site of pages with several sections, made a BEIR corpus the way scripts/faq-beir.ts makes its
 * docs-question sets (src/eval/site-corpus), ranks the same in eval and through the site index.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelSource } from '../../src/build/default-model';
import { buildSiteIndex } from '../../src/build/site-build';
import { querySiteIndex } from '../../src/build/site-query';
import { Embedder } from '../../src/embed/embedder';
import { loadBeir, type BeirDataset } from '../../src/eval/beir';
import { sectionRecord } from '../../src/eval/site-corpus';
import { extractSite } from '../../src/extract/site';
import { openEval } from '../../src/eval/runner';
import { DocumentSearch } from '../../src/search/document-search';
import { DEFAULT_FUSION } from '../../src/search/fusion';
import { fusionDepth } from '../../src/search/ranking';
import { WorkerHandler } from '../../src/worker/handler';
import type { Response, SearchResult } from '../../src/worker/protocol';
import { docIdOf, writeBeirSite } from '../fixtures/beir-site';

const MINI = resolve(import.meta.dirname, '../fixtures/beir-mini');
describe('one ranking: eval default, CLI query, in-page search', () => {
  let tmp: string;
  let data: BeirDataset;
  const model = defaultModelSource();
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'one-ranking-'));
    data = await loadBeir(MINI);
    await writeBeirSite(data, join(tmp, 'site'));
    await buildSiteIndex({ site: join(tmp, 'site'), out: join(tmp, 'site', 'sgpt'), model, runtime: false, shipModel: false });
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('gives every query the same top 10 on every path', async () => {
    const open = await openEval({ data: MINI, model, cacheDir: null });
    const evalRun = await open.ctx.run('default').finally(() => open.dispose());

    const responses: Response[] = [];
    const handler = new WorkerHandler((r) => responses.push(r), { loadEmbedder: (request) => Embedder.load(request.model).then((embedder) => ({ embedder, hash: '' })) });
    await handler.handle({ id: 1, type: 'load', model });
    await handler.handle({ id: 2, type: 'setDocuments', documents: data.corpus });
    const inPage = new DocumentSearch(data.corpus);

    let id = 3;
    for (const query of data.queries) {
      const expected = evalRun.get(query.id)!.slice(0, 10);
      const site = await querySiteIndex({ index: join(tmp, 'site', 'sgpt'), query: query.text, limit: 10, model });
      const siteIds = site.map((hit) => docIdOf(hit.url));
      expect([...siteIds].sort(), query.text).toEqual([...expected].sort());
      siteIds.forEach((doc, rank) => expect(Math.abs(expected.indexOf(doc) - rank), `${query.text}: ${doc}`).toBeLessThanOrEqual(1));
      await handler.handle({ id, type: 'search', query: query.text, limit: fusionDepth(10) });
      const dense = (responses.find((r) => r.id === id && r.type === 'result') as { result: SearchResult }).result;
      id++;
      expect(inPage.rank(query.text, dense.hits, DEFAULT_FUSION, 10).map((hit) => data.corpus[hit.doc]!.id), query.text).toEqual(expected);
    }
  });
});

/** Pages whose sections share headings ("Locks" on two pages), so the page a section sits on is what tells them apart. */
const PAGES: Record<string, { title: string; lang?: string; sections: Record<string, string> }> = {
  'threading.html': {
    title: 'Threading: threads in one process',
    sections: {
      Locks: 'A lock is held by one thread at a time; acquire it before touching shared state and release it after.',
      Events: 'An event lets one thread signal the others that something happened; waiters block until it is set.',
      Timers: 'A timer runs a function after a delay on its own thread and can be cancelled before it fires.',
    },
  },
  'processes.html': {
    title: 'Processes: parallel work across cores',
    sections: {
      Locks: 'Processes share no memory, so a lock here guards a resource such as a file that several processes open.',
      Pipes: 'A pipe connects two processes; what one writes the other reads, in order.',
      Pools: 'A pool of worker processes maps a function over many inputs and gathers the results.',
    },
  },
  'files.html': {
    title: 'Reading and writing files',
    sections: {
      Opening: 'Open a file with a mode: read, write or append; close it when done, or use a with block.',
      Encodings: 'Text files are decoded with an encoding; pass encoding="utf-8" rather than relying on the default.',
      Locks: 'Advisory file locks coordinate writers: take the lock before writing and the other writers wait.',
    },
  },
  // A page in a language the model was not trained on: its sections are read with German analysis
  // and rank by keyword alone, in eval as in the site index.
  'dateien.html': {
    title: 'Dateien lesen und schreiben',
    lang: 'de',
    sections: {
      Sperren: 'Eine Dateisperre hält andere Schreiber auf, bis die Sperre wieder freigegeben ist.',
      Kodierungen: 'Textdateien werden mit einer Kodierung gelesen; geben Sie encoding="utf-8" an.',
    },
  },
};

describe('one ranking: a site with many sections a page, as eval reads it and as the site index ranks it', () => {
  let tmp: string;
  const model = defaultModelSource();
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'one-ranking-sections-'));
    const site = join(tmp, 'site');
    await mkdir(site, { recursive: true });
    for (const [file, page] of Object.entries(PAGES)) {
      const body = Object.entries(page.sections).map(([heading, text]) => `<h2 id="${heading.toLowerCase()}">${heading}</h2><p>${text}</p>`).join('');
      await writeFile(join(site, file), `<!doctype html><html lang="${page.lang ?? 'en'}"><head><title>${page.title}</title></head><body><main><h1>${page.title}</h1><p>${page.title}.</p>${body}</main></body></html>`);
    }
    await buildSiteIndex({ site, out: join(site, 'sgpt'), model, runtime: false, shipModel: false });
    const records = (await extractSite(site, { exclude: ['sgpt/**'] })).flatMap((page) => page.sections.map((section) => ({ page, section }))).map(({ page, section }, i) => sectionRecord(`s${i}`, page, section));
    const queries = ['threading locks', 'how do I lock a file for writing', 'process pool', 'signal another thread', 'text encoding of files', 'locks', 'Dateien sperren', 'Kodierung der Textdateien'];
    const data = join(tmp, 'beir');
    await mkdir(join(data, 'qrels'), { recursive: true });
    await writeFile(join(data, 'corpus.jsonl'), records.map((record) => JSON.stringify(record)).join('\n'));
    await writeFile(join(data, 'queries.jsonl'), queries.map((text, i) => JSON.stringify({ _id: `q${i}`, text })).join('\n'));
    await writeFile(join(data, 'qrels', 'test.tsv'), ['query-id\tcorpus-id\tscore', ...queries.map((_, i) => `q${i}\ts0\t1`)].join('\n'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it("gives every query the site search's top 10 in eval's default row, sections told apart by their page", async () => {
    const data = await loadBeir(join(tmp, 'beir'));
    expect(data.corpus.some((doc) => doc.place !== undefined && doc.place.headingPath.length > 1)).toBe(true);
    expect(data.corpus.filter((doc) => doc.lang === 'de')).toHaveLength(3);
    const open = await openEval({ data: join(tmp, 'beir'), model, cacheDir: null });
    const evalRun = await open.ctx.run('default').finally(() => open.dispose());
    const byUrl = new Map(
      (await readFile(join(tmp, 'beir', 'corpus.jsonl'), 'utf8')).split('\n').map((line) => JSON.parse(line) as { _id: string; url: string }).map((record) => [record.url, record._id]),
    );
    for (const query of data.queries) {
      const expected = evalRun.get(query.id)!.slice(0, 10);
      const site = (await querySiteIndex({ index: join(tmp, 'site', 'sgpt'), query: query.text, limit: 10, model })).map((hit) => byUrl.get(hit.url) ?? hit.url);
      expect([...site].sort(), query.text).toEqual([...expected].sort());
      site.forEach((doc, rank) => expect(Math.abs(expected.indexOf(doc) - rank), `${query.text}: ${doc}`).toBeLessThanOrEqual(1));
    }
  });
});
