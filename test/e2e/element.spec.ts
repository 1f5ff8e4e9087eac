/** <sgpt-search> behaviour on the minimal page: links, markup safety, errors, worker death, updates. */
import type { Page } from '@playwright/test';
import { test, expect, events, intent, waitForEvent, waitForResults } from './fixtures';

async function openMinimal(page: Page): Promise<void> {
  await page.goto('/minimal.html');
  await intent(page, 'search');
  await waitForEvent(page, 'sgpt-ready', 'search');
}

async function query(page: Page, text: string): Promise<void> {
  const input = page.locator('sgpt-search#search').getByRole('combobox');
  await input.fill(text);
  await waitForResults(page, 'search', text);
}

test('Enter follows the active result\'s link', async ({ page }) => {
  await openMinimal(page);
  await query(page, 'file object');
  const hits = (await events(page, 'sgpt-results', 'search')).at(-1)!.detail.results as Array<{ id: string }>;
  const input = page.locator('sgpt-search#search').getByRole('combobox');
  await input.press('ArrowDown');
  await input.press('ArrowDown');
  // Enter that confirms an input method's composition (kana → kanji) belongs to it, not to the list.
  await input.dispatchEvent('keydown', { key: 'Enter', isComposing: true, bubbles: true, composed: true });
  await input.dispatchEvent('keydown', { key: 'ArrowDown', isComposing: true, bubbles: true, composed: true });
  await page.waitForTimeout(100);
  expect(page.url()).toMatch(/\/minimal\.html$/);
  await input.press('Enter');
  await expect(page).toHaveURL(new RegExp(`/minimal\\.html#${hits[1]!.id}$`));
});

test('titles and text are rendered as text, never as markup', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await openMinimal(page);
  const evil = '<img src=x onerror=alert(1)>';
  await page.evaluate((title) => {
    document.querySelector('sgpt-search')!.documents = [
      { id: 'evil', title, text: `${title} <script>alert(2)</script> hello`, url: 'javascript:alert(3)' },
      { id: 'plain', title: 'Plain', text: 'nothing to see' },
    ];
  }, evil);
  await waitForEvent(page, 'sgpt-progress', 'search');
  await query(page, 'img');
  const option = page.locator('sgpt-search#search').getByRole('option').filter({ hasText: evil });
  await expect(option.locator('[part="option-title"]')).toHaveText(evil);
  await expect(option.locator('[part="option-excerpt"]')).toContainText('<script>alert(2)</script>');
  expect(await page.locator('sgpt-search#search img, sgpt-search#search script').count()).toBe(0);
  // A javascript: url is neither shown nor followed (Enter below would run it: no dialog opens).
  await expect(option.locator('[part="option-url"]')).toHaveCount(0);
  await page.locator('sgpt-search#search').getByRole('combobox').press('ArrowDown');
  await page.locator('sgpt-search#search').getByRole('combobox').press('Enter');
  await page.waitForTimeout(300);
  expect(dialogs).toEqual([]);
});

test('the live region speaks once typing settles, saying the count and the first title, not at each stage of each key', async ({ page }) => {
  await openMinimal(page);
  const search = page.locator('sgpt-search#search');
  await search.evaluate((element) => {
    const status = element.shadowRoot!.querySelector('[role="status"]')!;
    const said: string[] = [];
    (window as unknown as { said: string[] }).said = said;
    new MutationObserver(() => said.push(status.textContent ?? '')).observe(status, { childList: true, characterData: true, subtree: true });
  });
  await search.getByRole('combobox').pressSequentially('cats purr', { delay: 150 });
  const hits = (await waitForResults(page, 'search', 'cats purr')).detail.results as Array<{ title: string }>;
  const expected = `${hits.length} results. First: ${hits[0]!.title}`;
  await expect(search.getByRole('status')).toHaveText(expected);
  await page.waitForTimeout(1_000);
  const said = await page.evaluate(() => (window as unknown as { said: string[] }).said);
  // Once (a stage that comes late on a busy machine may add one), not up to twice a keystroke.
  expect(said.length, said.join(' | ')).toBeLessThanOrEqual(3);
  expect(said.at(-1)).toBe(expected);
});

test('a page pasted into the box before the model is in: the no-results line and the announcement echo only its first 100 characters', async ({ page }) => {
  await page.route('**/onnx/model.onnx', () => undefined); // the model's download never ends: keyword results only
  await page.goto('/minimal.html');
  const search = page.locator('sgpt-search#search');
  const pasted = 'qzx '.repeat(2_500);
  await search.getByRole('combobox').fill(pasted);
  expect((await waitForResults(page, 'search', pasted, 'keyword')).detail.empty).toBe(true);
  const expected = `No results for “${'qzx '.repeat(25).trimEnd()}…”`;
  await expect(search.locator('[part="empty-title"]')).toHaveText(expected);
  await expect(search.getByRole('status')).toHaveText(expected);
  expect((await search.locator('[part="empty"]').boundingBox())!.height).toBeLessThan(200);
});

test('a model URL that 404s (or a src that does) shows a clear error and fires sgpt-error', async ({ page }) => {
  await openMinimal(page);
  await page.evaluate(() => {
    const element = document.createElement('sgpt-search');
    element.id = 'broken';
    element.setAttribute('model', '/models/no-such-model/');
    element.setAttribute('load', 'eager');
    document.body.append(element);
    const noData = document.createElement('sgpt-search');
    noData.id = 'no-data';
    noData.setAttribute('src', '/data/no-such-file.json');
    noData.setAttribute('load', 'eager');
    document.body.append(noData);
  });
  const fetchFailed = await waitForEvent(page, 'sgpt-error', 'no-data');
  expect(fetchFailed.detail.code).toBe('DOCUMENTS_FETCH_FAILED');
  await expect(page.locator('sgpt-search#no-data [part="error"]')).toContainText('could not load documents from /data/no-such-file.json: HTTP 404');

  const error = await waitForEvent(page, 'sgpt-error', 'broken');
  expect(error.detail.code).toBe('MODEL_NOT_FOUND');
  const shown = page.locator('sgpt-search#broken [part="error"]');
  await expect(shown).toBeVisible();
  await expect(shown).toContainText('model file not found');
  await expect(shown).toContainText('no-such-model');
  await expect(page.locator('sgpt-search#broken [part="progress"]')).toHaveCount(0);
});

test('documents that fail validation fire DOCUMENTS_INVALID and the previous set stays searchable', async ({ page }) => {
  await openMinimal(page);
  await page.evaluate(() => {
    document.querySelector('sgpt-search')!.documents = [
      { id: 'a', title: 'A', text: 'first' },
      { id: 'a', title: 'B', text: 'again' },
    ];
  });
  const error = await waitForEvent(page, 'sgpt-error', 'search');
  expect(error.detail).toMatchObject({ code: 'DOCUMENTS_INVALID' });
  expect(String(error.detail.message)).toContain('document 1');
  await expect(page.locator('sgpt-search#search [part="error"]')).toContainText('repeats the id');
  await query(page, 'rainbow');
  await expect(page.locator('sgpt-search#search').getByRole('option')).toHaveCount(3);
});

test('a worker that dies shows an error, and the next query restarts it', async ({ page }) => {
  await openMinimal(page);
  await query(page, 'cats');
  const worker = page.workers().find((w) => w.url().includes('worker'));
  expect(worker, 'the search worker').toBeDefined();
  await worker!.evaluate(() => {
    setTimeout(() => {
      throw new Error('simulated crash');
    });
  });
  const died = await waitForEvent(page, 'sgpt-error', 'search');
  expect(died.detail.code).toBe('WORKER_DIED');
  await expect(page.locator('sgpt-search#search [part="error"]')).toContainText('simulated crash');

  await query(page, 'rainbow');
  const last = (await events(page, 'sgpt-results', 'search')).at(-1)!;
  expect(last.detail.query).toBe('rainbow');
  expect(last.detail.results).toHaveLength(3);
  await expect(page.locator('sgpt-search#search [part="error"]')).toHaveCount(0);
});

test('a worker that dies while embedding: the next query loads the model again and embeds what is left', async ({ page }) => {
  await openMinimal(page);
  const before = (await events(page, 'sgpt-progress', 'search')).length;
  await page.evaluate(() => {
    document.querySelector('sgpt-search')!.documents = Array.from({ length: 1000 }, (_, i) => ({ id: `note-${i}`, title: `Note ${i}`, text: `Note ${i}: rainbows, light and drops of water. `.repeat(30) }));
  });
  await expect.poll(async () => (await events(page, 'sgpt-progress', 'search')).slice(before).some((e) => e.detail.phase === 'embed' && Number(e.detail.done) > 0)).toBe(true);
  const worker = page.workers().find((w) => w.url().includes('worker'));
  await worker!.evaluate(() => {
    setTimeout(() => {
      throw new Error('simulated crash');
    });
  });
  expect((await waitForEvent(page, 'sgpt-error', 'search')).detail.code).toBe('WORKER_DIED');
  await expect(page.locator('sgpt-search#search [part="progress"]')).toHaveCount(0); // nothing is loading until the next query
  await query(page, 'rainbows');
  await waitForEvent(page, 'sgpt-ready', 'search', 2, 90_000);
  await query(page, 'drops of water');
  const last = (await events(page, 'sgpt-results', 'search')).at(-1)!;
  expect(last.detail.stage).toBe('semantic');
  expect((last.detail.results as Array<{ id: string }>).every((hit) => hit.id.startsWith('note-'))).toBe(true);
  await expect(page.locator('sgpt-search#search [part="error"]')).toHaveCount(0);
});

test('setting documents again embeds only the ones that changed', async ({ page }) => {
  await openMinimal(page);
  const before = (await events(page, 'sgpt-progress', 'search')).filter((e) => e.detail.phase === 'embed').length;
  await page.evaluate(() => {
    const element = document.querySelector('sgpt-search')!;
    element.documents = element.documents!.map((doc) => (doc.id === 'doc-3' ? { ...doc, title: 'Rainbows', text: 'Rainbows and light.' } : doc));
  });
  await expect
    .poll(async () => (await events(page, 'sgpt-progress', 'search')).filter((e) => e.detail.phase === 'embed').slice(before).at(-1)?.detail)
    .toEqual({ phase: 'embed', done: 1, total: 1 });
  const embed = (await events(page, 'sgpt-progress', 'search')).filter((e) => e.detail.phase === 'embed').slice(before);
  expect(embed.every((e) => e.detail.total === 1)).toBe(true);
  await query(page, 'light');
  await expect(page.locator('sgpt-search#search').getByRole('option').filter({ hasText: 'Rainbows and light.' })).toHaveCount(1);
});

test('in-page documents: each lang picks its analysis and the element searches its own; aliases and weights rank; bad fields are named', async ({ page }) => {
  await openMinimal(page);
  await page.evaluate(() => {
    const element = document.createElement('sgpt-search');
    element.id = 'i18n';
    element.setAttribute('lang', 'de');
    document.body.append(element);
    element.documents = [
      { id: 'en', title: 'Installing packages', text: 'Install packages with pip.' },
      { id: 'de', title: 'Pakete installieren', text: 'Installieren Sie die Pakete mit pip.', lang: 'de' },
      { id: 'de-venv', title: 'Umgebungen', text: 'Jedes Projekt bekommt seinen eigenen Interpreter.', lang: 'de', keywords: ['venv'] },
      { id: 'de-env', title: 'Variablen', text: 'Das Modul venv liest Variablen.', lang: 'de', weight: 0.5 },
    ];
  });
  const box = page.locator('sgpt-search#i18n').getByRole('combobox');
  const ids = async (query: string) => ((await waitForResults(page, 'i18n', query, 'keyword')).detail.results as Array<{ id: string }>).map((h) => h.id);
  // "installiert" meets the German documents' "installieren" only through the German stemmer, fetched in the browser.
  await box.fill('installiert');
  expect(await ids('installiert')).toEqual(['de']);
  await box.fill('pip');
  expect(await ids('pip')).toEqual(['de']); // the element's lang: German documents only
  await box.fill('venv');
  expect(await ids('venv')).toEqual(['de-venv', 'de-env']); // the alias, and a weight below 1
  // Another lang at runtime: the shown query runs again over that language's documents, the text follows it.
  await box.fill('pip');
  expect(await ids('pip')).toEqual(['de']);
  const before = (await events(page, 'sgpt-results', 'i18n')).length;
  await page.evaluate(() => document.querySelector('sgpt-search#i18n')!.setAttribute('lang', 'en'));
  // The latest results, not the first after `before`: the German query's semantic stage may land just after it.
  await expect.poll(async () => (await events(page, 'sgpt-results', 'i18n')).slice(before).map((e) => (e.detail.results as Array<{ id: string }>).map((h) => h.id)).at(-1)).toEqual(['en']);
  await expect(box).toHaveAttribute('placeholder', 'Search');
  await page.evaluate(() => {
    document.querySelector<HTMLElement & { documents: unknown }>('sgpt-search#i18n')!.documents = [{ id: 'x', title: 'X', text: 'x', weight: -1 }];
  });
  await expect.poll(async () => (await events(page, 'sgpt-error', 'i18n')).at(-1)?.detail).toMatchObject({ code: 'DOCUMENTS_INVALID', message: expect.stringMatching(/document 0 \(id "x"\): weight -1 must be a number > 0/) });
});

test("an ancestor's lang changed after load (a site's language switcher) is searched and rendered in, unless the element's own lang wins", async ({ page }) => {
  await openMinimal(page);
  await page.evaluate(() => {
    const section = document.createElement('section');
    const element = document.createElement('sgpt-search');
    element.id = 'switched';
    section.append(element);
    document.body.append(section);
    element.documents = [
      { id: 'en', title: 'Installing packages', text: 'Install packages with pip.' },
      { id: 'de', title: 'Pakete installieren', text: 'Installieren Sie die Pakete mit pip.', lang: 'de' },
    ];
  });
  const box = page.locator('sgpt-search#switched').getByRole('combobox');
  const ids = (e: { detail: Record<string, unknown> }) => (e.detail.results as Array<{ id: string }>).map((h) => h.id);
  /** The ids of the last fused (final) results for 'pip' after `change`, once they are `expected`. */
  const after = async (change: () => void, expected: string[]): Promise<void> => {
    const before = (await events(page, 'sgpt-results', 'switched')).length;
    await page.evaluate(change);
    await expect.poll(async () => (await events(page, 'sgpt-results', 'switched')).slice(before).filter((e) => e.detail.stage === 'semantic').map(ids).at(-1)).toEqual(expected);
  };
  await box.fill('pip');
  expect(ids(await waitForResults(page, 'switched', 'pip'))).toEqual(['en']);
  // The page's <html lang> switched to German: German documents, German text.
  await after(() => (document.documentElement.lang = 'de'), ['de']);
  await expect(box).toHaveAttribute('placeholder', 'Suchen');
  // A nearer ancestor's lang wins over the page's, and is watched too.
  await after(() => document.querySelector('sgpt-search#switched')!.parentElement!.setAttribute('lang', 'en'), ['en']);
  await expect(box).toHaveAttribute('placeholder', 'Search');
  // Under the element's own lang, an ancestor's change changes nothing: no search runs again.
  await page.evaluate(() => document.querySelector('sgpt-search#switched')!.setAttribute('lang', 'en'));
  const settled = (await events(page, 'sgpt-results', 'switched')).length;
  await page.evaluate(() => document.querySelector('sgpt-search#switched')!.parentElement!.setAttribute('lang', 'de'));
  await page.waitForTimeout(300);
  expect((await events(page, 'sgpt-results', 'switched')).length).toBe(settled);
  await expect(box).toHaveAttribute('placeholder', 'Search');
});
