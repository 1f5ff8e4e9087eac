/**
 * Fits adaptive fusion (src/search/fusion.ts) for one embedding model, in one command:
 *
 *   npx tsx scripts/fit-fusion.ts --faqsets <dir> --data <dir> [--pairs <beir-dir>] [--model <dir>] [--write]
 *                                 [--dev <beir-dir> … --always <beir-dir>[@split] …] [--rows-dir <dir>] [--json <file>]
 *
 * Development sets: the docs sites DEV_FAQ_SETS under --faqsets (docs-question sets built by
 * scripts/faq-sets.sh, see README "Evaluation") and DEV_DATA_SETS under --data (../shared/data),
 * or the --dev (sites) and --always sets given instead. --pairs names docs queries that are not
 * questions (the held-out pairs of model/nano2/heldout_beir.py: a heading, an API name or a link's
 * text -> its section): without them nothing but SciFact's claims speaks for a query that is not a
 * question, and a fit left the share of every keyword-style docs query at 0.05 (the pairs' fused
 * ratio fell from 1.18 to 1.02 ×). The held-out sets (the Python and Django FAQs, Cranfield,
 * SciFact test) are never read here.
 *
 * For every query it runs the product's two lists (src/eval/methods productLists: keyword search
 * as you type over the product's texts, dense over the product's embedding texts), reads the
 * fusion signals and scores nDCG@10 of the convex fusion at dense shares 0, 0.05, …, 1 (a set's
 * rows are kept in --rows-dir per model, so a refit embeds nothing twice). The objective weighs
 * each docs QUESTION equally: the sites' questions pooled, their summed nDCG@10 relative to their
 * summed BM25 (eval's `bm25` row); with --pairs, that and the pairs' pooled ratio weigh half each
 * (two kinds of docs query, however many of each the sets hold); minus a steep penalty for any set (the --always sets included)
 * of FLOOR_MIN_QUERIES or more below FLOOR and a small ridge on the standardised coefficients.
 * Pooled, not a mean of per-site ratios: on a site of 9 questions where BM25 scores 0.05, one
 * question moves the site's ratio by 0.6, and a mean of such ratios swung by 0.09 between dense
 * shares 0.10 and 0.15 on one lxml question. Capacity (which signals the logistic model may use,
 * CAPACITIES, nested) is chosen by leave-one-site-out cross-validation: each docs site is scored
 * by coefficients fitted on the other sites, the pairs and the --always sets (SciFact train is no
 * site, and the only keyword-heavy set: held to its floor in every fold); the capacity with the best
 * pooled CV ratio, minus the same penalty for a site below CV_FLOOR, wins and is refitted on every
 * set. The pairs do not choose: every fold fits them, so their ratio there is in sample and only
 * grows with the signals (printed, as "pairs (fitted)"); a choice that counted it took every
 * signal, which lost the sites' questions out of sample and scored 0.61–0.85 × BM25 on the
 * headings of sites the model never saw (docs/FUSION.md, "How the fusion was chosen").
 *
 * --write rewrites src/search/fusion-fit.ts (the coefficients, the model's hash, the CV figures);
 * the README's figures come from `sgpt-search eval` afterwards, not from here (this interpolates
 * between grid shares).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultModelSource } from '../src/build/default-model';
import { defaultCacheDir } from '../src/cli/cache-dir';
import { productLists } from '../src/eval/methods';
import { ndcgAt } from '../src/eval/metrics';
import { openEval } from '../src/eval/runner';
import { modelFolderHash } from '../src/index/model-ref';
import { FUSION_DEPTH, FUSION_SIGNALS, adaptiveShare, fusionSignals, type FusionSignal } from '../src/search/fusion';
import { fuseRanking } from '../src/search/ranking';

/** Docs-question development sets, one per site (scripts/faq-sets.sh), under --faqsets: the folds of the CV. */
const DEV_FAQ_SETS = ['sqlite-faq', 'sphinx-faq', 'aiohttp-faq', 'celery-faq', 'scrapy-faq', 'lxml-faq', 'sqlalchemy-faq'];
/** Development sets of the shared data, under --data: always fitted on. */
const DEV_DATA_SETS = ['scifact/beir@train'];
/** Signal sets the model may use, smallest first; CV chooses among them. */
const CAPACITIES: readonly (readonly FusionSignal[])[] = [
  [],
  ['question'],
  ['question', 'strength'],
  ['question', 'strength', 'coverage'],
  ['question', 'strength', 'coverage', 'agreement'],
  ['question', 'strength', 'coverage', 'agreement', 'denseMargin'],
  FUSION_SIGNALS,
];
const GRID = Array.from({ length: 21 }, (_, i) => i / 20);
/** Bump when what a row holds changes (2: the product's fusion, a complete keyword list from BM25's 0), so --rows-dir's older rows are not read. */
const ROWS_VERSION = 2;
/** Fit penalty floor: a margin above the 0.99 × target, since a refit set scores lower out of sample. */
const FLOOR = 0.995;
const CV_FLOOR = 0.99;
/**
 * Sets smaller than this count in the mean but carry no floor: one question of a 5-question set
 * moves its ratio by 0.3 (Sphinx's FAQ is below 0.7 × at every dense share from 0.05 to 0.5), so
 * a floor there is a floor on noise and would pin every question to BM25.
 */
const FLOOR_MIN_QUERIES = 20;
const RIDGE = 0.002;
const FIT_FILE = new URL('../src/search/fusion-fit.ts', import.meta.url);

interface QueryRow {
  signals: number[];
  /** nDCG@10 at each GRID share. */
  ndcg: number[];
}

/** The development sets by role: the CV's folds, the docs queries that are not questions, the floor-only sets. */
interface DevSets {
  sites: readonly SetRows[];
  pairs: readonly SetRows[];
  always: readonly SetRows[];
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
      // The product's fusion at each share (fuseRanking: a complete keyword list runs from BM25's 0).
      const ndcg = GRID.map((w) => ndcgAt(fuseRanking(query.text, keywordResult, denseList, { method: 'convex', semanticWeight: w }, FUSION_DEPTH).slice(0, 10).map((hit) => ids[hit.id]!), judgements, 10));
      return { signals: FUSION_SIGNALS.map((name) => signals[name]), ndcg };
    });
    const folder = basename(data) === 'beir' ? basename(dirname(data)) : basename(data); // shared/data/<set>/beir
    return { name: split ? `${folder}@${split}` : folder, bm25: bm25 / dataset.queries.length, queries };
  } finally {
    await open.dispose();
  }
}

/** A set's rows from --rows-dir when computed for this model before, else computed and kept there. */
async function cachedRows(spec: string, model: string, modelHash: string, dir: string): Promise<SetRows> {
  const file = join(dir, `${spec.replace(/[^\w.@-]+/g, '_')}.${modelHash.slice(0, 16)}.v${ROWS_VERSION}.json`);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as SetRows;
  } catch {
    const rows = await rowsOf(spec, model);
    await mkdir(dir, { recursive: true });
    await writeFile(file, JSON.stringify(rows));
    return rows;
  }
}

/** nDCG@10 at share w, interpolated between grid points. */
function at(ndcg: readonly number[], w: number): number {
  const x = Math.min(Math.max(w, 0), 1) * (GRID.length - 1);
  const i = Math.min(Math.floor(x), GRID.length - 2);
  return ndcg[i]! + (x - i) * (ndcg[i + 1]! - ndcg[i]!);
}

/** Each set's nDCG@10 under coefficients c, relative to its BM25. */
function ratios(sets: readonly SetRows[], c: readonly number[]): number[] {
  return sets.map((set) => set.queries.reduce((sum, q) => sum + at(q.ndcg, adaptiveShare(c, q.signals)), 0) / set.queries.length / set.bm25);
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The sets' questions pooled: summed nDCG@10 over summed BM25 nDCG@10, from each set's ratio `r[i]`. */
function pooled(sets: readonly SetRows[], r: readonly number[]): number {
  const weight = sets.map((set) => set.queries.length * set.bm25);
  return r.reduce((a, x, i) => a + x * weight[i]!, 0) / weight.reduce((a, b) => a + b, 0);
}

/** Penalty for the sets (large enough to carry a floor) below `floor`. */
const shortfall = (sets: readonly SetRows[], r: readonly number[], floor: number) =>
  r.reduce((a, x, i) => a + (sets[i]!.queries.length >= FLOOR_MIN_QUERIES ? Math.max(0, floor - x) : 0), 0);

/** The docs questions' pooled ratio, half and half with the pairs' when there are pairs. */
const halves = (questions: number, pairs: number | undefined) => (pairs === undefined ? questions : (questions + pairs) / 2);

/** The pairs pooled, from each pairs set's ratio `r[i]` (undefined without pairs). */
const pairsPooled = (pairs: readonly SetRows[], r: readonly number[]) => (pairs.length > 0 ? pooled(pairs, r) : undefined);

/** The docs queries' pooled ratio, less the floor's penalty over every set and the ridge. */
function objective(dev: DevSets, c: readonly number[], scale: readonly number[]): number {
  const r = ratios(dev.sites, c);
  const p = ratios(dev.pairs, c);
  const below = shortfall(dev.sites, r, FLOOR) + shortfall(dev.pairs, p, FLOOR) + shortfall(dev.always, ratios(dev.always, c), FLOOR);
  const ridge = c.slice(1).reduce((a, ci, i) => a + (ci * scale[i]!) ** 2, 0);
  return halves(pooled(dev.sites, r), pairsPooled(dev.pairs, p)) - 20 * below - RIDGE * ridge;
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
function fit(dev: DevSets, used: readonly FusionSignal[]): number[] {
  const all = [...dev.sites, ...dev.pairs, ...dev.always].flatMap((set) => set.queries);
  const scale = FUSION_SIGNALS.map((_, i) => {
    const values = all.map((q) => q.signals[i]!);
    const m = mean(values);
    const sd = Math.sqrt(mean(values.map((v) => (v - m) ** 2)));
    return sd > 1e-9 ? sd : 1;
  });
  const free = [true, ...FUSION_SIGNALS.map((name) => used.includes(name))];
  const normal = gaussian(1);
  let best = free.map(() => 0);
  let score = -Infinity;
  // Start from every fixed share, then from random points.
  const starts = [...GRID.slice(1, -1).map((w) => [Math.log(w / (1 - w)), ...FUSION_SIGNALS.map(() => 0)]), ...Array.from({ length: used.length > 0 ? 12 : 0 }, () => free.map((f) => (f ? 2 * normal() : 0)))];
  for (const start of starts) {
    let c = start.map((v, i) => (i === 0 ? v : v / scale[i - 1]!));
    let s = objective(dev, c, scale);
    for (let step = 1, it = 0; it < 240; it++) {
      const next = c.map((v, i) => (free[i] ? v + (step * normal()) / (i === 0 ? 1 : scale[i - 1]!) : 0));
      const ns = objective(dev, next, scale);
      if (ns > s) [c, s] = [next, ns];
      if (it % 60 === 59) step /= 2;
    }
    if (s > score) [best, score] = [c, s];
  }
  return best;
}

/** Per set, with hindsight: the best fixed share and its ratio. */
function bestFixed(set: SetRows): { w: number; ratio: number } {
  let best = { w: 0, ratio: 0 };
  GRID.forEach((w, i) => {
    const ratio = mean(set.queries.map((q) => q.ndcg[i]!)) / set.bm25;
    if (ratio > best.ratio) best = { w, ratio };
  });
  return best;
}

interface Capacity {
  signals: readonly FusionSignal[];
  /** Each site's ratio under coefficients fitted without it. */
  cv: number[];
  /** The pairs' pooled ratio under each of those folds' coefficients (fitted on them: in sample), averaged (undefined without pairs). */
  pairs: number | undefined;
}

/** Leave one site out: each site scored by a fit on the other sites, the pairs and the `always` sets. */
function crossValidate(dev: DevSets, signals: readonly FusionSignal[]): Capacity {
  const folds = dev.sites.map((held, i) => {
    const c = fit({ ...dev, sites: dev.sites.filter((_, j) => j !== i) }, signals);
    return { site: ratios([held], c)[0]!, pairs: pairsPooled(dev.pairs, ratios(dev.pairs, c)) };
  });
  return { signals, cv: folds.map((f) => f.site), pairs: dev.pairs.length > 0 ? mean(folds.map((f) => f.pairs!)) : undefined };
}

/** The capacity with the best pooled CV ratio over the sites, less the fit's penalty for a (large enough) site below CV_FLOOR. */
function choose(sites: readonly SetRows[], capacities: readonly Capacity[]): Capacity {
  const score = (c: Capacity) => pooled(sites, c.cv) - 20 * shortfall(sites, c.cv, CV_FLOOR);
  return capacities.reduce((a, b) => (score(b) > score(a) ? b : a));
}

const round = (c: number) => Math.round(c * 1e4) / 1e4;

function fitFile(command: string, model: string, modelHash: string, chosen: Capacity, cvPooled: number, coefficients: readonly number[], sets: readonly SetRows[], inSample: readonly number[]): string {
  const weighing = chosen.pairs === undefined
    ? "each docs question weighing the same (the sites' nDCG@10 pooled,\n * relative to their BM25"
    : "the docs questions pooled (each weighing the same) and the docs pairs\n * pooled weighing half each (nDCG@10 relative to BM25";
  const cv = (i: number) => (chosen.cv[i] === undefined ? 'always fitted' : `CV ${chosen.cv[i]!.toFixed(3)} ×`);
  const lines = sets.map((set, i) => ` *   ${set.name.padEnd(20)} ${String(set.queries.length).padStart(4)} queries  ${cv(i).padEnd(13)}  fit ${inSample[i]!.toFixed(3)} ×`);
  return `/**
 * GENERATED by scripts/fit-fusion.ts --write; do not edit by hand. Refit after changing the model:
 *
 *   ${command}
 *
 * Adaptive fusion's coefficients (bias, then FUSION_SIGNALS in order) for ${model}, fitted on
 * the development sets below, ${weighing}; convex fusion over the product's lists; the other sets held to a floor).
 * Signals chosen by leave-one-site-out CV: ${chosen.signals.join(', ') || 'none (a fixed share)'}.
 * CV pooled over the sites ${cvPooled.toFixed(3)} ×, worst site ${Math.min(...chosen.cv).toFixed(3)} ×; per set (CV: fitted without that site):
${lines.join('\n')}
 */
export const FITTED_FUSION = {
  /** modelFolderHash of the model the coefficients were fitted for. */
  modelHash: '${modelHash}',
  coefficients: [${coefficients.join(', ')}] as readonly number[],
};
`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      faqsets: { type: 'string' },
      data: { type: 'string' },
      dev: { type: 'string', multiple: true },
      always: { type: 'string', multiple: true },
      pairs: { type: 'string', multiple: true },
      'rows-dir': { type: 'string' },
      json: { type: 'string' },
      write: { type: 'boolean', default: false },
    },
  });
  const given = values.dev !== undefined || values.always !== undefined;
  if (!given && (!values.faqsets || !values.data)) {
    throw new Error('usage: tsx scripts/fit-fusion.ts --faqsets <dir> --data <dir> [--pairs <beir-dir>] [--model <dir>] [--write] [--dev <beir-dir> … --always <beir-dir>[@split] …] [--rows-dir <dir>] [--json <file>]');
  }
  const siteSpecs = given ? (values.dev ?? []) : DEV_FAQ_SETS.map((name) => join(values.faqsets!, name));
  const alwaysSpecs = given ? (values.always ?? []) : DEV_DATA_SETS.map((name) => join(values.data!, name));
  if (siteSpecs.length < 2) throw new Error('leave-one-site-out CV needs at least two --dev sites');
  const model = values.model ?? defaultModelSource();
  const modelHash = await modelFolderHash(model);
  const rowsDir = values['rows-dir'] ?? join(defaultCacheDir(), 'fusion-rows');
  const rows = async (specs: readonly string[]) => {
    const out: SetRows[] = [];
    for (const spec of specs) {
      const set = await cachedRows(spec, model, modelHash, rowsDir);
      // Every figure is relative to the set's BM25: a set BM25 never scores on has no ratio.
      if (!(set.bm25 > 0)) throw new Error(`${spec}: BM25 nDCG@10 is ${set.bm25}, so ratios to it are undefined (are the judged sections empty?)`);
      out.push(set);
    }
    return out;
  };
  const dev: DevSets = { sites: await rows(siteSpecs), pairs: await rows(values.pairs ?? []), always: await rows(alwaysSpecs) };
  const { sites } = dev;
  const sets = [...sites, ...dev.pairs, ...dev.always];

  const capacities = CAPACITIES.map((signals) => crossValidate(dev, signals));
  const chosen = choose(sites, capacities);
  const coefficients = fit(dev, chosen.signals).map(round);
  const inSample = ratios(sets, coefficients);

  const line = (cells: Array<string | number>) => cells.map((c) => (typeof c === 'number' ? c.toFixed(3) : c)).join('\t');
  console.log('leave-one-site-out CV (nDCG@10 / BM25 of each site, fitted without it)');
  console.log(line(['signals', 'CV pooled', 'CV mean', 'CV worst', ...sites.map((s) => s.name), 'pairs (fitted)']));
  for (const c of capacities) console.log(line([c.signals.join(',') || '(fixed share)', pooled(sites, c.cv), mean(c.cv), Math.min(...c.cv), ...c.cv, c.pairs ?? '-']));
  console.log(`chosen: ${chosen.signals.join(',') || '(fixed share)'}\n`);
  console.log(line(['set', 'queries', 'bm25 nDCG@10', 'best fixed w (hindsight)', 'its ratio', 'CV', 'fit']));
  sets.forEach((set, i) => {
    const fixed = bestFixed(set);
    console.log(line([set.name, String(set.queries.length), set.bm25, fixed.w, fixed.ratio, chosen.cv[i] ?? '(always fitted)', inSample[i]!]));
  });
  console.log(line(['sites pooled', '', '', '', '', `${pooled(sites, chosen.cv).toFixed(3)}`, pooled(sites, inSample.slice(0, sites.length))]));
  console.log(`coefficients (bias, ${FUSION_SIGNALS.join(', ')}): ${JSON.stringify(coefficients)}`);
  if (values.json) {
    const cv = capacities.map((c) => ({ signals: c.signals, pooled: pooled(sites, c.cv), mean: mean(c.cv), worst: Math.min(...c.cv), sites: Object.fromEntries(sites.map((s, i) => [s.name, c.cv[i]])), pairs: c.pairs }));
    const perSet = sets.map((s, i) => ({ set: s.name, queries: s.queries.length, bm25: s.bm25, bestFixed: bestFixed(s), cv: chosen.cv[i], fit: inSample[i] }));
    await writeFile(values.json, JSON.stringify({ model, modelHash, signals: chosen.signals, coefficients, cv, sets: perSet }, null, 2));
  }
  if (values.write) {
    // The inputs only: where rows are kept and the JSON goes change nothing in the fit.
    const inputs = process.argv.slice(2).filter((arg, i, all) => !['--rows-dir', '--json'].includes(arg) && !['--rows-dir', '--json'].includes(all[i - 1]!));
    const command = `npx tsx scripts/fit-fusion.ts ${inputs.join(' ')}`;
    await writeFile(FIT_FILE, fitFile(command, basename(model), modelHash, chosen, pooled(sites, chosen.cv), coefficients, sets, inSample));
    console.log(`wrote ${FIT_FILE.pathname}`);
  }
}

await main();
