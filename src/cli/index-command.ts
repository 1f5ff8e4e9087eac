/**
 * `sgpt-search index <built-site-dir> --out <dir>`: extract sections from a built site, embed them
 * with the same engine the browser runs, and write a site index (see docs/INDEX-FORMAT.md), plus
 * the browser runtime and the model, so the site needs only the <script> and <sgpt-search> tags.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import type { Mode } from '../embed/sgpt-settings';
import type { EmbedOptions } from '../embed/types';
import { SgptError } from '../errors';
import { extractSite } from '../extract/site';
import { OutputDir, openIndexDir, writeIndexDir } from '../index/node-files';
import { SiteIndexer } from '../index/site-indexer';
import { VectorCache } from '../index/vector-cache';
import { parseShardSpec } from '../index/shard-file';
import { DEFAULT_FIXED_WEIGHT, DEFAULT_FUSION, FUSION_METHODS, resolveFusion, type FusionMethod } from '../search/fusion';
import type { BuiltIndex } from '../index/writer';
import type { ModelRef } from '../index/format';
import { modelSource } from './default-model';
import { integerFlag, numberFlag, modeFlag } from './flags';
import { checkOut } from './out-dir';
import type { MergedShards } from '../index/shard-merge';
import { checkRuntime, checkShippableModel, shippedModelUrl, siteRootFrom, writeModel, writeRuntime } from './static-site';

export const INDEX_USAGE = `usage: sgpt-search index <built-site-dir> --out <dir> [options]

  --out <dir>          where to write manifest.json and the index files (reuses unchanged vectors there)
  --model <source>     model folder, URL or hub id (default: the bundled default model)
  --mode <mode>        symmetric | asymmetric (default: the model's config)
  --shards <N|auto>    vector shards (IVF clusters); auto: one per ~64 KiB of vectors (default auto)
  --probe <N>          shards a query reads by default (default 3)
  --fusion <method>    how semantic results fuse the keyword and semantic rankings: adaptive (the
                       semantic share chosen per query), convex (normalised scores at a fixed share)
                       or rrf (reciprocal ranks) (default ${DEFAULT_FUSION.method})
  --weight <w>         a fixed semantic share of the fused ranking, 0..1, for convex or rrf
                       (default ${DEFAULT_FIXED_WEIGHT})
  --exclude <glob>     skip pages whose site path matches (repeatable), e.g. 'genindex*.html'
  --batch <N>          sequences per model call (default: the engine's)
  --shard <i/N>        embed only shard i of N (0-based) and write <out>/shard-<i>-of-<N>.sgpt-shard
                       instead of an index; \`sgpt-search merge\` joins the N files (a CI matrix)
  --cache-dir <dir>    embedding cache kept between builds (e.g. by CI): a section whose text and model
                       are unchanged is not embedded again; corrupt entries are detected and recomputed
  --no-runtime         do not write the browser runtime (sgpt-search.js, chunks/, ort/) into --out
  --no-model           do not copy the model into --out/model/ (set the element's model attribute instead)
  --no-webgpu          leave out onnxruntime-web's asyncify build (27 MB), which only WebGPU uses:
                       the runtime shrinks to ~15 MB and the element runs on WASM everywhere

The page then needs:
  <script type="module" src="<out>/sgpt-search.js"></script>
  <sgpt-search index="<out>/manifest.json"></sgpt-search>`;

export interface IndexRun {
  site: string;
  out: string;
  /** Model folder, URL or hub id (default: the bundled default model). */
  model?: string;
  mode?: Mode;
  /** Vector shards (IVF clusters), or 'auto': one per ~64 KiB of vectors. */
  shards?: number | 'auto';
  /** Shards a query reads by default. */
  probe?: number;
  /** Semantic share of the fused ranking (0..1; default DEFAULT_FUSION's). */
  weight?: number;
  /** How semantic results fuse the two rankings (default DEFAULT_FUSION's). */
  fusion?: FusionMethod;
  /** Site paths to leave out, e.g. ['drafts/**']. */
  exclude?: string[];
  batchSize?: number;
  /** Vectors from merged shard files (`sgpt-search merge`): the model is not loaded, nothing is embedded. */
  from?: MergedShards;
  /** The embedding cache's folder, kept between builds (e.g. by CI): vectors by (model hash, text hash). */
  cacheDir?: string;
  /** The site root relative to where the index is served (manifest root); default: from `site` and `out`. */
  root?: string;
  /** Also write the browser runtime into `out` (default false; the CLI and the Vite plugin turn it on). */
  runtime?: boolean;
  /** With `runtime`: ship onnxruntime-web's asyncify build (27 MB) that only WebGPU uses (default true). */
  webgpu?: boolean;
  /** Also copy the model into `out`/model/<id>/ and name it in the manifest (default false, as `runtime`). */
  shipModel?: boolean;
  onProgress?: EmbedOptions['onProgress'];
  /** Pages skipped or read with a fallback (binary, badly encoded, too deep, too large, links out of the site). */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface IndexSummary {
  built: BuiltIndex['stats'];
  /** Bytes of the index files. */
  bytes: number;
  /** Bytes of the runtime and of the model copied next to the index (0 when not asked for). */
  runtimeBytes: number;
  modelBytes: number;
  seconds: number;
}


/** Build (or incrementally rebuild) the index of a built site. Shared by the CLI and the Vite plugin. */
export async function buildSiteIndex(run: IndexRun): Promise<IndexSummary> {
  const started = performance.now();
  const out = resolve(run.out);
  const source = modelSource(run.model);
  // Missing pieces fail before minutes of embedding, not after.
  await checkOut(run.site, out);
  if (run.runtime) checkRuntime();
  if (run.shipModel) checkShippableModel(source);
  const pages = await extractSite(run.site, { exclude: run.exclude, skipDirs: [out], onWarning: run.onWarning });
  const target = await OutputDir.open(out);
  const indexer = run.from ? SiteIndexer.prebuilt(run.from.model) : await SiteIndexer.load(source, run.mode);
  try {
    const previous = await openIndexDir(out).catch(() => null); // no or unreadable previous index: embed everything
    const modelUrl = run.shipModel ? await shippedModelUrl(source, indexer.model.id) : undefined;
    const cache = await openCache(run, indexer.model);
    const known = run.from?.known ?? cache;
    const built = await indexer.build(pages, {
      previous,
      ...(known === null ? {} : { known }),
      shards: run.shards,
      probe: run.probe,
      semanticWeight: run.weight,
      fusionMethod: run.fusion,
      onProgress: run.onProgress,
      signal: run.signal,
      batchSize: run.batchSize,
      root: run.root ?? siteRootFrom(out, run.site),
      ...(modelUrl === undefined ? {} : { modelUrl }),
    });
    // Everything the manifest names is in place before writeIndexDir swaps the manifest in.
    const modelBytes = modelUrl === undefined ? 0 : await writeModel(source, target, modelUrl);
    const runtimeBytes = run.runtime ? await writeRuntime(target, { webgpu: run.webgpu ?? true }) : 0;
    const bytes = await writeIndexDir(target, built);
    if (cache !== null && cache.corrupt > 0) run.onWarning?.(`${cache.corrupt} corrupt entries in the embedding cache ${run.cacheDir} were embedded again and replaced`);
    return { built: built.stats, bytes, runtimeBytes, modelBytes, seconds: (performance.now() - started) / 1000 };
  } finally {
    await indexer.dispose();
  }
}

/** The run's embedding cache (null without --cache-dir, or for a model without a content hash, with a warning). */
export async function openCache(run: IndexRun, model: ModelRef): Promise<VectorCache | null> {
  if (run.cacheDir === undefined) return null;
  const cache = await VectorCache.open(run.cacheDir, model);
  if (cache === null) run.onWarning?.(`--cache-dir ignored: the model ${model.id} has no content hash to key the cache by (use a local model folder)`);
  return cache;
}

/** The bar fills by model windows, so a long section moves it while the section count waits. */
export function progressBar(stream: NodeJS.WriteStream): EmbedOptions['onProgress'] {
  if (!stream.isTTY) return undefined;
  return (done, total, windows) => {
    const width = 30;
    const filled = windows.total > 0 ? Math.round((windows.done / windows.total) * width) : width;
    stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} sections embedded (${windows.done}/${windows.total} windows)`);
    if (done === total) stream.write('\n');
  };
}

export function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

/** The options `index` and `merge` share (merge takes those that shape the index, not the embedding). */
export const INDEX_OPTIONS = {
  out: { type: 'string' },
  model: { type: 'string' },
  shards: { type: 'string' },
  probe: { type: 'string' },
  weight: { type: 'string' },
  fusion: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  'no-runtime': { type: 'boolean' },
  'no-model': { type: 'boolean' },
  'no-webgpu': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type IndexFlags = { [K in keyof typeof INDEX_OPTIONS]?: (typeof INDEX_OPTIONS)[K]['type'] extends 'boolean' ? boolean : (typeof INDEX_OPTIONS)[K] extends { multiple: true } ? string[] : string };

/** An IndexRun from the shared flags (checked before any work), for `command` ('index' or 'merge'). */
export function runFromFlags(values: IndexFlags, site: string, command: string): IndexRun {
  if (!values.out) throw new SgptError('INPUT_INVALID', `give --out (see sgpt-search ${command} --help)`);
  const weight = numberFlag(values.weight, '--weight', (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
  const fusion = values.fusion;
  if (fusion !== undefined && !FUSION_METHODS.includes(fusion as FusionMethod)) {
    throw new SgptError('INPUT_INVALID', `--fusion must be ${FUSION_METHODS.join(', ')}, got ${JSON.stringify(fusion)}`);
  }
  resolveFusion(fusion as FusionMethod | undefined, weight); // refuses --fusion adaptive with --weight before any work
  return {
    site,
    out: values.out,
    model: values.model,
    shards: values.shards === undefined || values.shards === 'auto' ? 'auto' : integerFlag(values.shards, '--shards'),
    probe: integerFlag(values.probe, '--probe'),
    weight,
    fusion: fusion as FusionMethod | undefined,
    exclude: values.exclude,
    runtime: !values['no-runtime'],
    shipModel: !values['no-model'],
    webgpu: !values['no-webgpu'],
    onProgress: progressBar(process.stderr),
    onWarning: (message) => process.stderr.write(`sgpt-search ${command}: warning: ${message}\n`),
  };
}

export async function indexCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...INDEX_OPTIONS,
      mode: { type: 'string' },
      batch: { type: 'string' },
      'cache-dir': { type: 'string' },
      shard: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${INDEX_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1 || !values.out) throw new SgptError('INPUT_INVALID', `give one built-site folder and --out\n${INDEX_USAGE}`);
  const run: IndexRun = {
    ...runFromFlags(values, positionals[0]!, 'index'),
    mode: modeFlag(values.mode),
    batchSize: integerFlag(values.batch, '--batch'),
    ...(values['cache-dir'] === undefined ? {} : { cacheDir: values['cache-dir'] }),
  };
  if (values.shard !== undefined) {
    const { buildShard, shardLine } = await import('./shard-build');
    const shard = await buildShard(run, parseShardSpec(values.shard));
    process.stderr.write(`${shardLine(shard)}\n`);
    return 0;
  }
  const summary = await buildSiteIndex(run);
  process.stderr.write(`${summaryLine(summary)} written to ${values.out}\n`);
  return 0;
}

/** One line for people: what was indexed, and the bytes of the index, the runtime and the model apart. */
export function summaryLine(summary: IndexSummary): string {
  const s = summary.built;
  const extras = [
    ...(summary.runtimeBytes > 0 ? [`runtime ${formatBytes(summary.runtimeBytes)}`] : []),
    ...(summary.modelBytes > 0 ? [`model ${formatBytes(summary.modelBytes)}`] : []),
  ];
  return `indexed ${s.pages} pages, ${s.sections} sections (${s.embedded} embedded, ${s.reused} reused${s.cached > 0 ? `, ${s.cached} from the cache` : ''}; ${s.vectors} vectors in ${s.shards} shard${s.shards === 1 ? '' : 's'}) in ${summary.seconds.toFixed(1)} s; index ${formatBytes(summary.bytes)}${extras.length > 0 ? ` + ${extras.join(' + ')}` : ''}`;
}
