/**
 * `sgpt-search merge <built-site-dir> <shard files or folders>... --out <dir>`: the index of a
 * fanned-out build. Checks the shards (one model, one N, one site, each shard once), then runs the
 * same build as `sgpt-search index` with every vector taken from the shards: the model is never
 * loaded, and the index is the one a single build writes.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SgptError } from '../errors';
import { modelFolderHash } from '../index/model-ref';
import { SHARD_SUFFIX } from '../index/shard-file';
import { mergeShardFiles } from '../index/shard-merge';
import { modelSource } from '../build/default-model';
import { buildSiteIndex, summaryLine } from '../build/site-build';
import { INDEX_OPTIONS, runFromFlags, stoppable } from './index-command';

export const MERGE_USAGE = `usage: sgpt-search merge <built-site-dir> <shard-file|folder>... --out <dir> [options]

Joins the shard files of \`sgpt-search index <site> --out <dir> --shard i/N\` (one per machine of
a CI matrix, i = 0 … N−1) into one site index, equal to a single \`sgpt-search index\` build. The
site must be the one the shards were built from; a folder stands for the *${SHARD_SUFFIX} files in it.
Shards built with another model, another N or another site, a missing or a repeated shard are errors.

  --out <dir>          where to write manifest.json and the index files
  --model <source>     the model folder the shards were built with, copied next to the index
                       (default: the bundled default model; checked against the shards)
  --exclude <glob>     the same --exclude the shards were built with (repeatable)
  --filter-from-path <key=regex>  filters from each page's path, as for index (repeatable; the
                       shards do not need them: filters are read from the pages at merge)
  --records <file>     the same --records the shards were built with
  --keep-copies        as the shards were built: with it, or without it
  --cache-dir <dir>    where the site's extracted pages are kept between builds, as for index
                       (default $XDG_CACHE_HOME/sgpt-search, else node_modules/.cache/sgpt-search)
  --no-cache           keep and read no cache
  --shards, --probe, --fusion, --weight, --no-runtime, --no-model, --no-webgpu, --offline: as for \`index\``;

/** Shard files named directly, or found in a named folder, in order. */
async function shardPaths(args: readonly string[]): Promise<string[]> {
  const paths: string[] = [];
  for (const arg of args) {
    const info = await stat(arg).catch(() => null);
    if (info === null) throw new SgptError('INPUT_INVALID', `shard file or folder ${arg} does not exist`);
    if (!info.isDirectory()) paths.push(arg);
    else paths.push(...(await readdir(arg)).filter((name) => name.endsWith(SHARD_SUFFIX)).sort().map((name) => join(arg, name)));
  }
  return paths;
}

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: INDEX_OPTIONS });
  if (values.help) {
    process.stdout.write(`${MERGE_USAGE}\n`);
    return 0;
  }
  if (positionals.length < 2 || !values.out) throw new SgptError('INPUT_INVALID', `give the built-site folder, the shard files and --out\n${MERGE_USAGE}`);
  const run = runFromFlags(values, positionals[0]!, 'merge');
  const merged = await mergeShardFiles(await shardPaths(positionals.slice(1)));
  return stoppable(async (signal, onCommit) => {
    let summary;
    try {
      if (run.shipModel) {
        const source = modelSource(run.model);
        const hash = await modelFolderHash(source);
        if (hash !== merged.model.hash) {
          throw new SgptError('INDEX_MODEL_MISMATCH', `--model ${source} is not the model the shards were built with (${merged.model.id}, hash ${merged.model.hash.slice(0, 12)}…): give that folder, or --no-model`);
        }
      }
      summary = await buildSiteIndex({ ...run, from: merged, signal, onCommit });
    } finally {
      await merged.close();
    }
    process.stderr.write(`merged ${merged.count} shards: ${summaryLine(summary)} written to ${values.out}\n`);
    return 0;
  });
}
