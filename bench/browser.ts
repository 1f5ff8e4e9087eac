/** Headless Debian Chromium against the repository's Vite dev server, for the benchmark sections that measure in a browser. */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from '@playwright/test';
import { createServer, type Plugin } from 'vite';
import { chromiumLaunch } from '../playwright.config';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs `fn` with the dev server's base URL (http://127.0.0.1:port; SGPT_BENCH_PORT fixes the port, else any free one); closes the server after. */
export async function withDevServer<T>(fn: (base: string) => Promise<T>, plugins: Plugin[] = []): Promise<T> {
  process.env.SGPT_E2E = '1'; // no file watching or HMR reloads while measuring
  const server = await createServer({ configFile: resolve(ROOT, 'vite.config.ts'), logLevel: 'silent', server: { port: Number(process.env.SGPT_BENCH_PORT ?? 0), strictPort: true, host: '127.0.0.1' }, plugins });
  await server.listen();
  try {
    const address = server.httpServer?.address();
    if (address === null || address === undefined || typeof address === 'string') throw new Error('vite did not report a port');
    return await fn(`http://127.0.0.1:${address.port}`);
  } finally {
    await server.close();
  }
}

/** Runs `fn` with a fresh browser and the dev server's base URL; closes both after. */
export async function withBenchBrowser<T>(fn: (browser: Browser, base: string) => Promise<T>, plugins: Plugin[] = []): Promise<T> {
  return withDevServer(async (base) => {
    const browser = await chromium.launch(chromiumLaunch);
    try {
      return await fn(browser, base);
    } finally {
      await browser.close();
    }
  }, plugins);
}
