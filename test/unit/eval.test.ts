import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main';
import { Embedder } from '../../src/embed/embedder';
import { documentText, loadBeir, productEmbeddingText, type BeirDataset } from '../../src/eval/beir';
import { evaluateRun, ndcgAt } from '../../src/eval/metrics';
import { DEFAULT_METHODS, runEval, type EvalReport } from '../../src/eval/runner';
import { Bm25Index } from '../../src/search/bm25';
import { DocumentSearch } from '../../src/search/document-search';
import { DEFAULT_FUSION, hybridConvexFusion, hybridFusion } from '../../src/search/fusion';
import { HYBRID_METHODS, ORACLE_SHARES } from '../../src/eval/methods';

const root = resolve(import.meta.dirname, '../..');
const mini = resolve(root, 'test/fixtures/beir-mini');
const model = resolve(root, 'test/fixtures/models/tiny-gpt2');

/** Run the CLI, capturing stdout and stderr. */
async function cli(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    return { status: await main(args), out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('eval runner', () => {
  it('bm25 on beir-mini matches hand-computed metrics', async () => {
    const report = await runEval({ data: mini, methods: ['bm25'], cacheDir: null });
    expect(report.model).toBeNull();
    const [bm25] = report.results;
    // Every query ranks its grade-2 document first; q5 finds its grade-1 document (d9) at rank 4:
    // nDCG = (2 + 1/log2 5) / (2 + 1/log2 3); the other nine queries are perfect.
    const q5 = (2 + 1 / Math.log2(5)) / (2 + 1 / Math.log2(3));
    expect(bm25).toMatchObject({ method: 'bm25', recall100: 1, mrr10: 1, queries: 10 });
    expect(bm25!.ndcg10).toBeCloseTo((9 + q5) / 10, 12);
  });

  it("instant scores the product's instant keyword results, with no model", async () => {
    const report = await runEval({ data: mini, methods: ['instant'], cacheDir: null });
    expect(report.model).toBeNull();
    const data = await loadBeir(mini);
    const search = await DocumentSearch.open(data.corpus);
    const judged = data.queries.filter((q) => [...(data.qrels.get(q.id)?.values() ?? [])].some((grade) => grade > 0));
    const expected = judged.reduce((sum, q) => sum + ndcgAt(search.keywordSearch(q.text, 100).map((h) => data.corpus[h.doc]!.id), data.qrels.get(q.id)!, 10), 0) / judged.length;
    expect(report.results[0]).toMatchObject({ method: 'instant', queries: judged.length });
    expect(report.results[0]!.ndcg10).toBeCloseTo(expected, 12);
  });

  it('limits queries and rejects unknown methods', async () => {
    const report = await runEval({ data: mini, methods: ['bm25'], limitQueries: 3, cacheDir: null });
    expect(report.queries).toBe(3);
    expect(report.results[0]!.queries).toBe(3);
    await expect(runEval({ data: mini, methods: ['nope'], cacheDir: null })).rejects.toThrow(/unknown eval method "nope"; choose from bm25, dense, hybrid, hybrid-cc/);
  });

  it('warns of judgements naming documents the corpus lacks (they count as never found)', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'eval-unknown-'));
    try {
      cpSync(mini, copy, { recursive: true });
      appendFileSync(join(copy, 'qrels', 'test.tsv'), `${readFileSync(join(mini, 'qrels', 'test.tsv'), 'utf8').split('\n')[1]!.split('\t')[0]}\tno-such-doc\t1\n`);
      const logged: string[] = [];
      await runEval({ data: copy, methods: ['bm25'], cacheDir: null, log: (line) => logged.push(line) });
      expect(logged).toContain('warning: 1 judgement(s) of test name documents not in corpus.jsonl; they count as never found');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('--by-page scores the pages a ranking reaches, a page judged as its best section; a record without a url is refused', async () => {
    const paged = withPages();
    try {
      const table = await cli(['eval', '--data', paged, '--methods', 'bm25', '--by-page', '--no-cache']);
      expect(table.status, table.err).toBe(0);
      expect(table.out).toMatch(/12 documents, 11 queries, scored by page/);
      const report = await runEval({ data: paged, methods: ['bm25'], unit: 'page', cacheDir: null });
      expect(report.unit).toBe('page');
      // By hand: BM25's ranking with each page kept once, where it first appears; judgements by page.
      const data = await loadBeir(paged);
      const page = (id: string) => `p${Number(id.slice(1)) % 5}`;
      const index = Bm25Index.build(data.corpus.map(documentText));
      const run = new Map(data.queries.map((q) => [q.id, [...new Set(index.search(q.text, 100).map((hit) => page(data.corpus[hit.index]!.id)))]]));
      const qrels = new Map(
        [...data.qrels].map(([q, judged]) => {
          const pages = new Map<string, number>();
          for (const [id, grade] of judged) pages.set(page(id), Math.max(pages.get(page(id)) ?? 0, grade));
          return [q, pages];
        }),
      );
      const expected = evaluateRun(run, qrels);
      expect(report.results[0]).toMatchObject({ ndcg10: expected.ndcg10, recall100: expected.recall100, mrr10: expected.mrr10 });
      // q5's BM25 ranking d8 d1 d11 d9: d1 and d11 share p1, so its grade-1 d9 comes third by page, fourth by document.
      const byDocument = (await runEval({ data: paged, methods: ['bm25'], cacheDir: null })).results[0]!;
      expect(report.results[0]!.ndcg10).not.toBeCloseTo(byDocument.ndcg10, 6);
      await expect(runEval({ data: mini, methods: ['bm25'], unit: 'page', cacheDir: null })).rejects.toThrow(/scoring by page needs each corpus record's "url"; .*beir-mini: record "d1" has none/);
    } finally {
      rmSync(paged, { recursive: true, force: true });
    }
  });
});

/** A copy of beir-mini whose documents share pages: dN at p(N mod 5)#N (d1, d6 and d11 on p1, …). */
function withPages(): string {
  const copy = mkdtempSync(join(tmpdir(), 'eval-pages-'));
  cpSync(mini, copy, { recursive: true });
  const lines = readFileSync(join(mini, 'corpus.jsonl'), 'utf8').trim().split('\n');
  const paged = lines.map((line) => {
    const record = JSON.parse(line) as { _id: string };
    const n = Number(record._id.slice(1));
    return JSON.stringify({ ...record, url: `p${n % 5}#${n}` });
  });
  writeFileSync(join(copy, 'corpus.jsonl'), `${paged.join('\n')}\n`);
  return copy;
}

describe('fusion-weight sweep', () => {
  it('gives a <method>@w row per weight for each fusion method: 0 is bm25 alone, 1 is dense alone', async () => {
    const report = await runEval({ data: mini, model, methods: ['bm25', 'dense', 'hybrid', 'hybrid-cc'], sweepWeights: [0, 0.5, 1], cacheDir: null });
    const rows = new Map(report.results.map((r) => [r.method, r]));
    expect([...rows.keys()]).toEqual(['bm25', 'dense', 'hybrid@0', 'hybrid@0.5', 'hybrid@1', 'hybrid-cc@0', 'hybrid-cc@0.5', 'hybrid-cc@1']);
    const metrics = (name: string) => {
      const { ndcg10, recall100, mrr10 } = rows.get(name)!;
      return { ndcg10, recall100, mrr10 };
    };
    for (const method of ['hybrid', 'hybrid-cc']) {
      expect(metrics(`${method}@0`)).toEqual(metrics('bm25'));
      expect(metrics(`${method}@1`)).toEqual(metrics('dense'));
    }
  });

  it("sweeps the product's fusion method when no fusion method is chosen", async () => {
    const report = await runEval({ data: mini, model, methods: ['bm25'], sweepWeights: [0, 1], cacheDir: null });
    const fusion = HYBRID_METHODS[DEFAULT_FUSION.method === 'adaptive' ? 'convex' : DEFAULT_FUSION.method];
    expect(report.results.map((r) => r.method)).toEqual(['bm25', `${fusion}@0`, `${fusion}@1`]);
  });
});

describe('sgpt-search eval (tiny-gpt2, end to end)', () => {
  const cache = mkdtempSync(join(tmpdir(), 'eval-cache-'));
  const saved = process.env.XDG_CACHE_HOME;
  let data: BeirDataset;
  beforeAll(async () => {
    process.env.XDG_CACHE_HOME = cache;
    data = await loadBeir(mini);
  });
  afterEach(() => vi.restoreAllMocks());
  afterAll(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    rmSync(cache, { recursive: true, force: true });
  });

  it('prints one row per method, and dense / hybrid equal an independent ranking', async () => {
    const table = await cli(['eval', '--data', mini, '--model', model]);
    expect(table.status, table.err).toBe(0);
    const lines = table.out.trim().split('\n');
    expect(lines[1]!.split(/\s+/)).toEqual(['method', 'nDCG@10', 'R@100', 'MRR@10', 'queries', 'seconds']);
    expect(lines.slice(2).map((line) => line.split(/\s+/)[0])).toEqual([...DEFAULT_METHODS]);
    expect(DEFAULT_METHODS).toEqual(['bm25', 'dense', 'hybrid', 'hybrid-cc', 'adaptive', 'default']);
    expect(table.err).toMatch(/embedding 12 documents/);

    const json = await cli(['eval', '--data', mini, '--model', model, '--json', '--methods', 'bm25,dense,hybrid,hybrid-cc', '--fusion-weight', '0.7']);
    expect(json.status, json.err).toBe(0);
    expect(json.err).toMatch(/document embeddings from the cache/);
    // A method whose ranking and scores are both used (dense: its row and hybrid-cc's input) is announced once.
    expect(json.err.match(/^running dense$/gm)).toHaveLength(1);
    // BEIR's "title text" (bm25 / dense / hybrid rows) and the product's texts (adaptive / default).
    expect(readdirSync(join(cache, 'sgpt-search', 'embeddings'))).toHaveLength(2);
    const report = JSON.parse(json.out) as EvalReport;

    // The same retrieval done by hand: embed with the engine, rank by best-chunk cosine.
    const embedder = await Embedder.load(model);
    try {
      const docs = await embedder.embed(data.corpus.map(documentText), 'document');
      const queries = await embedder.embed(data.queries.map((q) => q.text), 'query');
      expect(queries.rows).toBe(data.queries.length);
      const denseScored = new Map(
        data.queries.map((query, q) => {
          const best = new Array<number>(data.corpus.length).fill(-Infinity);
          for (let row = 0; row < docs.rows; row++) {
            let dot = 0;
            for (let d = 0; d < docs.dims; d++) dot += docs.vectors[row * docs.dims + d]! * queries.vectors[q * queries.dims + d]!;
            best[docs.owner[row]!] = Math.max(best[docs.owner[row]!]!, dot);
          }
          const order = best.map((score, i) => ({ score, i })).sort((a, b) => b.score - a.score || a.i - b.i);
          return [query.id, order.map(({ score, i }) => ({ id: data.corpus[i]!.id, score }))];
        }),
      );
      const dense = new Map([...denseScored].map(([query, items]) => [query, items.map((item) => item.id)]));
      const byMethod = new Map(report.results.map((r) => [r.method, r]));
      const expectedDense = evaluateRun(dense, data.qrels);
      expect(byMethod.get('dense')!.ndcg10).toBeCloseTo(expectedDense.ndcg10, 10);
      expect(byMethod.get('dense')!.mrr10).toBeCloseTo(expectedDense.mrr10, 10);

      const bm25 = (await runEval({ data: mini, methods: ['bm25'], cacheDir: null })).results[0]!;
      expect(byMethod.get('bm25')).toMatchObject({ ndcg10: bm25.ndcg10, recall100: bm25.recall100 });
      // Both fusions from the bm25 ranking (rebuilt here) and the hand-made dense ranking.
      const index = Bm25Index.build(data.corpus.map(documentText));
      const keyword = new Map(
        data.queries.map((query) => [query.id, index.search(query.text, 100).map((hit) => ({ id: data.corpus[hit.index]!.id, score: hit.score }))]),
      );
      const hybrid = new Map(
        data.queries.map((query) => [
          query.id,
          hybridFusion(keyword.get(query.id)!.map((hit) => hit.id), dense.get(query.id)!, 0.7, { limit: 100 }).map((hit) => hit.id),
        ]),
      );
      expect(byMethod.get('hybrid')!.ndcg10).toBeCloseTo(evaluateRun(hybrid, data.qrels).ndcg10, 10);
      const convex = new Map(
        data.queries.map((query) => [query.id, hybridConvexFusion(keyword.get(query.id)!, denseScored.get(query.id)!, 0.7, { limit: 100 }).map((hit) => hit.id)]),
      );
      expect(byMethod.get('hybrid-cc')!.ndcg10).toBeCloseTo(evaluateRun(convex, data.qrels).ndcg10, 10);
      expect(byMethod.get('hybrid-cc')!.mrr10).toBeCloseTo(evaluateRun(convex, data.qrels).mrr10, 10);
    } finally {
      await embedder.dispose();
    }
  });

  it("oracle is, per query, the product's ranking at its best fixed dense share by the judgements", async () => {
    const report = await runEval({ data: mini, model, methods: ['default', 'oracle'], cacheDir: null });
    const rows = new Map(report.results.map((r) => [r.method, r]));
    // The same bound by hand: the product's lists (its texts embedded, its keyword search), each share ranked.
    const embedder = await Embedder.load(model);
    try {
      const docs = await embedder.embed(data.corpus.map(productEmbeddingText), 'document');
      const queries = await embedder.embed(data.queries.map((q) => q.text), 'query');
      const search = await DocumentSearch.open(data.corpus);
      const judged = data.queries.filter((q) => [...(data.qrels.get(q.id)?.values() ?? [])].some((grade) => grade > 0));
      let sum = 0;
      for (const query of judged) {
        const q = data.queries.indexOf(query);
        const cosine = data.corpus.map((doc, i) => {
          let best = -Infinity;
          for (let row = 0; row < docs.rows; row++) {
            if (docs.owner[row] !== i) continue;
            let dot = 0;
            for (let d = 0; d < docs.dims; d++) dot += docs.vectors[row * docs.dims + d]! * queries.vectors[q * queries.dims + d]!;
            best = Math.max(best, dot);
          }
          return { id: doc.id, score: best };
        });
        cosine.sort((a, b) => b.score - a.score);
        const scores = ORACLE_SHARES.map((semanticWeight) =>
          ndcgAt(search.rank(query.text, cosine, { method: 'convex', semanticWeight }, 100).map((hit) => data.corpus[hit.doc]!.id), data.qrels.get(query.id)!, 10),
        );
        sum += Math.max(...scores);
      }
      expect(rows.get('oracle')!.ndcg10).toBeCloseTo(sum / judged.length, 6);
      // Adaptive fusion is one of those shares per query (up to the steps between them).
      expect(rows.get('oracle')!.ndcg10).toBeGreaterThanOrEqual(rows.get('default')!.ndcg10 - 1e-9);
      // Scored by page, the share is chosen by page too.
      const paged = withPages();
      try {
        const byPage = new Map((await runEval({ data: paged, model, methods: ['default', 'oracle'], unit: 'page', cacheDir: null })).results.map((r) => [r.method, r]));
        expect(byPage.get('oracle')!.ndcg10).toBeGreaterThanOrEqual(byPage.get('default')!.ndcg10 - 1e-9);
      } finally {
        rmSync(paged, { recursive: true, force: true });
      }
    } finally {
      await embedder.dispose();
    }
  });

  it('recomputes a damaged cache entry with a warning, and goes on uncached when the cache folder is unusable', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'eval-cache-damage-'));
    try {
      const logged: string[] = [];
      const log = (line: string) => logged.push(line);
      const fresh = await runEval({ data: mini, model, methods: ['dense'], cacheDir: folder, log });
      const [entry] = readdirSync(join(folder, 'embeddings'));
      const path = join(folder, 'embeddings', entry!);
      const bytes = readFileSync(path);
      // Swap the first two rows (the audit's swap dropped dense nDCG 1.0 to 0.5655): every length and header stays sound.
      const header = JSON.parse(bytes.subarray(12, 12 + bytes.readUInt32LE(8)).toString('utf8')) as { dims: number };
      const at = Math.ceil((12 + bytes.readUInt32LE(8)) / 4) * 4;
      const row = header.dims * 4;
      const first = Buffer.from(bytes.subarray(at, at + row));
      bytes.copy(bytes, at, at + row, at + 2 * row);
      first.copy(bytes, at + row);
      writeFileSync(path, bytes);
      logged.length = 0;
      const again = await runEval({ data: mini, model, methods: ['dense'], cacheDir: folder, log });
      expect(logged.join('\n')).toMatch(/warning: the cached document embeddings in .* are damaged or of an older format: embedding again and replacing them/);
      expect(again.results[0]!.ndcg10).toBe(fresh.results[0]!.ndcg10);
      logged.length = 0;
      expect((await runEval({ data: mini, model, methods: ['dense'], cacheDir: folder, log })).results[0]!.ndcg10).toBe(fresh.results[0]!.ndcg10);
      expect(logged.join('\n')).toMatch(/document embeddings from the cache/);
      // XDG_CACHE_HOME naming a file: ENOTDIR and a stack trace after all the embedding work, before.
      writeFileSync(join(folder, 'a-file'), 'x');
      logged.length = 0;
      const uncached = await runEval({ data: mini, model, methods: ['dense'], cacheDir: join(folder, 'a-file', 'sgpt-search'), log });
      expect(uncached.results[0]!.ndcg10).toBe(fresh.results[0]!.ndcg10);
      expect(logged.join('\n')).toMatch(/warning: the embedding cache .*a-file.sgpt-search cannot be written \(ENOTDIR\): going on uncached/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('fails with a clear message and exit status', async () => {
    const noData = await cli(['eval']);
    expect(noData.status).toBe(1);
    expect(noData.err).toMatch(/--data <beir-dir> is required/);
    const badWeight = await cli(['eval', '--data', mini, '--fusion-weight', '2']);
    expect(badWeight.status).toBe(1);
    expect(badWeight.err).toMatch(/INPUT_INVALID: --fusion-weight must be a number in \[0, 1\] \(or a comma-separated list of them\), got "2"/);
    const badFlag = await cli(['eval', '--data', mini, '--nope']);
    expect(badFlag.status).toBe(2);
    const help = await cli(['eval', '--help']);
    expect(help.status).toBe(0);
    expect(help.out).toMatch(/--limit-queries/);
  });
});
