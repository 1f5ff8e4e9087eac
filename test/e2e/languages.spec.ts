/**
 * Pages in several languages (test/fixtures/site-i18n: English, German, Japanese), indexed in Node
 * with the real default model and searched in Chromium: the keyword analysis (Snowball stemmers,
 * Intl.Segmenter words) is the same in both, the element searches the page's language (or its own
 * `lang`), and a language the model does not know ranks by keyword alone.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { buildSiteIndex } from '../../src/build/site-build';
import { analyze } from '../../src/search/analyzer';
import { language, loadLanguages } from '../../src/search/languages';
import { test, expect, events } from './fixtures';
import { routeSite } from './site-route';

/** Sentences per language, analysed at build time in Node and at query time in the browser. */
const SENTENCES: Record<string, string[]> = {
  ja: ['ジェネレーターは値を一つずつ返します。東京は日本の首都です。', 'Pythonのリストは値の並びを保存します'],
  zh: ['生成器函数每次返回一个值。北京是中国的首都。', '列表保存一系列的值'],
  ko: ['생성기 함수는 값을 하나씩 반환합니다. 서울은 한국의 수도입니다.'],
  th: ['ฟังก์ชันตัวสร้างส่งคืนค่าทีละค่า กรุงเทพเป็นเมืองหลวงของประเทศไทย'],
  de: ['Die Häuser einer Straße und die Generatoren liefern Werte.'],
  fr: ['Les générateurs renvoient les valeurs une par une.'],
};

let site: string;

test.beforeAll(async () => {
  test.setTimeout(180_000);
  site = await mkdtemp(join(tmpdir(), 'sgpt-i18n-e2e-'));
  await cp('test/fixtures/site-i18n', site, { recursive: true });
  await buildSiteIndex({ site, out: join(site, 'sgpt') });
});

test.afterAll(async () => {
  if (site) await rm(site, { recursive: true, force: true });
});

interface Hit {
  url: string;
  semantic?: boolean;
}

/** The urls of the last results of `stage` for `query`, once they are in. */
async function results(page: Page, query: string, stage: string): Promise<string[]> {
  await expect.poll(async () => (await events(page, 'sgpt-results', 'search')).some((e) => e.detail.stage === stage && e.detail.query === query)).toBe(true);
  const found = (await events(page, 'sgpt-results', 'search')).filter((e) => e.detail.stage === stage && e.detail.query === query);
  return (found.at(-1)!.detail.results as Hit[]).map((h) => new URL(h.url).pathname + new URL(h.url).hash);
}

test('Node and Chromium analyse the same sentences into the same terms', async ({ page }) => {
  await routeSite(page, '/i18n/', site);
  await page.goto('/i18n/search.html');
  const codes = Object.keys(SENTENCES);
  await loadLanguages(codes);
  const node = Object.fromEntries(codes.map((code) => [code, SENTENCES[code]!.map((s) => analyze(s, { language: language(code) }))]));
  const browser = await page.evaluate(
    async ({ sentences, analyzerUrl, languagesUrl }) => {
      const { analyze: analyseIn } = await import(analyzerUrl);
      const languages = await import(languagesUrl);
      await languages.loadLanguages(Object.keys(sentences));
      return Object.fromEntries(Object.entries(sentences).map(([code, list]) => [code, list.map((s) => analyseIn(s, { language: languages.language(code) }))]));
    },
    { sentences: SENTENCES, analyzerUrl: `/@fs${resolve('src/search/analyzer.ts')}`, languagesUrl: `/@fs${resolve('src/search/languages.ts')}` },
  );
  expect(browser).toEqual(node);
  expect(node.ja![0]).toContain('首都');
});

test("the element searches the page's language: a German page finds German sections, stemmed", async ({ page }) => {
  await routeSite(page, '/i18n/', site, { lang: 'de-DE', attributes: 'limit="5"' });
  await page.goto('/i18n/search.html');
  await page.locator('sgpt-search#search').getByRole('combobox').fill('Haus');
  expect(await results(page, 'Haus', 'keyword')).toEqual(['/i18n/de/#haeuser']);
  // The model knows no German: the fused ranking is the keyword ranking, German sections only.
  expect(await results(page, 'Haus', 'semantic')).toEqual(['/i18n/de/#haeuser']);
});

test("the element's own lang wins: Japanese words segmented at build time are found as typed", async ({ page }) => {
  await routeSite(page, '/i18n/', site, { lang: 'en', attributes: 'limit="5" lang="ja"' });
  await page.goto('/i18n/search.html');
  await page.locator('sgpt-search#search').getByRole('combobox').fill('日本の首都');
  const keyword = await results(page, '日本の首都', 'keyword');
  expect(keyword[0]).toBe('/i18n/ja/#generator');
  expect(keyword.every((url) => url.startsWith('/i18n/ja/'))).toBe(true);
  expect(await results(page, '日本の首都', 'semantic')).toEqual(keyword);
});

test('an English page searches English sections and fuses the model in', async ({ page }) => {
  await routeSite(page, '/i18n/', site, { lang: 'en', attributes: 'limit="5"' });
  await page.goto('/i18n/search.html');
  await page.locator('sgpt-search#search').getByRole('combobox').fill('house');
  expect(await results(page, 'house', 'keyword')).toEqual(['/i18n/#houses']);
  const fused = await results(page, 'house', 'semantic');
  expect(fused[0]).toBe('/i18n/#houses');
  expect(fused.every((url) => !url.startsWith('/i18n/de/') && !url.startsWith('/i18n/ja/'))).toBe(true);
});
