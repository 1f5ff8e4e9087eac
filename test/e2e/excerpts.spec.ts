/**
 * Excerpts at the match, with the real model in Chromium: a long section whose start lacks the
 * query's word shows the passage with it (site index: after the opening lines), and a section the
 * model found by meaning alone shows the window whose embedding won, for documents given in the
 * page and for a prebuilt site index alike.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect, events, waitForResults } from './fixtures';
import { buildFixtureSite, serveFolder, type StaticServer } from './static-server';

/** Tea history (none of the query's words), a long passage on descaling, more history: several model windows. */
const HISTORY = Array.from({ length: 4 }, () =>
  [
    'The history of tea begins in southwest China, where the leaves were first brewed as a medicinal drink.',
    'Traders carried compressed bricks along caravan routes to Tibet and Mongolia.',
    'In the seventeenth century Dutch merchants shipped chests of leaves to Europe, and the drink became fashionable at court.',
    'Plantations in Assam and Ceylon grew under British rule, with pickers working the terraced hillsides by hand.',
    'Auctions in London set prices for the whole trade until late in the twentieth century.',
    'Today China, India and Kenya grow most of the world crop, and small estates sell single harvests to collectors.',
  ].join(' '),
).join(' ');
const DESCALING = [
  'To descale a kettle, fill it halfway with white vinegar and bring it to the boil.',
  'Leave the vinegar in the kettle for an hour so the chalky crust softens and flakes away from the element.',
  'Pour it out, scrub the spout with an old toothbrush, then boil fresh tap supply twice and discard it so no sour taste remains.',
  'Lemon juice or citric acid powder work the same way and smell less; a spoonful in a full kettle is enough.',
  'Descaling every month keeps the element efficient, because a thick layer of scale makes it slower and louder.',
  'Never use bleach or abrasive powder inside a kettle: the residue taints every cup brewed afterwards.',
  'A filter jug reduces how fast the crust builds up again, and the filter cartridges last about a month.',
  'If the kettle has a removable mesh in the spout, soak it in vinegar separately and rinse it under the tap.',
].join(' ');
const TEXT = `${HISTORY} ${DESCALING} ${HISTORY.slice(0, 1500)}`;
/** None of these words (or their stems) is in TEXT: only the model can find it. */
const MEANING = 'cleaning hard water deposits';

interface Hit {
  title: string;
  excerpt: string;
  highlights: Array<[number, number]>;
}

/** The excerpt lies inside the descaling passage: its middle part, without the cut marks, is a piece of it. */
function insideDescaling(excerpt: string): void {
  const body = excerpt.replace(/^…|…$/g, '');
  const middle = body.slice(Math.floor(body.length / 4), Math.floor((3 * body.length) / 4));
  expect(DESCALING, `excerpt "${excerpt}"`).toContain(middle);
}

const notesHit = (hits: Hit[]) => hits.find((h) => h.title === 'Tea notes')!;

test.describe('documents given in the page', () => {
  test('a document found by meaning alone shows the window whose embedding won, not its start', async ({ page }) => {
    test.setTimeout(90_000);
    await page.goto('/minimal.html');
    await page.evaluate((text) => {
      document.querySelector('sgpt-search')!.documents = [
        { id: 'notes', title: 'Tea notes', text, url: '#notes' },
        { id: 'cups', title: 'Cups', text: 'Warm the cups before pouring.', url: '#cups' },
      ];
    }, TEXT);
    // Focus shows intent: the model loads and embeds both documents, then the dense list holds them.
    await search(page).getByRole('combobox').focus();
    await expect
      .poll(async () => (await events(page, 'sgpt-progress', 'search')).some((e) => e.detail.phase === 'embed' && e.detail.total === 2 && e.detail.done === 2), { timeout: 60_000 })
      .toBe(true);
    await search(page).getByRole('combobox').fill(MEANING);
    const results = await waitForResults(page, 'search', MEANING, 'semantic', 60_000);
    const hit = notesHit(results.detail.results as Hit[]);
    expect(hit.highlights).toEqual([]);
    insideDescaling(hit.excerpt);
    await expect(search(page).getByRole('option').filter({ hasText: 'Tea notes' }).locator('[part="option-excerpt"]')).toHaveText(hit.excerpt);
  });
});

test.describe('a prebuilt site index', () => {
  let work: string;
  let server: StaticServer;
  const PAGE = `<!doctype html><html lang="en"><head><title>Tea notes</title></head><body><main><h1 id="notes">Tea notes</h1><p>${TEXT}</p></main></body></html>`;

  test.beforeAll(async () => {
    test.setTimeout(120_000);
    work = await mkdtemp(join(tmpdir(), 'sgpt-excerpts-'));
    const element = '<script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search id="search" index="sgpt/manifest.json" load="eager"></sgpt-search>';
    const site = await buildFixtureSite(work, { 'search.html': element }, [], { 'notes.html': PAGE });
    server = await serveFolder(site, '/docs/');
  });

  test.afterAll(async () => {
    await server?.close();
    await rm(work, { recursive: true, force: true });
  });

  test('a keyword hit shows its opening lines at once, then the passage with the word, marked', async ({ page }) => {
    await page.goto(`${server.origin}/docs/search.html`);
    await search(page).getByRole('combobox').fill('vinegar');
    await waitForResults(page, 'search', 'vinegar', 'semantic', 60_000);
    // Keyword results come twice (the opening lines, then the passages), then the fused ones; the
    // model's arrival may run the query's stages again.
    const stages = (await events(page, 'sgpt-results', 'search')).filter((e) => e.detail.query === 'vinegar');
    expect(stages.slice(0, 2).map((e) => e.detail.stage)).toEqual(['keyword', 'keyword']);
    expect(stages.at(-1)!.detail.stage).toBe('semantic');
    const [quick, centred, fused] = [stages[0]!, stages[1]!, stages.at(-1)!].map((e) => notesHit(e.detail.results as Hit[]));
    expect(quick!.excerpt.startsWith('The history of tea')).toBe(true);
    expect(quick!.highlights).toEqual([]);
    for (const hit of [centred!, fused!]) {
      expect(hit.excerpt.startsWith('…')).toBe(true);
      expect(hit.highlights.map(([a, b]) => hit.excerpt.slice(a, b).toLowerCase())).toContain('vinegar');
    }
    const shown = search(page).getByRole('option').filter({ hasText: 'Tea notes' }).locator('[part="option-excerpt"]');
    await expect(shown.locator('mark').first()).toHaveText(/vinegar/i);
  });

  test('a section found by meaning alone shows the window whose embedding won', async ({ page }) => {
    const before = server.requested.length;
    await page.goto(`${server.origin}/docs/search.html`);
    await search(page).getByRole('combobox').fill(MEANING);
    const results = await waitForResults(page, 'search', MEANING, 'semantic', 60_000);
    const hit = notesHit(results.detail.results as Hit[]);
    expect(hit.highlights).toEqual([]);
    insideDescaling(hit.excerpt);
    // Only the text files of the hits shown were read.
    const texts = server.requested.slice(before).filter((path) => /\/sgpt\/text-\d+\./.test(path));
    expect(texts.length).toBeGreaterThan(0);
    expect(new Set(texts).size).toBe(texts.length);
  });
});

function search(page: Page) {
  return page.locator('sgpt-search#search');
}
