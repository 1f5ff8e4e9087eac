/**
 * Search from disk (issue 15): the real CLI indexes the fixture site with --offline; the page opened
 * as file://…/offline.html (one classic <script> tag, no server, no Chromium flag) gives keyword
 * results, then semantic ones, with no request other than file: URLs (and the blob: worker), and
 * the same results as the same site served over HTTP with the module runtime. A browser that
 * refuses the worker keeps keyword results and says why semantic results are off.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { events, recordEvents } from './fixtures';
import { buildFixtureSite, serveFolder, type StaticServer } from './static-server';

const test = base;
const OFFLINE = '<script src="sgpt/sgpt-search.offline.js"></script><sgpt-search index="sgpt/manifest.json"></sgpt-search>';
const MODULE = '<script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search index="sgpt/manifest.json"></sgpt-search>';
const QUERY = 'how do I install the kettle';

let work: string;
let site: string;
let server: StaticServer;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  work = await mkdtemp(join(tmpdir(), 'sgpt-offline-'));
  site = await buildFixtureSite(work, { 'offline.html': OFFLINE, 'http.html': MODULE }, ['--offline']);
  server = await serveFolder(site, '/');
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
interface Stage {
  stage: string;
  results: Hit[];
}

/** The element's result stages for QUERY, in order (recorded by ./fixtures' recordEvents). */
async function stages(page: Page): Promise<Stage[]> {
  return (await events(page, 'sgpt-results')).filter((e) => e.detail.query === QUERY).map((e) => e.detail as unknown as Stage);
}

async function search(page: Page, url: string): Promise<{ keyword: Hit[]; semantic: Hit[] }> {
  await page.goto(url);
  await page.locator('sgpt-search').getByRole('combobox').fill(QUERY);
  await expect.poll(async () => (await stages(page)).some((s) => s.stage === 'semantic'), { timeout: 60_000 }).toBe(true);
  const all = await stages(page);
  expect(all[0]!.stage).toBe('keyword');
  return { keyword: all[0]!.results, semantic: all.find((s) => s.stage === 'semantic')!.results };
}

/** Results without the page's own location (file:…/ or http://…/), to compare the two. */
const sitePaths = (hits: Hit[], base: string) => hits.map((hit) => ({ title: hit.title, path: hit.url.slice(base.length).replace(/(^|\/)index\.html(?=#|$)/, '$1'), semantic: hit.semantic ?? false }));

test('opened from disk: keyword then semantic results, only file: requests, the same results as over HTTP', async ({ page, context }) => {
  test.setTimeout(150_000);
  const requests: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  await recordEvents(page);
  const fileBase = pathToFileURL(site).href + '/';
  const fromDisk = await search(page, `${fileBase}offline.html`);
  expect(fromDisk.keyword.length).toBeGreaterThan(0);
  expect(fromDisk.keyword[0]!.url).toBe(`${fileBase}guide/install.html#installing-teapot`);
  expect(fromDisk.semantic.length).toBeGreaterThan(0);
  expect(fromDisk.semantic.every((hit) => hit.semantic === true)).toBe(true);
  expect(await events(page, 'sgpt-error')).toEqual([]);
  // A folder's page links to its index.html: on disk a folder opens as a directory listing.
  const urls = [...fromDisk.keyword, ...fromDisk.semantic].map((hit) => hit.url);
  expect(urls.some((url) => url.startsWith(`${fileBase}index.html#`))).toBe(true);
  expect(urls.filter((url) => /\/(#|$)/.test(url))).toEqual([]);
  // Nothing but the files beside the page, and the worker's blob (no fetch, no XHR, no network).
  const other = requests.filter((url) => !url.startsWith('file:') && !url.startsWith('blob:'));
  expect(other).toEqual([]);
  expect(requests.some((url) => url.includes('/sgpt/offline/') && url.endsWith('.onnx.js'))).toBe(true);

  const httpPage = await context.newPage();
  await recordEvents(httpPage);
  const overHttp = await search(httpPage, `${server.origin}/http.html`);
  expect(sitePaths(fromDisk.keyword, fileBase)).toEqual(sitePaths(overHttp.keyword, `${server.origin}/`));
  expect(sitePaths(fromDisk.semantic, fileBase)).toEqual(sitePaths(overHttp.semantic, `${server.origin}/`));
});

test('a browser that refuses the worker: keyword results still come, and the element says why semantic results are off', async ({ page }) => {
  test.setTimeout(60_000);
  await recordEvents(page);
  // As a browser that blocks workers on file: pages would (a thrown SecurityError).
  await page.addInitScript(() => {
    (window as unknown as { Worker: unknown }).Worker = class {
      constructor() {
        throw new DOMException('workers are blocked on this page', 'SecurityError');
      }
    };
  });
  await page.goto(`${pathToFileURL(site).href}/offline.html`);
  await page.locator('sgpt-search').getByRole('combobox').fill(QUERY);
  await expect.poll(async () => (await stages(page)).some((s) => s.stage === 'keyword' && s.results.length > 0), { timeout: 30_000 }).toBe(true);
  const alert = page.locator('sgpt-search').getByRole('alert');
  await expect(alert).toContainText('semantic results are off', { timeout: 30_000 });
  await expect(alert).toContainText('keyword results still work');
  expect((await stages(page)).some((s) => s.stage === 'semantic')).toBe(false);
});
