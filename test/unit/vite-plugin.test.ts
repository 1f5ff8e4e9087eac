import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, createLogger, createServer, resolveConfig, type InlineConfig, type Plugin, type PluginOption, type ResolvedConfig } from 'vite';
import sgptSearch from '../../src/vite/plugin';
import { listFiles } from '../../src/build/static-site';
import { fetchLoader, IndexReader, type FileLoader } from '../../src/index/reader';
import { SiteSearch } from '../../src/index/site-search';

let work: string;
let site: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-vite-'));
  site = join(work, 'site');
  await cp('test/fixtures/site', site, { recursive: true });
});

afterAll(() => rm(work, { recursive: true, force: true }));

const inputs = (root: string) => ({
  home: join(root, 'index.html'),
  faq: join(root, 'faq.html'),
  install: join(root, 'guide/install.html'),
  generators: join(root, 'guide/generators.html'),
});

/** The page urls an index holds, in its order. */
async function pageUrls(load: FileLoader): Promise<string[]> {
  return [...new Set((await (await IndexReader.open(load)).allSections()).map((section) => section.url))];
}

/** A dev server of `config` on a free port, and its origin. */
async function devServer(config: InlineConfig): Promise<{ server: Awaited<ReturnType<typeof createServer>>; origin: string }> {
  const server = await createServer({ configFile: false, logLevel: 'silent', server: { port: 0, host: '127.0.0.1' }, ...config });
  await server.listen();
  return { server, origin: `http://127.0.0.1:${(server.httpServer!.address() as { port: number }).port}` };
}

/** A silent Vite logger that keeps the errors it is given. */
function errorLog(): { errors: string[]; customLogger: ReturnType<typeof createLogger> } {
  const errors: string[] = [];
  return { errors, customLogger: { ...createLogger('silent'), error: (message: string) => void errors.push(message) } };
}

/** What the test uses of the watcher `vite build --watch` returns (Rollup's or Rolldown's). */
interface Watcher {
  on(event: 'event', listener: (event: { code: string }) => void): unknown;
  close(): Promise<void>;
}

describe('sgpt-search/vite', () => {
  it('writes the index of the built pages into outDir/sgpt after vite build', async () => {
    const outDir = join(work, 'dist');
    await build({
      root: site,
      configFile: false,
      logLevel: 'silent',
      cacheDir: join(work, 'cache'),
      plugins: [sgptSearch()],
      build: { outDir, emptyOutDir: true, rollupOptions: { input: inputs(site) } },
    });
    const files = await readdir(join(outDir, 'sgpt'));
    expect(files).toContain('manifest.json');
    const manifest = JSON.parse(await readFile(join(outDir, 'sgpt/manifest.json'), 'utf8'));
    expect(manifest.counts).toMatchObject({ pages: 4, sections: 14 });
    // As `sgpt-search index` does: the runtime and the model next to the index, page urls from the site root.
    expect(files).toEqual(expect.arrayContaining(['sgpt-search.js', 'chunks', 'ort', 'model']));
    expect(manifest.root).toBe('../');
    expect(await readdir(join(outDir, 'sgpt', manifest.model.url))).toContain('config.json');
  });

  it('indexes the HTML pages another plugin emits into the bundle (emitFile at generateBundle)', async () => {
    const outDir = join(work, 'dist-emitted');
    const emitter: PluginOption = {
      name: 'emit-html',
      generateBundle() {
        const source = '<!doctype html><html lang="en"><head><title>Descaling</title></head><body><h1>Descaling guide</h1><p>Descale the kettle with zeppelin-grade citric acid.</p></body></html>';
        this.emitFile({ type: 'asset', fileName: 'descaling.html', source });
      },
    };
    await build({ root: site, configFile: false, logLevel: 'silent', cacheDir: join(work, 'cache-emitted'), plugins: [emitter, sgptSearch({ runtime: false, copyModel: false })], build: { outDir, emptyOutDir: true, rollupOptions: { input: inputs(site) } } });
    const load: FileLoader = async (name) => new Uint8Array(await readFile(join(outDir, 'sgpt', name)));
    expect(await pageUrls(load)).toContain('/descaling.html');
  });

  it("never replaces the site's own files in outDir/sgpt, and a rebuild into a kept outDir leaves no files of the index before", async () => {
    const own = join(work, 'own');
    await cp(site, own, { recursive: true });
    await mkdir(join(own, 'public', 'sgpt'), { recursive: true });
    await writeFile(join(own, 'public', 'sgpt', 'manifest.json'), '{"name":"my app"}');
    const outDir = join(work, 'dist-own');
    const run = (emptyOutDir: boolean) =>
      build({ root: own, configFile: false, logLevel: 'silent', cacheDir: join(work, 'cache-own'), plugins: [sgptSearch()], build: { outDir, emptyOutDir, rollupOptions: { input: inputs(own) } } });
    await expect(run(true)).rejects.toThrow(/manifest\.json is not an sgpt-search index manifest.*nothing was changed/);
    expect(await readFile(join(outDir, 'sgpt', 'manifest.json'), 'utf8')).toBe('{"name":"my app"}');

    await rm(join(own, 'public'), { recursive: true });
    await run(true);
    const sections = async () => (await readdir(join(outDir, 'sgpt'))).filter((name) => name.startsWith('sections.'));
    const before = await sections();
    await writeFile(join(own, 'faq.html'), (await readFile(join(own, 'faq.html'), 'utf8')).replace('<table>', '<h2 id="more">More</h2><p>Kettles whistle when the water boils.</p><table>'));
    await run(false);
    const after = await sections();
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
  });

  it('vite build --watch indexes again at each rebuild (each empties outDir)', async () => {
    const watched = join(work, 'watched');
    await cp(site, watched, { recursive: true });
    const outDir = join(work, 'dist-watch');
    const { errors, customLogger } = errorLog();
    const watcher = (await build({ root: watched, configFile: false, customLogger, cacheDir: join(work, 'cache-watch'), plugins: [sgptSearch()], build: { outDir, emptyOutDir: true, watch: {}, rollupOptions: { input: inputs(watched) } } })) as unknown as Watcher;
    const sections = async () => JSON.parse(await readFile(join(outDir, 'sgpt/manifest.json'), 'utf8').catch(() => '{}')).counts?.sections as number | undefined;
    let starts = 0;
    let ends = 0;
    watcher.on('event', ({ code }) => {
      if (code === 'START') starts++;
      else if (code === 'END' || code === 'ERROR') ends++;
    });
    try {
      await vi.waitFor(async () => expect(await sections()).toBeGreaterThan(0), { timeout: 60_000, interval: 200 });
      const first = (await sections())!;
      const page = join(watched, 'faq.html');
      const edited = (await readFile(page, 'utf8')).replace('<table>', '<h2 id="whistle">Whistles</h2><p>Kettles whistle when the water boils.</p><table>');
      // The watcher may not see an edit made the moment the first build ends: write again until a
      // rebuild starts. One write may start two (truncate, then write): the second empties outDir
      // under the first's index build, which then stops without a word; the last one indexes.
      const before = starts;
      for (let attempt = 0; attempt < 6 && starts === before; attempt++) {
        await writeFile(page, `${edited}${'\n'.repeat(attempt)}`);
        await vi.waitFor(() => expect(starts).toBeGreaterThan(before), { timeout: 10_000, interval: 100 }).catch(() => undefined);
      }
      await vi.waitFor(async () => {
        expect(ends).toBe(starts);
        expect(await sections()).toBe(first + 1);
      }, { timeout: 90_000, interval: 200 });
      expect(errors).toEqual([]);
    } finally {
      await watcher.close();
    }
  }, 150_000);

  it('vite build --watch: a rebuild stops the index build in flight, which places and logs nothing; the rebuild indexes once it has let go', async () => {
    // The hooks driven by hand, in the order a watch calls them when an edit lands while the index
    // of the build before is still being made (the rebuild test above meets it only sometimes).
    const root = join(work, 'stopped');
    await cp(site, root, { recursive: true });
    const outDir = join(work, 'dist-stopped');
    const cacheDir = join(work, 'cache-stopped');
    const infos: string[] = [];
    const { errors, customLogger } = errorLog();
    const config = await resolveConfig(
      { root, configFile: false, cacheDir, customLogger: { ...customLogger, info: (message: string) => void infos.push(message) }, build: { outDir, watch: {}, rollupOptions: { input: inputs(root) } } },
      'build',
    );
    const plugin = sgptSearch({ runtime: false, copyModel: false }) as Plugin;
    const hook = <F extends (...args: never[]) => unknown>(name: keyof Plugin) => plugin[name] as unknown as F;
    hook<(config: ResolvedConfig) => void>('configResolved')(config);
    const thrown: string[] = [];
    const context = { error: (message: string) => void thrown.push(message) };
    const closeBundle = () => hook<(this: typeof context) => Promise<void>>('closeBundle').call(context);
    const writeSite = async (extra: string) => {
      await rm(outDir, { recursive: true, force: true });
      await cp(root, outDir, { recursive: true });
      await writeFile(join(outDir, 'faq.html'), (await readFile(join(root, 'faq.html'), 'utf8')).replace('<table>', `${extra}<table>`));
      hook<(options: object, bundle: object) => void>('writeBundle')({}, { 'index.html': {}, 'faq.html': {}, 'guide/install.html': {}, 'guide/generators.html': {} });
    };

    await writeSite('');
    const first = closeBundle();
    // Its index build has taken the cache folder's lock: it is under way.
    await vi.waitFor(() => expect(existsSync(join(cacheDir, 'sgpt-search-index', '.sgpt-lock'))).toBe(true), { timeout: 30_000, interval: 5 });
    hook<() => void>('watchChange')();
    // As the rebuild does: outDir emptied and written again under the stopped build, with one more section.
    await writeSite('<h2 id="whistle">Whistles</h2><p>Kettles whistle when the water boils.</p>');
    const second = closeBundle();
    await Promise.all([first, second]);

    expect({ thrown, errors }).toEqual({ thrown: [], errors: [] });
    // (A stop that comes after the stopped build's last look at its signal still places nothing.)
    expect(infos).toEqual([expect.stringMatching(/^sgpt-search: indexed 4 pages( \([^)]*\))?, 15 sections /)]);
    const manifest = JSON.parse(await readFile(join(outDir, 'sgpt/manifest.json'), 'utf8'));
    expect(manifest.counts).toMatchObject({ pages: 4, sections: 15 });
  }, 90_000);

  it('vite build --watch: an index build that fails is logged and the watch goes on (thrown, it ended the process)', async () => {
    const broken = join(work, 'broken-model');
    await mkdir(broken, { recursive: true });
    await writeFile(join(broken, 'config.json'), '{"model_type":"nothing"}');
    const { errors, customLogger } = errorLog();
    const watcher = (await build({ root: site, configFile: false, customLogger, cacheDir: join(work, 'cache-broken'), plugins: [sgptSearch({ model: broken, runtime: false })], build: { outDir: join(work, 'dist-broken'), emptyOutDir: true, watch: {}, rollupOptions: { input: inputs(site) } } })) as unknown as Watcher;
    try {
      await vi.waitFor(() => expect(errors).toEqual([expect.stringMatching(/^sgpt-search: could not index the built site: MODEL_/)]), { timeout: 60_000, interval: 100 });
    } finally {
      await watcher.close();
    }
  }, 90_000);

  it('refuses an out that is not a folder inside the site', () => {
    for (const out of ['', '.', '../escaped', 'a/../b']) expect(() => sgptSearch({ out })).toThrow(/out must be a folder inside the site/);
  });

  it('dev: a page another plugin fails to transform is left out with a warning, the rest indexed; no index at all is a 503, until a change after the model is put in place', async () => {
    const warnings: string[] = [];
    const logger = { info: () => undefined, warn: (message: string) => warnings.push(message), warnOnce: () => undefined, error: () => undefined, clearScreen: () => undefined, hasErrorLogged: () => false, hasWarned: false };
    const breaking = { name: 'breaks-faq', transformIndexHtml: (html: string, context: { path: string }) => {
      if (context.path.endsWith('faq.html')) throw new Error('boom');
      return html;
    } };
    const serve = (plugins: PluginOption[]) => createServer({ root: site, configFile: false, customLogger: logger, cacheDir: join(work, 'cache'), plugins, server: { port: 0, host: '127.0.0.1' }, build: { rollupOptions: { input: inputs(site) } } });
    const server = await serve([breaking, sgptSearch({ debounceMs: 50 })]);
    await server.listen();
    try {
      const address = server.httpServer!.address() as { port: number };
      const search = await SiteSearch.open(fetchLoader(`http://127.0.0.1:${address.port}/sgpt/manifest.json`));
      expect(search.manifest.counts.pages).toBe(3);
      expect(warnings.some((message) => /faq\.html: left out of the dev index: boom/.test(message))).toBe(true);
    } finally {
      await server.close();
    }
    const later = join(work, 'model-later');
    const broken = await serve([sgptSearch({ debounceMs: 50, model: later })]);
    await broken.listen();
    try {
      const address = broken.httpServer!.address() as { port: number };
      const response = await fetch(`http://127.0.0.1:${address.port}/sgpt/manifest.json`);
      expect([response.status, await response.text()]).toEqual([503, 'sgpt-search: the dev index is not built; the terminal says why']);
      // The model put in place, the next change indexes: the failure was not remembered until a restart.
      await cp('public/models/sgpt-nano', later, { recursive: true });
      broken.watcher.emit('change', join(site, 'index.html'));
      const search = await SiteSearch.open(fetchLoader(`http://127.0.0.1:${address.port}/sgpt/manifest.json`));
      expect(search.manifest.counts.pages).toBe(4);
    } finally {
      await broken.close();
    }
  });

  it("dev: under the site's base, with page urls from the site root and the model served where the manifest names it", async () => {
    const server = await createServer({ root: site, base: '/docs/', configFile: false, logLevel: 'silent', cacheDir: join(work, 'cache'), plugins: [sgptSearch({ debounceMs: 50 })], server: { port: 0, host: '127.0.0.1' }, build: { rollupOptions: { input: inputs(site) } } });
    await server.listen();
    try {
      const address = server.httpServer!.address() as { port: number };
      const index = `http://127.0.0.1:${address.port}/docs/sgpt/`;
      const search = await SiteSearch.open(fetchLoader(`${index}manifest.json`));
      expect(search.manifest.root).toBe('../');
      expect(search.manifest.model.url).toMatch(/^model\/[0-9a-f]{16}\/sgpt-nano\/$/);
      const config = await fetch(`${index}${search.manifest.model.url}config.json`);
      expect([config.status, (await config.json()).model_type]).toEqual([200, 'gpt2']);
    } finally {
      await server.close();
    }
  });

  it('serves an index of the dev pages and re-indexes when a page changes', async () => {
    const server = await createServer({
      root: site,
      configFile: false,
      logLevel: 'silent',
      cacheDir: join(work, 'cache'),
      plugins: [sgptSearch({ debounceMs: 50 })],
      server: { port: 0, host: '127.0.0.1' },
      build: { rollupOptions: { input: inputs(site) } },
    });
    await server.listen();
    try {
      const address = server.httpServer!.address() as { port: number };
      const manifestUrl = `http://127.0.0.1:${address.port}/sgpt/manifest.json`;
      const before = await SiteSearch.open(fetchLoader(manifestUrl));
      expect(before.manifest.counts.sections).toBe(14);
      expect(await before.keywordSearch('samovar', 3)).toEqual([]);

      const page = join(site, 'faq.html');
      await writeFile(page, (await readFile(page, 'utf8')).replace('</div>\n<div class="sidebar">', '<h2 id="samovar">Samovar support</h2><p>Teapot can drive a samovar.</p></div>\n<div class="sidebar">'));
      // Emitted by hand so the test does not wait on the file watcher; from here on, requests wait for the rebuild.
      server.watcher.emit('change', page);
      const after = await SiteSearch.open(fetchLoader(manifestUrl));
      expect(after.manifest.counts.sections).toBe(15);
      const [hit] = await after.keywordSearch('samovar', 3);
      expect(hit!.url).toBe('/faq.html#samovar');
    } finally {
      await server.close();
    }
  });

  it("dev indexes the pages the build writes, under the same urls: the build's HTML inputs and publicDir's pages, not other HTML under the root", async () => {
    const root = join(work, 'pages');
    await cp(site, root, { recursive: true });
    await mkdir(join(root, 'static'), { recursive: true });
    await writeFile(join(root, 'static', 'legacy.html'), '<html><head><title>Legacy</title><body><h1 id=legacy>Legacy kettles</h1><p>Old kettles whistle on the stove.</p></body></html>');
    // A custom publicDir, a base, an outDir outside the root; faq.html and guide/generators.html are not inputs.
    const config = {
      root,
      base: '/sub/',
      publicDir: 'static',
      cacheDir: join(work, 'cache-pages'),
      build: { outDir: join(work, 'dist-pages'), emptyOutDir: false, rollupOptions: { input: { home: join(root, 'index.html'), install: join(root, 'guide/install.html') } } },
    } satisfies InlineConfig;
    // A page an earlier build left in the kept outDir is no page of this build's.
    await mkdir(config.build.outDir, { recursive: true });
    await cp(join(root, 'faq.html'), join(config.build.outDir, 'old.html'));
    await build({ ...config, configFile: false, logLevel: 'silent', plugins: [sgptSearch({ runtime: false, copyModel: false })] });
    const built = await pageUrls(async (name) => new Uint8Array(await readFile(join(config.build.outDir, 'sgpt', name))));
    expect(built).toEqual(['/guide/install.html', '/', '/legacy.html']);
    const { server, origin } = await devServer({ ...config, plugins: [sgptSearch({ debounceMs: 50, runtime: false, copyModel: false })] });
    try {
      expect(await pageUrls(fetchLoader(`${origin}/sub/sgpt/manifest.json`))).toEqual(built);
    } finally {
      await server.close();
    }
  });

  it('dev and build leave out the sections a page repeats from others alike (keepCopies: both keep them)', async () => {
    const root = join(work, 'copies');
    await cp('test/fixtures/site-copies', root, { recursive: true });
    const input = Object.fromEntries(['all', 'fs', 'path', 'streams'].map((name) => [name, join(root, `${name}.html`)]));
    const sections = async (load: FileLoader) => (await (await IndexReader.open(load)).allSections()).map((section) => `${section.url}#${section.anchor}`);
    for (const keepCopies of [false, true]) {
      const config = { root, cacheDir: join(work, `cache-copies-${keepCopies}`), build: { outDir: join(work, `dist-copies-${keepCopies}`), rollupOptions: { input } } } satisfies InlineConfig;
      await build({ ...config, configFile: false, logLevel: 'silent', plugins: [sgptSearch({ runtime: false, copyModel: false, keepCopies })] });
      const built = await sections(async (name) => new Uint8Array(await readFile(join(config.build.outDir, 'sgpt', name))));
      expect(built.filter((section) => section.startsWith('/all.html#'))).toEqual(keepCopies ? ['/all.html#', '/all.html#fs-readfile', '/all.html#fs-watch', '/all.html#path-join'] : ['/all.html#']);
      const { server, origin } = await devServer({ ...config, plugins: [sgptSearch({ debounceMs: 50, runtime: false, copyModel: false, keepCopies })] });
      try {
        expect(await sections(fetchLoader(`${origin}/sgpt/manifest.json`))).toEqual(built);
      } finally {
        await server.close();
      }
    }
  });

  it('dev serves the runtime under <base><out>/ as the build writes it, and none with runtime: false', async () => {
    const outDir = join(work, 'dist-runtime');
    const config = { root: site, base: '/sub/', cacheDir: join(work, 'cache'), build: { outDir, emptyOutDir: true, rollupOptions: { input: inputs(site) } } } satisfies InlineConfig;
    await build({ ...config, configFile: false, logLevel: 'silent', plugins: [sgptSearch({ copyModel: false })] });
    const runtime = (await listFiles(join(outDir, 'sgpt'))).filter((file) => file === 'sgpt-search.js' || file.startsWith('chunks/') || file.startsWith('ort/'));
    expect(runtime).toEqual(expect.arrayContaining(['sgpt-search.js', 'ort/ort-wasm-simd-threaded.wasm']));
    const { server, origin } = await devServer({ ...config, plugins: [sgptSearch({ debounceMs: 50, copyModel: false })] });
    try {
      for (const file of runtime) {
        const response = await fetch(`${origin}/sub/sgpt/${file}`);
        expect([file, response.status]).toEqual([file, 200]);
        expect(Buffer.from(await response.arrayBuffer()).equals(await readFile(join(outDir, 'sgpt', file))), file).toBe(true);
      }
      expect((await fetch(`${origin}/sub/sgpt/sgpt-search.js`)).headers.get('content-type')).toBe('text/javascript');
    } finally {
      await server.close();
    }
    const off = await devServer({ ...config, plugins: [sgptSearch({ debounceMs: 50, copyModel: false, runtime: false })] });
    try {
      expect((await fetch(`${off.origin}/sub/sgpt/manifest.json`)).status).toBe(200);
      // Not ours: Vite's own answer (its SPA fallback page).
      expect((await fetch(`${off.origin}/sub/sgpt/sgpt-search.js`)).headers.get('content-type')).toMatch(/^text\/html/);
    } finally {
      await off.server.close();
    }
  }, 120_000);

  it("dev refuses a manifest.json of the site's own in publicDir/<out>/ as the build does: an error in the log, the overlay and the response", async () => {
    const own = join(work, 'own-dev');
    await cp(site, own, { recursive: true });
    const theirs = join(own, 'public', 'sgpt', 'manifest.json');
    await mkdir(join(own, 'public', 'sgpt'), { recursive: true });
    await writeFile(theirs, '{"name":"my app"}');
    const errors: string[] = [];
    const customLogger = { info: () => undefined, warn: () => undefined, warnOnce: () => undefined, error: (message: string) => errors.push(message), clearScreen: () => undefined, hasErrorLogged: () => false, hasWarned: false };
    const { server, origin } = await devServer({ root: own, customLogger, cacheDir: join(work, 'cache'), plugins: [sgptSearch({ debounceMs: 50 })], build: { rollupOptions: { input: inputs(own) } } });
    try {
      const overlay = vi.spyOn(server.ws, 'send');
      server.watcher.emit('change', theirs); // a rebuild seen by the spy
      const refused = await fetch(`${origin}/sgpt/manifest.json`);
      expect(refused.status).toBe(500);
      expect(await refused.text()).toMatch(/public\/sgpt\/manifest\.json is not an sgpt-search index manifest.*`vite build` fails on it/);
      expect(errors.some((message) => /dev index not rebuilt: INPUT_INVALID: .*manifest\.json is not an sgpt-search index manifest/.test(message))).toBe(true);
      expect(overlay).toHaveBeenCalledWith({ type: 'error', err: expect.objectContaining({ message: expect.stringMatching(/is not an sgpt-search index manifest/) }) });
      await rm(theirs);
      server.watcher.emit('unlink', theirs);
      expect((await SiteSearch.open(fetchLoader(`${origin}/sgpt/manifest.json`))).manifest.counts.pages).toBe(4);
    } finally {
      await server.close();
    }
  });
});
