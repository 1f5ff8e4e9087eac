/**
 * Custom records (`sgpt-search index --records records.jsonl`): content that is not HTML, one JSON
 * object per line, `{url, title, text, lang?}`, indexed like pages' sections, alone or with a
 * site's HTML. `url` is a path from the site root, optionally with the `#anchor` a hit links to;
 * records with the same path are the sections of one page. `filters` (`{key: value | [values]}`)
 * are the record's section's filter values; `weight` (> 0, default 1) multiplies its keyword score
 * (src/extract/weights), as `data-sgpt-weight` does a page's section's.
 */
import { readFile } from 'node:fs/promises';
import { SgptError } from '../errors';
import { utf8Input } from '../extract/encoding';
import type { Page } from '../extract/html';
import { parseFilterObject } from '../extract/filters';
import { checkWeight } from '../extract/weights';

const KEYS = new Set(['url', 'title', 'text', 'lang', 'filters', 'weight']);

/** A record's url as a page path (each segment percent-encoded, as extracted pages' urls) and an anchor. */
function splitUrl(url: string, where: string): { path: string; anchor: string } {
  const hash = url.indexOf('#');
  const rawPath = hash < 0 ? url : url.slice(0, hash);
  const rawAnchor = hash < 0 ? '' : url.slice(hash + 1);
  if (!rawPath.startsWith('/') || rawPath.startsWith('//') || /[?\\]/.test(rawPath)) {
    throw new SgptError('INPUT_INVALID', `${where}: url ${JSON.stringify(url)} must be a path from the site root, like "/guide/install.html#linux" (no scheme, host or query)`);
  }
  try {
    const path = rawPath.split('/').map((segment) => encodeURIComponent(decodeURIComponent(segment))).join('/');
    return { path, anchor: decodeURIComponent(rawAnchor) };
  } catch {
    throw new SgptError('INPUT_INVALID', `${where}: url ${JSON.stringify(url)} has a malformed %-escape`);
  }
}

function text(value: unknown, key: string, where: string, required: boolean): string {
  if (typeof value === 'string' && (value.trim() !== '' || !required)) return value.replace(/\s+/g, ' ').trim();
  throw new SgptError('INPUT_INVALID', `${where}: "${key}" must be a ${required ? 'non-empty ' : ''}string`);
}

/**
 * The pages of a JSONL records file's text (`file` names it in errors, with the line). A bad line is
 * INPUT_INVALID naming file, line and field.
 */
export function parseRecords(content: string, file: string): Page[] {
  const pages = new Map<string, Page & { titled: boolean }>();
  content.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw new SgptError('INPUT_INVALID', `${where}: not valid JSON (${(error as Error).message}); each line must be one record {"url", "title", "text"}`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new SgptError('INPUT_INVALID', `${where}: a record must be a JSON object {"url", "title", "text"}`);
    const fields = record as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((key) => !KEYS.has(key));
    if (unknown.length > 0) throw new SgptError('INPUT_INVALID', `${where}: unknown field ${JSON.stringify(unknown[0])} (a record has ${[...KEYS].join(', ')})`);
    if (typeof fields.url !== 'string') throw new SgptError('INPUT_INVALID', `${where}: "url" must be a string`);
    const { path, anchor } = splitUrl(fields.url, where);
    const title = text(fields.title, 'title', where, true);
    const body = text(fields.text, 'text', where, true);
    const lang = fields.lang === undefined ? '' : text(fields.lang, 'lang', where, false);
    let page = pages.get(path);
    if (!page) pages.set(path, (page = { url: path, title, lang, sections: [], titled: anchor === '' }));
    else {
      if (page.lang !== lang) throw new SgptError('INPUT_INVALID', `${where}: "lang" ${JSON.stringify(lang)} differs from ${JSON.stringify(page.lang)} of an earlier record of ${path}`);
      // The page's title is that of its record without an anchor, else of its first record.
      if (anchor === '' && !page.titled) Object.assign(page, { title, titled: true });
    }
    if (page.sections.some((s) => s.anchor === anchor)) throw new SgptError('INPUT_INVALID', `${where}: a second record for ${fields.url}`);
    const filters = fields.filters === undefined ? undefined : parseFilterObject(fields.filters, where);
    const weight = fields.weight === undefined ? 1 : checkWeight(fields.weight, `${where}: "weight"`);
    page.sections.push({
      url: path,
      anchor,
      title,
      pageTitle: '',
      headingPath: [title],
      text: body,
      ...(filters && Object.keys(filters).length > 0 ? { filters } : {}),
      ...(weight === 1 ? {} : { weight }),
    });
  });
  return [...pages.values()].map(({ titled: _, ...page }) => ({ ...page, sections: page.sections.map((s) => ({ ...s, pageTitle: page.title })) }));
}

/** The pages of a JSONL records file. */
export async function readRecords(path: string): Promise<Page[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new SgptError('INPUT_INVALID', `--records ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseRecords(utf8Input(bytes, path), path);
}

/** Site pages and record pages go together, but a record page at a site page's url (`siteUrls`) is INPUT_INVALID. */
export function checkRecords(siteUrls: ReadonlySet<string>, records: readonly Page[], file: string): void {
  const clash = records.find((p) => siteUrls.has(p.url));
  if (clash) throw new SgptError('INPUT_INVALID', `${file}: records at ${clash.url} clash with the site's page there; give them another url`);
}
