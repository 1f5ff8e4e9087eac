/**
 * `sgpt-search index <site> --out <dir> --shard i/N`: one machine's part of a fanned-out build.
 * Every machine extracts the whole site (cheap: the keyword pass), embeds only its share of the
 * distinct section texts (src/index/shard-file: position mod N), and writes one shard file.
 * `sgpt-search merge` then builds the index from the N files without loading the model.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkShardTarget, shardFileName, shardSections, siteFingerprint, writeShardFile } from '../index/shard-file';
import { DiskPages } from '../index/disk-pages';
import { DiskRowStore } from '../index/disk-rows';
import { gatherRows } from '../index/row-store';
import { SiteIndexer } from '../index/site-indexer';
import type { Collected } from '../index/collect-vectors';
import { embeddingTexts, sectionInfo } from '../index/page-source';
import { textHash } from '../index/writer';
import { modelSource } from './default-model';
import { checkInputs, formatBytes, indexedPages, openCache, spillPages, type IndexRun } from './site-build';

export interface ShardSummary {
  path: string;
  shard: { index: number; count: number };
  /** Distinct texts this shard holds, of how many sections in the site. */
  texts: number;
  sections: number;
  embedded: number;
  cached: number;
  bytes: number;
  seconds: number;
}

export async function buildShard(run: IndexRun, shard: { index: number; count: number }): Promise<ShardSummary> {
  const started = performance.now();
  const out = resolve(run.out);
  await checkInputs(run, out);
  const path = join(out, shardFileName(shard));
  await checkShardTarget(path); // before minutes of embedding
  // The pages wait on disk beside the shard file, read again for the texts to embed: memory holds a page at a time.
  const pages = await spillPages(run, out, async () => {
    await mkdir(out, { recursive: true });
    return DiskPages.create(`${path}.${process.pid}.pages`);
  });
  try {
    return await buildFromPages(run, shard, pages, path, started);
  } finally {
    await pages.close();
  }
}

async function buildFromPages(run: IndexRun, shard: { index: number; count: number }, spilled: DiskPages, path: string, started: number): Promise<ShardSummary> {
  // Every shard leaves out the same copies as the merged build will: the site's hashes agree.
  const { pages } = await indexedPages(run, spilled);
  const { hashes } = await sectionInfo(pages, textHash);
  const mine = shardSections(hashes, shard);
  const indexer = await SiteIndexer.load(modelSource(run.model), run.mode);
  try {
    const cache = await openCache(run, indexer.model);
    // The vectors wait on disk beside the shard file until it is written: memory holds a block of them.
    const store = await DiskRowStore.create(`${path}.${process.pid}.rows`, indexer.model.dims, run.rowBlock);
    let written: { collected: Collected; bytes: number };
    try {
      const texts = embeddingTexts(pages);
      const collected = await indexer
        .vectors((positions) => texts(positions.map((i) => mine[i]!)), mine.map((s) => hashes[s]!), {
          store,
          ...(cache === null ? {} : { known: cache }),
          batchSize: run.batchSize,
          onProgress: run.onProgress,
          signal: run.signal,
        })
        .finally(() => texts.close());
      const { rowsOf } = collected;
      // Each text's rows are read back from the store as its entry is written.
      async function* entries(): AsyncGenerator<[string, Float32Array[]]> {
        const dims = store.dims;
        for (const [i, s] of mine.entries()) {
          const rows = await gatherRows(store, rowsOf[i]!);
          yield [hashes[s]!, rowsOf[i]!.map((_, r) => rows.subarray(r * dims, (r + 1) * dims))];
        }
      }
      const header = { model: indexer.model, shard, site: { sections: hashes.length, fingerprint: siteFingerprint(hashes) } };
      written = { collected, bytes: await writeShardFile(path, header, Object.assign(entries(), { size: mine.length })) };
    } finally {
      await store.close();
    }
    const { collected, bytes } = written;
    return { path, shard, texts: mine.length, sections: hashes.length, embedded: collected.embedded, cached: collected.known, bytes, seconds: (performance.now() - started) / 1000 };
  } finally {
    await indexer.dispose();
  }
}

export function shardLine(s: ShardSummary): string {
  return `shard ${s.shard.index}/${s.shard.count}: ${s.texts} of the site's ${s.sections} sections' texts (${s.embedded} embedded, ${s.cached} from the cache) in ${s.seconds.toFixed(1)} s; ${formatBytes(s.bytes)} written to ${s.path}`;
}
