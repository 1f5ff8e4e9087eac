/**
 * Weights and aliases in Chromium: a site indexed in Node with the real default model, where one
 * page names "sandbox" only as an alias (data-sgpt-keywords) in a weighted section and another
 * says it in its text; the element's keyword results rank the weighted alias first.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { test, expect, waitForResults } from './fixtures';
import { routeSite } from './site-route';

let site: string;

const page = (title: string, body: string, main = '<main>') =>
  `<!doctype html><html lang="en"><head><title>${title}</title></head><body>${main}<h1 id="top">${title}</h1><p>${body}</p></main></body></html>`;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  site = await mkdtemp(join(tmpdir(), 'sgpt-weights-e2e-'));
  await writeFile(join(site, 'sandbox.html'), page('Isolation', 'A sandbox keeps a sandbox apart from the sandbox host.'));
  await writeFile(join(site, 'venv.html'), page('Virtual environments', 'Create an isolated environment for each project with python -m venv.', '<main data-sgpt-weight="3" data-sgpt-keywords="sandbox">'));
  await writeFile(join(site, 'other.html'), page('Installing', 'Install packages with pip.'));
  await buildSiteIndex({ site, out: join(site, 'sgpt') });
});

test.afterAll(async () => {
  if (site) await rm(site, { recursive: true, force: true });
});

test('a weighted alias ranks first in the keyword results', async ({ page: tab }) => {
  await routeSite(tab, '/w/', site);
  await tab.goto('/w/search.html');
  await tab.locator('sgpt-search#search').getByRole('combobox').fill('sandbox');
  const keyword = await waitForResults(tab, 'search', 'sandbox', 'keyword');
  const paths = (keyword.detail.results as Array<{ url: string }>).map((h) => new URL(h.url).pathname);
  expect(paths.slice(0, 2)).toEqual(['/w/venv.html', '/w/sandbox.html']);
});
