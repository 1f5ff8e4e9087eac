/**
 * A built site folder -> pages of sections (Node edge: reads files; the parsing is ./html).
 * URLs are site-relative, '/' separated; 'dir/index.html' is served as 'dir/'.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { SgptError } from '../errors';
import { extractPage, type Page } from './html';

export interface SiteOptions {
  /** Site-relative path patterns to skip; '*' matches within a path segment, '**' across them. */
  exclude?: readonly string[];
  /** Folders never read (an index written into the site, dependencies). */
  skipDirs?: readonly string[];
}

/** Site-relative URL of a file, e.g. 'library/functions.html' -> '/library/functions.html', 'faq/index.html' -> '/faq/'. */
export function urlOf(path: string): string {
  const url = `/${path.split(sep).join('/')}`;
  return url.endsWith('/index.html') ? url.slice(0, -'index.html'.length) : url;
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/^\//, '')
    .split('**')
    .map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'))
    .join('.*');
  return new RegExp(`^/?${body}$`);
}

/** HTML files under `root`, relative to it, in path order (skipping dot folders, node_modules and `skipDirs`). */
export async function listHtmlFiles(root: string, skipDirs: readonly string[] = []): Promise<string[]> {
  const files: string[] = [];
  await htmlFiles(root, root, new Set(skipDirs.map((d) => resolve(d))), files);
  return files;
}

/** Whether a site-relative file path matches one of the exclude patterns. */
export function excluder(patterns: readonly string[] = []): (file: string) => boolean {
  const res = patterns.map(globToRegExp);
  return (file) => {
    const path = file.split(sep).join('/');
    const url = urlOf(file).slice(1);
    return res.some((re) => re.test(path) || re.test(url));
  };
}

async function htmlFiles(root: string, dir: string, skip: ReadonlySet<string>, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // stable order → stable index bytes
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.has(resolve(path)) && entry.name !== 'node_modules' && !entry.name.startsWith('.')) await htmlFiles(root, path, skip, out);
    } else if (entry.isFile() && /\.html?$/i.test(entry.name)) {
      out.push(relative(root, path));
    }
  }
}

/** Read every HTML page of a built site, in path order, and split each into sections. */
export async function extractSite(root: string, options: SiteOptions = {}): Promise<Page[]> {
  let files: string[];
  try {
    files = await listHtmlFiles(root, options.skipDirs);
  } catch (error) {
    throw new SgptError('INPUT_INVALID', `cannot read the site folder ${root}: ${(error as Error).message}`);
  }
  const excluded = excluder(options.exclude);
  const pages: Page[] = [];
  for (const file of files) {
    const url = urlOf(file);
    if (excluded(file)) continue;
    const page = extractPage(await readFile(join(root, file), 'utf8'), url);
    if (page.sections.length > 0) pages.push(page);
  }
  return pages;
}
