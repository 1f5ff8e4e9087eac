/**
 * The README's screenshots of each presentation (inline, dialog) in light and dark, taken in Debian's
 * Chromium over the fixture site indexed by the real CLI, with the prebuilt runtime and the real
 * model (semantic results). Writes docs/screenshots/<presentation>-<scheme>.png.
 * The page is opened as http://docs.example/ (Chromium maps the name to the local server on
 * whatever port it got), so result URLs, and so the images, are the same from run to run.
 *
 *   npm run screenshots
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { chromiumLaunch } from '../playwright.config';
import buildRuntime from '../test/build-runtime';
import { buildFixtureSite, serveFolder } from '../test/e2e/static-server';

const OUT = join(import.meta.dirname, '..', 'docs', 'screenshots');
const QUERY = 'kettle';
const SIZE = { width: 760, height: 520 };
/** The name the pages are shown under (reserved for examples, RFC 2606). */
const HOST = 'docs.example';
const page = (attributes: string) =>
  `<style>:root{color-scheme:light dark}body>div[role=search]{max-width:40rem;margin:1rem auto}</style>` +
  `<div role="search"><script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search id="search" index="sgpt/manifest.json" load="eager" ${attributes}></sgpt-search></div>`;

async function semanticResults(tab: Page): Promise<void> {
  await tab.waitForFunction(
    (query) =>
      new Promise<boolean>((done) => {
        document.addEventListener('sgpt-results', (event) => {
          const detail = (event as CustomEvent<{ query: string; stage: string }>).detail;
          if (detail.query === query && detail.stage === 'semantic') done(true);
        });
      }),
    QUERY,
    { timeout: 120_000 },
  );
}

async function main(): Promise<void> {
  buildRuntime();
  const work = await mkdtemp(join(tmpdir(), 'sgpt-shots-'));
  const site = await buildFixtureSite(work, { 'inline.html': page(''), 'dialog.html': page('presentation="dialog"') });
  const server = await serveFolder(site, '/docs/');
  const port = new URL(server.origin).port;
  const browser = await chromium.launch({
    ...chromiumLaunch,
    // A secure context as on a real site (the index reader verifies files with Web Crypto).
    args: [...chromiumLaunch.args, `--host-resolver-rules=MAP ${HOST} 127.0.0.1:${port}`, `--unsafely-treat-insecure-origin-as-secure=http://${HOST}`],
  });
  await mkdir(OUT, { recursive: true });
  try {
    for (const scheme of ['light', 'dark'] as const) {
      for (const presentation of ['inline', 'dialog'] as const) {
        const context = await browser.newContext({ viewport: SIZE, colorScheme: scheme, deviceScaleFactor: 1 });
        const tab = await context.newPage();
        await tab.goto(`http://${HOST}/docs/${presentation}.html`);
        const element = tab.locator('sgpt-search#search');
        if (presentation === 'dialog') await tab.keyboard.press('Control+k');
        const results = semanticResults(tab);
        await element.getByRole('combobox').fill(QUERY);
        await results;
        await element.getByRole('combobox').press('ArrowDown');
        const file = join(OUT, `${presentation}-${scheme}.png`);
        await tab.screenshot({ path: file });
        console.log(file);
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await server.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
