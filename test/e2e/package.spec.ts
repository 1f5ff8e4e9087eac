/**
 * The package as a user gets it: `npm pack`, the tarball installed into a scratch project outside
 * the repo (no path back to its sources), and there every export imported in plain Node, a
 * TypeScript consumer checked (strict, exactOptionalPropertyTypes, skipLibCheck false) under bundler,
 * node16 and nodenext resolution, the CLI's embed, index and query run, and the element loaded in
 * Chromium: the built runtime in a plain HTML page, through Vite (with the plugin too, on WebGPU),
 * esbuild and webpack.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import { chromiumLaunch } from '../../playwright.config';
import { test, expect, events, recordEvents } from './fixtures';
import { serveFolder, type StaticServer } from './static-server';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');
const QUERY = 'how do I install the kettle';
/** The tarball's limit (issue 12): it holds the runtime and one model, nothing for tests. */
const MAX_PACKED_BYTES = 20_000_000;

let work: string;
let app: string;
let pack: { size: number; unpackedSize: number; files: Array<{ path: string }> };
const servers: StaticServer[] = [];

/** The version this checkout locks, so the scratch install is what the repo tests with (and the npm cache serves it). */
async function lockedVersion(name: string): Promise<string> {
  return JSON.parse(await readFile(join(repo, 'package-lock.json'), 'utf8')).packages[`node_modules/${name}`].version;
}

/** Runs in the scratch project; ONNXRUNTIME_NODE_INSTALL=skip as the README tells users (no CUDA download). */
function inApp(file: string, args: string[], input?: string) {
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  if (input === undefined) return run(file, args, { cwd: app, env, maxBuffer: 64 << 20 });
  return new Promise<{ stdout: string; stderr: string }>((done, fail) => {
    const child = execFile(file, args, { cwd: app, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => (error ? fail(error) : done({ stdout, stderr })));
    child.stdin!.end(input);
  });
}

const bin = (name: string) => join(app, 'node_modules/.bin', name);

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(300_000);
  work = await mkdtemp(join(tmpdir(), 'sgpt-package-'));
  // globalSetup built dist/; --ignore-scripts keeps `prepare` from building it again.
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: repo, maxBuffer: 64 << 20 });
  pack = JSON.parse(stdout)[0];
  app = join(work, 'app');
  await mkdir(app);
  await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const tools = await Promise.all(['typescript', '@types/node', 'vite', 'esbuild', 'webpack'].map(async (name) => `${name}@${await lockedVersion(name)}`));
  await inApp('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, `sgpt-search-${JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')).version}.tgz`), ...tools]);
  await cp(join(repo, 'test/fixtures/site'), join(app, 'site'), { recursive: true });
});

test.afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  if (work) await rm(work, { recursive: true, force: true });
});

test('the tarball holds what users run and no test models, within 20 MB', () => {
  console.log(`npm pack: ${(pack.size / 1e6).toFixed(2)} MB packed, ${(pack.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${pack.files.length} files`);
  expect(pack.size).toBeLessThanOrEqual(MAX_PACKED_BYTES);
  const paths = pack.files.map((file) => file.path);
  expect(paths).toEqual(expect.arrayContaining(['LICENSE', 'NOTICE.md', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/runtime/sgpt-search.js', 'public/models/sgpt-nano/onnx/model.onnx']));
  expect(paths.filter((path) => /^(src|test)\/|tiny-gpt2|sgpt-nano-lm|asyncify/.test(path))).toEqual([]);
  expect(paths.filter((path) => path.endsWith('tokenizer.json'))).toHaveLength(1);
});

test('plain Node imports every export, the browser ones as a server rendering a page does', async () => {
  const script = `
    import { existsSync, readFileSync } from 'node:fs';
    import { fileURLToPath } from 'node:url';
    const api = await import('sgpt-search');
    const vite = await import('sgpt-search/vite');
    const pkg = await import('sgpt-search/package.json', { with: { type: 'json' } });
    const runtime = fileURLToPath(import.meta.resolve('sgpt-search/runtime/sgpt-search.js'));
    const names = (module) => Object.keys(module).sort();
    const server = [names(await import('sgpt-search/element')), names(await import('sgpt-search/runtime')), names(await import('sgpt-search/runtime/sgpt-highlight.js'))];
    // The browser runtime's own exports, from its closing export statement.
    const shipped = readFileSync(runtime, 'utf8').match(/export\\s*\\{([^}]*)\\}\\s*;?\\s*$/)[1].split(',').map((entry) => entry.trim().split(/\\s+as\\s+/).at(-1)).sort();
    console.log(JSON.stringify({ api: names(api), plugin: vite.default().name, version: pkg.default.version, runtime: existsSync(runtime), shipped, server }));`;
  const { stdout } = await inApp(process.execPath, ['--input-type=module', '-e', script]);
  const out = JSON.parse(stdout);
  expect(out.api).toEqual(expect.arrayContaining(['embed', 'loadEmbedder', 'openSiteIndex', 'loadReranker', 'rerankHits', 'SgptError']));
  // Internals stay internal.
  expect(out.api).not.toContain('weightedMeanPool');
  expect(out.api).not.toContain('SearchClient');
  expect(out.plugin).toBe('sgpt-search');
  expect(out.runtime).toBe(true);
  // The element's and the runtime's Node build (export condition "node") has the browser build's names and defines nothing.
  expect(out.shipped).toContain('SgptSearch');
  expect(out.server).toEqual([out.shipped, out.shipped, []]);
});

test('a TypeScript consumer type-checks with skipLibCheck false under bundler, node16 and nodenext resolution', async () => {
  await writeFile(
    join(app, 'consumer.ts'),
    `import { embed, loadEmbedder, openSiteIndex, loadReranker, rerankHits, SgptError, DEFAULT_RERANK_K, type QueryHit, type Embeddings } from 'sgpt-search';
import sgptSearch from 'sgpt-search/vite';
import type { SgptSearch } from 'sgpt-search/element';
const vectors: Embeddings = await embed(['a text'], 'query');
const embedder = await loadEmbedder({ mode: 'asymmetric', threads: 1 });
const query: Float32Array = await embedder.embedQuery('a query');
const index = await openSiteIndex('site/sgpt');
const hits: QueryHit[] = await index.query('a query', { limit: 3, keywordOnly: true });
const reranked: QueryHit[] = await rerankHits(await loadReranker('lm'), 'a query', hits, DEFAULT_RERANK_K);
const element: SgptSearch | null = document.querySelector<SgptSearch>('sgpt-search');
console.log(vectors.dims, query.length, reranked[0]?.rerankScore, sgptSearch({ out: 'sgpt' }).name, element?.limit, new SgptError('INPUT_INVALID', 'x').code);
`,
  );
  // The check must be able to fail: this file breaks the API's types on purpose.
  await writeFile(join(app, 'wrong.ts'), `import { openSiteIndex } from 'sgpt-search';\nawait (await openSiteIndex('x')).query('q', { limit: '3' });\n`);
  for (const resolution of ['bundler', 'node16', 'nodenext']) {
    await writeFile(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: resolution === 'bundler' ? 'esnext' : resolution,
          moduleResolution: resolution,
          target: 'es2022',
          lib: ['es2023', 'dom'],
          types: ['node'],
          strict: true,
          exactOptionalPropertyTypes: true,
          // Every declaration the package's types reach is checked, as in a project without skipLibCheck.
          skipLibCheck: false,
          noEmit: true,
        },
        include: ['consumer.ts', 'wrong.ts'],
      }),
    );
    const result = await inApp(bin('tsc'), ['-p', '.', '--pretty', 'false']).then(
      () => '',
      (error: { stdout: string }) => error.stdout,
    );
    expect(result.trim().split('\n'), resolution).toEqual([expect.stringMatching(/^wrong\.ts\(2,\d+\): error TS2322/)]);
  }
});

test('the CLI embeds, indexes a built site and queries it', async () => {
  const embedded = await inApp(bin('sgpt-search'), ['embed', '--role', 'query'], 'how do I read a file\n');
  const vector = JSON.parse(embedded.stdout.trim()) as number[];
  expect(Math.hypot(...vector)).toBeCloseTo(1, 4);

  const { stderr } = await inApp(bin('sgpt-search'), ['index', 'site', '--out', 'site/sgpt']);
  expect(stderr).toMatch(/indexed 4 pages, \d+ sections .* \+ runtime [\d.]+ MB \+ model [\d.]+ MB/);
  expect(stderr).not.toMatch(/left out/); // WebGPU's runtime came from the installed onnxruntime-web

  const { stdout } = await inApp(bin('sgpt-search'), ['query', '--index', 'site/sgpt', '--limit', '3', QUERY]);
  const hits = JSON.parse(stdout) as Array<{ url: string; semantic: boolean }>;
  expect(hits[0]!.url).toBe('/guide/install.html#installing-teapot');
  expect(hits.every((hit) => hit.semantic)).toBe(true);
});

/** Types the query and waits for the fused (semantic) stage; returns its first result's URL. */
async function semanticResult(page: Page, url: string): Promise<string> {
  await page.goto(url);
  await page.locator('sgpt-search').getByRole('combobox').fill(QUERY);
  await expect
    .poll(async () => (await events(page, 'sgpt-results')).some((e) => e.detail.query === QUERY && e.detail.stage === 'semantic'), { timeout: 45_000 })
    .toBe(true);
  expect(await events(page, 'sgpt-error')).toEqual([]);
  const semantic = (await events(page, 'sgpt-results')).filter((e) => e.detail.query === QUERY && e.detail.stage === 'semantic').at(-1)!;
  return (semantic.detail.results as Array<{ url: string }>)[0]!.url;
}

async function serve(dir: string): Promise<string> {
  const server = await serveFolder(dir, '/');
  servers.push(server);
  return server.origin;
}

test('the element from the built runtime, in a plain HTML page with no bundler', async ({ page }) => {
  const home = join(app, 'site/index.html');
  await writeFile(home, (await readFile(home, 'utf8')).replace('<body>', '<body>\n<script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search index="sgpt/manifest.json"></sgpt-search>'));
  const origin = await serve(join(app, 'site'));
  expect(await semanticResult(page, `${origin}/`)).toBe(`${origin}/guide/install.html#installing-teapot`);
});

/** A bundled page importing 'sgpt-search/element', served with the site's index beside it. */
async function bundledPage(dir: string, bundle: (entry: string) => Promise<void>): Promise<string> {
  const src = join(app, `${dir}-src`);
  const out = join(app, dir);
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'main.js'), "import 'sgpt-search/element';\n");
  await bundle(join(src, 'main.js'));
  await cp(join(app, 'site/sgpt'), join(out, 'sgpt'), { recursive: true });
  return serve(out);
}

const PAGE = (script: string) => `<!doctype html><html><body><sgpt-search index="/sgpt/manifest.json"></sgpt-search>${script}</body></html>`;

test('the element through Vite: the worker and the WASM runtime come along by themselves', async ({ page }) => {
  const origin = await bundledPage('vite-dist', async (entry) => {
    await writeFile(join(entry, '../index.html'), PAGE('<script type="module" src="./main.js"></script>'));
    await inApp(bin('vite'), ['build', join(entry, '..'), '--outDir', join(app, 'vite-dist'), '--emptyOutDir', '--logLevel', 'warn']);
  });
  expect(await semanticResult(page, `${origin}/`)).toMatch(/\/guide\/install\.html#installing-teapot$/);
});

test('the element through esbuild, with the runtime folder copied beside the bundle (README)', async ({ page }) => {
  const origin = await bundledPage('esbuild-dist', async (entry) => {
    const out = join(app, 'esbuild-dist');
    await inApp(bin('esbuild'), [entry, '--bundle', '--format=esm', `--outdir=${out}`, '--log-level=warning']);
    // esbuild leaves new URL('…', import.meta.url) alone: the files it names go next to the bundle.
    for (const folder of ['chunks', 'ort']) await cp(join(app, 'node_modules/sgpt-search/dist/runtime', folder), join(out, folder), { recursive: true });
    await writeFile(join(out, 'index.html'), PAGE('<script type="module" src="./main.js"></script>'));
  });
  expect(await semanticResult(page, `${origin}/`)).toMatch(/\/guide\/install\.html#installing-teapot$/);
});

test('the element through webpack 5 with no configuration of its own: no warning, no build path in the bundle', async ({ page }) => {
  const out = join(app, 'webpack-dist');
  const origin = await bundledPage('webpack-dist', async (entry) => {
    // webpack's Node API, as `webpack --mode production` with a webpack.config.js that names only the entry and output.
    const build = `
      import webpack from 'webpack';
      webpack({ mode: 'production', entry: ${JSON.stringify(entry)}, output: { path: ${JSON.stringify(out)} }, performance: { hints: false } }, (error, stats) => {
        if (error) throw error;
        const { errors, warnings } = stats.toJson({ all: false, errors: true, warnings: true });
        console.log(JSON.stringify([...errors, ...warnings].map((problem) => problem.message)));
      });`;
    const { stdout } = await inApp(process.execPath, ['--input-type=module', '-e', build]);
    expect(JSON.parse(stdout)).toEqual([]);
    // webpack's output is a classic script.
    await writeFile(join(out, 'index.html'), PAGE('<script defer src="./main.js"></script>'));
  });
  // webpack writes the build machine's file:// path wherever it meets import.meta.url outside `new URL('literal', import.meta.url)`.
  const bundle = await readFile(join(out, 'main.js'), 'utf8');
  expect(bundle).not.toContain('file://');
  expect(bundle).not.toContain(app);
  expect(await semanticResult(page, `${origin}/`)).toMatch(/\/guide\/install\.html#installing-teapot$/);
});

test('the element through Vite with the plugin, on WebGPU: the asyncify build the plugin ships is found', async () => {
  const root = join(app, 'vite-plugin-src');
  const out = join(app, 'vite-plugin-dist');
  await cp(join(repo, 'test/fixtures/site'), root, { recursive: true });
  await writeFile(join(root, 'main.js'), "import 'sgpt-search/element';\n");
  const home = join(root, 'index.html');
  await writeFile(home, (await readFile(home, 'utf8')).replace('<body>', '<body>\n<script type="module" src="./main.js"></script><sgpt-search id="gpu" device="webgpu" load="eager" index="/docs/sgpt/manifest.json"></sgpt-search>'));
  await writeFile(
    join(app, 'vite.plugin.config.js'),
    `import sgptSearch from 'sgpt-search/vite';\nexport default { root: ${JSON.stringify(root)}, base: '/docs/', logLevel: 'warn', build: { outDir: ${JSON.stringify(out)}, emptyOutDir: true }, plugins: [sgptSearch()] };\n`,
  );
  await inApp(bin('vite'), ['build', '--config', 'vite.plugin.config.js']);
  const server = await serveFolder(out, '/docs/');
  servers.push(server);
  // Headless Chromium offers a software WebGPU adapter only with this flag (test/e2e/webgpu.spec.ts).
  const browser = await chromium.launch({ ...chromiumLaunch, args: [...chromiumLaunch.args, '--enable-unsafe-webgpu'] });
  try {
    const context = await browser.newContext();
    await recordEvents(context);
    const page = await context.newPage();
    await page.goto(`${server.origin}/docs/`);
    const adapter = await page.evaluate(async () => (await (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()) != null);
    test.skip(!adapter, 'this Chromium offers no WebGPU adapter at all');
    const settled = async () => [...(await events(page, 'sgpt-ready', 'gpu')), ...(await events(page, 'sgpt-error', 'gpu'))];
    await expect.poll(async () => (await settled()).length, { timeout: 90_000 }).toBeGreaterThan(0);
    expect((await settled()).map((e) => [e.type, e.detail.backend ?? e.detail.message])).toEqual([['sgpt-ready', 'webgpu']]);
    expect(server.requested).toContain('/docs/sgpt/ort/ort-wasm-simd-threaded.asyncify.wasm');
  } finally {
    await browser.close();
  }
});
