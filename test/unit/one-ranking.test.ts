/**
 * One ranking everywhere: on a small corpus, eval's `default` row, the CLI's `query` over a site
 * index of the same documents (one page each), and the in-page path (the worker's dense list
 * fused by DocumentSearch, as the element does) give the same top 10 for every query, with the
 * real default model. The site index keeps int8 vectors (cosine ≥ 0.999 to float), so there two
 * neighbours may swap where rounding splits a near tie; nothing moves further.
 * (test/e2e/one-ranking.spec.ts checks the element in Chromium against the same rankings.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultModelSource } from '../../src/build/default-model';
import { buildSiteIndex } from '../../src/build/site-build';
import { querySiteIndex } from '../../src/build/site-query';
import { Embedder } from '../../src/embed/embedder';
import { loadBeir, type BeirDataset } from '../../src/eval/beir';
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
