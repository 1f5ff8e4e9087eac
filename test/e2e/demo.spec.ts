/** The demo page end to end: the default model (sgpt-nano) in the real worker, 300 Python-docs sections. */
import { readFileSync } from 'node:fs';
import { test, expect, events, waitForEvent, waitForResults } from './fixtures';

interface DemoSection {
  title: string;
  text: string;
  url: string;
}
const sections: DemoSection[] = JSON.parse(readFileSync('demo/data/python-docs.json', 'utf8'));
const pageOf = (url: string) => url.split('#')[0]!;

/**
 * Queries that share no word with any section of the page that answers them, so only a trained
 * model finds that page (tiny-gpt2's random weights put at most one of its sections in the top 5).
 */
const SEMANTIC = [
  { query: 'wall clock', page: 'https://docs.python.org/3.11/library/datetime.html' },
  { query: 'geometry', page: 'https://docs.python.org/3.11/library/math.html' },
];

// One test in steps: loading 300 sections twice would double the suite's slowest part.
test('the demo loads, fires sgpt-ready, ranks results and follows the combobox pattern', async ({ page }) => {
  // sgpt-nano (384 dims) embeds the 300 sections in about a minute of WASM on 2 shared cores.
  test.setTimeout(180_000);
  const search = page.locator('sgpt-search#search');
  const input = search.getByRole('combobox');
  const listbox = search.getByRole('listbox');
  const options = listbox.getByRole('option');

  await test.step('loads the model, embeds the documents and fires sgpt-ready', async () => {
    await page.goto('/');
    await input.focus(); // intent: the element loads nothing before
    // The progress bar is up while the model downloads or the documents are embedded.
    await expect(search.locator('[part="progress"]')).toBeVisible();
    const ready = await waitForEvent(page, 'sgpt-ready', 'search', 1, 150_000);
    expect(ready.detail).toMatchObject({ backend: 'wasm', dims: 384 });
    expect(String(ready.detail.modelId)).toMatch(/\/models\/sgpt-nano$/);
    // The "random weights" note is for tiny-gpt2 only.
    await expect(page.locator('#random-note')).toBeHidden();
    await expect(search.locator('[part="progress"]')).toHaveCount(0);
    const embed = (await events(page, 'sgpt-progress', 'search')).filter((e) => e.detail.phase === 'embed');
    expect(embed.at(-1)?.detail).toEqual({ phase: 'embed', done: 300, total: 300 });
  });

  await test.step('typing a query shows ranked results', async () => {
    await expect(input).toHaveAttribute('aria-autocomplete', 'list');
    await expect(input).toHaveAttribute('aria-expanded', 'false');
    await input.pressSequentially('how do I read a file', { delay: 20 });

    const results = await waitForResults(page, 'search', 'how do I read a file');
    // Keyword results came at once, then the fused ranking.
    const stages = (await events(page, 'sgpt-results', 'search')).filter((e) => e.detail.query === 'how do I read a file').map((e) => e.detail.stage);
    expect(stages).toEqual(['keyword', 'semantic']);
    const hits = results.detail.results as Array<{ title: string; score: number; url: string }>;
    expect(hits).toHaveLength(8);
    const scores = hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(hits.every((h) => h.url.startsWith('https://docs.python.org/3.11/'))).toBe(true);

    await expect(options).toHaveCount(8);
    await expect(options.first()).toContainText(hits[0]!.title);
    await expect(input).toHaveAttribute('aria-expanded', 'true');
    await expect(input).toHaveAttribute('aria-controls', 'sgpt-listbox');
    // Said once typing and the stages settled: the count and the first result (documents in the page stand alone, in rank order).
    await expect(search.locator('[role="status"]')).toHaveText(`8 results. First: ${hits[0]!.title}`);
  });

  await test.step('arrows move aria-activedescendant; Escape closes', async () => {
    await expect(input).not.toHaveAttribute('aria-activedescendant', /./);
    await input.press('ArrowDown');
    await expect(input).toHaveAttribute('aria-activedescendant', 'sgpt-option-0');
    await input.press('ArrowDown');
    await expect(input).toHaveAttribute('aria-activedescendant', 'sgpt-option-1');
    await expect(options.nth(1)).toHaveAttribute('aria-selected', 'true');
    await expect(options.nth(0)).toHaveAttribute('aria-selected', 'false');
    await input.press('ArrowUp');
    await expect(input).toHaveAttribute('aria-activedescendant', 'sgpt-option-0');
    await input.press('ArrowUp'); // wraps to the last
    await expect(input).toHaveAttribute('aria-activedescendant', 'sgpt-option-7');
    // The referenced id lives in the same (shadow) root as the input.
    expect(
      await input.evaluate((el) => (el.getRootNode() as ShadowRoot).getElementById(el.getAttribute('aria-activedescendant')!)?.getAttribute('role')),
    ).toBe('option');

    await input.press('Escape');
    await expect(input).toHaveAttribute('aria-expanded', 'false');
    await expect(input).not.toHaveAttribute('aria-activedescendant', /./);
    await expect(listbox).toBeHidden();
  });

  await test.step('the trained model finds pages by meaning: queries without a shared word', async () => {
    for (const { query, page: expected } of SEMANTIC) {
      const answering = sections.filter((section) => pageOf(section.url) === expected);
      expect(answering.length).toBeGreaterThan(1);
      for (const word of query.split(' ')) {
        const overlap = answering.filter((section) => new RegExp(`\\b${word}`, 'i').test(`${section.title} ${section.text}`));
        expect(overlap.map((section) => section.title), `"${word}" in ${expected}`).toEqual([]);
      }
      await input.fill(query);
      const results = await waitForResults(page, 'search', query);
      const top5 = (results.detail.results as Array<{ url: string }>).slice(0, 5).map((hit) => pageOf(hit.url));
      expect(top5.filter((url) => url === expected).length, `${query}: ${top5.join(', ')}`).toBeGreaterThanOrEqual(2);
    }
  });
});
