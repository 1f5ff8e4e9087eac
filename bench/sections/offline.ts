/**
 * Search from disk (`sgpt-search index --offline`): bytes on disk of the build against the same
 * build without --offline, and the time from intent (focus) to the first keyword and the first
 * semantic result with the page opened as file:// (one classic script; every file from a script)
 * against the same site over HTTP with the module runtime (plain static server), measured in the
 * same run, each visit in a fresh Chromium context.
 *
 *   npm run bench -- offline [--quick]
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from '@playwright/test';
import { chromiumLaunch } from '../../playwright.config';
import { SCRIPT_FOLDER } from '../../src/index/script-files';
import { listFiles, OFFLINE_RUNTIME } from '../../src/build/static-site';
import buildRuntime from '../../test/build-runtime';
import { buildFixtureSite, serveFolder } from '../../test/e2e/static-server';
import { median } from '../stats';
import type { BenchContext, BenchRow } from '../types';
import { firstOf, recordTimeline, waitFor } from './browser-loading';

const SECTION = 'offline';
const QUERY = 'how do I install the kettle';
const TAGS = {
  'offline.html': '<script src="sgpt/sgpt-search.offline.js"></script><sgpt-search index="sgpt/manifest.json"></sgpt-search>',
  'http.html': '<script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search index="sgpt/manifest.json"></sgpt-search>',
};

/** ms from intent to the first keyword and the first semantic result of one cold visit. */
async function visit(browser: Browser, url: string): Promise<{ keywordMs: number; semanticMs: number }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await recordTimeline(page);
    await page.goto(url);
    await page.locator('sgpt-search').getByRole('combobox').fill(QUERY);
    const t = await waitFor(page, (x) => firstOf(x, 'semantic', QUERY) !== undefined, 120_000, 'the semantic result');
    return { keywordMs: firstOf(t, 'keyword', QUERY)! - t.focus!, semanticMs: firstOf(t, 'semantic', QUERY)! - t.focus! };
  } finally {
    await context.close();
  }
}

async function folderBytes(dir: string, keep: (path: string) => boolean): Promise<number> {
  let bytes = 0;
  for (const path of await listFiles(dir)) if (keep(path)) bytes += (await stat(join(dir, path))).size;
  return bytes;
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const work = await mkdtemp(join(tmpdir(), 'sgpt-bench-offline-'));
  try {
    log(`${SECTION}: building the fixture site with the CLI, --offline`);
    buildRuntime();
    const site = await buildFixtureSite(work, TAGS, ['--offline']);
    const index = join(site, 'sgpt');
    const offlineOnly = (path: string) => path.startsWith(SCRIPT_FOLDER) || path === OFFLINE_RUNTIME;
    const [all, http, scripts] = await Promise.all([folderBytes(index, () => true), folderBytes(index, (p) => !offlineOnly(p)), folderBytes(index, (p) => p.startsWith(SCRIPT_FOLDER))]);
    const server = await serveFolder(site, '/');
    const browser = await chromium.launch(chromiumLaunch);
    const fromDisk: Array<{ keywordMs: number; semanticMs: number }> = [];
    const overHttp: Array<{ keywordMs: number; semanticMs: number }> = [];
    try {
      const runs = ctx.quick ? 1 : 3;
      for (let i = 0; i < runs; i++) {
        log(`${SECTION}: visit ${i + 1}/${runs} from file: and over HTTP`);
        fromDisk.push(await visit(browser, `${pathToFileURL(site).href}/offline.html`));
        overHttp.push(await visit(browser, `${server.origin}/http.html`));
      }
    } finally {
      await browser.close();
      await server.close();
    }
    const mb = (bytes: number) => bytes / 1e6;
    const ms = (visits: typeof fromDisk, key: 'keywordMs' | 'semanticMs') => median(visits.map((v) => v[key]));
    const note = `fixture site, median of ${fromDisk.length} cold visits each, file: vs the module runtime over a plain HTTP server`;
    return [
      { section: SECTION, name: 'MB on disk of the index folder, --offline', value: mb(all), unit: 'MB', baseline: { name: 'without --offline', value: mb(http) }, note: `of which the scripts under offline/: ${mb(scripts).toFixed(2)} MB (base64: 4/3 of the files they carry)` },
      { section: SECTION, name: 'ms from intent to the first keyword result, from file:', value: ms(fromDisk, 'keywordMs'), unit: 'ms', baseline: { name: 'over HTTP', value: ms(overHttp, 'keywordMs') }, note },
      { section: SECTION, name: 'ms from intent to the first semantic result, from file:', value: ms(fromDisk, 'semanticMs'), unit: 'ms', baseline: { name: 'over HTTP', value: ms(overHttp, 'semanticMs') }, note },
    ];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
