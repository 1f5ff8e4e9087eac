/**
 * `sgpt-search query --index <dir> "text"`: what the browser would show for a query, through the
 * same site-search code, as a JSON array on stdout; on stderr, as the element's list says it,
 * that the hits are the closest in meaning alone when no section holds the query's words.
 */
import { parseArgs } from 'node:util';
import { checkLang, querySiteIndex } from '../build/site-query';
import { SgptError } from '../errors';
import { DEFAULT_RERANK_K } from '../rerank/hit-text';
import { integerFlag } from './flags';
import { mergeFilters, parseFilterList } from '../extract/filters';
import { echoed } from '../search/truncate';

export const QUERY_USAGE = `usage: sgpt-search query --index <dir> [--index <dir>]… [--limit N] [--probe N] [--lang <tag>] [--filter key:value]… [--facets]
                          [--model <source>] [--keyword-only]
                          [--rerank [--rerank-model <source>] [--rerank-k N]] "text"

  --index <dir>        folder with manifest.json (from \`sgpt-search index\`); repeat it to search several
                       sites (built with one model) as one index, rows then naming their "index"
  --limit <N>          results (default 10)
  --probe <N>          nearest vector shards to read (default: the index's), besides those of the best keyword hits
  --lang <tag>         search the pages in this language (their <html lang>, e.g. de, ja), reading the
                       query as they were read (default: every page, the query read in the language most
                       sections are in)
  --filter <key:value> only sections with this filter value (repeatable: values of one key are
                       alternatives, different keys must all match), e.g. --filter version:3.11
  --facets             print {"hits": [...], "facets": {key: {value: count}}, "keywordMatch": bool}:
                       per filter value, the query's keyword matches carrying it (under the other
                       keys' filters); keywordMatch: false when no section holds the query's words
  --model <source>     the index's model (default: the copy in the index folder, else the bundled
                       model the index names, else the default)
  --keyword-only       BM25 results only, as shown while the model loads
  --rerank             reorder the top results by SGPT-CE (a causal LM's log-probability of the
                       query given the title and excerpt); rows gain "rerankScore"
  --rerank-model <source>  causal LM (default: the model's "-lm" sibling, e.g. tiny-gpt2-lm)
  --rerank-k <N>       results reranked (default ${DEFAULT_RERANK_K})

Prints the hits as a JSON array in rank order: url, title, pageTitle, score (BM25 with
--keyword-only, else the fused score), semantic, excerpt, highlights ([start, end) offsets in the
excerpt of the words to mark). The order is the ranking, not the score: a hit whose title is the
query word for word comes first with its own score.
When no section holds the query's words (typos and a last word typed in part included), stderr
says so, as the element does: "no exact matches for …: the results are the closest in meaning".`;

export async function queryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      index: { type: 'string', multiple: true },
      limit: { type: 'string' },
      probe: { type: 'string' },
      lang: { type: 'string' },
      filter: { type: 'string', multiple: true },
      facets: { type: 'boolean' },
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
  if (!values.index?.length || positionals.length !== 1) {
    throw new SgptError('INPUT_INVALID', `give --index and one query text\n${QUERY_USAGE}`);
  }
  if (positionals[0]!.trim() === '') throw new SgptError('INPUT_INVALID', 'the query text is empty: give the words to search for');
  const indexes = values.index;
  checkLang(values.lang, '--lang');
  const run = {
    index: indexes,
    query: positionals[0]!,
    limit: integerFlag(values.limit, '--limit'),
    probe: integerFlag(values.probe, '--probe'),
    lang: values.lang,
    filters: mergeFilters(...(values.filter ?? []).map((f) => parseFilterList(f, '--filter'))),
    model: values.model,
    keywordOnly: values['keyword-only'],
    ...(values.rerank
      ? { rerank: { model: values['rerank-model'], k: integerFlag(values['rerank-k'], '--rerank-k') } }
      : {}),
  };
  const { hits, facets, keywordMatch } = await querySiteIndex({ ...run, facets: values.facets ?? false, keywordMatch: true });
  const rows = hits.map((h) => ({
    url: h.url,
    title: h.title,
    pageTitle: h.pageTitle,
    score: h.score,
    semantic: h.semantic,
    excerpt: h.excerpt,
    highlights: h.highlights,
    ...(h.rerankScore === undefined ? {} : { rerankScore: h.rerankScore }),
    ...(h.site === undefined ? {} : { index: indexes[h.site] }),
  }));
  // Found by meaning alone: said as the element's list says it, on stderr (stdout is the JSON).
  if (!keywordMatch && hits.length > 0) process.stderr.write(`sgpt-search query: no exact matches for “${echoed(run.query.trim())}”: the results are the closest in meaning\n`);
  process.stdout.write(`${JSON.stringify(facets ? { hits: rows, facets, keywordMatch } : rows, null, 2)}\n`);
  return 0;
}
