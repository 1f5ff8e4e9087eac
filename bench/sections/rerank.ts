/**
 * SGPT-CE reranking speed: ms to rerank 10 and 20 candidates of ~200 tokens (Python-docs sections
 * cut to ~200 tokens) for one query, with the default causal LM (tiny-gpt2-lm), in Node and in
 * headless Chromium (the same Reranker module on onnxruntime-web's plain WASM build, 1 thread).
 * Baselines, measured in the same run:
 * - one candidate per model call (the reranker's default) against one right-padded batch;
 * - (Node) asking the LM for the query positions' logits only (num_logits_to_keep) against every
 *   position's logits (what an export without that input returns).
 *
 *   npm run bench -- rerank [--model <embedding model>]   (its "-lm" sibling is the causal LM)
 */
import { createReadStream } from 'node:fs';
import { relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { defaultRerankModel, modelSource } from '../../src/build/default-model';
import type { CausalLm } from '../../src/rerank/causal-lm';
import { Reranker } from '../../src/rerank/reranker';
import { withBenchBrowser } from '../browser';
import { median } from '../stats';
import type { BenchContext, BenchRow } from '../types';
import { PYTHON_SECTIONS_FILE } from '../python-docs';

const SECTION = 'rerank';
const QUERY = 'how do I read a file line by line';
const TOKENS = 200;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The first `count` sections with at least TOKENS tokens, each cut to the first words reaching TOKENS. */
async function candidates(reranker: Reranker, count: number): Promise<string[]> {
  const out: string[] = [];
  const lines = createInterface({ input: createReadStream(PYTHON_SECTIONS_FILE).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    const { title, text } = JSON.parse(line) as { title: string; text: string };
    const words = `${title} ${text}`.split(/\s+/);
    let cut = '';
    for (const word of words) {
      cut = cut ? `${cut} ${word}` : word;
      if (reranker.lm.tokenize(cut).length >= TOKENS) break;
    }
    if (reranker.lm.tokenize(cut).length >= TOKENS) out.push(cut);
    if (out.length === count) break;
  }
  lines.close();
  return out;
}


/** Runs alternate between the variants so that load from other processes hits them alike. */
async function timeAll(runs: number, variants: Record<string, () => Promise<unknown>>): Promise<Record<string, number>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
  for (const fn of Object.values(variants)) await fn(); // warm-up
  for (let i = 0; i < runs; i++) {
    for (const [name, fn] of Object.entries(variants)) {
      const start = performance.now();
      await fn();
      times[name]!.push(performance.now() - start);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, list]) => [name, median(list)]));
}

/** The same model, asked for every position's logits (as an export without num_logits_to_keep). */
function allPositions(lm: CausalLm): CausalLm {
  return { ...lm, tokenize: (text) => lm.tokenize(text), logits: (batch) => lm.logits(batch), dispose: () => lm.dispose() };
}

/**
 * Median ms of reranking `docs` in a Chromium page, one at a time and in one batch, runs
 * alternating. The page imports the repository's Reranker through the Vite dev server.
 */
async function chromiumTimes(model: string, docs: string[], runs: number): Promise<{ single: number; batched: number; backend: string }> {
  return withBenchBrowser(async (browser, base) => {
    const page = await browser.newPage();
    await page.route(`${base}/__bench__.html`, (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' }));
    await page.goto(`${base}/__bench__.html`);
    const measured = await page.evaluate(
      async ({ model, docs, runs, query, module }) => {
        const { Reranker } = (await import(/* @vite-ignore */ module)) as typeof import('../../src/rerank/reranker');
        const reranker = await Reranker.load(new URL(model, location.href).href, { device: 'wasm', wasmPaths: '/ort/', threads: 1 });
        try {
          const single: number[] = [];
          const batched: number[] = [];
          await reranker.score(query, docs, { batchSize: 1 });
          await reranker.score(query, docs, { batchSize: docs.length });
          for (let i = 0; i < runs; i++) {
            let start = performance.now();
            await reranker.score(query, docs, { batchSize: 1 });
            single.push(performance.now() - start);
            start = performance.now();
            await reranker.score(query, docs, { batchSize: docs.length });
            batched.push(performance.now() - start);
          }
          return { single, batched, backend: reranker.lm.backend };
        } finally {
          await reranker.dispose();
        }
      },
      { model, docs, runs, query: QUERY, module: `/@fs${ROOT}src/rerank/reranker.ts` },
    );
    return { single: median(measured.single), batched: median(measured.batched), backend: measured.backend };
  });
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  // --model names the embedding model, as for every section; its reranker is the "-lm" sibling.
  const model = modelSource(ctx.model);
  const source = defaultRerankModel(model);
  if (source === undefined) throw new Error(`rerank bench: no causal LM "${model}-lm" next to the model`);
  const runs = ctx.quick ? 2 : 5;
  ctx.log?.(`${SECTION}: ${source}`);
  const reranker = await Reranker.load(source);
  try {
    const full = new Reranker(allPositions(reranker.lm));
    const pool = await candidates(reranker, 20);
    const tokens = pool.map((text) => reranker.input(QUERY, text).ids.length);
    const note = `${reranker.lm.modelId} on ${reranker.lm.backend}; inputs ${Math.min(...tokens)}-${Math.max(...tokens)} tokens (prompt + ~${TOKENS}-token document + query); median of ${runs}`;
    const rows: BenchRow[] = [];
    for (const count of [10, 20]) {
      const docs = pool.slice(0, count);
      ctx.log?.(`${SECTION}: ${count} candidates`);
      const t = await timeAll(runs, {
        single: () => reranker.score(QUERY, docs, { batchSize: 1 }),
        batched: () => reranker.score(QUERY, docs, { batchSize: count }),
        allLogits: () => full.score(QUERY, docs, { batchSize: 1 }),
      });
      rows.push(
        {
          section: SECTION,
          name: `rerank ${count} candidates, one right-padded batch`,
          value: t.batched!,
          unit: 'ms',
          baseline: { name: 'one at a time', value: t.single! },
          note,
        },
        {
          section: SECTION,
          name: `rerank ${count} candidates, one at a time, query positions' logits only`,
          value: t.single!,
          unit: 'ms',
          baseline: { name: "every position's logits", value: t.allLogits! },
          note,
        },
      );
    }
    // The dev server serves public/ at /: the browser loads the same model folder by URL.
    const inside = relative(resolve(ROOT, 'public'), resolve(source));
    if (inside.startsWith('..')) {
      ctx.log?.(`${SECTION}: Chromium skipped, ${source} is not under public/`);
      return rows;
    }
    for (const count of [10, 20]) {
      ctx.log?.(`${SECTION}: Chromium, ${count} candidates`);
      const t = await chromiumTimes(`/${inside.split('\\').join('/')}/`, pool.slice(0, count), runs);
      rows.push({
        section: SECTION,
        name: `Chromium: rerank ${count} candidates, one right-padded batch`,
        value: t.batched,
        unit: 'ms',
        baseline: { name: 'one at a time', value: t.single },
        note: `${note.replace(/ on cpu;/, ` on ${t.backend} (plain build, 1 thread);`)}`,
      });
    }
    return rows;
  } finally {
    await reranker.dispose();
  }
}
