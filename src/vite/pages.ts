/**
 * The pages of a Vite site, the list the plugin indexes in dev (a build indexes its bundle's HTML,
 * which adds pages other plugins emit, and publicDir's pages from here): what `vite build` writes
 * into outDir as HTML by itself. That is the build's HTML inputs (build.rollupOptions.input, default
 * index.html), each at its path under the root, and the HTML files of publicDir, copied as they are
 * (unless build.copyPublicDir is false). HTML under the root that is not an input is served by the
 * dev server but never built, so a result linking to it would 404 in production.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ResolvedConfig } from 'vite';
import { listHtmlFiles } from '../extract/site';

export interface SitePage {
  /** Path under outDir, as listHtmlFiles gives it ('guide/install.html'). */
  path: string;
  /** The file it is made from. */
  file: string;
  /** Copied from publicDir as it is (the dev server serves it untransformed too). */
  public: boolean;
}

/** The site's pages by path, in the order listHtmlFiles walks outDir (name by name, folder by folder), so dev and build index them in the same order. */
export async function sitePages(config: ResolvedConfig): Promise<SitePage[]> {
  const pages = new Map<string, SitePage>();
  const publicDir = config.build.copyPublicDir ? config.publicDir : '';
  if (publicDir && existsSync(publicDir)) {
    for (const path of await listHtmlFiles(publicDir)) pages.set(path, { path, file: join(publicDir, path), public: true });
  }
  // The build writes the inputs after copying publicDir: an input replaces a public file at its path.
  for (const file of buildInputs(config)) {
    const path = relative(config.root, file);
    // Outside the root, Vite has no path in outDir for it (and the dev server does not serve it).
    if (/\.html?$/i.test(file) && path !== '' && !path.startsWith(`..${sep}`) && !isAbsolute(path)) pages.set(path, { path, file, public: false });
  }
  const segments = (path: string) => path.split(sep);
  return [...pages.values()].sort((a, b) => compareSegments(segments(a.path), segments(b.path)));
}

/** The build's entries as absolute paths, as Vite resolves them (relative ones from the root; none given: index.html). */
function buildInputs(config: ResolvedConfig): string[] {
  // rolldownOptions from Vite 8 on (rollupOptions is its alias there), rollupOptions before; Vite 8's top-level `input` too.
  const input = (config.build.rolldownOptions ?? config.build.rollupOptions)?.input || config.input || 'index.html';
  const entries = typeof input === 'string' ? [input] : Array.isArray(input) ? input : Object.values(input);
  return entries.map((entry) => resolve(config.root, entry));
}

function compareSegments(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}
