/**
 * Filters: named values a section carries (`version: 3.11`, `type: api`), from the page's
 * `data-sgpt-filter` / `<meta name="sgpt-filter">`, its URL path (`--filter-from-path`) or a
 * record's `filters`. A query's filters keep sections holding one of the asked values of every
 * asked key. The one place that parses their written forms.
 */
import { SgptError, shown } from '../errors';

/** Key → values (a section may hold several values of one key, e.g. versions a page applies to). */
export type Filters = Record<string, string[]>;

/** Longest key or value: longer is a mistake (a paragraph pasted into an attribute), not a filter. */
const MAX_FILTER_CHARS = 128;

function checked(text: string, what: string, where: string): string {
  const value = text.trim();
  if (value === '' || value.length > MAX_FILTER_CHARS) throw new SgptError('INPUT_INVALID', `${where}: a filter's ${what} must be 1 to ${MAX_FILTER_CHARS} characters, got ${JSON.stringify(text)}`);
  return value;
}

/**
 * An empty key → T table without a prototype: keys are page text, and `constructor`, `toString` or
 * `__proto__` must be ordinary keys, not Object.prototype's members.
 */
export function keyTable<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** The values `filters` holds under `key` (own keys only: a plain object's prototype holds none). */
export function filterValues(filters: Filters, key: string): readonly string[] {
  return Object.hasOwn(filters, key) ? filters[key]! : [];
}

/** Adds `value` under `key` (once) to filters made by keyTable. */
export function addFilter(filters: Filters, key: string, value: string): void {
  const values = (filters[key] ??= []);
  if (!values.includes(value)) values.push(value);
}

/** Both sets of filters together (values of one key united). */
export function mergeFilters(...sets: ReadonlyArray<Filters | undefined>): Filters {
  const out: Filters = keyTable();
  for (const set of sets) for (const [key, values] of Object.entries(set ?? {})) for (const value of values) addFilter(out, key, value);
  return out;
}

/**
 * `"version:3.11, type:api"`: comma-separated `key:value` pairs (the key ends at the first ':', so
 * a value may hold ':'; a comma in a value is written `\,`, a backslash `\\`: a value read from a
 * path or a record may hold one), as `data-sgpt-filter`, `<meta name="sgpt-filter" content>`, the
 * element's `filter` attribute and `sgpt-search query --filter` write them. `where` names the
 * source in errors.
 */
export function parseFilterList(text: string, where: string): Filters {
  const out: Filters = keyTable();
  for (const escaped of text.split(/(?<!(?:^|[^\\])(?:\\\\)*\\),/)) {
    const pair = escaped.replace(/\\([\\,])/g, '$1');
    if (pair.trim() === '') continue;
    const colon = pair.indexOf(':');
    if (colon < 0) throw new SgptError('INPUT_INVALID', `${where}: ${JSON.stringify(pair.trim())} is not a filter; write key:value, e.g. "version:3.11"`);
    addFilter(out, checked(pair.slice(0, colon), 'key', where), checked(pair.slice(colon + 1), 'value', where));
  }
  return out;
}

/** A record's `filters` field: `{key: value | [values]}` of strings. */
export function parseFilterObject(value: unknown, where: string): Filters {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SgptError('INPUT_INVALID', `${where}: "filters" must be an object {"key": "value" or ["values"]}`);
  const out: Filters = keyTable();
  for (const [key, raw] of Object.entries(value)) {
    const values = Array.isArray(raw) ? raw : [raw];
    for (const v of values) {
      if (typeof v !== 'string') throw new SgptError('INPUT_INVALID', `${where}: filter ${JSON.stringify(key)} must be a string or an array of strings`);
      addFilter(out, checked(key, 'key', where), checked(v, 'value', where));
    }
  }
  return out;
}

/**
 * Filters asked for as an object, `{key: [values]}` of strings: the one check of the API's `filters`
 * option and the element's `filters` property, so both refuse the same input with the same words.
 * Returns them copied into a keyTable.
 */
export function checkFilters(value: unknown): Filters {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new SgptError('INPUT_INVALID', `filters must be an object of keys to arrays of values, e.g. {version: ["3.11"]}, got ${shown(value)}`);
  }
  for (const [key, values] of Object.entries(value)) {
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
      throw new SgptError('INPUT_INVALID', `filters.${key} must be an array of strings (the values asked for), got ${shown(values)}`);
    }
  }
  return mergeFilters(value as Filters);
}

/** A `--filter-from-path` rule: the key, and a pattern whose first capture group is the value. */
export interface PathFilterRule {
  key: string;
  pattern: RegExp;
}

/**
 * `"version=^/(\d+\.\d+)/"`: the key, '=', then a regular expression matched against the page's
 * path from the site root (decoded: `/3.11/library/json.html`); its first capture group (or the
 * whole match without one) is the value. A page the pattern does not match gets no value.
 */
export function parsePathRule(text: string): PathFilterRule {
  const where = `--filter-from-path ${JSON.stringify(text)}`;
  const eq = text.indexOf('=');
  if (eq < 0) throw new SgptError('INPUT_INVALID', `${where}: write key=regex, e.g. 'version=^/(\\d+\\.\\d+)/'`);
  const key = checked(text.slice(0, eq), 'key', where);
  try {
    return { key, pattern: new RegExp(text.slice(eq + 1)) };
  } catch (error) {
    throw new SgptError('INPUT_INVALID', `${where}: not a regular expression (${(error as Error).message})`);
  }
}

/** The filters `rules` give a page at `url` (its percent-encoded path). */
export function pathFilters(url: string, rules: readonly PathFilterRule[]): Filters {
  const out: Filters = keyTable();
  let path: string;
  try {
    path = decodeURIComponent(url);
  } catch {
    path = url;
  }
  for (const { key, pattern } of rules) {
    const match = pattern.exec(path);
    const value = match?.[1] ?? match?.[0];
    if (value) addFilter(out, key, checked(value, 'value', `--filter-from-path ${key} on ${path}`));
  }
  return out;
}
