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
 * the element and needs no runtime). `vite` (dev): the pages are read as the dev server serves
 * them (transformIndexHtml), indexed in memory, served with the model under the site's base
 * (<base><out>/), and re-indexed (debounced) when an HTML file changes; unchanged sections keep
 * their vectors.
 */
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Plugin, ResolvedConfig, ViteDevServer } from 'vite';
import { buildSiteIndex, summaryLine, type IndexRun } from '../build/site-build';
import { modelSource } from '../build/default-model';
import { modelFiles, shippedModelUrl, siteRootFrom } from '../build/static-site';
import { SgptError, toSgptError } from '../errors';
import { extractPage, pageBlocks, type Page } from '../extract/html';
import { excluder, listHtmlFiles, urlOf } from '../extract/site';
import { findTemplate } from '../extract/template';
import { placeIndex } from '../index/output-dir';
import { IndexReader, MANIFEST } from '../index/reader';
import { SiteIndexer } from '../index/site-indexer';

export interface SgptSearchPluginOptions extends Pick<IndexRun, 'model' | 'mode' | 'shards' | 'probe' | 'weight' | 'fusion' | 'exclude'> {
  /** Folder of the index under the site root (default 'sgpt': index="/sgpt/manifest.json"). */
  out?: string;
  /** Dev: quiet time after the last HTML change before re-indexing (default 400 ms). */
  debounceMs?: number;
  /** Build: write the prebuilt browser runtime next to the index (default true). */
  runtime?: boolean;
  /** Build: with `runtime`, ship onnxruntime-web's asyncify build (27 MB) that only WebGPU uses (default true). */
  webgpu?: boolean;
  /** Copy (build) or serve (dev) the model next to the index, where a page without a `model` attribute finds it (default true). */
  copyModel?: boolean;
}

const CONTENT_TYPES: Record<string, string> = { json: 'application/json', bin: 'application/octet-stream', bm25: 'application/octet-stream' };

export default function sgptSearch(options: SgptSearchPluginOptions = {}): Plugin {
  const out = (options.out ?? 'sgpt').replace(/^\/+|\/+$/g, '');
  // A folder of its own inside the site: '' or '.' would put the index over the site's root
  // (its own manifest.json), '..' out of outDir.
  if (out.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new SgptError('INPUT_INVALID', `sgpt-search/vite: out must be a folder inside the site, such as 'sgpt', got ${JSON.stringify(options.out)}`);
  }
  let config: ResolvedConfig;
  let built = false;

  return {
    name: 'sgpt-search',

    configResolved(resolved) {
      config = resolved;
    },

    // `vite build --watch`: each rebuild empties outDir, so each indexes again.
    watchChange() {
      built = false;
    },

    async closeBundle() {
      // One index per `vite build`, for the client build only.
      if (config.command !== 'build' || config.build.ssr || built) return;
      built = true;
      const outDir = resolve(config.root, config.build.outDir);
      const cache = join(config.cacheDir, 'sgpt-search-index');
      try {
        const summary = await buildSiteIndex({
          site: outDir,
          out: cache,
          model: options.model,
          mode: options.mode,
          shards: options.shards,
          probe: options.probe,
          weight: options.weight,
          fusion: options.fusion,
          exclude: options.exclude,
          root: siteRootFrom(join(outDir, out), outDir),
          pageCache: join(config.cacheDir, 'sgpt-search'), // unchanged pages are not parsed again by the next `vite build`
          runtime: options.runtime ?? true,
          webgpu: options.webgpu ?? true,
          shipModel: options.copyModel ?? true,
          onWarning: (message) => config.logger.warn(`sgpt-search: ${message}`),
        });
        // As a build writes: never over a file of the site's own (public/<out>/…), an index before it replaced whole.
        await placeIndex(cache, join(outDir, out));
        config.logger.info(`sgpt-search: ${summaryLine(summary)} in ${relative(config.root, join(outDir, out))}/`);
      } catch (error) {
        const { code, message } = toSgptError(error);
        this.error(`sgpt-search: could not index the built site: ${code}: ${message}`);
      }
    },

    configureServer(server) {
      const dev = new DevIndex(server, out, options);
      // Under the site's base (`base: '/docs/'` serves the index at /docs/sgpt/).
      const prefix = `${server.config.base.startsWith('/') ? server.config.base.replace(/\/?$/, '/') : '/'}${out}/`;
      server.middlewares.use((req, res, next) => {
        const path = req.url?.split('?')[0] ?? '';
        if (!path.startsWith(prefix)) return next();
        dev
          .file(path.slice(prefix.length))
          .then((bytes) => {
            if (bytes === undefined && path === `${prefix}${MANIFEST}`) {
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
        if (/\.html?$/i.test(file)) dev.schedule();
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
  private files = new Map<string, Uint8Array>();
  /**
   * The model as a build ships it next to the index (manifest model.url), served from its folder:
   * a page without a `model` attribute finds it, as after `vite build`. Null: not shipped
   * (`copyModel: false`, or a hub id or URL, which the page then names itself).
   */
  private model: Promise<ServedModel | null> | null = null;
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
  ) {}

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
    const model = await this.model;
    if (model && name.startsWith(model.url) && model.files.has(name.slice(model.url.length))) {
      return new Uint8Array(await readFile(join(model.source, ...name.slice(model.url.length).split('/'))));
    }
    return this.files.get(name);
  }

  async dispose(): Promise<void> {
    clearTimeout(this.timer);
    await (await this.indexer?.catch(() => null))?.dispose();
  }

  private async pages(): Promise<Page[]> {
    const root = this.server.config.root;
    const skip = [resolve(root, this.server.config.build.outDir), this.server.config.publicDir].filter(Boolean);
    const excluded = excluder(this.options.exclude);
    const files = (await listHtmlFiles(root, skip)).filter((file) => !excluded(file));
    // A page that cannot be read or transformed (another plugin threw) is left out with a warning
    // naming it, as a build skips a page it cannot read: the rest of the site stays searchable.
    const html = async (file: string): Promise<string | null> => {
      try {
        return await this.server.transformIndexHtml(urlOf(file), await readFile(join(root, file), 'utf8'));
      } catch (error) {
        this.server.config.logger.warn(`sgpt-search: ${file}: left out of the dev index: ${error instanceof Error ? error.message : String(error)}`, { timestamp: true });
        return null;
      }
    };
    // The site's chrome is left out as a build leaves it out (src/extract/template); the sampled
    // pages are read and transformed once.
    const sampled = new Map<string, string | null>();
    const template = await findTemplate(files, async (file) => {
      const text = await html(file);
      sampled.set(file, text);
      return text === null ? new Set<string>() : pageBlocks(text, urlOf(file));
    });
    const pages: Page[] = [];
    for (const file of files) {
      const text = sampled.has(file) ? sampled.get(file)! : await html(file);
      sampled.delete(file);
      if (text === null) continue;
      const page = extractPage(text, urlOf(file), undefined, template);
      if (page.sections.length > 0) pages.push(page);
    }
    return pages;
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
      this.indexer ??= SiteIndexer.load(modelSource(this.options.model), this.options.mode);
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
      logger.info(`sgpt-search: /${this.out}/ indexed ${s.pages} pages, ${s.sections} sections (${s.embedded} embedded) in ${((performance.now() - started) / 1000).toFixed(1)} s`, { timestamp: true });
    } catch (error) {
      const { code, message } = toSgptError(error);
      logger.error(`sgpt-search: dev index not rebuilt: ${code}: ${message}`, { timestamp: true });
    }
  }
}
