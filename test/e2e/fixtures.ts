/**
 * Shared e2e fixtures: every page records the element's events in `window.__sgpt`, and no request
 * may leave this machine (anything not to 127.0.0.1/localhost is aborted and fails the test).
 */
import { test as base, expect, type BrowserContext, type Page } from '@playwright/test';

export interface RecordedEvent {
  type: string;
  detail: Record<string, unknown>;
  target: string;
}

/**
 * Record the element's events in `window.__sgpt`, from before the page's scripts run. The fixture
 * does it for every page; a test that cannot use the fixture (pages opened from disk) calls it.
 */
export async function recordEvents(target: BrowserContext | Page): Promise<void> {
  await target.addInitScript(() => {
    const events: unknown[] = [];
    (window as unknown as { __sgpt: unknown[] }).__sgpt = events;
    for (const type of ['sgpt-ready', 'sgpt-results', 'sgpt-error', 'sgpt-progress', 'sgpt-facets', 'sgpt-select']) {
      document.addEventListener(type, (event) => {
        events.push({ type, detail: (event as CustomEvent).detail, target: (event.target as Element).id });
      });
    }
  });
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

export const test = base.extend<{ outsideRequests: string[] }>({
  outsideRequests: [
    async ({ context }, use) => {
      const outside: string[] = [];
      await context.route('**', (route) => {
        const url = new URL(route.request().url());
        const local = url.protocol === 'blob:' || url.protocol === 'data:' || LOCAL_HOSTS.has(url.hostname);
        if (local) return route.continue();
        outside.push(url.href);
        return route.abort('blockedbyclient');
      });
      context.on('request', (request) => {
        const url = new URL(request.url());
        if (!(url.protocol === 'blob:' || url.protocol === 'data:' || LOCAL_HOSTS.has(url.hostname)) && !outside.includes(url.href)) {
          outside.push(url.href);
        }
      });
      await recordEvents(context);
      await use(outside);
      expect(outside, 'requests that tried to leave localhost').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

export async function events(page: Page, type: string, target?: string): Promise<RecordedEvent[]> {
  const all = await page.evaluate(() => (window as unknown as { __sgpt: RecordedEvent[] }).__sgpt);
  return all.filter((e) => e.type === type && (target === undefined || e.target === target));
}

/** Show the element with `id` the reader's intent (focus its box): with the default load="intent" nothing loads before. */
export async function intent(page: Page, id: string): Promise<void> {
  await page.locator(`sgpt-search#${id}`).getByRole('combobox').focus();
}

/** Wait until the element with `id` has fired `type` at least `count` times; returns the last one. */
export async function waitForEvent(page: Page, type: string, id: string, count = 1, timeout = 45_000): Promise<RecordedEvent> {
  await expect.poll(async () => (await events(page, type, id)).length, { timeout, message: `${type} on #${id}` }).toBeGreaterThanOrEqual(count);
  const list = await events(page, type, id);
  return list[list.length - 1] as RecordedEvent;
}

/** Wait for the element's `stage` results for `query` (default: the semantic stage); returns the event. */
export async function waitForResults(page: Page, id: string, query: string, stage = 'semantic', timeout = 45_000): Promise<RecordedEvent> {
  const find = async () => (await events(page, 'sgpt-results', id)).filter((e) => e.detail.query === query && e.detail.stage === stage).at(-1);
  await expect.poll(async () => (await find()) !== undefined, { timeout, message: `${stage} results for "${query}" on #${id}` }).toBe(true);
  return (await find())!;
}
