/**
 * `sgpt-search/vite`: the site index as part of a Vite site.
 *
 *   import sgptSearch from 'sgpt-search/vite';
 *   export default defineConfig({ plugins: [sgptSearch()] });
 *   <sgpt-search index="/sgpt/manifest.json"></sgpt-search>
 *
 * `vite build`: after the bundle is written (closeBundle), the built HTML in outDir is indexed
 * into outDir/<out>/ (incrementally, against a copy kept in Vite's cacheDir, since outDir is
 * emptied by each build, then placed by the rules a build writes by, output-dir's placeIndex; the
 * extracted pages kept there too, so an unchanged page is not parsed again), with the prebuilt
 * browser runtime and the model next to it, as `sgpt-search index` writes them (`runtime: false` /
 * `copyModel: false` leave them out; a site that imports 'sgpt-search/element' bundles its own copy of
 * the element and needs no runtime). `vite` (dev): the same pages (./pages: the build's HTML inputs
 * and publicDir's pages) are read as the dev server serves them (transformIndexHtml), indexed in
 * memory, served with the model and the runtime under the site's base (<base><out>/), as the
 * build writes them, and re-indexed (debounced) when an HTML file changes; unchanged sections
 * keep their vectors. Built pages name that runtime with `<meta name="sgpt-search-runtime">`
 * (src/build/runtime-meta.ts), where an element bundled into the page finds WebGPU's onnxruntime build.
 */
import { readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Plugin, ResolvedConfig, ViteDevServer } from 'vite';
import { buildSiteIndex, indexedPages, summaryLine, type IndexRun } from '../build/site-build';
import { modelSource } from '../build/default-model';
import { modelFiles, runtimeFiles, shippedModelUrl, siteRootFrom } from '../build/static-site';
import { SgptError, toSgptError } from '../errors';
import { extractPage, pageBlocks, type Page } from '../extract/html';
import { decodePage, excluder, urlOf } from '../extract/site';
import { findTemplate } from '../extract/template';
import { manifestThere, placeIndex } from '../index/output-dir';
import { IndexReader, MANIFEST } from '../index/reader';
import { SiteIndexer } from '../index/site-indexer';
import { sitePages, type SitePage } from './pages';
import { RUNTIME_META } from '../build/runtime-meta';

export interface SgptSearchPluginOptions extends Pick<IndexRun, 'model' | 'mode' | 'shards' | 'probe' | 'weight' | 'fusion' | 'exclude' | 'keepCopies'> {
  /** Folder of the index under the site root (default 'sgpt': index="/sgpt/manifest.json"). */
  out?: string;
  /** Dev: quiet time after the last HTML change before re-indexing (default 400 ms). */
  debounceMs?: number;
  /**
   * Write (build) or serve (dev) the prebuilt browser runtime next to the index, for a page that loads
   * `<out>/sgpt-search.js` (default true). A site that imports 'sgpt-search/element' has the element in
   * its own bundle: `false` leaves out 42 MB it never loads (15 MB with `webgpu: false`).
   */
  runtime?: boolean;
  /** With `runtime`, ship onnxruntime-web's asyncify build (27 MB) that only WebGPU uses (default true). */
  webgpu?: boolean;
  /** Copy (build) or serve (dev) the model next to the index, where a page without a `model` attribute finds it (default true). */
  copyModel?: boolean;
}

const CONTENT_TYPES: Record<string, string> = { json: 'application/json', js: 'text/javascript', mjs: 'text/javascript', wasm: 'application/wasm' };

export default function sgptSearch(options: SgptSearchPluginOptions = {}): Plugin {
  const out = (options.out ?? 'sgpt').replace(/^\/+|\/+$/g, '');
  // A folder of its own inside the site: '' or '.' would put the index over the site's root
  // (its own manifest.json), '..' out of outDir.
  if (out.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new SgptError('INPUT_INVALID', `sgpt-search/vite: out must be a folder inside the site, such as 'sgpt', got ${JSON.stringify(options.out)}`);
  }
  let config: ResolvedConfig;
  let built = false;
  /** The HTML files of the client bundle as writeBundle saw it: the inputs and any page another plugin emitted (an SSG's, emitFile's). */
  let bundled = new Set<string>();
  /** `vite build --watch`: the index build in flight, stopped when a rebuild starts (it would index an outDir being emptied). */
  let indexing: { stop: AbortController; done: Promise<void> } | undefined;

  return {
    name: 'sgpt-search',

    configResolved(resolved) {
      config = resolved;
    },

    // A page that bundles the element reads WebGPU's onnxruntime build from the runtime this build
    // ships next to the index, not from beside its own chunk.
    transformIndexHtml(_html, { path }) {
      if (config.command !== 'build' || options.runtime === false) return;
      const base = config.base === './' || config.base === '' ? '../'.repeat(path.split('/').length - 2) : config.base;
      return [{ tag: 'meta', attrs: { name: RUNTIME_META, content: `${base}${out}/` }, injectTo: 'head' }];
    },

    // `vite build --watch`: each rebuild empties outDir, so each indexes again.
    watchChange() {
      built = false;
      indexing?.stop.abort();
    },

    // Every plugin's generateBundle has run by now, so the bundle holds the pages all of them emit.
    writeBundle(_options, bundle) {
      if (config.command !== 'build' || config.build.ssr) return;
      bundled = new Set(Object.keys(bundle).filter((fileName) => /\.html?$/i.test(fileName)).map((fileName) => fileName.split('/').join(sep)));
    },

    async closeBundle() {
      // One index per `vite build`, for the client build only.
      if (config.command !== 'build' || config.build.ssr || built) return;
      built = true;
      const outDir = resolve(config.root, config.build.outDir);
      const cache = join(config.cacheDir, 'sgpt-search-index');
      // One index build at a time into the cache folder: a stopped one lets go of it first.
      await indexing?.done;
      const stop = new AbortController();
      let finish = () => {};
      indexing = { stop, done: new Promise((resolve) => (finish = resolve)) };
      try {
        const summary = await buildSiteIndex({
          signal: stop.signal,
          site: outDir,
          out: cache,
          model: options.model,
          mode: options.mode,
          shards: options.shards,
          probe: options.probe,
          weight: options.weight,
          fusion: options.fusion,
          exclude: options.exclude,
          keepCopies: options.keepCopies ?? false,
          // Only outDir's HTML that this build wrote: the bundle's pages (writeBundle, so other plugins' too) and
          // publicDir's; not, e.g., one an earlier build left in a kept outDir.
          pages: new Set([...bundled, ...(await sitePages(config)).filter((page) => page.public).map((page) => page.path)]),
          root: siteRootFrom(join(outDir, out), outDir),
          pageCache: join(config.cacheDir, 'sgpt-search'), // unchanged pages are not parsed again by the next `vite build`
          runtime: options.runtime ?? true,
          webgpu: options.webgpu ?? true,
          shipModel: options.copyModel ?? true,
          onWarning: (message) => config.logger.warn(`sgpt-search: ${message}`),
        });
        if (stop.signal.aborted) return; // a rebuild started: its own index replaces this one
        // As a build writes: never over a file of the site's own (public/<out>/…), an index before it replaced whole.
        await placeIndex(cache, join(outDir, out), (line) => config.logger.warn(`sgpt-search: ${line}`));
        config.logger.info(`sgpt-search: ${summaryLine(summary)} in ${relative(config.root, join(outDir, out))}/`);
      } catch (error) {
        if (stop.signal.aborted) return;
        const { code, message } = toSgptError(error);
        const line = `sgpt-search: could not index the built site: ${code}: ${message}`;
        // A watch calls closeBundle without awaiting it: thrown, this would end the watching process; the next rebuild tries again.
        if (config.build.watch) config.logger.error(line);
        else this.error(line);
      } finally {
        finish();
      }
    },

    configureServer(server) {
      const dev = new DevIndex(server, out, options);
      server.middlewares.use((req, res, next) => {
        const path = req.url?.split('?')[0] ?? '';
        if (!path.startsWith(dev.prefix)) return next();
        dev
          .file(path.slice(dev.prefix.length))
          .then((bytes) => {
            if (bytes === undefined && path === `${dev.prefix}${MANIFEST}`) {
              // No index yet (its build failed): say so, not Vite's HTML fallback page.
              res.statusCode = 503;
              res.end('sgpt-search: the dev index is not built; the terminal says why');
              return;
            }
            if (bytes === undefined) return next(); // a file of the site's own under /<out>/
            const ext = path.slice(path.lastIndexOf('.') + 1);
            res.setHeader('Content-Type', CONTENT_TYPES[ext] ?? 'application/octet-stream');
            res.setHeader('Cache-Control', 'no-cache');
            res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
            res.end(bytes);
          })
          .catch((error: unknown) => {
            const { code, message } = toSgptError(error);
            res.statusCode = 500;
            res.end(`sgpt-search: ${code}: ${message}`);
          });
      });
      const onChange = (file: string) => {
        if (/\.html?$/i.test(file) || dev.inPublicOut(file)) dev.schedule();
      };
      server.watcher.on('change', onChange);
      server.watcher.on('add', onChange);
      server.watcher.on('unlink', onChange);
      server.httpServer?.once('close', () => void dev.dispose());
      dev.schedule(0);
    },
  };
}

/** The model folder the dev index names (its manifest's model.url) and serves: its files, read from `source`. */
interface ServedModel {
  url: string;
  source: string;
  files: ReadonlySet<string>;
}

/** The dev server's in-memory index of its own pages. */
class DevIndex {
  /** Where the index is served: under the site's base (`base: '/docs/'` serves it at /docs/sgpt/). */
  readonly prefix: string;
  private files = new Map<string, Uint8Array>();
  /**
   * The model as a build ships it next to the index (manifest model.url), served from its folder:
   * a page without a `model` attribute finds it, as after `vite build`. Null: not shipped
   * (`copyModel: false`, or a hub id or URL, which the page then names itself).
   */
  private model: Promise<ServedModel | null> | null = null;
  /** The runtime as a build writes it next to the index (none with `runtime: false`): path -> the file served. */
  private runtime: Promise<ReadonlyMap<string, string>> | null = null;
  /** Set while the site's own manifest.json is in the index's way (publicDir/<out>/): nothing is served, as the build writes nothing. */
  private refused: SgptError | null = null;
  private indexer: Promise<SiteIndexer> | null = null;
  /** Rebuilds run one after another. */
  private chain: Promise<void> = Promise.resolve();
  /** Settles when the index reflects every change seen so far. */
  private ready: Promise<void> = Promise.resolve();
  private settle: (() => void) | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly server: ViteDevServer,
    private readonly out: string,
    private readonly options: SgptSearchPluginOptions,
  ) {
    const base = server.config.base;
    this.prefix = `${base.startsWith('/') ? base.replace(/\/?$/, '/') : '/'}${out}/`;
  }

  /** Re-index after a quiet period; requests meanwhile wait for the new index. */
  schedule(delay = this.options.debounceMs ?? 400): void {
    if (this.settle === null) this.ready = new Promise((resolve) => (this.settle = resolve));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const settle = this.settle;
      this.settle = null;
      this.chain = this.chain.then(() => this.rebuild()).then(() => settle?.());
    }, delay);
  }

  async file(name: string): Promise<Uint8Array | undefined> {
    await this.ready;
    if (this.refused !== null) throw this.refused;
    const model = await this.model;
    if (model && name.startsWith(model.url) && model.files.has(name.slice(model.url.length))) {
      return new Uint8Array(await readFile(join(model.source, ...name.slice(model.url.length).split('/'))));
    }
    const runtime = (await this.runtime)?.get(name);
    if (runtime !== undefined) return new Uint8Array(await readFile(runtime));
    return this.files.get(name);
  }

  /** Whether `file` is in publicDir/<out>/, where a file of the site's own may stand in the index's way. */
  inPublicOut(file: string): boolean {
    const folder = this.publicOut();
    return folder !== null && file.startsWith(`${folder}${sep}`);
  }

  async dispose(): Promise<void> {
    clearTimeout(this.timer);
    await (await this.indexer?.catch(() => null))?.dispose();
  }

  /** publicDir/<out>/, which a build copies under the index (null: publicDir is not copied). */
  private publicOut(): string | null {
    const { build, publicDir } = this.server.config;
    return build.copyPublicDir && publicDir ? join(publicDir, this.out) : null;
  }

  /** The build's refusal (OutputDir.open) of a manifest.json of the site's own where the index goes, or null. */
  private async inTheWay(): Promise<SgptError | null> {
    const folder = this.publicOut();
    if (folder === null || (await manifestThere(folder)) !== 'foreign') return null;
    return new SgptError(
      'INPUT_INVALID',
      `${join(folder, MANIFEST)} is not an sgpt-search index manifest, and sgpt-search replaces only files it wrote: \`vite build\` fails on it, and the dev server serves no index at ${this.prefix}. Move or remove that file, or give the plugin another \`out\` folder`,
    );
  }

  private async pages(): Promise<readonly Page[]> {
    const excluded = excluder(this.options.exclude);
    const pages = (await sitePages(this.server.config)).filter((page) => !excluded(page.path));
    // Each page as the dev server serves it: an input through transformIndexHtml, a public page as
    // it is (decoded as a build reads it). A page that cannot be read or transformed (another
    // plugin threw) is left out with a warning naming it, as a build skips a page it cannot read:
    // the rest of the site stays searchable.
    const html = async ({ path, file, public: asIs }: SitePage): Promise<string | null> => {
      const warn = (message: string) => this.server.config.logger.warn(`sgpt-search: ${path}: ${message}`, { timestamp: true });
      try {
        if (asIs) return decodePage(new Uint8Array(await readFile(file)), warn);
        return await this.server.transformIndexHtml(urlOf(path), await readFile(file, 'utf8'));
      } catch (error) {
        warn(`left out of the dev index: ${error instanceof Error ? error.message : String(error)}`);
        return null;
      }
    };
    // The site's chrome is left out as a build leaves it out (src/extract/template); the sampled
    // pages are read and transformed once.
    const sampled = new Map<SitePage, string | null>();
    const template = await findTemplate(pages, async (page) => {
      const text = await html(page);
      sampled.set(page, text);
      return text === null ? new Set<string>() : pageBlocks(text, urlOf(page.path));
    });
    const extracted: Page[] = [];
    for (const page of pages) {
      const text = sampled.has(page) ? sampled.get(page)! : await html(page);
      sampled.delete(page);
      if (text === null) continue;
      const extract = extractPage(text, urlOf(page.path), undefined, template);
      if (extract.sections.length > 0) extracted.push(extract);
    }
    return (await indexedPages(this.options, extracted)).pages;
  }

  private async shippedModel(id: string): Promise<ServedModel | null> {
    if (this.options.copyModel === false) return null;
    const source = modelSource(this.options.model);
    try {
      return { url: await shippedModelUrl(source, id), source, files: new Set(await modelFiles(source)) };
    } catch {
      return null; // not a local folder: nothing to serve
    }
  }

  private async rebuild(): Promise<void> {
    const logger = this.server.config.logger;
    try {
      this.refused = await this.inTheWay();
      if (this.refused !== null) throw this.refused;
      // A runtime that is not built fails the dev index as it fails `vite build`. What failed to
      // load is tried again at the next change (the runtime built, the model put in place), not
      // remembered until the server restarts.
      this.runtime ??= forgotten(this.options.runtime === false ? Promise.resolve(new Map()) : runtimeFiles({ webgpu: this.options.webgpu ?? true, onWarning: (message) => logger.warn(`sgpt-search: ${message}`) }), () => (this.runtime = null));
      await this.runtime;
      this.indexer ??= forgotten(SiteIndexer.load(modelSource(this.options.model), this.options.mode), () => (this.indexer = null));
      const indexer = await this.indexer;
      this.model ??= this.shippedModel(indexer.model.id);
      const model = await this.model;
      const files = this.files;
      const previous = files.has(MANIFEST)
        ? await IndexReader.open(async (name) => {
            const bytes = files.get(name);
            if (!bytes) throw new Error(`${name} missing`);
            return bytes;
          }).catch(() => null)
        : null;
      const started = performance.now();
      const root = this.server.config.root;
      const built = await indexer.build(await this.pages(), {
        previous,
        // Page urls from the site root, as a build writes them (under the site's base in the browser).
        root: siteRootFrom(join(root, this.out), root),
        ...(model === null ? {} : { modelUrl: model.url }),
        shards: this.options.shards,
        probe: this.options.probe,
        semanticWeight: this.options.weight,
        fusionMethod: this.options.fusion,
      });
      this.files = new Map(built.files.map((f) => [f.name, f.bytes]));
      const s = built.stats;
      logger.info(`sgpt-search: ${this.prefix} indexed ${s.pages} pages, ${s.sections} sections (${s.embedded} embedded) in ${((performance.now() - started) / 1000).toFixed(1)} s`, { timestamp: true });
    } catch (error) {
      const { code, message } = toSgptError(error);
      const text = `sgpt-search: dev index not rebuilt: ${code}: ${message}`;
      logger.error(text, { timestamp: true });
      // On the page too (Vite's error overlay): its search box would fail with no word why.
      this.server.ws.send({ type: 'error', err: { message: text, stack: '' } });
    }
  }
}

/** `promise`, with `forget` called once it rejects (the caller then loads it afresh next time). */
function forgotten<T>(promise: Promise<T>, forget: () => void): Promise<T> {
  promise.catch(forget);
  return promise;
}
