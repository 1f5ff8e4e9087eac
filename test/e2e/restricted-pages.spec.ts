/**
 * Pages where the browser withholds storage and crypto, for a site index and for documents in the
 * page: keyword, then semantic results, and no sgpt-error.
 * - Plain http under a name that is not localhost (an intranet docs server): not a secure context,
 *   so the page and its worker have no `crypto.subtle`, no Cache API and no Web Locks. Chromium
 *   maps the name to this machine (`--host-resolver-rules`).
 * - A browser set to block site data (a profile whose cookies setting is "block"): localStorage,
 *   IndexedDB, the Cache API and Web Locks all refuse with SecurityError.
 */
import { chromium, expect, test, type BrowserContext } from '@playwright/test';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumLaunch } from '../../playwright.config';
import { events, intent, recordEvents, waitForResults } from './fixtures';
import { buildFixtureSite, serveFolder, type StaticServer } from './static-server';

const HOST = 'docs.test';
const PREFIX = '/docs/';
const QUERY = 'how do I install the kettle';
const INDEX = '<script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search id="search" index="sgpt/manifest.json"></sgpt-search>';
const DOCUMENTS = [
  { id: 'install', title: 'Installing the teapot', text: 'Unpack the kettle, fill it with water and plug it in before the first brew.', url: 'guide/install.html' },
  { id: 'brew', title: 'Brewing green tea', text: 'Let boiled water cool to eighty degrees, then steep the leaves for two minutes.', url: 'guide/brew.html' },
  { id: 'clean', title: 'Descaling', text: 'Vinegar and water remove limescale from the heating plate.', url: 'guide/clean.html' },
];
const PAGES = [
  ['a site index', 'index.html'],
  ['documents in the page', 'documents.html'],
] as const;

let work: string;
let server: StaticServer;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  work = await mkdtemp(join(tmpdir(), 'sgpt-restricted-'));
  const site = await buildFixtureSite(work, { 'index.html': INDEX });
  // Documents in the page, embedded by the model the index shipped with.
  const { model } = JSON.parse(await readFile(join(site, 'sgpt/manifest.json'), 'utf8')) as { model: { url: string } };
  await writeFile(join(site, 'documents.json'), JSON.stringify(DOCUMENTS));
  await writeFile(
    join(site, 'documents.html'),
    `<!doctype html><html lang="en"><title>documents</title><script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search id="search" src="documents.json" model="sgpt/${model.url}"></sgpt-search></html>`,
  );
  server = await serveFolder(site, PREFIX);
});

test.afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Open `url` in `context`, check what the page may use (`probe`), search, and expect both stages and no error. */
async function searchBothStages(context: BrowserContext, url: string, probe: () => Promise<unknown>, expected: unknown): Promise<void> {
  const origin = new URL(url).origin;
  const elsewhere: string[] = [];
  context.on('request', (request) => {
    if (!request.url().startsWith(`${origin}/`) && !/^(blob|data):/.test(request.url())) elsewhere.push(request.url());
  });
  await recordEvents(context);
  const tab = await context.newPage();
  await tab.goto(url);
  // What the test is about: the browser really withholds these here.
  expect(await tab.evaluate(probe)).toEqual(expected);
  // Intent, then the query once the model is in: a query typed at once meets a race of the
  // element's own (MODEL_LOAD_FAILED "no model is loading", on any origin), not this test's.
  await intent(tab, 'search');
  const settled = async () => (await events(tab, 'sgpt-ready')).length + (await events(tab, 'sgpt-error')).length;
  await expect.poll(settled, { timeout: 60_000, message: 'sgpt-ready or sgpt-error' }).toBeGreaterThan(0);
  expect(await events(tab, 'sgpt-error')).toEqual([]);
  await tab.locator('sgpt-search').getByRole('combobox').fill(QUERY);
  const keyword = await waitForResults(tab, 'search', QUERY, 'keyword');
  const semantic = await waitForResults(tab, 'search', QUERY, 'semantic');
  expect((keyword.detail.results as unknown[]).length).toBeGreaterThan(0);
  const hits = semantic.detail.results as Array<{ semantic?: boolean }>;
  expect(hits.some((hit) => hit.semantic === true)).toBe(true);
  expect(await events(tab, 'sgpt-error')).toEqual([]);
  expect(elsewhere).toEqual([]);
}

test.describe(`plain http on ${HOST}, not a secure context`, () => {
  for (const [what, page] of PAGES) {
    test(`${what}: keyword, then semantic results, no error`, async () => {
      const browser = await chromium.launch({ ...chromiumLaunch, args: [...chromiumLaunch.args, `--host-resolver-rules=MAP ${HOST} 127.0.0.1`] });
      try {
        const url = `${server.origin.replace('127.0.0.1', HOST)}${PREFIX}${page}`;
        const probe = async () => ({ secure: isSecureContext, subtle: typeof crypto.subtle, caches: typeof caches, locks: 'locks' in navigator });
        await searchBothStages(await browser.newContext(), url, probe, { secure: false, subtle: 'undefined', caches: 'undefined', locks: false });
      } finally {
        await browser.close();
      }
    });
  }
});

test.describe('a browser that blocks site data', () => {
  for (const [what, page] of PAGES) {
    test(`${what}: keyword, then semantic results, no error`, async () => {
      // Chromium's "Block sites from saving data": the profile's cookies setting is 2 (block).
      const profile = await mkdtemp(join(tmpdir(), 'sgpt-blocked-'));
      await mkdir(join(profile, 'Default'));
      await writeFile(join(profile, 'Default/Preferences'), JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }));
      const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumLaunch.executablePath, args: chromiumLaunch.args });
      try {
        const probe = async () => {
          const refused = (work: () => unknown) => Promise.resolve().then(work).then(() => 'ok', (error: Error) => error.name);
          return {
            localStorage: await refused(() => localStorage.getItem('x')),
            caches: await refused(() => caches.open('probe')),
            locks: await refused(() => navigator.locks.request('probe', async () => undefined)),
          };
        };
        await searchBothStages(context, `${server.origin}${PREFIX}${page}`, probe, { localStorage: 'SecurityError', caches: 'SecurityError', locks: 'SecurityError' });
      } finally {
        await context.close();
        await rm(profile, { recursive: true, force: true });
      }
    });
  }
});
