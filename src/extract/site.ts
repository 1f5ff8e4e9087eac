/**
 * A built site folder -> pages of sections (Node edge: reads files; the parsing is ./html).
 * URLs are site-relative, '/' separated; 'dir/index.html' is served as 'dir/'.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
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

async function htmlFiles(root: string, dir: string, skip: ReadonlySet<string>, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // stable order → stable index bytes
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.has(path) && entry.name !== 'node_modules' && !entry.name.startsWith('.')) await htmlFiles(root, path, skip, out);
    } else if (entry.isFile() && /\.html?$/i.test(entry.name)) {
      out.push(relative(root, path));
    }
  }
}

/** Read every HTML page of a built site, in path order, and split each into sections. */
export async function extractSite(root: string, options: SiteOptions = {}): Promise<Page[]> {
  const files: string[] = [];
  try {
    await htmlFiles(root, root, new Set(options.skipDirs ?? []), files);
  } catch (error) {
    throw new SgptError('INPUT_INVALID', `cannot read the site folder ${root}: ${(error as Error).message}`);
  }
  const excludes = (options.exclude ?? []).map(globToRegExp);
  const pages: Page[] = [];
  for (const file of files) {
    const url = urlOf(file);
    if (excludes.some((re) => re.test(url.slice(1)) || re.test(file.split(sep).join('/')))) continue;
    const page = extractPage(await readFile(join(root, file), 'utf8'), url);
    if (page.sections.length > 0) pages.push(page);
  }
  return pages;
}
