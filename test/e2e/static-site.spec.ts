/**
 * The one-build-step promise, as a user of a plain static site would do it: the real CLI indexes a
 * copy of the fixture site and writes the runtime and the model next to the index; one page gets
 * exactly the two tags; a plain node:http server (no Vite, no COOP/COEP headers, so WASM runs
 * single-threaded) serves the folder under a path prefix. Keyword results come first, then
 * semantic ones, every link reaches an anchor of the prefixed site, and nothing is requested
 * outside the prefix or off this machine.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, events } from './fixtures';
import { indexFixtureSite, serveFolder, type StaticServer } from './static-server';

const SNIPPET = '<script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search index="sgpt/manifest.json"></sgpt-search>';
const PREFIX = '/docs/';
let work: string;
let site: string;
let server: StaticServer;
let origin: string;
let summary: string;
/** Paths the server was asked for, in order; and the ones outside the prefix. */
let requested: string[] = [];
let outsidePrefix: string[] = [];

test.beforeAll(async () => {
  test.setTimeout(60_000);
  work = await mkdtemp(join(tmpdir(), 'sgpt-static-'));
  // The README's one command, WebGPU runtime included.
  ({ site, summary } = await indexFixtureSite(work, { 'index.html': SNIPPET }, []));

  server = await serveFolder(site, PREFIX);
  origin = server.origin;
  requested = server.requested;
  outsidePrefix = server.outsidePrefix;
});

test.afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

interface Hit {
  title: string;
  url: string;
  semantic?: boolean;
}

test('one CLI run and two tags: keyword, then semantic results under a path prefix, without isolation headers', async ({ page }) => {
  // The summary reports the index, the runtime and the model apart.
  expect(summary).toMatch(/index [\d.]+ kB \+ runtime [\d.]+ MB \+ model [\d.]+ MB/);
  const manifest = JSON.parse(await readFile(join(site, 'sgpt/manifest.json'), 'utf8'));

  await page.goto(`${origin}${PREFIX}`);
  const box = page.locator('sgpt-search').getByRole('combobox');
  const query = 'how do I install the kettle';
  await box.fill(query);
  await expect
    .poll(async () => (await events(page, 'sgpt-results')).some((e) => e.detail.query === query && e.detail.stage === 'semantic'), { timeout: 45_000 })
    .toBe(true);
  const stages = (await events(page, 'sgpt-results')).filter((e) => e.detail.query === query);
  expect(stages[0]!.detail.stage).toBe('keyword');
  const keyword = stages[0]!.detail.results as Hit[];
  const semantic = stages.at(-1)!.detail.results as Hit[];
  expect(keyword.length).toBeGreaterThan(0);
  expect(keyword[0]!.url).toBe(`${origin}${PREFIX}guide/install.html#installing-teapot`);
  expect(semantic.length).toBeGreaterThan(0);
  expect(semantic.every((hit) => hit.semantic === true)).toBe(true);

  // Every result links into the prefixed site, to an anchor its page has.
  const hits = [...keyword, ...semantic];
  expect(hits.every((hit) => hit.url.startsWith(`${origin}${PREFIX}`))).toBe(true);
  const missing = await page.evaluate(async (urls) => {
    const bad: string[] = [];
    for (const url of urls) {
      const [path, fragment] = url.split('#');
      const doc = new DOMParser().parseFromString(await (await fetch(path!)).text(), 'text/html');
      const id = fragment && decodeURIComponent(fragment);
      // A fragment targets an id or, as in HTML's fragment navigation, an <a name> (the extractor uses both).
      if (id && !doc.getElementById(id) && !doc.querySelector(`a[name="${CSS.escape(id)}"]`)) bad.push(url);
    }
    return bad;
  }, [...new Set(hits.map((hit) => hit.url))]);
  expect(missing).toEqual([]);

  // The model came from the index's folder, on single-threaded WASM (no COOP/COEP here).
  const ready = (await events(page, 'sgpt-ready'))[0]!;
  expect(ready.detail).toMatchObject({ backend: 'wasm', modelId: `${origin}${PREFIX}sgpt/${manifest.model.url.replace(/\/$/, '')}` });
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
  expect(requested).toContain(`${PREFIX}sgpt/${manifest.model.url}onnx/model.onnx`);
  expect(requested).toContain(`${PREFIX}sgpt/ort/ort-wasm-simd-threaded.wasm`);
  expect(outsidePrefix).toEqual([]);

  // Enter follows the first (fused) result to its anchor.
  await box.press('Enter');
  await expect(page).toHaveURL(semantic[0]!.url);
});
