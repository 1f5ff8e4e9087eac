/**
 * Building a site's index: extract sections from a built site, embed them with the same engine the
 * browser runs, and write the index (docs/INDEX-FORMAT.md), plus the browser runtime and the model
 * when asked. The one build service the CLI's `index` and the Vite plugin both call.
 */
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Mode } from '../embed/sgpt-settings';
import type { EmbedOptions } from '../embed/types';
import { SgptError } from '../errors';
import { excluder, extractPages, listHtmlFiles, realPath } from '../extract/site';
import { PageCache, packName } from '../extract/page-cache';
import type { ModelRef } from '../index/format';
import type { DiskPages } from '../index/disk-pages';
import { openIndexDir } from '../index/node-files';
import { OutputDir, writeIndexDir } from '../index/output-dir';
import { withoutCopies, type PageInput } from '../index/page-source';
import type { MergedShards } from '../index/shard-merge';
import { SiteIndexer } from '../index/site-indexer';
import { VectorCache } from '../index/vector-cache';
import type { BuiltIndex } from '../index/writer';
import type { LeftOut, Page } from '../extract/html';
import type { FusionMethod } from '../search/fusion';
import type { BlockScorer } from '../search/kmeans';
import { modelSource } from './default-model';
import { gemmScorer } from './gemm-scorer';
import { writeOfflineScripts } from './offline-site';
import { checkRecords, readRecords } from './records';
import { mergeFilters, pathFilters, type PathFilterRule } from '../extract/filters';
import { checkRuntime, checkShippableModel, shippedModelUrl, siteRootFrom, writeModel, writeRuntime } from './static-site';

export interface IndexRun {
  /** The built site's folder; may be left out when `records` gives the content. */
  site?: string;
  /** A JSONL file of records {url, title, text, lang?} indexed with (or instead of) the site's pages (src/build/records). */
  records?: string;
  out: string;
  /** Model folder, URL or hub id (default: the bundled default model). */
  model?: string;
  mode?: Mode;
  /** Vector shards (IVF clusters), or 'auto': one per ~16 KiB of vectors (src/index/writer autoShards). */
  shards?: number | 'auto';
  /** Shards a query reads by default. */
  probe?: number;
  /** Semantic share of the fused ranking (0..1; default DEFAULT_FUSION's). */
  weight?: number;
  /** How semantic results fuse the two rankings (default DEFAULT_FUSION's). */
  fusion?: FusionMethod;
  /** Site paths to leave out, e.g. ['drafts/**']. */
  exclude?: string[];
  /** The only pages of `site` read (SiteOptions.pages); absent: every HTML file. */
  pages?: ReadonlySet<string>;
  /** Filters read from each page's path (`--filter-from-path`), added to those its HTML or record gives. */
  filterFromPath?: PathFilterRule[];
  /** Keep the sections a page repeats from other pages (default false: left out, src/extract/copies). */
  keepCopies?: boolean;
  batchSize?: number;
  /** Vectors held in memory at once while writing (default DEFAULT_ROW_BLOCK); the index's bytes do not depend on it. */
  rowBlock?: number;
  /** How k-means scores rows against its centroids (default: a GEMM through onnxruntime-node, plain JS where that cannot load); the index does not depend on it. */
  kmeansScorer?: BlockScorer;
  /** Vectors from merged shard files (`sgpt-search merge`): the model is not loaded, nothing is embedded. */
  from?: MergedShards;
  /** The embedding cache's folder, kept between builds (e.g. by CI): vectors by (model hash, text hash). */
  cacheDir?: string;
  /** The cache folder whose `pages/` keeps the site's extracted pages between builds (src/extract/page-cache): an unchanged page is not parsed again. Absent: every page is parsed. */
  pageCache?: string;
  /** The site root relative to where the index is served (manifest root); default: from `site` and `out`. */
  root?: string;
  /** Also write the browser runtime into `out` (default false; the CLI and the Vite plugin turn it on). */
  runtime?: boolean;
  /** With `runtime`: add onnxruntime-web's asyncify build (27 MB) that only WebGPU uses, from the installed onnxruntime-web (default true). */
  webgpu?: boolean;
  /** Also copy the model into `out`/model/<id>/ and name it in the manifest (default false, as `runtime`). */
  shipModel?: boolean;
  /** Also everything a page opened from disk needs (classic runtime, files as scripts); needs `runtime` and `shipModel`. */
  offline?: boolean;
  onProgress?: EmbedOptions['onProgress'];
  /** Pages skipped or read with a fallback (binary, badly encoded, too deep, too large, links out of the site). */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** Called as the build starts to put its output in place (after its last look at `signal`): a stop from then on no longer stops it. */
  onCommit?: () => void;
}

/** Each section gains the filters `rules` read from its page's path. */
function withPathFilters(page: Page, rules: readonly PathFilterRule[]): Page {
  if (rules.length === 0) return page;
  const fromPath = pathFilters(page.url, rules);
  return { ...page, sections: page.sections.map((section) => ({ ...section, filters: mergeFilters(section.filters, fromPath) })) };
}

export interface IndexSummary {
  built: BuiltIndex['stats'];
  /** Bytes of the index files. */
  bytes: number;
  /** Bytes of the runtime and of the model copied next to the index (0 when not asked for). */
  runtimeBytes: number;
  modelBytes: number;
  /** Bytes of the scripts a page opened from disk reads (0 without `offline`). */
  offlineBytes: number;
  /** Site pages taken from the page cache instead of being parsed (0 without `pageCache`). */
  pagesFromCache: number;
  /** Site pages left out because their <head> asks not to be indexed (robots noindex: src/extract/html). */
  noindexPages: number;
  /** Site pages left out as the site's generated index, search or source pages (Sphinx's genindex, py-modindex, search, _modules/: src/extract/html). */
  listingPages: number;
  /** Blocks of text left out of every page as the site's chrome (src/extract/template). */
  chromeBlocks: number;
  /** Sections left out as copies of sections on other pages (src/extract/copies), and pages left with none. */
  copies: { sections: number; pages: number };
  seconds: number;
}


/**
 * Refuse an output folder that is the site or holds it: a build there would mix its files with the
 * site's own. An index inside the site (`<site>/sgpt`) is the normal case, and its folder is not
 * read as pages; so a folder of the site that already holds pages (not left out by `exclude`) is
 * refused too, as they would be silently missing from the index. Paths compare as real paths, as
 * listHtmlFiles compares the folder it skips.
 */
export async function checkOut(site: string, out: string, exclude: readonly string[] = [], what = 'the site folder'): Promise<void> {
  const [siteDir, outDir] = [await realPath(site), await realPath(out)];
  if (outDir === siteDir || holds(outDir, siteDir)) {
    throw new SgptError('INPUT_INVALID', `--out ${out} is ${what} or holds it (${site}): write the index into a folder of its own, e.g. --out ${join(site, 'sgpt')}`);
  }
  if (!holds(siteDir, outDir)) return;
  // A folder not there yet (or a file) lists nothing.
  const excluded = excluder(exclude);
  const pages = (await listHtmlFiles(outDir).catch(() => [])).map((file) => join(relative(siteDir, outDir), file)).filter((file) => !excluded(file));
  if (pages.length > 0) {
    const named = pages.slice(0, 3).map((file) => file.split(sep).join('/')).join(', ');
    throw new SgptError(
      'INPUT_INVALID',
      `--out ${out} holds ${pages.length} page${pages.length === 1 ? '' : 's'} of the site (${named}${pages.length > 3 ? ', …' : ''}), which the index would leave out: choose another folder for the index, e.g. --out ${join(site, outDir === join(siteDir, 'sgpt') ? 'sgpt-index' : 'sgpt')}`,
    );
  }
}

/**
 * Records alone: refuse an --out that is the filesystem root or strictly holds the records file's
 * folder (the project, say), whose unrelated files would sit among the index's. The records file's
 * own folder is fine (`--records idx/records.jsonl --out idx`): the build replaces no file it does
 * not own, so the records file stays as it is.
 */
async function checkRecordsOut(records: string, out: string): Promise<void> {
  const [folder, outDir] = [await realPath(dirname(resolve(records))), await realPath(out)];
  if (outDir === dirname(outDir) || holds(outDir, folder)) {
    const what = outDir === dirname(outDir) ? 'is the filesystem root' : `holds the records file's folder (${dirname(records)})`;
    throw new SgptError('INPUT_INVALID', `--out ${out} ${what}: write the index into a folder of its own, e.g. --out ${join(dirname(records), 'sgpt')}`);
  }
}

/** Whether `inner` lies strictly inside `outer` (both resolved paths). */
function holds(outer: string, inner: string): boolean {
  const down = relative(outer, inner);
  return down !== '' && !down.startsWith('..') && !isAbsolute(down);
}

/** Check what a build reads and where it writes, before minutes of embedding (a site, records or both; --out not the site). */
export async function checkInputs(run: IndexRun, out: string): Promise<void> {
  if (run.site === undefined && run.records === undefined) throw new SgptError('INPUT_INVALID', 'give a site folder, --records, or both');
  if (run.site !== undefined) await checkOut(run.site, out, run.exclude);
  else await checkRecordsOut(run.records!, out);
  if (run.offline && !(run.runtime && run.shipModel)) {
    throw new SgptError('INPUT_INVALID', '--offline needs the runtime and the model beside the index (a page opened from disk cannot load them from elsewhere): drop --no-runtime and --no-model');
  }
}

/** What reading a build's pages found besides the pages (for the summary). */
export interface PagesRead {
  /** Site pages taken from the page cache instead of being parsed. */
  fromCache: number;
  /** Site pages left out as their robots meta asks (noindex). */
  noindex: number;
  /** Site pages left out as generated index, search or source pages. */
  listing: number;
  /** Blocks of text left out of every page as the site's chrome (src/extract/template). */
  chrome: number;
}

/** The pages a build indexes, a page at a time: the site's extracted pages, then the records, with their path filters. A single build and each shard read the same. */
async function* eachPage(run: IndexRun, out: string, read: PagesRead = { fromCache: 0, noindex: 0, listing: 0, chrome: 0 }): AsyncGenerator<Page> {
  const records = run.records === undefined ? [] : await readRecords(run.records);
  const rules = run.filterFromPath ?? [];
  const siteUrls = new Set<string>();
  if (run.site !== undefined) {
    const warn = run.onWarning ?? (() => undefined);
    const cache = run.pageCache === undefined ? undefined : await PageCache.open(join(run.pageCache, 'pages'), packName(run.site, out), warn);
    try {
      const onCachedPage = () => void read.fromCache++;
      const onLeftOutPage = (why: LeftOut) => void read[why]++;
      const onTemplate = (template: ReadonlySet<string>) => void (read.chrome = template.size);
      for await (const page of extractPages(run.site, { exclude: run.exclude, pages: run.pages, skipDirs: [out], onWarning: warn, onTemplate, onLeftOutPage, ...(cache === undefined ? {} : { cache, onCachedPage }) })) {
        run.signal?.throwIfAborted();
        siteUrls.add(page.url);
        yield withPathFilters(page, rules);
      }
      await cache?.commit();
    } finally {
      await cache?.abandon(); // a build stopped before the last page leaves the pack as it was
    }
  }
  checkRecords(siteUrls, records, run.records ?? '');
  for (const page of records) yield withPathFilters(page, rules);
}

/**
 * The pages a build indexes (eachPage), spilled to the file `open` makes once the first page is
 * read: an unreadable site or records file fails with nothing written. The caller closes it.
 */
export async function spillPages(run: IndexRun, out: string, open: () => Promise<DiskPages>, read?: PagesRead): Promise<DiskPages> {
  const extracted = eachPage(run, out, read);
  const first = await extracted.next();
  const pages = await open();
  try {
    if (!first.done) await pages.append(first.value);
    for await (const page of extracted) await pages.append(page);
    return pages;
  } catch (error) {
    await pages.close();
    throw error;
  }
}

/** The pages a build indexes (eachPage), all in memory. */
export async function readPages(run: IndexRun, out: string): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of eachPage(run, out)) pages.push(page);
  return pages;
}

/** What a build (a shard, the dev server) indexes of the pages it read: without the sections they repeat, unless the run keeps them. */
export async function indexedPages(run: Pick<IndexRun, 'keepCopies'>, pages: readonly Page[]): Promise<{ pages: readonly Page[]; copies: IndexSummary['copies'] }>;
export async function indexedPages(run: Pick<IndexRun, 'keepCopies'>, pages: PageInput): Promise<{ pages: PageInput; copies: IndexSummary['copies'] }>;
export async function indexedPages(run: Pick<IndexRun, 'keepCopies'>, pages: PageInput): Promise<{ pages: PageInput; copies: IndexSummary['copies'] }> {
  if (run.keepCopies) return { pages, copies: { sections: 0, pages: 0 } };
  const { pages: kept, copies } = await withoutCopies(pages);
  return { pages: kept, copies: { sections: copies.dropped.size, pages: copies.pagesEmptied } };
}

/** The run's embedding cache (null without --cache-dir, or for a model without a content hash, with a warning). */
export async function openCache(run: IndexRun, model: ModelRef): Promise<VectorCache | null> {
  if (run.cacheDir === undefined) return null;
  const cache = await VectorCache.open(run.cacheDir, model);
  if (cache === null) run.onWarning?.(`--cache-dir ignored: the model ${model.id} has no content hash to key the cache by (use a local model folder)`);
  return cache;
}

/** Build (or incrementally rebuild) the index of a built site. Shared by the CLI and the Vite plugin. */
export async function buildSiteIndex(run: IndexRun): Promise<IndexSummary> {
  const started = performance.now();
  const out = resolve(run.out);
  const source = modelSource(run.model);
  // Missing pieces fail before minutes of embedding, not after.
  await checkInputs(run, out);
  if (run.runtime) checkRuntime();
  if (run.shipModel) checkShippableModel(source);
  // The pages wait on disk between the build's passes over them: memory holds a page at a time.
  let target: OutputDir | undefined;
  const read: PagesRead = { fromCache: 0, noindex: 0, listing: 0, chrome: 0 };
  try {
    const pages = await spillPages(run, out, async () => (target = await OutputDir.open(out, run.onWarning)).pageFile(), read);
    try {
      const { pages: kept, copies } = await indexedPages(run, pages);
      return { ...(await buildPages(run, source, target!, kept, started)), pagesFromCache: read.fromCache, noindexPages: read.noindex, listingPages: read.listing, chromeBlocks: read.chrome, copies };
    } finally {
      await pages.close();
    }
  } catch (error) {
    await target?.abort(); // the folder as it was: nothing staged left, the lock released
    throw error;
  }
}

/** buildSiteIndex once the pages are read. */
async function buildPages(run: IndexRun, source: string, target: OutputDir, pages: PageInput, started: number): Promise<Omit<IndexSummary, 'pagesFromCache' | 'noindexPages' | 'listingPages' | 'chromeBlocks' | 'copies'>> {
  const indexer = run.from ? SiteIndexer.prebuilt(run.from.model) : await SiteIndexer.load(source, run.mode);
  const own = run.kmeansScorer === undefined ? gemmScorer((line) => run.onWarning?.(line)) : null;
  try {
    const previous = await openIndexDir(target.dir).catch(() => null); // no or unreadable previous index: embed everything
    const modelUrl = run.shipModel ? await shippedModelUrl(source, indexer.model.id) : undefined;
    const cache = await openCache(run, indexer.model);
    const known = run.from?.known ?? cache;
    // The model and the runtime are staged first: a file of someone else's at one of their names fails the build before minutes of embedding.
    const modelBytes = modelUrl === undefined ? 0 : await writeModel(source, target, modelUrl);
    const runtimeBytes = run.runtime
      ? await writeRuntime(target, { webgpu: run.webgpu ?? true, offline: run.offline ?? false, ...(run.onWarning === undefined ? {} : { onWarning: run.onWarning }) })
      : 0;
    run.signal?.throwIfAborted();
    // Index files are staged as they are made, and the vectors wait on disk: memory holds a block of them.
    const names: string[] = [];
    let bytes = 0;
    const emit = async (name: string, content: Uint8Array) => {
      run.signal?.throwIfAborted();
      names.push(name);
      bytes += content.byteLength;
      await target.put(name, content);
    };
    const built = await indexer.build(pages, {
      emit,
      store: await target.rowStore(indexer.model.dims, run.rowBlock),
      ...(run.rowBlock === undefined ? {} : { rowBlock: run.rowBlock }),
      kmeansScorer: own ?? run.kmeansScorer!,
      previous,
      ...(known === null ? {} : { known }),
      shards: run.shards,
      probe: run.probe,
      semanticWeight: run.weight,
      fusionMethod: run.fusion,
      onProgress: run.onProgress,
      signal: run.signal,
      batchSize: run.batchSize,
      root: run.root ?? (run.site === undefined ? undefined : siteRootFrom(target.dir, run.site)),
      ...(modelUrl === undefined ? {} : { modelUrl }),
    });
    // Everything the manifest names is staged before writeIndexDir puts the manifest and commits;
    // a build stopped (`signal`) before that fails as any other, so abort leaves --out as it was.
    run.signal?.throwIfAborted();
    const offlineBytes = run.offline && modelUrl !== undefined ? await writeOfflineScripts(target, { manifest: built.manifest, names }, modelUrl) : 0;
    run.signal?.throwIfAborted();
    run.onCommit?.(); // no await between: a stop is either seen above or told the commit finishes
    bytes += await writeIndexDir(target, built);
    if (cache !== null && cache.corrupt > 0) run.onWarning?.(`${cache.corrupt} corrupt entries in the embedding cache ${run.cacheDir} were embedded again and replaced`);
    return { built: built.stats, bytes, runtimeBytes, modelBytes, offlineBytes, seconds: (performance.now() - started) / 1000 };
  } finally {
    await own?.release();
    await indexer.dispose();
  }
}

/** "3 sections repeating other pages (1 page all copies)". */
function copiesNote({ sections, pages }: IndexSummary['copies']): string {
  const whole = pages > 0 ? ` (${pages} page${pages === 1 ? '' : 's'} all copies)` : '';
  return `${sections} section${sections === 1 ? '' : 's'} repeating other pages${whole}`;
}

export function formatBytes(bytes: number): string {
  return bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
}

/** One line for people: what was indexed, and the bytes of the index, the runtime and the model apart. */
export function summaryLine(summary: IndexSummary): string {
  const s = summary.built;
  const extras = [
    ...(summary.runtimeBytes > 0 ? [`runtime ${formatBytes(summary.runtimeBytes)}`] : []),
    ...(summary.modelBytes > 0 ? [`model ${formatBytes(summary.modelBytes)}`] : []),
    ...(summary.offlineBytes > 0 ? [`offline scripts ${formatBytes(summary.offlineBytes)}`] : []),
  ];
  const notes = [
    ...(summary.pagesFromCache > 0 ? [`${summary.pagesFromCache} from the page cache`] : []),
    ...(summary.noindexPages > 0 ? [`${summary.noindexPages} marked noindex left out`] : []),
    ...(summary.listingPages > 0 ? [`${summary.listingPages} index, search or source page${summary.listingPages === 1 ? '' : 's'} left out`] : []),
    ...(summary.chromeBlocks > 0 ? [`${summary.chromeBlocks} block${summary.chromeBlocks === 1 ? '' : 's'} of site chrome left out`] : []),
    ...(summary.copies.sections > 0 ? [`${copiesNote(summary.copies)} left out`] : []),
  ];
  const pageNotes = notes.length > 0 ? ` (${notes.join('; ')})` : '';
  return `indexed ${s.pages} pages${pageNotes}, ${s.sections} sections (${s.embedded} embedded, ${s.reused} reused${s.cached > 0 ? `, ${s.cached} from the cache` : ''}; ${s.vectors} vectors in ${s.shards} shard${s.shards === 1 ? '' : 's'}) in ${summary.seconds.toFixed(1)} s; index ${formatBytes(summary.bytes)}${extras.length > 0 ? ` + ${extras.join(' + ')}` : ''}`;
}
