/**
 * A built site folder -> pages of sections (Node edge: reads files; the parsing is ./html).
 * URLs are site-relative, '/' separated; 'dir/index.html' is served as 'dir/'.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { SgptError } from '../errors';
import { decodeUtf8 } from './encoding';
import { extractPage, pageBlocks, type LeftOut, type Page } from './html';
import { blocksKey, pageKey, type CachedPage, type PageCache } from './page-cache';
import { findTemplate, templateDigest } from './template';

export interface SiteOptions {
  /** Site-relative path patterns to skip; '*' matches within a path segment, '**' across them. */
  exclude?: readonly string[];
  /** The only pages read, by path relative to the site (as listHtmlFiles gives them); absent: every HTML file (the Vite plugin: the pages its build emits, src/vite/pages). */
  pages?: ReadonlySet<string>;
  /** Folders never read (an index written into the site, dependencies). */
  skipDirs?: readonly string[];
  /** Pages skipped or read with a fallback, said in words (the build goes on). */
  onWarning?: (message: string) => void;
  /** Pages extracted before from the same inputs come from here, and fresh ones are kept in it (./page-cache). */
  cache?: PageCache;
  /** Called for each page yielded from `cache` rather than parsed (a build's summary counts them). */
  onCachedPage?: () => void;
  /** Called for each page left out, with why (Page.leftOut: noindex, or the site's index, search or source page; a build's summary counts them). */
  onLeftOutPage?: (why: LeftOut) => void;
  /** Told the site's template (./template): the blocks left out of every page as site chrome, before the first page. */
  onTemplate?: (template: ReadonlySet<string>) => void;
}

/** Pages larger than this are skipped (with a warning): no built page of documentation comes near it. */
export const MAX_PAGE_BYTES = 32 * 1024 * 1024;

/** Site path of a file, '/'-separated, not encoded: 'faq/index.html' -> '/faq/'. */
function sitePath(path: string): string {
  const url = `/${path.split(sep).join('/')}`;
  return url.endsWith('/index.html') ? url.slice(0, -'index.html'.length) : url;
}

/**
 * Site-relative URL of a file, each segment percent-encoded, e.g. 'library/functions.html' ->
 * '/library/functions.html', 'faq/index.html' -> '/faq/', 'a b?.html' -> '/a%20b%3F.html'.
 */
export function urlOf(path: string): string {
  return sitePath(path).split('/').map(encodeURIComponent).join('/');
}

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/^\//, '')
    .split('**')
    .map((part) => part.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*'))
    .join('.*');
  return new RegExp(`^/?${body}$`);
}

/** A path with its links resolved, or resolved as written when it does not exist (yet). */
export async function realPath(path: string): Promise<string> {
  return realpath(path).catch(() => resolve(path));
}

/**
 * HTML files under `root`, relative to it, in path order (skipping dot folders, node_modules and
 * `skipDirs`, compared by real path: a skip folder named through a link is still skipped). A link
 * to a page inside the site counts; a link out of it, or to a folder (links to folders are not
 * followed), and a folder that cannot be read are skipped with a warning.
 */
export async function listHtmlFiles(root: string, skipDirs: readonly string[] = [], onWarning: (message: string) => void = () => undefined): Promise<string[]> {
  const files: string[] = [];
  const realRoot = await realpath(root);
  await htmlFiles({ root, realRoot, skip: new Set(await Promise.all(skipDirs.map(realPath))), onWarning }, root, realRoot, files);
  return files;
}

/** Whether a site-relative file path matches one of the exclude patterns. */
export function excluder(patterns: readonly string[] = []): (file: string) => boolean {
  // An empty pattern is ignored, not refused: it comes from an empty shell variable
  // (`--exclude "$DRAFTS"`), meaning nothing to leave out, while as a glob it would match the
  // root page's URL '' and silently drop index.html.
  const res = patterns.filter((pattern) => pattern !== '').map(globToRegExp);
  return (file) => {
    const path = file.split(sep).join('/');
    const url = sitePath(file).slice(1);
    return res.some((re) => re.test(path) || re.test(url));
  };
}

interface Walk {
  root: string;
  realRoot: string;
  skip: ReadonlySet<string>;
  onWarning: (message: string) => void;
}

/** Folders the walk never enters, links to them included (no warning for those). */
function skippedName(name: string): boolean {
  return name === 'node_modules' || name.startsWith('.');
}

/** `dir` is read; `realDir` is its real path (the walk enters no link, so it is realRoot + the names below it). */
async function htmlFiles(walk: Walk, dir: string, realDir: string, out: string[]): Promise<void> {
  const site = (path: string) => relative(walk.root, path).split(sep).join('/');
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (dir === walk.root) throw error; // the site folder itself: the caller refuses the build
    walk.onWarning(`${site(dir)}/: skipped, a folder that cannot be read (${unreadable(error, dir)})`);
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)); // stable order → stable index bytes
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const html = /\.html?$/i.test(entry.name);
    if (entry.isDirectory()) {
      const real = join(realDir, entry.name);
      if (!walk.skip.has(real) && !skippedName(entry.name)) await htmlFiles(walk, path, real, out);
    } else if (entry.isFile() && html) {
      out.push(relative(walk.root, path));
    } else if (entry.isSymbolicLink() && html) {
      const target = await realpath(path).catch(() => null);
      const inside = target !== null && target.startsWith(`${walk.realRoot}${sep}`);
      if (inside && (await stat(target)).isFile()) out.push(relative(walk.root, path));
      else walk.onWarning(`${site(path)}: skipped, a link ${target === null ? 'to nothing' : inside ? 'to a folder' : 'out of the site'}`);
    } else if (entry.isSymbolicLink() && !skippedName(entry.name)) {
      // A link to a folder is not followed (it could loop, or index pages twice): said once per link.
      const target = await realpath(path).catch(() => null);
      if (target === null || walk.skip.has(target) || !(await stat(target).then((s) => s.isDirectory(), () => false))) continue;
      const inside = target === walk.realRoot || target.startsWith(`${walk.realRoot}${sep}`);
      const where = `/${relative(walk.realRoot, target).split(sep).join('/')}`;
      walk.onWarning(`${site(path)}: skipped, a link ${inside ? `to a folder (${where})` : 'out of the site'}: links to folders are not followed`);
    }
  }
}

/** Why a file or folder listed a moment ago cannot be read, in words. */
function unreadable(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  // readdir decodes a name that is not UTF-8 with U+FFFD, and no file has the decoded name.
  if (code === 'ENOENT' && path.includes('\uFFFD')) return 'its name is not valid UTF-8: rename it';
  if (code === 'ENOENT') return 'it was removed while the site was read';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return code ?? (error as Error).message;
}

/** A page's text: UTF-8, else the charset its <meta> declares, else windows-1252 (with a warning); null for binary and UTF-16 files. */
export function decodePage(bytes: Uint8Array, warn: (message: string) => void): string | null {
  const utf8 = decodeUtf8(bytes);
  if ('text' in utf8) return utf8.text;
  if (utf8.problem !== 'invalid') {
    warn(utf8.problem === 'nul' ? 'skipped, binary data (NUL bytes) in an .html file' : 'skipped, UTF-16 (a UTF-16 byte order mark): save it as UTF-8');
    return null;
  }
  const head = new TextDecoder('windows-1252').decode(bytes.subarray(0, 1024));
  const declared = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1];
  try {
    if (declared && !/^utf-?8$/i.test(declared)) return new TextDecoder(declared).decode(bytes);
  } catch {
    // an encoding this runtime does not know: fall through
  }
  warn(`not valid UTF-8${declared ? ` (declares ${declared})` : ' and declares no charset'}: read as windows-1252`);
  return new TextDecoder('windows-1252').decode(bytes);
}

/** A page's file -> its extraction, with the warnings it says kept (a cache replays them). */
function extractBytes(bytes: Uint8Array, url: string, template: ReadonlySet<string>): CachedPage {
  const warnings: string[] = [];
  const warn = (message: string) => void warnings.push(message);
  const html = decodePage(bytes, warn);
  return { page: html === null ? null : extractPage(html, url, warn, template), warnings };
}

/**
 * `compute`'s entry, from `cache` when it holds `key` (kept there otherwise); `cached`: it came from
 * there. The key is hashed only when there is a cache (it reads the page's bytes).
 */
async function throughCache(cache: PageCache | undefined, key: () => string, compute: () => CachedPage): Promise<CachedPage & { cached: boolean }> {
  if (cache === undefined) return { ...compute(), cached: false };
  const hashed = key();
  const hit = await cache.get(hashed);
  if (hit !== null) return { ...hit, cached: true };
  const entry = compute();
  await cache.put(hashed, entry);
  return { ...entry, cached: false };
}

/** Read every HTML page of a built site, in path order, and split each into sections. */
export async function extractSite(root: string, options: SiteOptions = {}): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of extractPages(root, options)) pages.push(page);
  return pages;
}

/** extractSite a page at a time (a big site's build spills them to disk as they come). */
export async function* extractPages(root: string, options: SiteOptions = {}): AsyncGenerator<Page> {
  const onWarning = options.onWarning ?? (() => undefined);
  let files: string[];
  try {
    files = await listHtmlFiles(root, options.skipDirs, onWarning);
  } catch (error) {
    throw new SgptError('INPUT_INVALID', `cannot read the site folder ${root}: ${(error as Error).message}`);
  }
  const excluded = excluder(options.exclude);
  const pages = files.filter((file) => (options.pages?.has(file) ?? true) && !excluded(file));
  const blocks = await findTemplate(pages, (file) => pageBlocksOf(root, file, options.cache));
  const template = { blocks, digest: templateDigest(blocks) };
  options.onTemplate?.(blocks);
  for (const file of pages) {
    const warn = (message: string) => onWarning(`${file.split(sep).join('/')}: ${message}`);
    const bytes = await readPage(join(root, file)).catch((error: unknown) => void warn(`skipped, cannot be read (${unreadable(error, file)})`));
    if (bytes === undefined) continue;
    if (typeof bytes === 'number') {
      warn(`skipped, ${bytes} bytes is more than the ${MAX_PAGE_BYTES} a page may have`);
      continue;
    }
    const url = urlOf(file);
    const { page, warnings, cached } = await throughCache(options.cache, () => pageKey(url, bytes, template.digest), () => extractBytes(bytes, url, template.blocks));
    for (const message of warnings) warn(message);
    if (page?.leftOut !== undefined) options.onLeftOutPage?.(page.leftOut);
    if (page === null || page.sections.length === 0) continue;
    if (cached) options.onCachedPage?.();
    yield page;
  }
}

/**
 * A sampled page's blocks for the site's template, from `cache` when it holds the page's inputs
 * (kept there otherwise: a rebuild parses no sampled page again); none for a page the build skips
 * (too big, binary), whose warnings it says then.
 */
async function pageBlocksOf(root: string, file: string, cache: PageCache | undefined): Promise<Set<string>> {
  const bytes = await readPage(join(root, file)).catch(() => null); // unreadable: the read for the index says so
  if (bytes === null || typeof bytes === 'number') return new Set();
  const url = urlOf(file);
  const { blocks } = await throughCache(cache, () => blocksKey(url, bytes), () => {
    const html = decodePage(bytes, () => undefined);
    return { page: null, warnings: [], blocks: html === null ? [] : [...pageBlocks(html, url)] };
  });
  return new Set(blocks);
}

/** A page file's bytes, or its size when that is more than MAX_PAGE_BYTES. Rejects as the file system does (gone, no permission). */
async function readPage(path: string): Promise<Uint8Array | number> {
  const { size } = await stat(path);
  return size > MAX_PAGE_BYTES ? size : new Uint8Array(await readFile(path));
}
