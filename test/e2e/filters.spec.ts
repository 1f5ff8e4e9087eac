/**
 * Filters and facets in Chromium: a site of two versions (the version read from the path by
 * --filter-from-path, the page type from <meta name="sgpt-filter">) indexed in Node with the real
 * default model; the element's `filter` attribute keeps keyword and semantic hits in the asked
 * version, shows facet counts for the query, and a facet button widens the filter.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { parsePathRule } from '../../src/extract/filters';
import type { SgptError } from '../../src/errors';
import { openSiteIndex } from '../../src/index';
import { test, expect, events, waitForResults } from './fixtures';
import { routeSite } from './site-route';

let site: string;

const page = (title: string, body: string, type: string) =>
  `<!doctype html><html lang="en"><head><title>${title}</title><meta name="sgpt-filter" content="type:${type}"></head>
   <body><main><h1>${title}</h1><p>${body}</p></main></body></html>`;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  site = await mkdtemp(join(tmpdir(), 'sgpt-filters-e2e-'));
  for (const version of ['3.11', '3.12']) {
    await mkdir(join(site, version), { recursive: true });
    await writeFile(join(site, version, 'json.html'), page(`json ${version}`, `The json module encodes and decodes JSON text in Python ${version}.`, 'api'));
    await writeFile(join(site, version, 'files.html'), page(`Reading files ${version}`, `Open a file and read it line by line with a for loop in Python ${version}.`, 'guide'));
  }
  await buildSiteIndex({ site, out: join(site, 'sgpt'), filterFromPath: [parsePathRule('version=^/(\\d+\\.\\d+)/')] });
});

test.afterAll(async () => {
  if (site) await rm(site, { recursive: true, force: true });
});

const paths = (results: unknown) => (results as Array<{ url: string }>).map((h) => new URL(h.url).pathname);

test('the filter attribute keeps keyword and semantic hits in the version; facets count the query and widen it', async ({ page: tab }) => {
  test.setTimeout(240_000);
  await routeSite(tab, '/f/', site, { attributes: 'filter="version:3.12" limit="10"' });
  await tab.goto('/f/search.html');
  const box = tab.locator('sgpt-search#search').getByRole('combobox');
  await box.fill('read a file line by line');
  const keyword = await waitForResults(tab, 'search', 'read a file line by line', 'keyword');
  expect(paths(keyword.detail.results).length).toBeGreaterThan(0);
  expect(paths(keyword.detail.results).every((p) => p.startsWith('/f/3.12/'))).toBe(true);
  const semantic = await waitForResults(tab, 'search', 'read a file line by line', 'semantic', 90_000);
  expect(paths(semantic.detail.results)[0]).toBe('/f/3.12/files.html');
  expect(paths(semantic.detail.results).every((p) => p.startsWith('/f/3.12/'))).toBe(true);

  // Facets: the query's keyword matches per value, the version counted without the version filter.
  await expect.poll(async () => (await events(tab, 'sgpt-facets', 'search')).at(-1)?.detail.facets).toEqual({
    type: { api: 0, guide: 1 },
    version: { '3.11': 1, '3.12': 1 },
  });
  const v311 = tab.locator('sgpt-search#search').getByRole('button', { name: /^3\.11/ });
  await expect(v311).toHaveAttribute('aria-pressed', 'false');
  // A value no match carries (api: 0) is no button; the event still counts it.
  await expect(tab.locator('sgpt-search#search').getByRole('button', { name: /^api/ })).toHaveCount(0);
  await expect(tab.locator('sgpt-search#search').getByRole('button', { name: /^guide/ })).toHaveCount(1);
  await expect(tab.locator('sgpt-search#search').getByRole('button', { name: /^3\.12/ })).toHaveAttribute('aria-pressed', 'true');
  await v311.click();
  await expect(v311).toHaveAttribute('aria-pressed', 'true');
  await expect
    .poll(async () => {
      const last = (await events(tab, 'sgpt-results', 'search')).filter((e) => e.detail.stage === 'semantic').at(-1)!;
      return new Set(paths(last.detail.results).map((p) => p.split('/')[2]));
    }, { timeout: 60_000 })
    .toEqual(new Set(['3.11', '3.12']));
  // The property wins over the attribute and reruns the query.
  await tab.locator('sgpt-search#search').evaluate((el) => ((el as unknown as { filters: unknown }).filters = { type: ['api'] }));
  await expect
    .poll(async () => {
      const last = (await events(tab, 'sgpt-results', 'search')).filter((e) => e.detail.stage === 'semantic').at(-1)!;
      return paths(last.detail.results).sort();
    }, { timeout: 60_000 })
    .toEqual(['/f/3.11/json.html', '/f/3.12/json.html']);
});

test('a filter key the index does not have is an sgpt-error naming the keys it has; a filters property the API would refuse is refused in its words', async ({ page: tab }) => {
  await routeSite(tab, '/f/', site, { attributes: 'filter="release:1"' });
  await tab.goto('/f/search.html');
  await tab.locator('sgpt-search#search').getByRole('combobox').fill('json');
  await expect.poll(async () => (await events(tab, 'sgpt-error', 'search')).at(-1)?.detail.message).toMatch(/filter key "release" is not in the index \(it has "type", "version"\)/);
  const index = await openSiteIndex(join(site, 'sgpt'));
  for (const filters of ['garbage', [], { version: '3.12' }, { version: ['3.12', 3] }]) {
    const api = await index.query('json', { keywordOnly: true, filters: filters as never }).then(() => null, (error: SgptError) => error.toJSON());
    expect(api?.code).toBe('INPUT_INVALID');
    const before = (await events(tab, 'sgpt-error', 'search')).length;
    await tab.locator('sgpt-search#search').evaluate((el, value) => ((el as unknown as { filters: unknown }).filters = value), filters);
    await expect.poll(async () => (await events(tab, 'sgpt-error', 'search')).slice(before).at(-1)?.detail).toEqual(api);
  }
  await index.dispose();
});
