/**
 * `sgpt-search eval`: retrieval quality on a BEIR-layout data set, one row per method.
 */
import { parseArgs } from 'node:util';
import type { Dtype } from '../embed/types';
import { SgptError } from '../errors';
import { cacheFolder } from './cache-dir';
import { METHODS } from '../eval/registry';
import { DEFAULT_EVAL_SETTINGS, DEFAULT_METHODS, formatReport, runEval } from '../eval/runner';
import { defaultModelSource, defaultRerankModel, modelSource } from '../build/default-model';
import { integerFlag, numberFlag, modeFlag } from './flags';

export const EVAL_USAGE = `usage: sgpt-search eval --data <beir-dir> [options]

Scores retrieval methods on a BEIR-layout folder (corpus.jsonl[.gz], queries.jsonl[.gz],
qrels/<split>.tsv) and prints one row per method: nDCG@10 (graded gains), Recall@100,
MRR@10, over the queries with at least one relevant document.

methods:
${METHODS.map((m) => `  ${m.name.padEnd(9)} ${m.description}`).join('\n')}

  --data <dir>            BEIR data set folder (required)
  --methods <a,b,...>     methods to run (default ${DEFAULT_METHODS.join(',')})
  --split <name>          qrels split (default test)
  --model <source>        embedding model folder, URL or hub id (default: the bundled default model)
  --mode <mode>           symmetric | asymmetric (default: the model's config.json "sgpt" key)
  --max-length <N>        tokens per sequence, brackets included (default: the model's)
  --dtype <dtype>         fp32 | q8 | fp16 weights (default: the model's)
  --rerank-model <source> causal LM for rerank (default: the embedding model's "-lm" sibling folder)
  --rerank-k <N>          top documents of the product's ranking (default) that rerank reorders (default ${DEFAULT_EVAL_SETTINGS.rerankK})
  --k1 <x> --b <x>        BM25 parameters (default ${DEFAULT_EVAL_SETTINGS.k1}, ${DEFAULT_EVAL_SETTINGS.b})
  --fusion-weight <w>     fixed dense share of hybrid / hybrid-cc, 0..1 (default ${DEFAULT_EVAL_SETTINGS.fusionWeight});
                          a list (0.3,0.5,0.7) gives a row <method>@w per weight for each
                          fixed-weight fusion method run, or for the product's fusion method
                          when --methods has none (adaptive and default choose per query)
  --rrf-k <N>             rank constant of hybrid's reciprocal-rank fusion (default ${DEFAULT_EVAL_SETTINGS.rrfK})
  --limit-queries <N>     evaluate only the first N judged queries
  --by-page               score pages, not sections, as the element groups a site's results: a
                          ranking is read as the pages it reaches in order, a page judged as its
                          best judged section (needs each corpus record's "url", as faq-beir writes)
  --batch-size <N>        sequences per model call (default 16)
  --threads <N>           onnxruntime threads (default: the runtime's choice)
  --no-cache              do not read or write cached document embeddings
  --json                  print the report as JSON
  -h, --help              show this help

Document embeddings are cached under $XDG_CACHE_HOME/sgpt-search, else
node_modules/.cache/sgpt-search, keyed by model content, SGPT settings and corpus text.`;



export async function evalCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      data: { type: 'string' },
      methods: { type: 'string' },
      split: { type: 'string' },
      model: { type: 'string' },
      mode: { type: 'string' },
      'max-length': { type: 'string' },
      dtype: { type: 'string' },
      'rerank-model': { type: 'string' },
      'rerank-k': { type: 'string' },
      k1: { type: 'string' },
      b: { type: 'string' },
      'fusion-weight': { type: 'string' },
      'rrf-k': { type: 'string' },
      'limit-queries': { type: 'string' },
      'by-page': { type: 'boolean' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      'no-cache': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${EVAL_USAGE}\n`);
    return 0;
  }
  if (values.data === undefined) throw new SgptError('INPUT_INVALID', `--data <beir-dir> is required\n${EVAL_USAGE}`);
  const mode = modeFlag(values.mode);
  const dtype = values.dtype;
  if (dtype !== undefined && dtype !== 'fp32' && dtype !== 'q8' && dtype !== 'fp16') {
    throw new SgptError('INPUT_INVALID', `--dtype must be fp32, q8 or fp16, got ${JSON.stringify(dtype)}`);
  }
  const methods = values.methods?.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const k1 = numberFlag(values.k1, '--k1', (n) => n >= 0, 'a number >= 0');
  const b = numberFlag(values.b, '--b', (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
  const weights = (values['fusion-weight']?.split(',') ?? []).map(
    (w) => numberFlag(w, '--fusion-weight', (n) => n >= 0 && n <= 1, 'a number in [0, 1] (or a comma-separated list of them)')!,
  );
  const fusionWeight = weights[0];
  const sweepWeights = weights.length > 1 ? weights : [];
  const rrfK = numberFlag(values['rrf-k'], '--rrf-k', (n) => n >= 0, 'a number >= 0');
  const rerankK = integerFlag(values['rerank-k'], '--rerank-k');
  const model = values.model === undefined ? defaultModelSource() : modelSource(values.model);
  const rerankModel = values['rerank-model'] === undefined ? defaultRerankModel(model) : modelSource(values['rerank-model']);
  const maxLength = integerFlag(values['max-length'], '--max-length');
  const limitQueries = integerFlag(values['limit-queries'], '--limit-queries');
  const batchSize = integerFlag(values['batch-size'], '--batch-size');
  const threads = integerFlag(values.threads, '--threads');

  const report = await runEval({
    data: values.data,
    ...(values.split ? { split: values.split } : {}),
    ...(methods ? { methods } : {}),
    model,
    ...(rerankModel ? { rerankModel } : {}),
    ...(mode ? { mode } : {}),
    ...(maxLength ? { maxLength } : {}),
    ...(dtype ? { dtype: dtype as Dtype } : {}),
    ...(threads ? { threads } : {}),
    ...(batchSize ? { batchSize } : {}),
    ...(limitQueries ? { limitQueries } : {}),
    ...(values['by-page'] ? { unit: 'page' as const } : {}),
    ...(sweepWeights.length > 0 ? { sweepWeights } : {}),
    settings: {
      ...(k1 !== undefined ? { k1 } : {}),
      ...(b !== undefined ? { b } : {}),
      ...(fusionWeight !== undefined ? { fusionWeight } : {}),
      ...(rrfK !== undefined ? { rrfK } : {}),
      ...(rerankK !== undefined ? { rerankK } : {}),
    },
    cacheDir: cacheFolder(values),
    log: (message) => process.stderr.write(`${message}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return 0;
}
