/**
 * `sgpt-search index <built-site-dir> --out <dir>`: the flags over buildSiteIndex (src/build/), which
 * writes the site index plus the browser runtime and the model, so the site needs only the <script>
 * and <sgpt-search> tags.
 */
import { parseArgs } from 'node:util';
import type { EmbedOptions } from '../embed/types';
import { SgptError } from '../errors';
import { buildSiteIndex, summaryLine, type IndexRun } from '../build/site-build';
import { parseShardSpec } from '../index/shard-file';
import { DEFAULT_FIXED_WEIGHT, DEFAULT_FUSION, FUSION_METHODS, resolveFusion, type FusionMethod } from '../search/fusion';
import { cacheFolder } from './cache-dir';
import { integerFlag, numberFlag, modeFlag } from './flags';
import { parsePathRule } from '../extract/filters';

export const INDEX_USAGE = `usage: sgpt-search index [<built-site-dir>] [--records <file.jsonl>] --out <dir> [options]

  --out <dir>          where to write manifest.json and the index files (reuses unchanged vectors there);
                       inside the site, a folder of its own (e.g. <site>/sgpt): one holding pages is refused
  --records <file>     also index records that are not HTML: one JSON object a line,
                       {"url": "/path#anchor", "title": …, "text": …, "lang"?: …, "filters"?: {"key": "value"}, "weight"?: 2}; with no site
                       folder, the records alone
  --model <source>     model folder, URL or hub id (default: the bundled default model)
  --mode <mode>        symmetric | asymmetric (default: the model's config)
  --shards <N|auto>    vector shards (IVF clusters); auto: one per ~16 KiB of vectors (default auto)
  --probe <N>          shards a query reads by default (default: an eighth of the shards, 12 to 24)
  --fusion <method>    how semantic results fuse the keyword and semantic rankings: adaptive (the
                       semantic share chosen per query), convex (normalised scores at a fixed share)
                       or rrf (reciprocal ranks) (default ${DEFAULT_FUSION.method})
  --weight <w>         a fixed semantic share of the fused ranking, 0..1, for convex or rrf
                       (default ${DEFAULT_FIXED_WEIGHT})
  --exclude <glob>     skip pages whose site path matches (repeatable), e.g. 'drafts/**'; an empty one is ignored
  --filter-from-path <key=regex>  a filter from each page's path (repeatable): the first capture
                       group of the regex on the decoded path is the value, e.g.
                       'version=^/(\\d+\\.\\d+)/' gives /3.11/library/json.html version 3.11; pages
                       also take filters from data-sgpt-filter="key:value" and
                       <meta name="sgpt-filter" content="key:value">, records from "filters"
  --keep-copies        keep the sections a page repeats from other pages (default: left out where most
                       of a page repeats others, e.g. an all-in-one page of the API, keeping the copy
                       on the page about that one thing)
  --batch <N>          sequences per model call (default: the engine's)
  --shard <i/N>        embed only shard i of N (0-based) and write <out>/shard-<i>-of-<N>.sgpt-shard
                       instead of an index; \`sgpt-search merge\` joins the N files (a CI matrix)
  --cache-dir <dir>    the caches kept between builds (e.g. by CI): the extracted pages (a page whose
                       file, URL and extractor are unchanged is not parsed again) and the embedding
                       cache (a section whose text and model are unchanged is not embedded again);
                       damaged entries are detected and made again. Without it the pages are kept in
                       $XDG_CACHE_HOME/sgpt-search, else node_modules/.cache/sgpt-search, and
                       nothing is embedded from a cache
  --no-cache           keep and read no cache at all
  --no-runtime         do not write the browser runtime (sgpt-search.js, chunks/, ort/) into --out
  --no-model           do not copy the model into --out/model/ (set the element's model attribute instead)
  --no-webgpu          leave out onnxruntime-web's asyncify build (27 MB), which only WebGPU uses:
                       the runtime shrinks to ~15 MB and the element runs on WASM everywhere
  --offline            also make the site searchable opened from disk (file://, no server): every
                       file the browser reads is written again as a script under <out>/offline/
                       (base64, ~1.33x the bytes), plus the classic runtime sgpt-search.offline.js;
                       pages load it with <script src="<out>/sgpt-search.offline.js"></script>

The page then needs:
  <script type="module" src="<out>/sgpt-search.js"></script>
  <sgpt-search index="<out>/manifest.json"></sgpt-search>`;

/** The bar fills by model windows, so a long section moves it while the section count waits. */
function progressBar(stream: NodeJS.WriteStream): EmbedOptions['onProgress'] {
  if (!stream.isTTY) return undefined;
  return (done, total, windows) => {
    const width = 30;
    const filled = windows.total > 0 ? Math.round((windows.done / windows.total) * width) : width;
    stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} sections embedded (${windows.done}/${windows.total} windows)`);
    if (done === total) stream.write('\n');
  };
}

/** The options `index` and `merge` share (merge takes those that shape the index, not the embedding). */
export const INDEX_OPTIONS = {
  out: { type: 'string' },
  records: { type: 'string' },
  model: { type: 'string' },
  shards: { type: 'string' },
  probe: { type: 'string' },
  weight: { type: 'string' },
  fusion: { type: 'string' },
  exclude: { type: 'string', multiple: true },
  'filter-from-path': { type: 'string', multiple: true },
  'keep-copies': { type: 'boolean' },
  'no-runtime': { type: 'boolean' },
  'no-model': { type: 'boolean' },
  'no-webgpu': { type: 'boolean' },
  offline: { type: 'boolean' },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type IndexFlags = { [K in keyof typeof INDEX_OPTIONS]?: (typeof INDEX_OPTIONS)[K]['type'] extends 'boolean' ? boolean : (typeof INDEX_OPTIONS)[K] extends { multiple: true } ? string[] : string };

/** An IndexRun from the shared flags (checked before any work), for `command` ('index' or 'merge'). */
export function runFromFlags(values: IndexFlags, site: string | undefined, command: string): IndexRun {
  if (!values.out) throw new SgptError('INPUT_INVALID', `give --out (see sgpt-search ${command} --help)`);
  const weight = numberFlag(values.weight, '--weight', (n) => n >= 0 && n <= 1, 'a number in [0, 1]');
  const fusion = values.fusion;
  if (fusion !== undefined && !FUSION_METHODS.includes(fusion as FusionMethod)) {
    throw new SgptError('INPUT_INVALID', `--fusion must be ${FUSION_METHODS.join(', ')}, got ${JSON.stringify(fusion)}`);
  }
  resolveFusion(fusion as FusionMethod | undefined, weight); // refuses --fusion adaptive with --weight before any work
  const cache = cacheFolder(values);
  return {
    site,
    records: values.records,
    out: values.out,
    model: values.model,
    shards: values.shards === undefined || values.shards === 'auto' ? 'auto' : integerFlag(values.shards, '--shards'),
    probe: integerFlag(values.probe, '--probe'),
    weight,
    fusion: fusion as FusionMethod | undefined,
    exclude: values.exclude,
    filterFromPath: (values['filter-from-path'] ?? []).map(parsePathRule),
    keepCopies: values['keep-copies'] ?? false,
    runtime: !values['no-runtime'],
    shipModel: !values['no-model'],
    webgpu: !values['no-webgpu'],
    offline: values.offline ?? false,
    ...(cache === null ? {} : { pageCache: cache }),
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
      shard: { type: 'string' },
    },
  });
  if (values.help) {
    process.stdout.write(`${INDEX_USAGE}\n`);
    return 0;
  }
  if (positionals.length > 1 || (positionals.length === 0 && values.records === undefined) || !values.out) {
    throw new SgptError('INPUT_INVALID', `give one built-site folder (or --records) and --out\n${INDEX_USAGE}`);
  }
  const run: IndexRun = {
    ...runFromFlags(values, positionals[0], 'index'),
    mode: modeFlag(values.mode),
    batchSize: integerFlag(values.batch, '--batch'),
    ...(values['cache-dir'] === undefined ? {} : { cacheDir: values['cache-dir'] }),
  };
  const shardSpec = values.shard === undefined ? undefined : parseShardSpec(values.shard);
  return stoppable(async (signal, onCommit) => {
    if (shardSpec !== undefined) {
      const { buildShard, shardLine } = await import('../build/shard-build');
      const shard = await buildShard({ ...run, signal }, shardSpec);
      process.stderr.write(`${shardLine(shard)}\n`);
      return 0;
    }
    const summary = await buildSiteIndex({ ...run, signal, onCommit });
    process.stderr.write(`${summaryLine(summary)} written to ${values.out}\n`);
    return 0;
  });
}

/** The exit status of a command stopped by Ctrl-C (128 + SIGINT), as a shell reports it. */
export const STOPPED_STATUS = 130;

/**
 * Run `build` with a signal that Ctrl-C (SIGINT) or SIGTERM aborts: the build then fails as any
 * failed build does (its abort releases the lock and removes the staging folder, leaving --out as
 * it was) and the command exits STOPPED_STATUS. Node's default, dying at once, would leave both
 * behind. A second Ctrl-C exits at once. Once the build calls `onCommit` (its output starts to go
 * live, which a stop no longer stops), a stop says the commit finishes, and the build's own status
 * stands.
 */
export async function stoppable(build: (signal: AbortSignal, onCommit: () => void) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  let committing = false;
  const stop = () => {
    if (controller.signal.aborted) process.exit(STOPPED_STATUS);
    process.stderr.write(
      committing
        ? '\nsgpt-search: the new index is being put in place: finishing that, then stopping (Ctrl-C again to quit at once; the next build repairs --out)\n'
        : '\nsgpt-search: stopping, leaving --out as it was (Ctrl-C again to quit at once)\n',
    );
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await build(controller.signal, () => void (committing = true));
  } catch (error) {
    if (controller.signal.aborted && !committing) return STOPPED_STATUS; // a commit that fails says why
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
