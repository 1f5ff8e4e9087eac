/**
 * A synthetic documentation site of any size, deterministic for a given size and seed: pages of
 * PER_PAGE sections, each an <h2 id> heading and a paragraph of 3–7 sentences drawn (seeded PRNG)
 * from the Python 3.11 docs sections in the shared data, so every section's text is distinct and
 * reads like documentation. Also fills an embedding cache (`--cache-dir`) with seeded, clustered
 * unit vectors for every section text, so a build can run every step but the model at a scale
 * the model cannot embed on this machine (bench/sections/scale.ts says which rows used it).
 *
 *   tsx bench/synthetic-site.ts <dir> <sections> [--cache-dir <dir>]   # the pages, and synthetic vectors for them
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { defaultModelSource } from '../src/build/default-model';
import { readPages } from '../src/build/site-build';
import { SiteIndexer } from '../src/index/site-indexer';
import { VectorCache } from '../src/index/vector-cache';
import { sectionInfo } from '../src/index/page-source';
import { textHash } from '../src/index/writer';
import { seededRandom } from '../src/search/kmeans';
import { PYTHON_SECTIONS_FILE } from './python-docs';

const PER_PAGE = 20;
const PAGES_PER_FOLDER = 500;

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The pool's headings and sentences (sentences of 30–300 characters). */
function readPool(): { titles: string[]; sentences: string[] } {
  const entries = gunzipSync(readFileSync(PYTHON_SECTIONS_FILE)).toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { title: string; text: string });
  const sentences = entries.flatMap((e) => e.text.split(/(?<=[.!?])\s+/)).filter((s) => s.length >= 30 && s.length <= 300);
  return { titles: entries.map((e) => e.title), sentences };
}

/** Writes `sections` sections on pages of PER_PAGE under `dir`. */
export async function writeSyntheticSite(dir: string, sections: number, seed = 1): Promise<void> {
  const { titles, sentences } = readPool();
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const pages = Math.ceil(sections / PER_PAGE);
  for (let p = 0; p < pages; p++) {
    const folder = join(dir, `part-${Math.floor(p / PAGES_PER_FOLDER)}`);
    if (p % PAGES_PER_FOLDER === 0) await mkdir(folder, { recursive: true });
    const title = `${pick(titles)} (${p})`;
    const body: string[] = [`<h1 id="top">${escapeHtml(title)}</h1>`];
    for (let s = 0; s < Math.min(PER_PAGE, sections - p * PER_PAGE); s++) {
      const text = Array.from({ length: 3 + Math.floor(random() * 5) }, () => pick(sentences)).join(' ');
      body.push(`<h2 id="s${s}">${escapeHtml(pick(titles))}</h2><p>${escapeHtml(text)}</p>`);
    }
    await writeFile(join(folder, `page-${p}.html`), `<!doctype html><html lang="en"><meta charset="utf-8"><title>${escapeHtml(title)}</title><main>${body.join('\n')}</main></html>`);
  }
}

/**
 * Fills `cacheDir` with one seeded unit vector per distinct section text of the site (clustered
 * around 64 centres, so k-means has structure to find), keyed as the build keys its cache: the
 * model's ref and the section's text hash. Returns the distinct texts written.
 */
export async function fillSyntheticCache(site: string, out: string, cacheDir: string, model: string, exclude: string[] = []): Promise<number> {
  const indexer = await SiteIndexer.load(model);
  try {
    const cache = await VectorCache.open(cacheDir, indexer.model);
    if (cache === null) throw new Error(`model ${model} has no content hash: use a local model folder`);
    const { hashes } = await sectionInfo(await readPages({ site, out, exclude }, out), textHash);
    const dims = indexer.model.dims;
    const centres = Array.from({ length: 64 }, (_, c) => unit(seededRandom(1000 + c), dims, null, 0));
    const seen = new Set<string>();
    for (const hash of hashes) {
      if (seen.has(hash)) continue;
      seen.add(hash);
      const random = seededRandom(Number.parseInt(hash.slice(0, 8), 16));
      await cache.put(hash, [unit(random, dims, centres[Math.floor(random() * centres.length)]!, 0.6)]);
    }
    return seen.size;
  } finally {
    await indexer.dispose();
  }
}

/** A random unit vector (uniform noise), around `centre` with noise of norm ≈ `spread` when given. */
function unit(random: () => number, dims: number, centre: Float32Array | null, spread: number): Float32Array {
  const v = new Float32Array(dims);
  for (let d = 0; d < dims; d++) v[d] = (centre === null ? 0 : centre[d]!) + (centre === null ? 1 : spread * Math.sqrt(3 / dims)) * (2 * random() - 1);
  const norm = Math.hypot(...v);
  for (let d = 0; d < dims; d++) v[d]! /= norm;
  return v;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [dir, count, flag, cacheDir] = process.argv.slice(2);
  if (dir === undefined || !Number.isInteger(Number(count)) || (flag !== undefined && (flag !== '--cache-dir' || cacheDir === undefined))) {
    process.stderr.write('usage: tsx bench/synthetic-site.ts <dir> <sections> [--cache-dir <dir>]\n');
    process.exit(2);
  }
  await writeSyntheticSite(dir, Number(count));
  if (cacheDir !== undefined) await fillSyntheticCache(dir, join(dir, 'sgpt'), cacheDir, defaultModelSource());
}
