/**
 * `sgpt-search query --index <dir> "text"`: what the browser would show for a query, through the
 * same site-search code, as a JSON array on stdout.
 */
import { parseArgs } from 'node:util';
import { Embedder } from '../embed/embedder';
import { SgptError } from '../errors';
import { modelRef } from '../index/model-ref';
import { fsLoader } from '../index/node-files';
import { SiteSearch, type SiteHit } from '../search/site-search';
import { modelSource } from './default-model';

export const QUERY_USAGE = `usage: sgpt-search query --index <dir> [--limit N] [--probe N] [--model <source>] [--keyword-only] "text"

  --index <dir>        folder with manifest.json (from \`sgpt-search index\`)
  --limit <N>          results (default 10)
  --probe <N>          vector shards to read (default: the index's)
  --model <source>     the index's model (default: the bundled default model)
  --keyword-only       BM25 results only, as shown while the model loads`;

export interface QueryRun {
  index: string;
  query: string;
  limit?: number;
  probe?: number;
  model?: string;
  keywordOnly?: boolean;
}

/** Ranked hits for one query: keyword-only, or embedded and fused like the browser's second phase. */
export async function querySiteIndex(run: QueryRun): Promise<SiteHit[]> {
  const search = await SiteSearch.open(fsLoader(run.index));
  const limit = run.limit ?? 10;
  if (run.keywordOnly) return search.keywordSearch(run.query, limit);
  const source = modelSource(run.model);
  const embedder = await Embedder.load(source);
  try {
    search.checkModel(await modelRef(source, embedder));
    const vector = await embedder.embedQuery(run.query);
    return await search.semanticSearch(run.query, vector, { limit, probe: run.probe });
  } finally {
    await embedder.dispose();
  }
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new SgptError('INPUT_INVALID', `${flag} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

export async function queryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      index: { type: 'string' },
      limit: { type: 'string' },
      probe: { type: 'string' },
      model: { type: 'string' },
      'keyword-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${QUERY_USAGE}\n`);
    return 0;
  }
  if (!values.index || positionals.length !== 1 || positionals[0]!.trim() === '') {
    throw new SgptError('INPUT_INVALID', `give --index and one query text\n${QUERY_USAGE}`);
  }
  const hits = await querySiteIndex({
    index: values.index,
    query: positionals[0]!,
    limit: positiveInt(values.limit, '--limit'),
    probe: positiveInt(values.probe, '--probe'),
    model: values.model,
    keywordOnly: values['keyword-only'],
  });
  const rows = hits.map((h) => ({
    url: h.url,
    title: h.title,
    pageTitle: h.pageTitle,
    score: h.score,
    semantic: h.semantic,
    excerpt: h.excerpt,
    highlights: h.highlights,
  }));
  process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  return 0;
}
