/**
 * Fits the coefficients of adaptive fusion (src/search/fusion.ts) for one embedding model.
 *
 *   tsx scripts/fit-fusion.ts --model <dir> --fit <beir-dir>[@split][,<beir-dir>…] … [--check <beir-dir>[@split] …]
 *                             [--signals question,strength,…] [--json <file>] [--rows <file>]
 *
 * For every query of the --fit sets it runs the product's two lists (src/eval/methods
 * productLists: keyword search as you type over the product's texts, dense over the product's
 * embedding texts), reads the fusion signals, and scores nDCG@10 of the convex fusion at dense
 * shares 0, 0.05, …, 1. Each --fit argument is one group (sets joined by commas are pooled:
 * their queries count together, so a 5-question set does not weigh as much as an 800-query one).
 * The coefficients maximise the mean over groups of nDCG@10 relative to the group's BM25 (eval's
 * `bm25` row), with a steep penalty for any group below FLOOR × BM25 and a small ridge penalty
 * on the standardised coefficients. Only the --signals named are used (default: all); the others
 * stay 0, which keeps the model small when the development data is. The search is a seeded
 * random-restart hill climb, so a rerun gives the same coefficients.
 *
 * --rows writes every query's signals and grid nDCG@10 as JSON; --from reads such a file back
 * (same model), so a refit with other --signals or groups skips the embedding.
 * It prints, per set: BM25, the best fixed share, the fit (in-sample) and leave-one-set-out (each
 * set scored by coefficients fitted without it); then for the --check sets (never fitted on) the
 * fitted coefficients' figures. Paste the coefficients into src/search/fusion.ts; the README's
 * figures come from `sgpt-search eval` afterwards, not from here (this interpolates between
 * grid shares).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { defaultCacheDir } from '../src/eval/embedding-cache';
import { productLists } from '../src/eval/methods';
import { ndcgAt } from '../src/eval/metrics';
import { openEval } from '../src/eval/runner';
import { FUSION_DEPTH, FUSION_SIGNALS, adaptiveShare, fusionSignals, hybridConvexFusion } from '../src/search/fusion';

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

/** Sets whose queries are pooled into one ratio. */
type Group = readonly SetRows[];

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

const share = (c: readonly number[], q: QueryRow) => adaptiveShare(c, q.signals);

/** nDCG@10 of each group under raw coefficients c, relative to its BM25 (queries pooled). */
function ratios(groups: readonly Group[], c: readonly number[]): number[] {
  return groups.map((group) => {
    let sum = 0;
    let bm25 = 0;
    for (const set of group) {
      for (const q of set.queries) sum += at(q.ndcg, share(c, q));
      bm25 += set.bm25 * set.queries.length;
    }
    return sum / bm25;
  });
}

function objective(groups: readonly Group[], c: readonly number[], scale: readonly number[]): number {
  const r = ratios(groups, c);
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const below = r.reduce((a, x) => a + Math.max(0, FLOOR - x), 0);
  const ridge = c.slice(1).reduce((a, ci, i) => a + (ci * scale[i]!) ** 2, 0);
  return mean - 20 * below - RIDGE * ridge;
}

/** A small seeded PRNG (mulberry32) and Gaussian steps from it: the fit is reproducible. */
function gaussian(seed: number): () => number {
  let t = seed >>> 0;
  const uniform = () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

/** Random-restart hill climb over the bias and the used signals' standardised coefficients. */
function fit(groups: readonly Group[], used: readonly boolean[]): number[] {
  const all = groups.flatMap((group) => group.flatMap((set) => set.queries));
  const scale = FUSION_SIGNALS.map((_, i) => {
    const values = all.map((q) => q.signals[i]!);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
    return sd > 1e-9 ? sd : 1;
  });
  const free = [true, ...used];
  const normal = gaussian(1);
  let best = [0, ...FUSION_SIGNALS.map(() => 0)];
  let score = -Infinity;
  // Start from every fixed share, then from random points.
  const starts = [...GRID.slice(1, -1).map((w) => [Math.log(w / (1 - w)), ...FUSION_SIGNALS.map(() => 0)]), ...Array.from({ length: 20 }, () => free.map((f) => (f ? 2 * normal() : 0)))];
  for (const start of starts) {
    let c = start.map((v, i) => (i === 0 ? v : v / scale[i - 1]!));
    let s = objective(groups, c, scale);
    for (let step = 1, it = 0; it < 300; it++) {
      const next = c.map((v, i) => (free[i] ? v + (step * normal()) / (i === 0 ? 1 : scale[i - 1]!) : 0));
      const ns = objective(groups, next, scale);
      if (ns > s) [c, s] = [next, ns];
      if (it % 75 === 74) step /= 2;
    }
    if (s > score) [best, score] = [c, s];
  }
  return best;
}

function bestFixed(set: SetRows): { w: number; ratio: number } {  // per set, with hindsight
  let best = { w: 0, ratio: 0 };
  GRID.forEach((w, i) => {
    const ratio = set.queries.reduce((a, q) => a + q.ndcg[i]!, 0) / set.queries.length / set.bm25;
    if (ratio > best.ratio) best = { w, ratio };
  });
  return best;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      fit: { type: 'string', multiple: true },
      check: { type: 'string', multiple: true },
      json: { type: 'string' },
      rows: { type: 'string' },
      signals: { type: 'string' },
      from: { type: 'string' },
    },
  });
  if (!values.model || !values.fit?.length) throw new Error('usage: tsx scripts/fit-fusion.ts --model <dir> --fit <beir-dir>[@split] … [--check <beir-dir>[@split] …] [--json <file>]');
  // Rows of an earlier run (--rows) for the same model, by set name: refitting skips the embedding.
  const earlier = new Map<string, SetRows>();
  if (values.from) {
    const saved = JSON.parse(await readFile(values.from, 'utf8')) as { fit: SetRows[]; check: SetRows[] };
    for (const set of [...saved.fit, ...saved.check]) earlier.set(set.name, set);
  }
  const rowsFor = async (spec: string) => earlier.get(spec) ?? (await rowsOf(spec, values.model!));
  const used = FUSION_SIGNALS.map((name) => values.signals === undefined || values.signals.split(',').includes(name));
  const groups: SetRows[][] = [];
  for (const spec of values.fit) {
    const group: SetRows[] = [];
    for (const set of spec.split(',')) group.push(await rowsFor(set));
    groups.push(group);
  }
  const fitSets = groups.flat();
  const checkSets: SetRows[] = [];
  for (const spec of values.check ?? []) checkSets.push(await rowsFor(spec));
  if (values.rows) await writeFile(values.rows, JSON.stringify({ grid: GRID, signals: FUSION_SIGNALS, fit: fitSets, check: checkSets }));

  const coefficients = fit(groups, used);
  const inSample = ratios(fitSets.map((set) => [set]), coefficients);
  const groupRatios = ratios(groups, coefficients);
  const checks = ratios(checkSets.map((set) => [set]), coefficients);
  const line = (cells: Array<string | number>) => cells.map((c) => (typeof c === 'number' ? c.toFixed(3) : c)).join('\t');
  console.log(line(['set', 'queries', 'bm25 nDCG@10', 'best fixed w (hindsight)', 'its ratio', 'adaptive']));
  fitSets.forEach((set, i) => {
    const fixed = bestFixed(set);
    console.log(line([`${set.name} (fit)`, String(set.queries.length), set.bm25, fixed.w, fixed.ratio, inSample[i]!]));
  });
  groups.forEach((group, i) => group.length > 1 && console.log(line([`pooled ${group.map((set) => set.name).join(' + ')}`, '', '', '', '', groupRatios[i]!])));
  checkSets.forEach((set, i) => {
    const fixed = bestFixed(set);
    console.log(line([`${set.name} (check)`, String(set.queries.length), set.bm25, fixed.w, fixed.ratio, checks[i]!]));
  });
  const rounded = coefficients.map((c) => Math.round(c * 1e4) / 1e4);
  console.log(`coefficients (bias, ${FUSION_SIGNALS.join(', ')}): ${JSON.stringify(rounded)}`);
  if (values.json) {
    const summary = (sets: SetRows[], adaptive: number[]) => sets.map((s, i) => ({ set: s.name, queries: s.queries.length, bm25: s.bm25, bestFixed: bestFixed(s), adaptive: adaptive[i] }));
    await writeFile(values.json, JSON.stringify({ coefficients: rounded, fit: summary(fitSets, inSample), check: summary(checkSets, checks) }, null, 2));
  }
}

await main();
