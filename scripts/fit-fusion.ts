/**
 * Fits the coefficients of adaptive fusion (src/search/fusion.ts) for one embedding model.
 *
 *   tsx scripts/fit-fusion.ts --model <dir> --fit <beir-dir>[@split] … [--check <beir-dir>[@split] …] [--json <file>]
 *
 * For every query of the --fit sets it runs the product's two lists (src/eval/methods
 * productLists: keyword search as you type over the product's texts, dense over the product's
 * embedding texts), reads the fusion signals, and scores nDCG@10 of the convex fusion at dense
 * shares 0, 0.05, …, 1. The coefficients maximise the mean over sets of nDCG@10 relative to the
 * set's BM25 (eval's `bm25` row), with a steep penalty for any set below FLOOR × BM25 and a small
 * ridge penalty; the search is coordinate-wise over standardised signals from the best fixed
 * share, so it is deterministic. Each set counts once, however many queries it has.
 *
 * It prints, per set: BM25, the best fixed share, the fit (in-sample) and leave-one-set-out (each
 * set scored by coefficients fitted without it); then for the --check sets (never fitted on) the
 * fitted coefficients' figures. Paste the coefficients into src/search/fusion.ts; the README's
 * figures come from `sgpt-search eval` afterwards, not from here (this interpolates between
 * grid shares).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { defaultCacheDir } from '../src/eval/embedding-cache';
import { productLists } from '../src/eval/methods';
import { ndcgAt } from '../src/eval/metrics';
import { openEval } from '../src/eval/runner';
import { FUSION_DEPTH, FUSION_SIGNALS, fusionSignals, hybridConvexFusion } from '../src/search/fusion';

const GRID = Array.from({ length: 21 }, (_, i) => i / 20);
const FLOOR = 0.995;
const RIDGE = 0.002;

interface QueryRow {
  signals: number[];
  /** nDCG@10 at each GRID share. */
  ndcg: number[];
}

interface SetRows {
  name: string;
  bm25: number;
  queries: QueryRow[];
}

async function rowsOf(spec: string, model: string): Promise<SetRows> {
  const [data, split] = spec.split('@') as [string, string | undefined];
  const open = await openEval({ data, ...(split ? { split } : {}), model, cacheDir: defaultCacheDir(), log: (m) => process.stderr.write(`${m}\n`) });
  try {
    const { ctx, dataset } = open;
    const { search, dense } = await productLists(ctx);
    const bm25Run = await ctx.run('bm25');
    const ids = dataset.corpus.map((doc) => doc.id);
    let bm25 = 0;
    const queries = dataset.queries.map((query) => {
      const judgements = dataset.qrels.get(query.id)!;
      bm25 += ndcgAt(bm25Run.get(query.id) ?? [], judgements, 10);
      const keywordResult = search.keywordRanking(query.text, FUSION_DEPTH);
      const keyword = keywordResult.hits.map((hit) => ({ id: hit.index, score: hit.score }));
      const denseList = search.densePositions(dense.get(query.id) ?? []);
      const signals = fusionSignals(keyword, denseList, keywordResult.match, query.text);
      const ndcg = GRID.map((w) => ndcgAt(hybridConvexFusion(keyword, denseList, w, { limit: 10 }).map((hit) => ids[hit.id]!), judgements, 10));
      return { signals: FUSION_SIGNALS.map((name) => signals[name]), ndcg };
    });
    return { name: split ? `${data}@${split}` : data, bm25: bm25 / dataset.queries.length, queries };
  } finally {
    await open.dispose();
  }
}

/** nDCG@10 at share w, interpolated between grid points. */
function at(ndcg: readonly number[], w: number): number {
  const x = Math.min(Math.max(w, 0), 1) * (GRID.length - 1);
  const i = Math.min(Math.floor(x), GRID.length - 2);
  return ndcg[i]! + (x - i) * (ndcg[i + 1]! - ndcg[i]!);
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Mean relative nDCG@10 of each set under raw coefficients c. */
function ratios(sets: readonly SetRows[], c: readonly number[]): number[] {
  return sets.map((set) => {
    let sum = 0;
    for (const q of set.queries) sum += at(q.ndcg, sigmoid(c[0]! + q.signals.reduce((z, s, i) => z + c[i + 1]! * s, 0)));
    return sum / set.queries.length / set.bm25;
  });
}

function objective(sets: readonly SetRows[], c: readonly number[], scale: readonly number[]): number {
  const r = ratios(sets, c);
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const below = r.reduce((a, x) => a + Math.max(0, FLOOR - x), 0);
  const ridge = c.slice(1).reduce((a, ci, i) => a + (ci * scale[i]!) ** 2, 0);
  return mean - 20 * below - RIDGE * ridge;
}

/** Coordinate search over standardised signals, from the best fixed share. */
function fit(sets: readonly SetRows[]): number[] {
  const all = sets.flatMap((set) => set.queries);
  const scale = FUSION_SIGNALS.map((_, i) => {
    const values = all.map((q) => q.signals[i]!);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    return sd > 1e-9 ? sd : 1;
  });
  let best = [0, ...FUSION_SIGNALS.map(() => 0)];
  let score = -Infinity;
  for (const w of GRID.slice(1, -1)) {
    const c = [Math.log(w / (1 - w)), ...FUSION_SIGNALS.map(() => 0)];
    const s = objective(sets, c, scale);
    if (s > score) [best, score] = [c, s];
  }
  for (const step of [2, 1, 0.5, 0.25, 0.1, 0.05]) {
    for (let round = 0, improved = true; improved && round < 20; round++) {
      improved = false;
      for (let i = 0; i < best.length; i++) {
        for (const sign of [1, -1]) {
          const c = [...best];
          c[i]! += (sign * step) / (i === 0 ? 1 : scale[i - 1]!);
          const s = objective(sets, c, scale);
          if (s > score + 1e-9) {
            [best, score, improved] = [c, s, true];
          }
        }
      }
    }
  }
  return best;
}

function bestFixed(set: SetRows): { w: number; ratio: number } {
  let best = { w: 0, ratio: 0 };
  GRID.forEach((w, i) => {
    const ratio = set.queries.reduce((a, q) => a + q.ndcg[i]!, 0) / set.queries.length / set.bm25;
    if (ratio > best.ratio) best = { w, ratio };
  });
  return best;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { model: { type: 'string' }, fit: { type: 'string', multiple: true }, check: { type: 'string', multiple: true }, json: { type: 'string' } },
  });
  if (!values.model || !values.fit?.length) throw new Error('usage: tsx scripts/fit-fusion.ts --model <dir> --fit <beir-dir>[@split] … [--check <beir-dir>[@split] …] [--json <file>]');
  const fitSets: SetRows[] = [];
  for (const spec of values.fit) fitSets.push(await rowsOf(spec, values.model));
  const checkSets: SetRows[] = [];
  for (const spec of values.check ?? []) checkSets.push(await rowsOf(spec, values.model));

  const coefficients = fit(fitSets);
  const inSample = ratios(fitSets, coefficients);
  const outOfSet = fitSets.map((set, i) => (fitSets.length > 1 ? ratios([set], fit(fitSets.filter((_, j) => j !== i)))[0]! : Number.NaN));
  const checks = ratios(checkSets, coefficients);
  const line = (cells: Array<string | number>) => cells.map((c) => (typeof c === 'number' ? c.toFixed(3) : c)).join('\t');
  console.log(line(['set', 'queries', 'bm25 nDCG@10', 'best fixed w', 'its ratio', 'adaptive (fit)', 'leave-one-set-out']));
  fitSets.forEach((set, i) => {
    const fixed = bestFixed(set);
    console.log(line([set.name, String(set.queries.length), set.bm25, fixed.w, fixed.ratio, inSample[i]!, outOfSet[i]!]));
  });
  checkSets.forEach((set, i) => {
    const fixed = bestFixed(set);
    console.log(line([`${set.name} (check)`, String(set.queries.length), set.bm25, fixed.w, fixed.ratio, checks[i]!, '']));
  });
  const rounded = coefficients.map((c) => Math.round(c * 1e4) / 1e4);
  console.log(`coefficients (bias, ${FUSION_SIGNALS.join(', ')}): ${JSON.stringify(rounded)}`);
  if (values.json) {
    await writeFile(values.json, JSON.stringify({ coefficients: rounded, fit: fitSets.map((s, i) => ({ set: s.name, queries: s.queries.length, bm25: s.bm25, bestFixed: bestFixed(s), adaptive: inSample[i], leaveOneSetOut: outOfSet[i] })), check: checkSets.map((s, i) => ({ set: s.name, queries: s.queries.length, bm25: s.bm25, bestFixed: bestFixed(s), adaptive: checks[i] })) }, null, 2));
  }
}

await main();
