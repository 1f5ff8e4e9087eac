/**
 * A prebuilt site index in Chromium: a ~30-page subset of the Python 3.11 docs (Debian's
 * python3.11-doc, fetched by scripts/fetch-python-docs.sh) indexed with the real default model,
 * searched through <sgpt-search index=…>. Keyword results come first, then fused semantic ones,
 * and every result links to an anchor that exists in its page.
 */
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Page } from '@playwright/test';
import { buildSiteIndex } from '../../src/build/site-build';
import { elementDefaults } from '../../src/element/defaults';
import { test, expect, events, waitForEvent } from './fixtures';
import { routeSite } from './site-route';

const SUBSET = [
  ...['appendix', 'appetite', 'classes', 'controlflow', 'datastructures', 'errors', 'floatingpoint', 'index', 'inputoutput', 'interactive', 'interpreter', 'introduction', 'modules', 'stdlib', 'stdlib2', 'venv', 'whatnow'].map((n) => `tutorial/${n}.html`),
  ...['functional', 'sorting', 'regex', 'unicode', 'logging', 'argparse', 'descriptor', 'enum'].map((n) => `howto/${n}.html`),
  'glossary.html',
  'library/functions.html',
  'library/itertools.html',
  'faq/programming.html',
  'faq/general.html',
];

let site: string;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  const docs = execFileSync('bash', ['scripts/fetch-python-docs.sh'], { encoding: 'utf8' }).trim();
  site = await mkdtemp(join(tmpdir(), 'sgpt-pydocs-'));
  for (const file of SUBSET) {
    await mkdir(dirname(join(site, file)), { recursive: true });
    await cp(join(docs, file), join(site, file));
  }
  await buildSiteIndex({ site, out: join(site, 'sgpt') });
});

test.afterAll(async () => {
  if (site) await rm(site, { recursive: true, force: true });
});

/** /pydocs/… is the subset site with its index; /pydocs/search.html holds the element. */
function serveDocs(page: Page, manifest?: (json: Record<string, any>) => void, attributes = '') {
  return routeSite(page, '/pydocs/', site, { manifest, attributes: `limit="8" ${attributes}` });
}

interface Hit {
  title: string;
  url: string;
  excerpt: string;
  highlights?: Array<[number, number]>;
  semantic?: boolean;
}

test('keyword results first, then semantic ones, each linking to an anchor that exists', async ({ page }) => {
  await serveDocs(page);
  await page.goto('/pydocs/search.html');
  await page.locator('sgpt-search#search').getByRole('combobox').fill('what is a generator');
  await expect
    .poll(async () => (await events(page, 'sgpt-results', 'search')).some((e) => e.detail.stage === 'semantic' && e.detail.query === 'what is a generator'))
    .toBe(true);
  const stages = (await events(page, 'sgpt-results', 'search')).filter((e) => e.detail.query === 'what is a generator');
  expect(stages[0]!.detail.stage).toBe('keyword');
  const keyword = stages[0]!.detail.results as Hit[];
  expect(keyword.length).toBeGreaterThan(0);
  expect(keyword.every((h) => h.semantic === false)).toBe(true);
  const semantic = stages.at(-1)!.detail.results as Hit[];
  expect(semantic).toHaveLength(8);
  expect(semantic.every((h) => h.semantic === true)).toBe(true);

  // Highlights mark the query's words in the excerpt, and the list shows them as <mark> text.
  const marked = keyword.flatMap((h) => (h.highlights ?? []).map(([a, b]) => h.excerpt.slice(a, b).toLowerCase()));
  expect(marked.some((word) => word.startsWith('generat'))).toBe(true);
  await expect(page.locator('sgpt-search#search').locator('mark').first()).toBeVisible();

  // Every result's anchor is an element id in the page it links to.
  const anchored = [...keyword, ...semantic].filter((h) => h.url.includes('#'));
  expect(anchored.length).toBeGreaterThan(keyword.length / 2);
  const missing = await page.evaluate(async (urls) => {
    const bad: string[] = [];
    for (const url of urls) {
      const [path, fragment] = url.split('#');
      const html = await (await fetch(path!)).text(); // resolved against the index's site root (/pydocs/)
      const doc = new DOMParser().parseFromString(html, 'text/html');
      if (!doc.getElementById(decodeURIComponent(fragment!))) bad.push(url);
    }
    return bad;
  }, [...new Set(anchored.map((h) => h.url))]);
  expect(missing).toEqual([]);
});

test('an index built with another model is refused with INDEX_MODEL_MISMATCH', async ({ page }) => {
  await serveDocs(page, (manifest) => {
    manifest.model.id = 'some-other-model';
  });
  await page.goto('/pydocs/search.html');
  await page.locator('sgpt-search#search').getByRole('combobox').fill('sorting lists');
  const error = await waitForEvent(page, 'sgpt-error', 'search');
  expect(error.detail.code).toBe('INDEX_MODEL_MISMATCH');
  expect(error.detail.message).toContain('"some-other-model"');
  // The page's model: the element's default.
  expect(error.detail.message).toContain(`"${basename(elementDefaults().model)}"`);
  // The keyword results were shown before the model check.
  expect((await events(page, 'sgpt-results', 'search'))[0]!.detail.stage).toBe('keyword');
});

test('the page can set the fusion weight: 0 keeps the keyword order', async ({ page }) => {
  await serveDocs(page, undefined, 'fusion-weight="0"');
  await page.goto('/pydocs/search.html');
  await page.locator('sgpt-search#search').getByRole('combobox').fill('sort a list of tuples');
  await expect.poll(async () => (await events(page, 'sgpt-results', 'search')).some((e) => e.detail.stage === 'semantic')).toBe(true);
  const stages = await events(page, 'sgpt-results', 'search');
  const urls = (stage: string) => (stages.find((e) => e.detail.stage === stage)!.detail.results as Hit[]).map((h) => h.url);
  expect(urls('keyword').length).toBeGreaterThan(3);
  expect(urls('semantic')).toEqual(urls('keyword'));
});

test('a misspelled word finds what the right spelling finds, reading only a few typo files', async ({ page }) => {
  const route = await serveDocs(page);
  await page.goto('/pydocs/search.html');
  const box = page.locator('sgpt-search#search').getByRole('combobox');
  const stage = async (query: string, name: string) => {
    await expect.poll(async () => (await events(page, 'sgpt-results', 'search')).some((e) => e.detail.stage === name && e.detail.query === query)).toBe(true);
    const found = (await events(page, 'sgpt-results', 'search')).filter((e) => e.detail.stage === name && e.detail.query === query);
    return (found.at(-1)!.detail.results as Hit[]).map((h) => h.url);
  };
  await box.fill('itertools');
  const right = await stage('itertools', 'keyword');
  expect(right.some((url) => url.includes('library/itertools.html'))).toBe(true);
  expect([...route.served.keys()].some((path) => path.includes('sgpt/typos'))).toBe(false); // nothing to correct: no typo file read
  await box.fill('itertols');
  expect(await stage('itertols', 'keyword')).toEqual(right);
  // The word it was corrected to is marked in the excerpts.
  const typed = (await events(page, 'sgpt-results', 'search')).find((e) => e.detail.stage === 'keyword' && e.detail.query === 'itertols')!.detail.results as Hit[];
  expect(typed.flatMap((h) => (h.highlights ?? []).map(([a, b]) => h.excerpt.slice(a, b).toLowerCase()))).toContain('itertools');
  // The fused ranking's keyword half is corrected too: its top hits are the right spelling's.
  const fused = await stage('itertols', 'semantic');
  expect(fused.slice(0, 3).filter((url) => right.slice(0, 3).includes(url)).length).toBeGreaterThanOrEqual(2);
  const typoFiles = [...route.served.keys()].filter((path) => /sgpt\/typos-\d+\./.test(path));
  expect(typoFiles.length).toBeGreaterThan(0);
  expect(typoFiles.length).toBeLessThanOrEqual(4);
});
