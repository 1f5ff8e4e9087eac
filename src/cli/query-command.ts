/**
 * `sgpt-search query --index <dir> "text"`: what the browser would show for a query, through the
 * same site-search code, as a JSON array on stdout.
 */
import { parseArgs } from 'node:util';
import { querySiteIndex } from '../build/site-query';
import { SgptError } from '../errors';
import { DEFAULT_RERANK_K } from '../rerank/hit-text';
import { integerFlag } from './flags';

export const QUERY_USAGE = `usage: sgpt-search query --index <dir> [--limit N] [--probe N] [--lang <tag>] [--model <source>] [--keyword-only]
                          [--rerank [--rerank-model <source>] [--rerank-k N]] "text"

  --index <dir>        folder with manifest.json (from \`sgpt-search index\`)
  --limit <N>          results (default 10)
  --probe <N>          vector shards to read (default: the index's)
  --lang <tag>         search the pages in this language (their <html lang>, e.g. de, ja), reading the
                       query as they were read (default: the index's first language, every page)
  --model <source>     the index's model (default: the copy in the index folder, else the bundled
                       model the index names, else the default)
  --keyword-only       BM25 results only, as shown while the model loads
  --rerank             reorder the top results by SGPT-CE (a causal LM's log-probability of the
                       query given the title and excerpt); rows gain "rerankScore"
  --rerank-model <source>  causal LM (default: the model's "-lm" sibling, e.g. tiny-gpt2-lm)
  --rerank-k <N>       results reranked (default ${DEFAULT_RERANK_K})`;

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
