/**
 * Bytes only when needed, each once: a built site (the CLI's index of the fixture site, the two
 * tags) behind a plain static server that gzips like a stock one (chunked, no Content-Length, no
 * Range), in Chromium with a cold cache. Nothing heavy before intent; every file fetched once per
 * page view; a repeat visit (same browser profile, restarted) takes no model or WASM bytes from the
 * network. Documents given in the page keep their vectors in IndexedDB across reloads, and fall
 * back to memory, with a console note, when IndexedDB is blocked or over quota.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunch } from '../../playwright.config';
import { test, expect, events, intent, waitForEvent, waitForResults } from './fixtures';
import { buildFixtureSite, serveFolder, type StaticServer } from './static-server';

const SNIPPET = '<script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search id="search" index="sgpt/manifest.json"></sgpt-search>';
const PREFIX = '/docs/';
const QUERY = 'how do I install the kettle';
/** What counts as heavy: the worker, the WASM runtime, the model, the index beyond the page's script. */
const HEAVY = /\/chunks\/worker-|\/ort\/|\/model\/|manifest\.json|\.gzip$|\.bin$|\.dfl$/;

let work: string;
let server: StaticServer;

test.beforeAll(async () => {
  test.setTimeout(90_000);
  work = await mkdtemp(join(tmpdir(), 'sgpt-loading-'));
  server = await serveFolder(await buildFixtureSite(work, { 'index.html': SNIPPET }), PREFIX, {}, { gzip: true });
});

test.afterAll(async () => {
  await server?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** GET requests the server saw since `from`, by path. */
function gets(from: number): string[] {
  return server.log.slice(from).filter((entry) => entry.method === 'GET').map((entry) => entry.path);
}

async function searchToSemantic(page: Page): Promise<void> {
  await page.locator('sgpt-search').getByRole('combobox').fill(QUERY);
  await expect.poll(async () => (await events(page, 'sgpt-results')).some((e) => e.detail.query === QUERY && e.detail.stage === 'semantic'), { timeout: 45_000 }).toBe(true);
}

test('nothing heavy before intent; the shortcut starts the keyword index, then the worker, runtime and model', async ({ page }) => {
  const from = server.log.length;
  await page.goto(`${server.origin}${PREFIX}`);
  await expect(page.locator('sgpt-search').getByRole('combobox')).toBeVisible();
  // Long enough for an eager element to have asked for everything (it does so at connection).
  await page.waitForTimeout(1_500);
  expect(gets(from).filter((path) => HEAVY.test(path))).toEqual([]);
  expect(page.workers()).toHaveLength(0);

  // The shortcut is intent too: "/" focuses the box.
  await page.keyboard.press('/');
  await expect(page.locator('sgpt-search').getByRole('combobox')).toBeFocused();
  await waitForEvent(page, 'sgpt-ready', 'search');
  const after = gets(from);
  expect(after.some((path) => path.endsWith('/manifest.json'))).toBe(true);
  expect(after.some((path) => path.endsWith('/onnx/model.onnx'))).toBe(true);
  expect(after.some((path) => path.endsWith('/ort/ort-wasm-simd-threaded.wasm'))).toBe(true);
  // The keyword index is asked for before the model: keyword results never wait on its download.
  expect(after.findIndex((path) => path.endsWith('/manifest.json'))).toBeLessThan(after.findIndex((path) => path.endsWith('/config.json')));
});

test('a search fetches every file once, from a gzip server without Content-Length or Range', async ({ page }) => {
  const from = server.log.length;
  await page.goto(`${server.origin}${PREFIX}`);
  await searchToSemantic(page);
  const paths = gets(from);
  const counts = new Map<string, number>();
  for (const path of paths) counts.set(path, (counts.get(path) ?? 0) + 1);
  expect([...counts].filter(([, n]) => n > 1), 'files fetched more than once').toEqual([]);
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
    expect(paths.filter((path) => path.endsWith(`/${file}`)), file).toHaveLength(1);
  }
  // The model really came gzipped (the case that used to fetch it twice).
  expect(server.log.slice(from).find((entry) => entry.path.endsWith('/onnx/model.onnx'))!.bytes).toBeGreaterThan(0);
});

test('two elements on one page: the index, the model and the WASM are still fetched once', async ({ page }) => {
  await page.route(`${server.origin}${PREFIX}two.html`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><title>two</title><script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search id="a" index="sgpt/manifest.json"></sgpt-search><sgpt-search id="b" index="sgpt/manifest.json"></sgpt-search>',
    }),
  );
  const from = server.log.length;
  await page.goto(`${server.origin}${PREFIX}two.html`);
  await intent(page, 'a');
  await intent(page, 'b');
  await waitForEvent(page, 'sgpt-ready', 'a');
  await waitForEvent(page, 'sgpt-ready', 'b');
  const paths = gets(from);
  // Each element has its own worker (its script and WASM glue are small JS, fetched per worker);
  // everything heavy or index-specific is shared: one download, the other element waits for it.
  const shared = paths.filter((path) => /\/model\/|\.wasm$|manifest\.json|\.gzip$|\.bin$|\.dfl$/.test(path));
  expect(shared.length).toBeGreaterThan(4);
  expect(shared.filter((path, i) => shared.indexOf(path) !== i), 'fetched more than once').toEqual([]);
});

test('a repeat visit (browser restarted, same profile) takes no model or WASM bytes from the network', async () => {
  test.setTimeout(120_000);
  const profile = await mkdtemp(join(tmpdir(), 'sgpt-profile-'));
  const visit = async (): Promise<string[]> => {
    const context: BrowserContext = await chromium.launchPersistentContext(profile, { executablePath: chromiumLaunch.executablePath, args: chromiumLaunch.args });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.addInitScript(() => {
        const list: unknown[] = [];
        (window as unknown as { __sgpt: unknown[] }).__sgpt = list;
        document.addEventListener('sgpt-results', (event) => list.push({ type: 'sgpt-results', detail: (event as CustomEvent).detail, target: '' }));
      });
      const from = server.log.length;
      await page.goto(`${server.origin}${PREFIX}`);
      await searchToSemantic(page);
      return gets(from);
    } finally {
      await context.close();
    }
  };
  try {
    const first = await visit();
    expect(first.some((path) => path.endsWith('/onnx/model.onnx'))).toBe(true);
    const second = await visit();
    const heavy = second.filter((path) => /\/model\/|\.wasm$/.test(path));
    expect(heavy, 'model and WASM files fetched again on the repeat visit').toEqual([]);
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
});

test('a kept model file that changed in place on a server with ETags is fetched again; unchanged ones cost a 304', async () => {
  test.setTimeout(120_000);
  const profile = await mkdtemp(join(tmpdir(), 'sgpt-profile-'));
  const etagWork = await mkdtemp(join(tmpdir(), 'sgpt-etag-'));
  const site = await buildFixtureSite(etagWork, { 'index.html': SNIPPET });
  const tagged = await serveFolder(site, PREFIX, {}, { gzip: true, etag: true });
  const visit = async (): Promise<Array<{ path: string; bytes: number }>> => {
    const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumLaunch.executablePath, args: chromiumLaunch.args });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const from = tagged.log.length;
      await page.goto(`${tagged.origin}${PREFIX}`);
      await page.locator('sgpt-search').getByRole('combobox').fill(QUERY);
      // A vector shard is read for the semantic stage, after the model has loaded.
      await expect.poll(() => tagged.log.slice(from).some((e) => /\/vectors-\d+\.[0-9a-f]{16}\.bin\.gzip$/.test(e.path)), { timeout: 45_000 }).toBe(true);
      return tagged.log.slice(from).filter((e) => /\/model\//.test(e.path)).map(({ path, bytes }) => ({ path, bytes }));
    } finally {
      await context.close();
    }
  };
  try {
    expect((await visit()).every((e) => e.bytes > 0)).toBe(true);
    // Unchanged: asked again, answered 304 with no body.
    const again = await visit();
    expect(again.length).toBeGreaterThan(0);
    expect(again.every((e) => e.bytes === 0)).toBe(true);
    // The tokenizer changes in place (same content, one more space: same tokens): it alone comes again.
    const tokenizer = (await readdir(join(site, 'sgpt', 'model'), { recursive: true })).find((name) => name.endsWith('tokenizer.json'))!;
    const path = join(site, 'sgpt', 'model', tokenizer);
    await writeFile(path, `${await readFile(path, 'utf8')} `);
    const changed = await visit();
    expect(changed.filter((e) => e.bytes > 0).map((e) => e.path.split('/').pop())).toEqual(['tokenizer.json']);
  } finally {
    await tagged.close();
    await rm(profile, { recursive: true, force: true });
    await rm(etagWork, { recursive: true, force: true });
  }
});

// --- documents given in the page: vectors in IndexedDB --------------------------------------

async function embedProgress(page: Page): Promise<Array<Record<string, unknown>>> {
  return (await events(page, 'sgpt-progress', 'search')).filter((e) => e.detail.phase === 'embed').map((e) => e.detail);
}

async function readyWithDocuments(page: Page): Promise<void> {
  await intent(page, 'search');
  await waitForEvent(page, 'sgpt-ready', 'search');
}

test('vectors persist in IndexedDB: a reload embeds nothing, an edited document only itself, another model everything', async ({ page }) => {
  await page.goto('/minimal.html');
  await readyWithDocuments(page);
  const first = await embedProgress(page);
  expect(first.at(-1)).toMatchObject({ phase: 'embed', total: first.at(-1)!.done });
  expect(Number(first.at(-1)!.total)).toBeGreaterThan(1);

  await page.reload();
  await readyWithDocuments(page);
  expect(await embedProgress(page), 'nothing embedded on the reload').toEqual([]);
  await page.locator('sgpt-search#search').getByRole('combobox').fill('cats');
  await waitForResults(page, 'search', 'cats');

  await page.evaluate(() => {
    const element = document.querySelector('sgpt-search')!;
    element.documents = element.documents!.map((doc, i) => (i === 0 ? { ...doc, text: `${doc.text} Edited.` } : doc));
  });
  await expect.poll(async () => (await embedProgress(page)).at(-1)).toEqual({ phase: 'embed', done: 1, total: 1 });

  // Another model (the fixtures' tiny GPT-2, served at /models/ in tests) on the repeat visit: the
  // kept vectors are sgpt-nano's, so every document is embedded again.
  await page.reload();
  await page.evaluate(() => document.querySelector('sgpt-search')!.setAttribute('model', '/models/tiny-gpt2/'));
  await readyWithDocuments(page);
  const documents = await page.evaluate(() => document.querySelector('sgpt-search')!.documents!.length);
  expect((await embedProgress(page)).at(-1), 'every document embedded again for another model').toEqual({ phase: 'embed', done: documents, total: documents });
});

/** What the test's route for `/__late-docs__.json` answers. */
const LATE_DOCUMENTS = JSON.stringify([{ id: 'a', title: 'Kettles', text: 'A kettle boils water for tea.' }, { id: 'b', title: 'Cats', text: 'Cats purr.' }]);

/** A second element on the page, with its documents from `src` (served by the test's route). */
async function addSrcElement(page: Page): Promise<void> {
  await page.evaluate(() => {
    const element = document.createElement('sgpt-search');
    element.id = 'late';
    element.setAttribute('src', '/__late-docs__.json');
    document.body.append(element);
  });
}

test('a repeat visit warms the kept model up before intent, showing nothing; a first visit waits for intent, then for the documents', async ({ page }) => {
  test.setTimeout(120_000);
  let release: () => void = () => undefined;
  let held = Promise.resolve();
  let asked = 0;
  await page.route('**/__late-docs__.json', async (route) => {
    asked++;
    await held;
    await route.fulfill({ contentType: 'application/json', body: LATE_DOCUMENTS });
  });
  const modelProgress = async () => (await events(page, 'sgpt-progress', 'late')).filter((e) => e.detail.phase === 'model').length;
  const visit = async (kept: boolean) => {
    held = new Promise((resolve) => (release = resolve));
    asked = 0;
    await page.goto('/minimal.html');
    await addSrcElement(page);
    if (kept) {
      await expect.poll(() => page.workers().length, { message: 'the kept model warms up in a worker before intent' }).toBeGreaterThan(0);
      await page.waitForTimeout(500);
    } else {
      await page.waitForTimeout(1_500);
      expect(page.workers(), 'no worker before intent on a first visit').toHaveLength(0);
    }
    // Before intent nothing else: no documents, no progress, no ready.
    expect(asked).toBe(0);
    expect(await events(page, 'sgpt-progress', 'late')).toEqual([]);
    expect(await events(page, 'sgpt-ready', 'late')).toEqual([]);
    await intent(page, 'late');
    await expect.poll(() => asked).toBe(1);
    if (!kept) {
      await page.waitForTimeout(1_500);
      expect(await modelProgress(), 'no model before the documents on a first visit').toBe(0);
    }
    expect(await events(page, 'sgpt-ready', 'late')).toEqual([]);
    release();
    await waitForEvent(page, 'sgpt-ready', 'late');
    await page.locator('sgpt-search#late').getByRole('combobox').fill('boil water');
    await waitForResults(page, 'late', 'boil water');
  };
  await visit(false);
  await visit(true);
});

/** The route for `/__late-docs__.json` answers once `release` is called (a slow network). */
async function lateDocuments(page: Page): Promise<() => void> {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/__late-docs__.json', async (route) => {
    await held;
    await route.fulfill({ contentType: 'application/json', body: LATE_DOCUMENTS });
  });
  return release;
}

test('a first visit, typing at once: the semantic stage waits for the model that follows the documents, with no error', async ({ page }) => {
  const release = await lateDocuments(page);
  await page.goto('/minimal.html');
  await addSrcElement(page);
  await page.locator('sgpt-search#late').getByRole('combobox').pressSequentially('boil water', { delay: 30 });
  release();
  await waitForResults(page, 'late', 'boil water');
  expect(await events(page, 'sgpt-error')).toEqual([]);
});

test('taken out of the page while its documents load, no worker ever starts; put back, it loads and searches; out and in again after ready, the worker stops and starts again', async ({ page }) => {
  const release = await lateDocuments(page);
  const live = new Set<unknown>();
  let started = 0;
  page.on('worker', (worker) => {
    started++;
    live.add(worker);
    worker.on('close', () => live.delete(worker));
  });
  await page.goto('/minimal.html');
  await addSrcElement(page);
  await intent(page, 'late');
  await page.evaluate(() => {
    const element = document.querySelector('sgpt-search#late')!;
    (window as unknown as { removed: Element }).removed = element;
    element.remove();
  });
  release();
  await page.waitForTimeout(2_500);
  expect(started, 'no worker for an element out of the page').toBe(0);
  expect(await events(page, 'sgpt-progress', 'late')).toEqual([]);

  const putBack = () => page.evaluate(() => document.body.append((window as unknown as { removed: Element }).removed));
  await putBack();
  await waitForEvent(page, 'sgpt-ready', 'late');
  await page.locator('sgpt-search#late').getByRole('combobox').fill('boil water');
  await waitForResults(page, 'late', 'boil water');
  expect(live.size).toBe(1);

  await page.evaluate(() => (window as unknown as { removed: Element }).removed.remove());
  await expect.poll(() => live.size, { message: 'the worker stops with the element' }).toBe(0);
  await putBack();
  await waitForEvent(page, 'sgpt-ready', 'late', 2);
  await page.locator('sgpt-search#late').getByRole('combobox').fill('purring cats');
  await waitForResults(page, 'late', 'purring cats');
  expect(live.size).toBe(1);
  expect(await events(page, 'sgpt-error')).toEqual([]);
});

test('appended and moved in one task (before its first render), the element still loads and searches', async ({ page }) => {
  await page.route('**/__moved-docs__.json', (route) => route.fulfill({ contentType: 'application/json', body: LATE_DOCUMENTS }));
  await page.goto('/minimal.html');
  await page.evaluate(() => {
    const element = document.createElement('sgpt-search');
    element.id = 'moved';
    element.setAttribute('load', 'eager');
    element.setAttribute('src', '/__moved-docs__.json');
    document.body.append(element);
    const nav = document.createElement('nav');
    document.body.append(nav);
    nav.append(element); // a framework reordering nodes: disconnected and connected again, not yet rendered
  });
  await waitForEvent(page, 'sgpt-ready', 'moved');
  await page.locator('sgpt-search#moved').getByRole('combobox').fill('boil water');
  await waitForResults(page, 'moved', 'boil water');
  expect(await events(page, 'sgpt-error')).toEqual([]);
});

for (const failure of [
  {
    name: 'IndexedDB blocked',
    script: () => {
      indexedDB.open = () => {
        throw new DOMException('IndexedDB is disabled for this site', 'SecurityError');
      };
    },
    note: /IndexedDB is not available \(SecurityError: IndexedDB is disabled for this site\); document vectors are kept in memory/,
  },
  {
    name: 'storage quota full',
    script: () => {
      IDBObjectStore.prototype.put = function () {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      };
    },
    note: /storage quota for this site is full \(QuotaExceededError\); document vectors are kept in memory/,
  },
]) {
  test(`${failure.name}: vectors fall back to memory with a console note, and search still works`, async ({ page }) => {
    const notes: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'warning' && message.text().startsWith('sgpt-search:')) notes.push(message.text());
    });
    await page.addInitScript(failure.script);
    await page.goto('/minimal.html');
    await readyWithDocuments(page);
    await page.locator('sgpt-search#search').getByRole('combobox').fill('cats');
    const results = await waitForResults(page, 'search', 'cats');
    expect((results.detail.results as unknown[]).length).toBeGreaterThan(0);
    expect(await events(page, 'sgpt-error')).toEqual([]);
    await expect.poll(() => notes.some((note) => failure.note.test(note))).toBe(true);
    // In memory for this page: the reload embeds again, as the note says.
    await page.reload();
    await readyWithDocuments(page);
    expect((await embedProgress(page)).length).toBeGreaterThan(0);
  });
}
