/**
 * Serves a built site folder (pages + its sgpt index) under a URL prefix through Playwright
 * routing, next to a search page holding <sgpt-search index=…>; counts the bytes it serves.
 * Used by the site-index e2e test and the index bench.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';

const TYPES: Record<string, string> = { html: 'text/html', json: 'application/json' };

export interface SiteRoute {
  /** Bytes served per path (relative to the prefix), in order of first request. */
  served: Map<string, number>;
}

export interface SiteRouteOptions {
  /** Rewrite manifest.json before it is served (e.g. another model id, another probe). */
  manifest?: (json: Record<string, any>) => void;
  /** Attributes of the element besides index (e.g. 'limit="5"'). */
  attributes?: string;
  /** Where `sgpt/…` comes from (default `dir/sgpt`), so a read-only site can be served with an index built elsewhere. */
  indexDir?: string;
  /** The search page's `<html lang>` (default: none). */
  lang?: string;
  /** The element's `index` attribute (default: this site's `${prefix}sgpt/manifest.json`; several sites: their manifests). */
  index?: string;
}

/** `${prefix}search.html` holds the element; `${prefix}<path>` serves `dir/<path>`. */
export async function routeSite(target: Page | BrowserContext, prefix: string, dir: string, options: SiteRouteOptions = {}): Promise<SiteRoute> {
  const served = new Map<string, number>();
  const element = `/@fs${resolve('src/element/sgpt-search.ts')}`;
  await target.route(`**${prefix}**`, async (route) => {
    const path = decodeURIComponent(new URL(route.request().url()).pathname.slice(prefix.length));
    if (path === 'search.html') {
      return route.fulfill({
        contentType: 'text/html',
        body: `<!doctype html>${options.lang === undefined ? '' : `<html lang="${options.lang}">`}<meta charset="utf-8"><title>Site search</title>
          <sgpt-search id="search" index="${options.index ?? `${prefix}sgpt/manifest.json`}" ${options.attributes ?? ''}></sgpt-search>
          <script type="module" src="${element}"></script>`,
      });
    }
    if (path.split('/').includes('..')) return route.fulfill({ status: 404 });
    let body: Buffer;
    try {
      body = await readFile(path.startsWith('sgpt/') ? join(options.indexDir ?? join(dir, 'sgpt'), path.slice(5)) : join(dir, path));
    } catch {
      return route.fulfill({ status: 404 });
    }
    if (options.manifest && path === 'sgpt/manifest.json') {
      const json = JSON.parse(body.toString('utf8'));
      options.manifest(json);
      body = Buffer.from(JSON.stringify(json));
    }
    served.set(path, (served.get(path) ?? 0) + body.byteLength);
    return route.fulfill({ body, contentType: TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream' });
  });
  return { served };
}
