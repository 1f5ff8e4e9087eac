/**
 * The package as a user gets it: `npm pack`, the tarball installed into a scratch project outside
 * the repo (no path back to its sources), and there every export imported in plain Node, a
 * TypeScript consumer checked (strict, exactOptionalPropertyTypes, skipLibCheck false) under bundler,
 * node16 and nodenext resolution, the CLI's
 * embed, index and query run, and the element loaded in Chromium three ways: the built runtime in
 * a plain HTML page, through Vite, and through esbuild.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { test, expect, events } from './fixtures';
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

/** The version this checkout installed, so the scratch install is what the repo tests with (and the npm cache serves it). */
async function installedVersion(name: string): Promise<string> {
  return JSON.parse(await readFile(join(repo, 'node_modules', name, 'package.json'), 'utf8')).version;
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
  const tools = await Promise.all(['typescript', '@types/node', 'vite', 'esbuild'].map(async (name) => `${name}@${await installedVersion(name)}`));
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

test('plain Node imports the Node exports; the browser exports resolve to shipped files', async () => {
  const script = `
    import { existsSync } from 'node:fs';
    import { fileURLToPath } from 'node:url';
    const api = await import('sgpt-search');
    const vite = await import('sgpt-search/vite');
    const pkg = await import('sgpt-search/package.json', { with: { type: 'json' } });
    const browser = ['sgpt-search/element', 'sgpt-search/runtime', 'sgpt-search/runtime/sgpt-search.js'].map((spec) => existsSync(fileURLToPath(import.meta.resolve(spec))));
    console.log(JSON.stringify({ api: Object.keys(api).sort(), plugin: vite.default().name, version: pkg.default.version, browser }));`;
  const { stdout } = await inApp(process.execPath, ['--input-type=module', '-e', script]);
  const out = JSON.parse(stdout);
  expect(out.api).toEqual(expect.arrayContaining(['embed', 'loadEmbedder', 'openSiteIndex', 'loadReranker', 'rerankHits', 'SgptError']));
  // Internals stay internal.
  expect(out.api).not.toContain('weightedMeanPool');
  expect(out.api).not.toContain('SearchClient');
  expect(out.plugin).toBe('sgpt-search');
  expect(out.browser).toEqual([true, true, true]);
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
