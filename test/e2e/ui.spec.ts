/**
 * The reader-facing UI over a real site index (the fixture site indexed by the CLI, served by a
 * plain server with the prebuilt runtime): the dialog presentation and its shortcuts, results
 * grouped by page, the no-results state, recent searches, sgpt-select for mouse and keyboard,
 * highlight on arrival, a translated and a right-to-left rendering, and an axe audit of each
 * presentation. The real model runs; only the keyword stage is awaited where the meaning is not at issue.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { test, expect, events, waitForEvent, waitForResults } from './fixtures';
import { buildFixtureSite, serveFolder, type StaticServer } from './static-server';
import { chromiumLaunch } from '../../playwright.config';

const PREFIX = '/docs/';
const SCRIPT = '<script type="module" src="sgpt/sgpt-search.js"></script>';
const element = (attributes: string) => `${SCRIPT}<sgpt-search id="search" index="sgpt/manifest.json" ${attributes}></sgpt-search>`;
/** Each page puts the element in a search landmark, as a docs theme does. */
const PAGES = Object.fromEntries(
  Object.entries({
    'dialog.html': `${element('presentation="dialog" highlight')}<label>Other field <input id="other"></label>`,
    'inline.html': element(''),
    'de.html': `<div lang="de">${element('presentation="dialog"')}</div>`,
    'rtl.html': `<div lang="ar" dir="rtl">${element('')}</div>`,
    'strings.html': element(`presentation="dialog" strings='{"trigger":"Find it","noResultsHint":"Fewer words, please."}'`),
    'no-recent.html': element('no-recent'),
    // A list shorter than its results: Chromium makes such a scroller keyboard-focusable.
    'tab.html': `${element('style="--sgpt-max-height: 4em"')}<a id="after" href="#after">after</a>`,
    'tab-dialog.html': element('presentation="dialog" style="--sgpt-max-height: 4em"'),
    // The box inside the site's own modal (a mobile menu), which Escape must still be able to close.
    'host-dialog.html': `<dialog id="nav">${element('')}</dialog>`,
    // A mobile-only copy first, hidden on this screen: the rendered one answers the shortcut.
    'hidden-first.html': `<div style="display: none">${SCRIPT}<sgpt-search id="mobile" index="sgpt/manifest.json"></sgpt-search></div>${element('')}`,
    'dark-inline.html': `<style>:root { color-scheme: light dark }</style>${element('')}`,
    'dark-dialog.html': `<style>:root { color-scheme: light dark }</style>${element('presentation="dialog"')}`,
  }).map(([name, snippet]) => [name, `<div role="search">${snippet}</div>`]),
);

let work: string;
let server: StaticServer;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  work = await mkdtemp(join(tmpdir(), 'sgpt-ui-'));
  // A section three headings deep (a trail of two) for the breadcrumb's order in RTL.
  const deep = '<!doctype html><html lang="en"><meta charset="utf-8"><title>Brewing</title><body><main><h1>Brewing</h1><p>About brewing.</p><h2 id="vessels">Vessels</h2><p>Pots.</p><h3 id="clay">Clay pots</h3><p>Unglazed clay.</p><h4 id="glazes">Glazes</h4><p>A celadon glaze seals the pot.</p></main></body></html>';
  // A page whose headings have no id (SQLite's docs are written so): its second section links to its heading's text.
  const filler = (n: number) => Array.from({ length: n }, (_, i) => `<p>Note ${i}: rinse the pot well after each use.</p>`).join('');
  const care =
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Limescale guide</title><body><main><h1>Limescale guide</h1><p>Citric acid is one remedy for limescale; see below.</p>' +
    `${filler(40)}<h2>Descaling with citric acid</h2><p>Boil a citric solution to dissolve the scale.</p>${filler(40)}` +
    '<script type="module" src="sgpt/sgpt-highlight.js"></script></main></body></html>';
  const site = await buildFixtureSite(work, PAGES, [], { 'brewing.html': deep, 'care.html': care });
  // The page results link to opts in to highlight on arrival.
  const target = join(site, 'guide/install.html');
  const html = await readFile(target, 'utf8');
  await writeFile(target, html.replace('</body>', '<script type="module" src="../sgpt/sgpt-highlight.js"></script></body>'));
  // A German page: its words are analysed as German (the index would do the same under this lang).
  await writeFile(join(site, 'de-target.html'), '<!doctype html><html lang="de"><meta charset="utf-8"><title>Katzen</title><main><p>Eine Katze schläft.</p></main><script type="module" src="sgpt/sgpt-highlight.js"></script></html>');
  server = await serveFolder(site, PREFIX);
});

test.afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const url = (page: string) => `${server.origin}${PREFIX}${page}`;
const search = (page: Page) => page.locator('sgpt-search#search');

/** axe over the page, or over `only` (a selector) where the page's own content is not under test. */
async function audit(page: Page, what: string, only?: string): Promise<void> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('axe-core/axe.min.js') });
  const violations = await page.evaluate(async (only) => {
    const axe = (window as unknown as { axe: { run(context: Document | { include: string[] }): Promise<{ violations: Array<{ id: string; nodes: Array<{ target: unknown }> }> }> } }).axe;
    const result = await axe.run(only === undefined ? document : { include: [only] });
    return result.violations.map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  }, only);
  expect(violations, `axe violations (${what})`).toEqual([]);
}

test('dialog: Ctrl+K and "/" open it, not while typing elsewhere; Escape closes it and focus returns to the trigger', async ({ page }) => {
  await page.goto(url('dialog.html'));
  const trigger = search(page).locator('[part="trigger"]');
  const dialog = search(page).locator('dialog');
  await expect(trigger).toContainText('Search');
  await expect(trigger.locator('kbd')).toHaveText('Ctrl K');
  await expect(dialog).toBeHidden();

  // "/" typed into another field is a character, not the shortcut.
  await page.locator('#other').pressSequentially('a/b');
  await expect(page.locator('#other')).toHaveValue('a/b');
  await expect(dialog).toBeHidden();

  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('/');
  await expect(dialog).toBeVisible();
  await expect(search(page).getByRole('combobox')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(trigger).toBeFocused();

  await page.keyboard.press('Control+k');
  await expect(dialog).toBeVisible();
  await expect(search(page).getByRole('combobox')).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(trigger).toBeFocused();

  // Without a keyboard: the trigger and the close button.
  await trigger.click();
  await search(page).getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  await expect(trigger).toBeFocused();
});

test('grouped by page with the heading path; the keyboard walks sections; sgpt-select for keyboard and mouse', async ({ page }) => {
  await page.goto(url('dialog.html'));
  // A page that routes itself cancels sgpt-select: the element stays, and the events can be read.
  await page.evaluate(() => document.addEventListener('sgpt-select', (event) => event.preventDefault()));
  await search(page).locator('[part="trigger"]').click();
  const input = search(page).getByRole('combobox');
  await input.fill('kettle');
  const results = await waitForResults(page, 'search', 'kettle', 'keyword');
  const hits = results.detail.results as Array<{ id: number; title: string; pageTitle: string; url: string }>;
  expect(hits.length).toBeGreaterThanOrEqual(2);

  // One group per page, in the order of each page's best section; every option inside a group.
  const groups = search(page).getByRole('group');
  const pages = [...new Set(hits.map((hit) => hit.pageTitle))];
  await expect(groups).toHaveCount(pages.length);
  for (const [i, title] of pages.entries()) await expect(groups.nth(i).locator('[part="group-title"]')).toHaveText(title);
  const shown = hits.slice().sort((a, b) => pages.indexOf(a.pageTitle) - pages.indexOf(b.pageTitle));
  await expect(search(page).getByRole('option').locator('[part="option-title"]')).toHaveText(shown.map((hit) => hit.title));
  // A page with more than one section shows its title once.
  const counted = pages.map((title) => hits.filter((hit) => hit.pageTitle === title).length);
  expect(Math.max(...counted)).toBeGreaterThanOrEqual(2);

  await input.press('ArrowDown');
  await input.press('ArrowDown');
  await expect(input).toHaveAttribute('aria-activedescendant', 'sgpt-option-1');
  await input.press('Enter');
  const stage = (await events(page, 'sgpt-results', 'search')).at(-1)!.detail.stage;
  const keyboard = await waitForEvent(page, 'sgpt-select', 'search');
  expect(keyboard.detail).toMatchObject({ query: 'kettle', stage, result: { id: shown[1]!.id }, rank: hits.findIndex((hit) => hit.id === shown[1]!.id) + 1 });
  // Opening a result closes the dialog and remembers the search.
  await expect(search(page).locator('dialog')).toBeHidden();

  // Reopened, the dialog keeps the query; an empty box lists the recent searches.
  await search(page).locator('[part="trigger"]').click();
  await expect(input).toHaveValue('kettle');
  await input.fill('');
  await expect(search(page).locator('[part="recent-item"]')).toHaveText(['kettle']);
  // Labelled as a list, not by a heading that would join the host page's outline.
  await expect(search(page).getByRole('list', { name: 'Recent searches' })).toBeVisible();
  await expect(search(page).getByRole('heading')).toHaveCount(0);
  await search(page).locator('[part="recent-item"]').click();
  await expect(input).toHaveValue('kettle');
  await expect(search(page).getByRole('option').first()).toBeVisible();
  await search(page).getByRole('option').first().click();
  const mouse = await waitForEvent(page, 'sgpt-select', 'search', 2);
  expect(mouse.detail).toMatchObject({ query: 'kettle', result: { id: shown[0]!.id }, rank: hits.findIndex((hit) => hit.id === shown[0]!.id) + 1 });

  // Recent searches clear, and stay cleared across a reload.
  await search(page).locator('[part="trigger"]').click();
  await input.fill('');
  await search(page).locator('[part="recent-clear"]').click();
  await expect(search(page).locator('[part="recent"]')).toHaveCount(0);
  await page.reload();
  await search(page).locator('[part="trigger"]').click();
  await expect(search(page).locator('[part="recent"]')).toHaveCount(0);
});

test('no results: says what was searched, suggests fewer words, and sgpt-results marks it', async ({ page }) => {
  // Keyword results only: once the model is in, its nearest sections answer even "zzqxv".
  await page.route('**/onnx/model.onnx', () => undefined);
  await page.goto(url('strings.html'));
  await search(page).locator('[part="trigger"]').click();
  await search(page).getByRole('combobox').fill('zzqxv');
  const empty = await waitForResults(page, 'search', 'zzqxv', 'keyword');
  expect(empty.detail).toMatchObject({ empty: true, results: [] });
  await expect(search(page).locator('[part="empty-title"]')).toHaveText('No results for “zzqxv”');
  // The strings attribute replaced the hint.
  await expect(search(page).locator('[part="empty-hint"]')).toHaveText('Fewer words, please.');
  await expect(search(page).getByRole('status')).toHaveText('No results for “zzqxv”');
  await expect(search(page).getByRole('listbox', { includeHidden: true })).toBeHidden();
});

test('words no page holds: once the model is in, the nearest in meaning under a line that says so, announced, axe clean; words a page holds show no such line', async ({ page }) => {
  await page.goto(url('inline.html'));
  await search(page).getByRole('combobox').fill('zzqxv');
  const keyword = await waitForResults(page, 'search', 'zzqxv', 'keyword');
  expect(keyword.detail).toMatchObject({ empty: true, keywordMatch: false });
  const semantic = await waitForResults(page, 'search', 'zzqxv', 'semantic');
  expect(semantic.detail.keywordMatch).toBe(false);
  expect((semantic.detail.results as unknown[]).length).toBeGreaterThan(0);
  const line = search(page).locator('[part="meaning-only"]');
  await expect(line).toHaveText('No exact matches for “zzqxv”. Closest in meaning:');
  // The line heads the list, above the first result.
  const [lineBox, firstBox] = await Promise.all([line.boundingBox(), search(page).getByRole('option').first().boundingBox()]);
  expect(lineBox!.y).toBeLessThan(firstBox!.y);
  await expect(search(page).getByRole('status')).toHaveText(/^No exact matches for “zzqxv”\. Closest in meaning: \d+ results?\. First: /);
  await audit(page, 'inline, meaning-only results');

  await search(page).getByRole('combobox').fill('kettle');
  const matched = await waitForResults(page, 'search', 'kettle', 'semantic');
  expect(matched.detail.keywordMatch).toBe(true);
  await expect(line).toHaveCount(0);
});

test('keyboard only: Tab to the trigger, open, search, pick; the target page highlights the words and scrolls to them', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 300 });
  await page.goto(url('dialog.html'));
  await page.keyboard.press('Tab');
  await expect(search(page).locator('[part="trigger"]')).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(search(page).getByRole('combobox')).toBeFocused();
  await page.keyboard.type('dairy milk');
  await waitForResults(page, 'search', 'dairy milk', 'semantic');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  // The fused ranking read "milk" as the word the index has: the link says so (a space after it), so the page marks the word, as the list did.
  await page.waitForURL(/guide\/install\.html\?sgpt-highlight=dairy\+milk\+#/);
  // The linked section reads "Pass --with-milk to enable dairy support.": both words marked, the first shown.
  const marks = page.locator('mark.sgpt-highlight');
  await expect(marks).toHaveText(['milk', 'dairy']);
  await expect(marks.first()).toBeInViewport();
  // Without the parameter the script does nothing.
  await page.goto(url('guide/install.html'));
  await expect(page.locator('h1')).toBeVisible();
  await expect(marks).toHaveCount(0);
  // German stemming: "Katzen" marks "Katze" (English analysis would not: no shared stem, not a prefix).
  await page.goto(url('de-target.html?sgpt-highlight=Katzen'));
  await expect(marks).toHaveText(['Katze']);
});

test('a heading with no id: its result links to its text, the browser shows it, and so does the highlight where the browser cannot', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 300 });
  await page.goto(url('dialog.html'));
  await search(page).locator('[part="trigger"]').click();
  await search(page).getByRole('combobox').fill('citric descaling');
  await waitForResults(page, 'search', 'citric descaling', 'keyword');
  const option = search(page).getByRole('option').filter({ hasText: 'Descaling with citric acid' });
  // The address it shows is the page's: the directive only repeats the title.
  await expect(option.locator('[part="option-url"]')).toHaveText(/\/care\.html$/);
  await option.click();
  await page.waitForURL(/\/care\.html\?sgpt-highlight=citric\+descaling#:~:text=Descaling%20with%20citric%20acid$/);
  // The first mark of the page is in its opening paragraph; the one shown is the linked heading's.
  const marks = page.locator('mark.sgpt-highlight');
  await expect(marks.first()).toHaveText('Citric');
  await expect(page.getByRole('heading', { name: 'Descaling with citric acid' })).toBeInViewport();
  await expect(marks.first()).not.toBeInViewport();
  // A browser without text fragments stays at the top: the highlight script, which reads the
  // directive the browser hides from location.hash, shows the heading's marks all the same.
  const plain = await chromium.launch({ ...chromiumLaunch, args: [...chromiumLaunch.args, '--disable-blink-features=TextFragmentIdentifiers'] });
  try {
    const other = await plain.newPage({ viewport: { width: 800, height: 300 } });
    await other.goto(page.url());
    await expect(other.locator('mark.sgpt-highlight').first()).toHaveText('Citric');
    await expect(other.getByRole('heading', { name: 'Descaling with citric acid' })).toBeInViewport();
  } finally {
    await plain.close();
  }
});

test('translated by the page lang, strings override, and right to left under dir="rtl"', async ({ page }) => {
  await page.goto(url('de.html'));
  await expect(search(page).locator('[part="trigger-label"]')).toHaveText('Suchen');
  await search(page).locator('[part="trigger"]').click();
  await expect(search(page).getByRole('dialog')).toHaveAccessibleName('Diese Website durchsuchen');
  await expect(search(page).getByRole('combobox')).toHaveAttribute('placeholder', 'Suchen');

  await page.goto(url('strings.html'));
  await expect(search(page).locator('[part="trigger-label"]')).toHaveText('Find it');

  await page.goto(url('rtl.html'));
  const input = search(page).getByRole('combobox');
  await expect(input).toHaveAttribute('placeholder', 'بحث');
  await input.fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  const option = search(page).getByRole('option').first();
  expect(await option.evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
  // Sections under a page indent on the start side: the right in RTL.
  const [optionBox, titleBox] = await Promise.all([option.boundingBox(), option.locator('[part="option-title"]').boundingBox()]);
  const right = optionBox!.x + optionBox!.width - (titleBox!.x + titleBox!.width);
  const left = titleBox!.x - optionBox!.x;
  expect(right).toBeGreaterThan(left + 4);
  // An English excerpt keeps its full stop at its end (the right), not where the RTL page would put it …
  const excerpt = await search(page).locator('[part="option-excerpt"]').first().evaluate((el) => {
    const texts: Text[] = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) if (node.textContent !== '') texts.push(node as Text);
    const at = (node: Text, offset: number) => {
      const range = document.createRange();
      range.setStart(node, offset);
      range.setEnd(node, offset + 1);
      return range.getBoundingClientRect().left;
    };
    const last = texts.at(-1)!;
    return { text: el.textContent, first: at(texts[0]!, 0), last: at(last, last.length - 1) };
  });
  expect(excerpt.text).toMatch(/^\w.*\.$/);
  expect(excerpt.last).toBeGreaterThan(excerpt.first);
  // … and the title still lines up on the page's side.
  const title = await option.locator('[part="option-title"]').evaluate((el) => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return { text: range.getBoundingClientRect().right, box: el.getBoundingClientRect().right };
  });
  expect(title.box - title.text).toBeLessThan(1);
  // The breadcrumb runs in the page's direction whatever its headings' language: the outer heading on the right.
  await input.fill('celadon');
  await waitForResults(page, 'search', 'celadon', 'keyword');
  const trail = search(page).locator('[part="option-trail"]').first();
  await expect(trail).toHaveText('Vessels › Clay pots');
  const [outer, inner] = await trail.evaluate((el) =>
    ['Vessels', 'Clay pots'].map((words) => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
        const at = node.textContent!.indexOf(words);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + words.length);
        return range.getBoundingClientRect().left;
      }
      throw new Error(`no "${words}" in the trail`);
    }),
  );
  expect(outer).toBeGreaterThan(inner!);
});

test('no-recent keeps no searches', async ({ page }) => {
  await page.goto(url('no-recent.html'));
  await page.evaluate(() => document.addEventListener('sgpt-select', (event) => event.preventDefault()));
  const input = search(page).getByRole('combobox');
  await input.fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  await input.press('Enter');
  await waitForEvent(page, 'sgpt-select', 'search');
  await input.fill('');
  await expect(search(page).locator('[part="recent"]')).toHaveCount(0);
  expect(await page.evaluate(() => Object.keys(localStorage).filter((key) => key.startsWith('sgpt-search:')))).toEqual([]);
});

test('axe: zero violations on the inline box, the open dialog with grouped results, the empty state and RTL', async ({ page }) => {
  await page.goto(url('inline.html'));
  await audit(page, 'inline, closed');
  await search(page).getByRole('combobox').fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  await search(page).getByRole('combobox').press('ArrowDown');
  await audit(page, 'inline, results');

  await page.goto(url('dialog.html'));
  await audit(page, 'dialog trigger');
  await search(page).locator('[part="trigger"]').click();
  await search(page).getByRole('combobox').fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  await search(page).getByRole('combobox').press('ArrowDown');
  await audit(page, 'dialog, grouped results');
  await search(page).getByRole('combobox').fill('zzqxv');
  await waitForResults(page, 'search', 'zzqxv', 'keyword');
  await audit(page, 'dialog, no results');

  await page.goto(url('rtl.html'));
  await search(page).getByRole('combobox').fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  await audit(page, 'rtl, results');
});

test('axe: zero violations in dark mode (a page that follows the system colour scheme)', async ({ page }) => {
  // The element only: the fixture page's own links keep the browser's dark-mode link colour, not ours to judge.
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(url('dark-inline.html'));
  await search(page).getByRole('combobox').fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  await search(page).getByRole('combobox').press('ArrowDown');
  await audit(page, 'dark, inline results', 'sgpt-search');

  await page.goto(url('dark-dialog.html'));
  await audit(page, 'dark, dialog trigger', 'sgpt-search');
  await search(page).locator('[part="trigger"]').click();
  await search(page).getByRole('combobox').fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  await search(page).getByRole('combobox').press('ArrowDown');
  await audit(page, 'dark, dialog, grouped results', 'sgpt-search');
  await search(page).getByRole('combobox').fill('zzqxv');
  await waitForResults(page, 'search', 'zzqxv', 'keyword');
  await audit(page, 'dark, dialog, no results', 'sgpt-search');
});

test('Tab from the box goes to the next stop, also while a list that scrolls is shown (Chromium makes such a list a tab stop)', async ({ page }) => {
  await page.goto(url('tab.html'));
  const input = search(page).getByRole('combobox');
  const listbox = search(page).getByRole('listbox');
  await input.fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  await expect(listbox).toBeVisible();
  expect(await listbox.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
  await input.press('Tab');
  await expect(page.locator('#after')).toBeFocused();

  await page.goto(url('tab-dialog.html'));
  await search(page).locator('[part="trigger"]').click();
  await input.fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  expect(await listbox.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
  await input.press('Tab');
  await expect(search(page).getByRole('button', { name: 'Close' })).toBeFocused();
});

test('Escape is the box\'s only when it closes the list or clears the text; otherwise the site\'s own dialog gets it', async ({ page }) => {
  await page.goto(url('host-dialog.html'));
  const nav = page.locator('#nav');
  const showNav = () => page.evaluate(() => (document.getElementById('nav') as HTMLDialogElement).showModal());
  const input = search(page).getByRole('combobox');
  await showNav();
  await input.focus();
  await page.keyboard.press('Escape');
  await expect(nav).toBeHidden();

  await showNav();
  await input.fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  await expect(search(page).getByRole('listbox')).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(search(page).getByRole('listbox', { includeHidden: true })).toBeHidden();
  // A later stage of the same query does not open the list the reader closed.
  await waitForResults(page, 'search', 'kettle');
  await expect(search(page).getByRole('listbox', { includeHidden: true })).toBeHidden();
  await expect(nav).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(input).toHaveValue('');
  await expect(nav).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(nav).toBeHidden();
});

test('the shortcut goes to the first box the page renders, past a hidden copy; with none rendered the key is the browser\'s', async ({ page }) => {
  await page.goto(url('hidden-first.html'));
  await page.evaluate(() => window.addEventListener('keydown', (event) => document.body.setAttribute('data-prevented', String(event.defaultPrevented))));
  const input = search(page).getByRole('combobox');
  await page.keyboard.press('/');
  await expect(input).toBeFocused();
  await expect(input).toHaveValue('');
  await input.blur();
  await page.keyboard.press('Control+k');
  await expect(input).toBeFocused();
  await expect(page.locator('body')).toHaveAttribute('data-prevented', 'true');
  await input.blur();
  await search(page).evaluate((el) => (el.style.display = 'none'));
  await page.keyboard.press('Control+k');
  await expect(page.locator('body')).toHaveAttribute('data-prevented', 'false');
});

test('dialog on a phone-sized screen (360 px): nothing is wider than the dialog', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(url('dialog.html'));
  await page.keyboard.press('Control+k');
  await search(page).getByRole('combobox').fill('kettle');
  await waitForResults(page, 'search', 'kettle', 'keyword');
  await expect(search(page).getByRole('option').first()).toBeVisible();
  const overflow = await search(page).locator('dialog').evaluate((dialog) => {
    const right = dialog.getBoundingClientRect().right;
    // The parts: what a URL's line holds past its ellipsis is clipped there, not wider.
    const wider = [...dialog.querySelectorAll('[part]')].filter((el) => el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().right > right + 0.5);
    return { scroll: dialog.scrollWidth - dialog.clientWidth, wider: wider.map((el) => el.getAttribute('part')) };
  });
  expect(overflow).toEqual({ scroll: 0, wider: [] });
});

test('dialog at 200 % zoom (640 × 400): the list scrolls inside the dialog, the box and the close button stay in view', async ({ page }) => {
  await page.setViewportSize({ width: 640, height: 400 });
  await page.goto(url('dialog.html'));
  await page.keyboard.press('Control+k');
  const input = search(page).getByRole('combobox');
  await input.fill('kettle');
  // The semantic stage: the list at its full length for this query.
  await waitForResults(page, 'search', 'kettle');
  await input.press('ArrowUp'); // to the last option
  await expect(input).toHaveAttribute('aria-activedescendant', /sgpt-option-/);
  const state = await search(page).locator('dialog').evaluate((dialog) => {
    const box = dialog.getBoundingClientRect();
    const inView = (selector: string) => {
      const rect = dialog.querySelector(selector)!.getBoundingClientRect();
      return rect.top >= box.top - 0.5 && rect.bottom <= box.bottom + 0.5;
    };
    return { dialogScrolled: dialog.scrollTop, input: inView('input'), close: inView('.close'), listScrolled: dialog.querySelector('[role="listbox"]')!.scrollTop > 0 };
  });
  expect(state).toEqual({ dialogScrolled: 0, input: true, close: true, listScrolled: true });
});

test('the excerpt is centred on the matching passage of a long document, its words marked as text', async ({ page }) => {
  await page.goto('/minimal.html');
  await page.evaluate(() => {
    const filler = 'Tea grows on hillsides and is picked by hand. '.repeat(12);
    document.querySelector('sgpt-search')!.documents = [{ id: 'long', title: 'Kettle care', text: `${filler}To descale it, boil <b>vinegar</b> in the kettle and rinse twice. ${filler}`, url: '#care' }];
  });
  const input = search(page).getByRole('combobox');
  await input.fill('vinegar');
  const results = await waitForResults(page, 'search', 'vinegar', 'keyword');
  const excerpt = (results.detail.results as Array<{ excerpt: string }>)[0]!.excerpt;
  expect(excerpt.startsWith('…')).toBe(true);
  const shown = search(page).getByRole('option').first().locator('[part="option-excerpt"]');
  await expect(shown).toContainText('boil <b>vinegar</b> in the kettle');
  await expect(shown.locator('mark')).toHaveText(['vinegar']);
});
