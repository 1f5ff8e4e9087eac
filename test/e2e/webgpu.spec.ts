/**
 * The WebGPU path, checked for correctness only: with --enable-unsafe-webgpu, headless Chromium
 * offers a software (SwiftShader) fallback adapter. device="webgpu" must run on it (with the
 * asyncify build) and rank like WASM; device="auto" must not pick a fallback adapter.
 */
import { chromiumLaunch } from '../../playwright.config';
import { test, expect, events, intent, waitForEvent, waitForResults } from './fixtures';

test.use({ launchOptions: { ...chromiumLaunch, args: [...chromiumLaunch.args, '--enable-unsafe-webgpu'] } });

test('device="webgpu" runs on WebGPU and ranks like WASM; "auto" skips a fallback adapter', async ({ page }) => {
  const ortFiles: string[] = [];
  page.on('request', (request) => {
    const name = request.url().match(/\/ort\/([^/?]+)/)?.[1];
    if (name) ortFiles.push(name);
  });
  await page.goto('/minimal.html');
  await intent(page, 'search');
  const auto = await waitForEvent(page, 'sgpt-ready', 'search');
  const adapter = await page.evaluate(async () => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
    return (await gpu?.requestAdapter()) != null;
  });
  test.skip(!adapter, 'this Chromium offers no WebGPU adapter at all');
  expect(auto.detail.backend).toBe('wasm');

  await page.evaluate(() => {
    const source = document.querySelector('sgpt-search')!;
    const gpu = document.createElement('sgpt-search');
    gpu.id = 'gpu';
    gpu.setAttribute('device', 'webgpu');
    gpu.setAttribute('load', 'eager');
    gpu.documents = source.documents;
    document.body.append(gpu);
  });
  const ready = await waitForEvent(page, 'sgpt-ready', 'gpu');
  expect(ready.detail.backend).toBe('webgpu');
  expect(ortFiles).toContain('ort-wasm-simd-threaded.asyncify.wasm');

  for (const id of ['search', 'gpu']) await page.locator(`sgpt-search#${id}`).getByRole('combobox').fill('reading a file');
  const wasm = await waitForResults(page, 'search', 'reading a file');
  const gpu = await waitForResults(page, 'gpu', 'reading a file', 'semantic', 90_000);
  const scores = (e: typeof wasm) => (e.detail.results as Array<{ id: string; score: number }>).map((h) => [h.id, h.score] as const);
  const expected = scores(wasm);
  const got = scores(gpu);
  expect(got.map(([id]) => id)).toEqual(expected.map(([id]) => id));
  got.forEach(([, score], i) => expect(score).toBeCloseTo(expected[i]![1], 4));
  expect((await events(page, 'sgpt-error')).length).toBe(0);
});
