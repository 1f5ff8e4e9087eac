/**
 * The product end to end on a docs-question set: index a built site with `sgpt-search index`'s
 * build service, then answer each question through the site search (`sgpt-search query`'s code)
 * and score nDCG@10 against the set's judgements, at several IVF probe depths, with this build's
 * DEFAULT_FUSION (whatever fusion the index was built with). Per depth it also prints what the
 * probe costs and keeps: the vector shards a query reads (count and KB as stored, the centroids
 * file aside: it is read once per visit), the recall of the exact (all-shard) dense top-10 and
 * top-100, and how many of the fused top-10 reading all shards the probed ranking keeps.
 *
 *   tsx scripts/site-eval.ts --site <root> --data <faq-beir dir> --index <dir> [--exclude <glob>,…] [--probe 3,8,all]
 *
 * The set comes from scripts/faq-beir.ts (its corpus records carry each section's url#anchor);
 * pass the same --exclude (and the FAQ pages) so the index holds the corpus's sections. The
 * index is built when --index has no manifest.json yet. Compare with `sgpt-search eval --data
 * <faq-beir dir> --methods bm25,default`: the `default` row is the same ranking with exact
 * (all-shard) vector search.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultModelSource } from '../src/build/default-model';
import { buildSiteIndex } from '../src/build/site-build';
import { Embedder } from '../src/embed/embedder';
import { loadBeir } from '../src/eval/beir';
import { ndcgAt } from '../src/eval/metrics';
import { fsLoader } from '../src/index/node-files';
import { DEFAULT_FUSION } from '../src/search/fusion';
import { SiteSearch } from '../src/index/site-search';
import { exactRankings, probeCost } from '../bench/probe-cost';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { site: { type: 'string' }, data: { type: 'string' }, index: { type: 'string' }, exclude: { type: 'string' }, probe: { type: 'string' } },
  });
  if (!values.site || !values.data || !values.index) throw new Error('usage: tsx scripts/site-eval.ts --site <root> --data <faq-beir dir> --index <dir> [--exclude <glob>,…] [--probe 3,8,all]');
  const model = defaultModelSource();
  if (!existsSync(join(values.index, 'manifest.json'))) {
    const started = performance.now();
    await buildSiteIndex({ site: values.site, out: values.index, model, exclude: values.exclude?.split(','), runtime: false, shipModel: false });
    process.stderr.write(`index built in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  const data = await loadBeir(values.data);
  const byUrl = new Map<string, string>();
  for (const line of readFileSync(join(values.data, 'corpus.jsonl'), 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const record = JSON.parse(line) as { _id: string; url: string };
    byUrl.set(record.url, record._id);
  }
  const search = await SiteSearch.open(fsLoader(values.index));
  const shards = search.manifest.shards.length;
  const probes = (values.probe ?? `${search.manifest.probe},all`).split(',').map((p) => (p === 'all' ? shards : Number(p)));
  const embedder = await Embedder.load(model);
  const vectors = await Promise.all(data.queries.map((query) => embedder.embedQuery(query.text)));
  await embedder.dispose();
  const missing = new Set<string>();
  const score = (urls: string[], query: string) =>
    ndcgAt(
      urls.map((url) => byUrl.get(url) ?? (missing.add(url), url)),
      data.qrels.get(query)!,
      10,
    );
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const keyword = mean(await Promise.all(data.queries.map(async (q) => score((await search.keywordSearch(q.text, 10, undefined, undefined, false)).map((h) => h.url), q.id))));
  console.log(`${values.data}: ${data.queries.length} questions, ${search.manifest.counts.sections} sections in ${shards} shards; this build's fusion (${DEFAULT_FUSION.method})`);
  console.log(`keyword only (as you type)\tnDCG@10 ${keyword.toFixed(4)}`);
  const exact = await Promise.all(data.queries.map((q, i) => exactRankings(search, q.text, vectors[i]!, DEFAULT_FUSION)));
  console.log('fused at probe\tshards read\tKB per query\tdense recall@10\tdense recall@100\tfused top-10 kept\tnDCG@10');
  for (const probe of probes) {
    const rows = await Promise.all(
      data.queries.map(async (q, i) => {
        const cost = await probeCost(search, q.text, vectors[i]!, probe, exact[i]!, DEFAULT_FUSION);
        return { ...cost, ndcg: score(cost.hits.map((h) => h.url), q.id) };
      }),
    );
    const avg = (f: (row: (typeof rows)[number]) => number) => mean(rows.map(f));
    console.log(`${probe} of ${shards}${probe === search.manifest.probe ? ' (the index\'s default)' : ''}\t${avg((r) => r.shards).toFixed(1)}\t${avg((r) => r.kb).toFixed(0)}\t${avg((r) => r.recall10).toFixed(3)}\t${avg((r) => r.recall100).toFixed(3)}\t${avg((r) => r.kept10).toFixed(3)}\t${avg((r) => r.ndcg).toFixed(4)}`);
  }
  if (missing.size > 0) process.stderr.write(`${missing.size} result urls are not in the set's corpus (e.g. ${[...missing][0]}): index and set differ\n`);
}

await main();
