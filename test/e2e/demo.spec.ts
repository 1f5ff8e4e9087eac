/** The demo page end to end: the real tiny model in the real worker, 300 Python-docs sections. */
import { test, expect, events, waitForEvent } from './fixtures';

// One test in steps: loading 300 sections twice would double the suite's slowest part.
test('the demo loads, fires sgpt-ready, ranks results and follows the combobox pattern', async ({ page }) => {
  const search = page.locator('sgpt-search#search');
  const input = search.getByRole('combobox');
  const listbox = search.getByRole('listbox');
  const options = listbox.getByRole('option');

  await test.step('loads the model, embeds the documents and fires sgpt-ready', async () => {
    await page.goto('/');
    // The progress bar is up while the model downloads or the documents are embedded.
    await expect(search.locator('[part="progress"]')).toBeVisible();
    const ready = await waitForEvent(page, 'sgpt-ready', 'search');
    expect(ready.detail).toMatchObject({ backend: 'wasm', dims: 64 });
    expect(String(ready.detail.modelId)).toMatch(/\/models\/tiny-gpt2$/);
    await expect(search.locator('[part="progress"]')).toHaveCount(0);
    const embed = (await events(page, 'sgpt-progress', 'search')).filter((e) => e.detail.phase === 'embed');
    expect(embed.at(-1)?.detail).toEqual({ phase: 'embed', done: 300, total: 300 });
  });

  await test.step('typing a query shows ranked results', async () => {
    await expect(input).toHaveAttribute('aria-autocomplete', 'list');
    await expect(input).toHaveAttribute('aria-expanded', 'false');
    await input.pressSequentially('how do I read a file', { delay: 20 });

    const results = await waitForEvent(page, 'sgpt-results', 'search');
    expect(results.detail.query).toBe('how do I read a file');
    expect(results.detail.stage).toBe('semantic');
    const hits = results.detail.results as Array<{ title: string; score: number; url: string }>;
    expect(hits).toHaveLength(8);
    const scores = hits.map((h) => h.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(hits.every((h) => h.url.startsWith('https://docs.python.org/3.11/'))).toBe(true);

    await expect(options).toHaveCount(8);
    await expect(options.first()).toContainText(hits[0]!.title);
    await expect(input).toHaveAttribute('aria-expanded', 'true');
    await expect(input).toHaveAttribute('aria-controls', 'sgpt-listbox');
    await expect(search.locator('[role="status"]')).toHaveText('8 results');
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
});
