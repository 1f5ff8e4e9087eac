/**
 * Issue 11 in Chromium: keyword search survives a model that fails to load (2), links and event
 * details stay on http(s) (5), the site works under a strict CSP with Trusted Types and a CSP
 * refusal gets its own code (6), and an `index` killed at random points leaves the previous index
 * working in the CLI and in the browser, and the next run repairs it (2).
 */
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Page } from '@playwright/test';
import { test, expect, events } from './fixtures';
import { routeSite } from './site-route';
import { serveFolder, type StaticServer } from './static-server';

const CLI = resolve('bin/sgpt-search.js');
const TINY = resolve('test/fixtures/models/tiny-gpt2');
const PREFIX = '/docs/';
const SNIPPET = '<script type="module" src="sgpt/sgpt-search.js"></script><sgpt-search id="search" index="sgpt/manifest.json"></sgpt-search>';
/** The minimal policy the docs give (docs/ELEMENT.md, "Content Security Policy"). */
const STRICT_CSP =
  "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; worker-src 'self'; require-trusted-types-for 'script'; trusted-types sgpt-search lit-html";

let work: string;
let site: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  work = await mkdtemp(join(tmpdir(), 'sgpt-hostile-e2e-'));
  site = join(work, 'site');
  await cp(resolve('test/fixtures/site'), site, { recursive: true });
  await promisify(execFile)(process.execPath, [CLI, 'index', site, '--out', join(site, 'sgpt'), '--no-webgpu']);
  const home = join(site, 'index.html');
  await writeFile(home, (await readFile(home, 'utf8')).replace('<body>', `<body>\n${SNIPPET}`));
});

test.afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function search(page: Page, query: string, element = 'sgpt-search'): Promise<void> {
  await page.locator(element).getByRole('combobox').fill(query);
}

async function stages(page: Page, query: string): Promise<string[]> {
  return (await events(page, 'sgpt-results')).filter((e) => e.detail.query === query).map((e) => e.detail.stage as string);
}

test('2. a model that fails to load leaves keyword results, with the error beside them', async ({ page }) => {
  await routeSite(page, '/kw/', site, { attributes: 'model="/no/such/model/"' });
  await page.goto('/kw/search.html');
  await search(page, 'kettle');
  await expect.poll(() => stages(page, 'kettle'), { timeout: 30_000 }).toEqual(['keyword']);
  await expect(page.locator('sgpt-search').getByRole('option').first()).toBeVisible();
  await expect(page.locator('sgpt-search').locator('[part=error]')).toContainText(/model file not found/);
  // The next query is answered too, and the error is not announced again.
  await search(page, 'teapot');
  await expect.poll(() => stages(page, 'teapot'), { timeout: 30_000 }).toEqual(['keyword']);
  const errors = (await events(page, 'sgpt-error')).map((e) => e.detail.code);
  expect(errors).toEqual(['MODEL_NOT_FOUND']);
});

test('5. sgpt-results never carries a javascript: url; links are http(s) only', async ({ page }) => {
  await page.goto('/');
  await page.evaluate(() => {
    const element = document.createElement('sgpt-search');
    element.id = 'docs';
    (element as unknown as { documents: unknown }).documents = [
      { id: 'a', title: 'Kettle', text: 'boil water in a kettle', url: 'javascript:alert(1)' },
      { id: 'b', title: 'Kettle care', text: 'descale the kettle', url: '/care.html' },
      { id: 'c', title: 'Kettle data', text: 'kettle facts', url: 'data:text/html,<script>alert(1)</script>' },
    ];
    document.body.append(element);
  });
  await search(page, 'kettle', 'sgpt-search#docs');
  await expect.poll(async () => (await events(page, 'sgpt-results', 'docs')).length, { timeout: 45_000 }).toBeGreaterThan(0);
  const results = (await events(page, 'sgpt-results', 'docs')).flatMap((e) => e.detail.results as Array<{ id: string; url?: string }>);
  for (const hit of results) if (hit.url !== undefined) expect(hit.url).toMatch(/^https?:/);
  expect(results.find((hit) => hit.id === 'b')?.url).toBe(new URL('/care.html', page.url()).href);
  const shown = await page.locator('sgpt-search#docs [part="option-url"]').allTextContents();
  expect(shown.filter((url) => !/^https?:/.test(url))).toEqual([]);
});

test.describe('6. Content Security Policy', () => {
  let server: StaticServer;
  test.afterEach(async () => server?.close());

  test('the minimal strict policy with Trusted Types: keyword and semantic results, no error', async ({ page }) => {
    server = await serveFolder(site, PREFIX, { 'Content-Security-Policy': STRICT_CSP });
    const violations: string[] = [];
    page.on('console', (message) => {
      // The fixture page's own inline <style> and <script> are refused too: only ours count here.
      if (/Content Security Policy|Trusted Type/i.test(message.text()) && !/^(Applying inline style|Executing inline script)/.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${server.origin}${PREFIX}`);
    await search(page, 'how do I install the kettle');
    await expect.poll(() => stages(page, 'how do I install the kettle'), { timeout: 45_000 }).toContain('semantic');
    expect((await stages(page, 'how do I install the kettle'))[0]).toBe('keyword');
    expect(await events(page, 'sgpt-error')).toEqual([]);
    expect(violations).toEqual([]);
    expect(server.requested.some((path) => path.endsWith('.wasm'))).toBe(true);
  });

  test("a policy without 'wasm-unsafe-eval' is CSP_BLOCKED naming the directive, and keyword search still answers", async ({ page }) => {
    server = await serveFolder(site, PREFIX, { 'Content-Security-Policy': STRICT_CSP.replace(" 'wasm-unsafe-eval'", '') });
    await page.goto(`${server.origin}${PREFIX}`);
    await search(page, 'kettle');
    await expect.poll(async () => (await events(page, 'sgpt-error')).map((e) => e.detail.code), { timeout: 45_000 }).toContain('CSP_BLOCKED');
    const error = (await events(page, 'sgpt-error')).find((e) => e.detail.code === 'CSP_BLOCKED')!;
    expect(error.detail.message).toMatch(/script-src/);
    expect(error.detail.message).toMatch(/wasm-unsafe-eval/);
    await expect.poll(() => stages(page, 'kettle'), { timeout: 30_000 }).toContain('keyword');
  });
});

test('2. an index killed at random points leaves the previous index working; the next run repairs it', async ({ page }) => {
  test.setTimeout(300_000);
  const out = join(site, 'sgpt');
  const server = await serveFolder(site, PREFIX);
  const models = [TINY, undefined];
  const query = 'how do I install the kettle';
  try {
    // Each run switches the model, so the model folder, the vectors and the manifest all change.
    for (let run = 0; run < 6; run++) {
      const model = models[run % 2];
      const before = await readFile(join(out, 'manifest.json'), 'utf8');
      const child = spawn(process.execPath, [CLI, 'index', site, '--out', out, '--no-webgpu', ...(model ? ['--model', model] : [])], { stdio: 'ignore' });
      // Kill it somewhere between starting and finishing (a full run here takes about 2–4 s).
      const delay = 300 + ((run * 977) % 3000);
      const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      setTimeout(() => child.kill('SIGKILL'), delay);
      const code = await exit;
      const after = await readFile(join(out, 'manifest.json'), 'utf8');
      // Swapped whole or not at all: the previous manifest, or (exit 0, or killed after the swap
      // while removing old files) this run's whole manifest.
      if (after !== before || code === 0) expect(JSON.parse(after).model.id, `run ${run}, exit ${code}, killed after ${delay} ms`).toBe(model ? 'tiny-gpt2' : 'sgpt-nano');
      // The live index answers in the CLI (semantic, with its own model) …
      const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'query', '--index', out, '--limit', '3', query]);
      expect(JSON.parse(stdout)[0].semantic, `run ${run}, killed after ${delay} ms`).toBe(true);
      // … and in Chromium.
      if (run % 2 === 0) {
        await page.goto(`${server.origin}${PREFIX}?run=${run}`);
        await search(page, query);
        await expect.poll(() => stages(page, query), { timeout: 45_000 }).toContain('semantic');
        expect(await events(page, 'sgpt-error')).toEqual([]);
      }
      // A run to the end repairs whatever the killed one left, and makes its own build live.
      await promisify(execFile)(process.execPath, [CLI, 'index', site, '--out', out, '--no-webgpu', ...(model ? ['--model', model] : [])]);
      const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
      expect(manifest.model.id).toBe(model ? 'tiny-gpt2' : 'sgpt-nano');
    }
  } finally {
    await server.close();
  }
});
