/**
 * `sgpt-search query --index <dir> "text"`: what the browser would show for a query, through the
 * same site-search code, as a JSON array on stdout.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Embedder } from '../embed/embedder';
import { SgptError } from '../errors';
import { modelRef } from '../index/model-ref';
import { fsLoader } from '../index/node-files';
import { Reranker } from '../rerank/reranker';
import { SiteSearch, type SiteHit } from '../index/site-search';
import { defaultModelSource, defaultRerankModel, modelSource } from '../build/default-model';
import { integerFlag } from './flags';

export const QUERY_USAGE = `usage: sgpt-search query --index <dir> [--limit N] [--probe N] [--lang <tag>] [--model <source>] [--keyword-only]
                          [--rerank [--rerank-model <source>] [--rerank-k N]] "text"

  --index <dir>        folder with manifest.json (from \`sgpt-search index\`)
  --limit <N>          results (default 10)
  --probe <N>          vector shards to read (default: the index's)
  --lang <tag>         search the pages in this language (their <html lang>, e.g. de, ja), reading the
                       query as they were read (default: the index's first language, every page)
  --model <source>     the index's model (default: the bundled model the index names, else the default)
  --keyword-only       BM25 results only, as shown while the model loads
  --rerank             reorder the top results by SGPT-CE (a causal LM's log-probability of the
                       query given title + excerpt); rows gain "rerankScore"
  --rerank-model <source>  causal LM (default: the model's "-lm" sibling, e.g. tiny-gpt2-lm)
  --rerank-k <N>       results reranked (default 10)`;

export interface QueryRun {
  index: string;
  query: string;
  limit?: number;
  probe?: number;
  /** The language searched (a `lang` value). */
  lang?: string;
  model?: string;
  keywordOnly?: boolean;
  rerank?: { model?: string; k?: number };
}

export type QueryHit = SiteHit & { rerankScore?: number };

/** SGPT-CE over the top k hits, reading each section's title and excerpt. */
async function rerankHits(hits: SiteHit[], run: QueryRun, model: string): Promise<QueryHit[]> {
  const source = run.rerank?.model === undefined ? defaultRerankModel(model) : modelSource(run.rerank.model);
  if (source === undefined) {
    throw new SgptError('INPUT_INVALID', `--rerank needs a causal LM: give --rerank-model (no "${model}-lm" folder next to the model)`);
  }
  const reranker = await Reranker.load(source);
  try {
    const { items, scores } = await reranker.rerankTop(run.query, hits, run.rerank?.k ?? 10, (hit) => `${hit.title} ${hit.excerpt}`);
    return items.map((hit, i) => (scores[i] === undefined ? hit : { ...hit, rerankScore: scores[i] }));
  } finally {
    await reranker.dispose();
  }
}

/**
 * Ranked hits for one query: keyword-only, or embedded and fused like the browser's second phase;
 * with `rerank`, the top k then reordered by SGPT-CE like the browser's third.
 */
export async function querySiteIndex(run: QueryRun): Promise<QueryHit[]> {
  const search = await SiteSearch.open(fsLoader(run.index));
  const limit = run.limit ?? 10;
  const source = run.model === undefined ? bundledModelFor(search.manifest.model.id) : modelSource(run.model);
  let hits: SiteHit[];
  if (run.keywordOnly) hits = await search.keywordSearch(run.query, limit, run.lang);
  else {
    // The query is embedded in the mode the documents were (the model and its hash are still checked).
    const embedder = await Embedder.load(source, { settings: { mode: search.manifest.model.mode } });
    try {
      search.checkModel(await modelRef(source, embedder));
      const vector = await embedder.embedQuery(run.query);
      hits = await search.semanticSearch(run.query, vector, { limit, probe: run.probe, language: run.lang });
    } finally {
      await embedder.dispose();
    }
  }
  return run.rerank ? rerankHits(hits, run, source) : hits;
}

/** Without --model: the bundled model the index names when the package has it, else the default. */
function bundledModelFor(id: string): string {
  const bundled = join(dirname(defaultModelSource()), id);
  return existsSync(join(bundled, 'config.json')) ? bundled : defaultModelSource();
}


export async function queryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      index: { type: 'string' },
      limit: { type: 'string' },
      probe: { type: 'string' },
      lang: { type: 'string' },
      model: { type: 'string' },
      'keyword-only': { type: 'boolean' },
      rerank: { type: 'boolean' },
      'rerank-model': { type: 'string' },
      'rerank-k': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${QUERY_USAGE}\n`);
    return 0;
  }
  if (!values.rerank && (values['rerank-model'] !== undefined || values['rerank-k'] !== undefined)) {
    throw new SgptError('INPUT_INVALID', `--rerank-model and --rerank-k need --rerank\n${QUERY_USAGE}`);
  }
  if (!values.index || positionals.length !== 1 || positionals[0]!.trim() === '') {
    throw new SgptError('INPUT_INVALID', `give --index and one query text\n${QUERY_USAGE}`);
  }
  const hits = await querySiteIndex({
    index: values.index,
    query: positionals[0]!,
    limit: integerFlag(values.limit, '--limit'),
    probe: integerFlag(values.probe, '--probe'),
    lang: values.lang,
    model: values.model,
    keywordOnly: values['keyword-only'],
    ...(values.rerank
      ? { rerank: { model: values['rerank-model'], k: integerFlag(values['rerank-k'], '--rerank-k') } }
      : {}),
  });
  const rows = hits.map((h) => ({
    url: h.url,
    title: h.title,
    pageTitle: h.pageTitle,
    score: h.score,
    semantic: h.semantic,
    excerpt: h.excerpt,
    highlights: h.highlights,
    ...(h.rerankScore === undefined ? {} : { rerankScore: h.rerankScore }),
  }));
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  return 0;
}
