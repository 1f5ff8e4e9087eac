/**
 * <sgpt-search rerank>: the semantic results show first, then SGPT-CE's order replaces them in
 * place (same DOM nodes, keyboard focus on the same document), and a newer query cancels a
 * running rerank in the worker. The expected order comes from the Node reranker on the same texts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import { buildSiteIndex } from '../../src/build/site-build';
import { Reranker } from '../../src/rerank/reranker';
import { hitText } from '../../src/rerank/hit-text';
import { documentText } from '../../src/worker/documents';
import type { SearchDocument, SearchHit } from '../../src/worker/protocol';
import { test, expect, events, waitForEvent } from './fixtures';
import { routeSite } from './site-route';

const TOPICS = [
  ['Kettles', 'A kettle boils water on the stove or with an electric element; descale it with vinegar.'],
  ['Green tea', 'Steep green tea below boiling, around eighty degrees, for two minutes to keep it sweet.'],
  ['Black tea', 'Black tea wants water at a full boil and four minutes; milk and sugar are optional.'],
  ['Coffee', 'Grind the beans coarse for a French press and wait four minutes before pressing.'],
  ['Water filters', 'Hard water leaves scale; a carbon filter removes chlorine taste before brewing.'],
  ['Teapots', 'Warm the teapot first so the water does not cool when it meets the cold porcelain.'],
  ['Herbal infusions', 'Mint and chamomile are not tea; they steep longer, five to seven minutes.'],
  ['Storage', 'Keep leaves in an airtight tin away from light, heat and the smell of spices.'],
];
// Longer texts (~150 tokens) so that a rerank takes long enough to be cancelled mid-way.
const DOCUMENTS: SearchDocument[] = TOPICS.map(([title, text], i) => ({
  id: `doc-${i}`,
  title: title!,
  text: `${text} `.repeat(5).trim(),
}));
const QUERY = 'how hot should the water be for tea';
/** Plumbing tests: the fast tiny-gpt2 embeds and its "-lm" sibling reranks, not the default model. */
const MODEL = 'tiny-gpt2';
const modelFolder = (name: string) => resolve(import.meta.dirname, '../fixtures/models', name);

async function addElement(page: Page): Promise<void> {
  await page.goto('/minimal.html');
  await page.evaluate(({ documents, model }) => {
    const element = document.createElement('sgpt-search');
    element.id = 'rr';
    element.setAttribute('model', model);
    element.setAttribute('rerank', '');
    element.setAttribute('load', 'eager');
    element.documents = documents;
    document.body.append(element);
  }, { documents: DOCUMENTS, model: `/models/${MODEL}/` });
  await waitForEvent(page, 'sgpt-ready', 'rr');
}

const input = (page: Page) => page.locator('sgpt-search#rr').getByRole('combobox');

async function stages(page: Page, query: string): Promise<Record<string, SearchHit[]>> {
  const list = (await events(page, 'sgpt-results', 'rr')).filter((e) => e.detail.query === query);
  return Object.fromEntries(list.map((e) => [e.detail.stage as string, e.detail.results as SearchHit[]]));
}

/** The reranker's order of `hits` for `query`, computed in Node on the same texts. */
async function rerankedInNode(
  hits: SearchHit[],
  text = (hit: SearchHit) => documentText(DOCUMENTS.find((doc) => doc.id === hit.id)!),
  query = QUERY,
): Promise<SearchHit[]> {
  const reranker = await Reranker.load(modelFolder(`${MODEL}-lm`));
  try {
    const { order } = await reranker.rerank(query, hits.map(text));
    return order.map((i) => hits[i]!);
  } finally {
    await reranker.dispose();
  }
}

test('with rerank, the semantic order is replaced by the reranker\'s order', async ({ page }) => {
  await addElement(page);
  await input(page).fill(QUERY);
  await expect.poll(async () => Object.keys(await stages(page, QUERY)).sort(), { timeout: 45_000 }).toEqual(['keyword', 'reranked', 'semantic']);
  const { semantic, reranked } = await stages(page, QUERY);
  const expected = await rerankedInNode(semantic!);
  expect(reranked!.map((hit) => hit.id)).toEqual(expected.map((hit) => hit.id));
  expect(reranked!.map((hit) => hit.id), 'this query must actually reorder').not.toEqual(semantic!.map((hit) => hit.id));
  expect(reranked!.every((hit) => typeof hit.rerankScore === 'number')).toBe(true);
  await expect(page.locator('sgpt-search#rr [part~="option-title"]')).toHaveText(expected.map((hit) => hit.title));
});

test('focus stays on the same document and its DOM node moves when the order changes', async ({ page }) => {
  await addElement(page);
  await input(page).fill(QUERY);
  await expect.poll(async () => Object.keys(await stages(page, QUERY)).length, { timeout: 45_000 }).toBe(3);
  const { semantic, reranked } = await stages(page, QUERY);
  // A document that moves: make it the active option while the semantic order shows.
  const moved = semantic!.findIndex((hit, i) => reranked!.findIndex((r) => r.id === hit.id) !== i);
  expect(moved).toBeGreaterThanOrEqual(0);
  await input(page).fill('');
  await page.evaluate((presses) => {
    const element = document.querySelector('sgpt-search#rr')! as Element & { updateComplete: Promise<boolean> };
    const box = element.shadowRoot!.querySelector('input')!;
    const onResults = (event: Event) => {
      const detail = (event as CustomEvent).detail as { stage: string };
      if (detail.stage !== 'semantic') return;
      element.removeEventListener('sgpt-results', onResults);
      // Synchronously, before the reranked order can arrive: arrow down to the option.
      for (let i = 0; i < presses; i++) box.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
      void element.updateComplete.then(() => {
        const id = box.getAttribute('aria-activedescendant')!;
        (window as unknown as { __active: Element | null }).__active = element.shadowRoot!.getElementById(id);
      });
    };
    element.addEventListener('sgpt-results', onResults);
  }, moved + 1);
  const before = (await events(page, 'sgpt-results', 'rr')).length;
  await input(page).fill(QUERY);
  await waitForEvent(page, 'sgpt-results', 'rr', before + 3); // keyword, semantic, reranked
  const after = await page.evaluate(() => {
    const element = document.querySelector('sgpt-search#rr')!;
    const box = element.shadowRoot!.querySelector('input')!;
    const active = element.shadowRoot!.getElementById(box.getAttribute('aria-activedescendant') ?? '');
    return {
      sameNode: active !== null && active === (window as unknown as { __active: Element | null }).__active,
      title: active?.querySelector('[part~="option-title"]')?.textContent,
      selected: active?.getAttribute('aria-selected'),
      focused: element.shadowRoot!.activeElement === box,
    };
  });
  expect(after).toEqual({ sameNode: true, title: semantic![moved]!.title, selected: 'true', focused: true });
  const last = (await events(page, 'sgpt-results', 'rr')).at(-1)!;
  expect(last.detail.stage).toBe('reranked');
  const index = (last.detail.results as SearchHit[]).findIndex((hit) => hit.id === semantic![moved]!.id);
  expect(index).not.toBe(moved);
  await expect(input(page)).toHaveAttribute('aria-activedescendant', `sgpt-option-${index}`);
});

/** Record the page's worker traffic in window.__traffic; posting a rerank fires `rerank-posted`. */
async function recordWorkerTraffic(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const log: Array<{ dir: 'out' | 'in'; data: Record<string, unknown> }> = [];
    (window as unknown as { __traffic: typeof log }).__traffic = log;
    const Original = window.Worker;
    window.Worker = class extends Original {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        this.addEventListener('message', (event) => log.push({ dir: 'in', data: (event as MessageEvent).data }));
      }
      override postMessage(message: unknown, options?: StructuredSerializeOptions | Transferable[]) {
        log.push({ dir: 'out', data: message as Record<string, unknown> });
        super.postMessage(message, options as StructuredSerializeOptions);
        if ((message as { type?: string }).type === 'rerank') window.dispatchEvent(new CustomEvent('rerank-posted', { detail: message }));
      }
    };
  });
}

type Traffic = Array<{ dir: string; data: Record<string, unknown> }>;
const traffic = (page: Page) => page.evaluate(() => (window as unknown as { __traffic: Traffic }).__traffic);

test('a new query cancels a running rerank in the worker', async ({ page }) => {
  await recordWorkerTraffic(page);
  await addElement(page);
  // As soon as the first query's rerank is on its way, the user clears the box and types another.
  await page.evaluate(() => {
    window.addEventListener(
      'rerank-posted',
      () => {
        const box = document.querySelector('sgpt-search#rr')!.shadowRoot!.querySelector('input')!;
        box.value = '';
        box.dispatchEvent(new InputEvent('input'));
        box.value = 'storage tins';
        box.dispatchEvent(new InputEvent('input'));
      },
      { once: true },
    );
  });
  await input(page).fill(QUERY);
  await expect.poll(async () => Object.keys(await stages(page, 'storage tins')).sort(), { timeout: 45_000 }).toEqual(['keyword', 'reranked', 'semantic']);

  const log = await traffic(page);
  const first = log.find((m) => m.dir === 'out' && m.data.type === 'rerank' && m.data.query === QUERY)!;
  expect(first).toBeDefined();
  expect(log.some((m) => m.dir === 'out' && m.data.type === 'cancel' && m.data.target === first.data.id)).toBe(true);
  const answer = log.find((m) => m.dir === 'in' && m.data.id === first.data.id && m.data.type !== 'progress');
  expect(answer?.data).toMatchObject({ type: 'error', error: { code: 'ABORTED' } });
  expect(Object.keys(await stages(page, QUERY)).sort()).toEqual(['keyword', 'semantic']);
});

test('while the pointer is over the list, the reranked order waits until it leaves', async ({ page }) => {
  await recordWorkerTraffic(page);
  await addElement(page);
  await page.evaluate(() => {
    const element = document.querySelector('sgpt-search#rr')!;
    const onResults = (event: Event) => {
      if ((event as CustomEvent).detail.stage !== 'semantic') return;
      element.removeEventListener('sgpt-results', onResults);
      // The pointer enters the list while the semantic results show.
      element.shadowRoot!.querySelector('[role="listbox"]')!.dispatchEvent(new PointerEvent('pointerenter'));
    };
    element.addEventListener('sgpt-results', onResults);
  });
  await input(page).fill(QUERY);
  // The worker has answered the rerank...
  await expect
    .poll(async () => {
      const log = await traffic(page);
      const request = log.find((m) => m.dir === 'out' && m.data.type === 'rerank');
      return request !== undefined && log.some((m) => m.dir === 'in' && m.data.id === request.data.id && m.data.type === 'result');
    }, { timeout: 45_000 })
    .toBe(true);
  // ...but nothing moves under the pointer.
  await page.waitForTimeout(200);
  const { semantic } = await stages(page, QUERY);
  expect(Object.keys(await stages(page, QUERY)).sort()).toEqual(['keyword', 'semantic']);
  const titles = page.locator('sgpt-search#rr [part~="option-title"]');
  await expect(titles).toHaveText(semantic!.map((hit) => hit.title));
  // The pointer leaves: the reranked order is applied and announced.
  await page.evaluate(() => {
    document.querySelector('sgpt-search#rr')!.shadowRoot!.querySelector('[role="listbox"]')!.dispatchEvent(new PointerEvent('pointerleave'));
  });
  await expect.poll(async () => Object.keys(await stages(page, QUERY)).sort()).toEqual(['keyword', 'reranked', 'semantic']);
  const { reranked } = await stages(page, QUERY);
  await expect(titles).toHaveText(reranked!.map((hit) => hit.title));
  expect(reranked!.map((hit) => hit.id)).not.toEqual(semantic!.map((hit) => hit.id));
});

test('over a prebuilt site index, the last site stage is reranked from titles and excerpts', async ({ page }) => {
  const dir = await mkdtemp(join(tmpdir(), 'sgpt-rerank-site-'));
  try {
    await buildSiteIndex({ site: resolve(import.meta.dirname, '../fixtures/site'), out: join(dir, 'sgpt'), model: modelFolder(MODEL) });
    await routeSite(page, '/site/', resolve(import.meta.dirname, '../fixtures/site'), { indexDir: join(dir, 'sgpt'), attributes: `rerank limit="5" model="/models/${MODEL}/"` });
    await page.goto('/site/search.html');
    const query = 'how do I install the kettle';
    await page.locator('sgpt-search#search').getByRole('combobox').fill(query);
    await expect
      .poll(async () => (await events(page, 'sgpt-results', 'search')).filter((e) => e.detail.query === query).map((e) => e.detail.stage).at(-1), { timeout: 45_000 })
      .toBe('reranked');
    const list = (await events(page, 'sgpt-results', 'search')).filter((e) => e.detail.query === query);
    const before = list.at(-2)!.detail.results as SearchHit[];
    expect(list.at(-2)!.detail.stage).not.toBe('reranked');
    const expected = await rerankedInNode(before, hitText, query);
    expect((list.at(-1)!.detail.results as SearchHit[]).map((hit) => hit.url)).toEqual(expected.map((hit) => hit.url));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
