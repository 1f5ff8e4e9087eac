/**
 * One ranking in Chromium: the element's fused (semantic-stage) results over a site index and
 * over the same documents given in the page equal eval's `default` ranking in Node
 * (test/unit/one-ranking.test.ts checks the CLI and the in-page engine the same way). The site
 * index keeps int8 vectors, so there two neighbours may swap where rounding splits a near tie.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { loadBeir, type BeirDataset } from '../../src/eval/beir';
import type { Run } from '../../src/eval/metrics';
import { openEval } from '../../src/eval/runner';
import { elementDefaults } from '../../src/element/defaults';
import { docIdOf, writeBeirSite } from '../fixtures/beir-site';
import { test, expect, intent, waitForEvent, waitForResults } from './fixtures';
import { routeSite } from './site-route';

const MINI = resolve('test/fixtures/beir-mini');
const LIMIT = 8;
let tmp: string;
let data: BeirDataset;
let expected: Run;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  tmp = await mkdtemp(join(tmpdir(), 'sgpt-one-ranking-'));
  data = await loadBeir(MINI);
  await writeBeirSite(data, join(tmp, 'site'));
  const model = resolve('public', elementDefaults().model.replace(/^\//, ''));
  await buildSiteIndex({ site: join(tmp, 'site'), out: join(tmp, 'site', 'sgpt'), model });
  const open = await openEval({ data: MINI, model, cacheDir: null });
  expected = await open.ctx.run('default').finally(() => open.dispose());
});

test.afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

test('a site index ranks as eval does', async ({ page }) => {
  test.setTimeout(120_000);
  await routeSite(page, '/mini/', join(tmp, 'site'), { attributes: `limit="${LIMIT}"` });
  await page.goto('/mini/search.html');
  const input = page.locator('sgpt-search#search').getByRole('combobox');
  for (const query of data.queries) {
    await input.fill(query.text);
    const results = (await waitForResults(page, 'search', query.text)).detail.results as Array<{ url: string }>;
    const ids = results.map((hit) => docIdOf(hit.url));
    const want = expected.get(query.id)!.slice(0, LIMIT);
    expect([...ids].sort(), query.text).toEqual([...want].sort());
    ids.forEach((id, rank) => expect(Math.abs(want.indexOf(id) - rank), `${query.text}: ${id}`).toBeLessThanOrEqual(1));
  }
});

test('documents given in the page rank as eval does, keyword results first', async ({ page }) => {
  test.setTimeout(120_000);
  await page.route('**/inpage/search.html', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><meta charset="utf-8"><title>In-page search</title>
        <sgpt-search id="search" limit="${LIMIT}"></sgpt-search>
        <script type="module">
          import '/@fs${resolve('src/element/sgpt-search.ts')}';
          document.getElementById('search').documents = ${JSON.stringify(data.corpus.map((doc) => ({ id: doc.id, title: doc.title, text: doc.text })))};
        </script>`,
    }),
  );
  await page.goto('/inpage/search.html');
  await intent(page, 'search');
  await waitForEvent(page, 'sgpt-ready', 'search', 1, 90_000);
  const input = page.locator('sgpt-search#search').getByRole('combobox');
  for (const query of data.queries) {
    await input.fill(query.text);
    await waitForResults(page, 'search', query.text, 'keyword');
    const results = (await waitForResults(page, 'search', query.text)).detail.results as Array<{ id: string }>;
    expect(
      results.map((hit) => hit.id),
      query.text,
    ).toEqual(expected.get(query.id)!.slice(0, LIMIT));
  }
});
