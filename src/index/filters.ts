/**
 * Filters and facets over a site index: at build time one small id-list file per filter value
 * (src/index/format: filters.json lists them with their counts and shards); at query time the lists
 * of the asked values only, fetched once, made into a section mask that keyword and semantic hits
 * alike must pass, and the shards a filtered semantic query may probe.
 */
import { SgptError } from '../errors';
import { keyTable, type Filters } from '../extract/filters';
import { encodeJson, encodeSectionList, type FileRef, type FilterTable, type KeyListRef } from './format';
import { encodeKeyLists } from './filter-lists';
import type { SectionShards } from './section-shards';

/** The file adder of the writer (src/index/writer). */
type AddFile = (stem: string, ext: string, content: Uint8Array, compress?: boolean) => Promise<FileRef>;

/**
 * The filter table and its value files; null when no section carries a filter (no file, no
 * manifest field). `filters[s]`: section s's filters; `shardsOf.of(s)`: the shards holding its vectors.
 */
export async function writeFilters(filters: ReadonlyArray<Filters | undefined>, shardsOf: SectionShards, add: AddFile): Promise<FileRef | null> {
  const byKey = new Map<string, Map<string, number[]>>();
  filters.forEach((set, section) => {
    for (const [key, values] of Object.entries(set ?? {})) {
      const byValue = byKey.get(key) ?? byKey.set(key, new Map()).get(key)!;
      for (const value of values) (byValue.get(value) ?? byValue.set(value, []).get(value)!).push(section);
    }
  });
  if (byKey.size === 0) return null;
  const table: FilterTable = { keys: [] };
  let file = 0;
  for (const [k, key] of [...byKey.keys()].sort().entries()) {
    const values = [];
    const sorted = [...byKey.get(key)!].sort(([a], [b]) => compareValues(a, b));
    for (const [value, sections] of sorted) {
      const ref = await add(`filter-${file++}`, 'bin', encodeSectionList(sections), true);
      const shards = new Set<number>();
      for (const s of sections) for (const shard of shardsOf.of(s)) shards.add(shard);
      values.push({ value, count: sections.length, shards: [...shards].sort((a, b) => a - b), name: ref.name, bytes: ref.bytes });
    }
    const lists: KeyListRef[] = [];
    for (const [i, { first, bytes }] of encodeKeyLists(sorted.map(([, sections]) => sections)).entries()) {
      const ref = await add(`filter-key-${k}-${i}`, 'bin', bytes, true);
      lists.push({ first, name: ref.name, bytes: ref.bytes });
    }
    table.keys.push({ key, values, lists });
  }
  return add('filters', 'json', encodeJson(table), true);
}

/** The order of a key's values: natural (3.9 before 3.11). */
function compareValues(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Which sections and shards a filtered query may use. */
export interface FilterScope {
  /** mask[s] = 1 when section s passes every asked key. */
  mask: Uint8Array;
  /** Shards holding rows of some passing section (those a semantic query may probe), ascending. */
  shards: number[];
}

/** Per key, the sections of the query's matches with each value (other keys' filters applied). */
export type Facets = Record<string, Record<string, number>>;

/** Two indexes' facet counts as one's (several sites searched together): keys sorted, values in natural order, counts added. */
export function addFacets(a: Facets, b: Facets): Facets {
  const out: Facets = keyTable();
  const own = (facets: Facets, key: string) => (Object.hasOwn(facets, key) ? Object.entries(facets[key]!) : []);
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const counts = new Map(own(a, key));
    for (const [value, n] of own(b, key)) counts.set(value, (counts.get(value) ?? 0) + n);
    const sorted = keyTable<number>();
    for (const [value, n] of [...counts].sort(([x], [y]) => compareValues(x, y))) sorted[value] = n;
    out[key] = sorted;
  }
  return out;
}

export class SiteFilters {
  constructor(
    readonly table: FilterTable,
    private readonly sectionCount: number,
    /** A value's section list, fetched and verified once (the caller caches). */
    private readonly list: (key: number, value: number) => Promise<Uint32Array>,
    /** File `i` of a key's value lists (`counts`: its values' counts), fetched and verified once (the caller caches). */
    private readonly keyFile: (key: number, file: number, counts: readonly number[]) => Promise<Uint32Array[]>,
  ) {}

  /** The keys and values the index holds, with their section counts (for a filter UI without a query). */
  get keys(): Array<{ key: string; values: Array<{ value: string; count: number }> }> {
    return this.table.keys.map(({ key, values }) => ({ key, values: values.map(({ value, count }) => ({ value, count })) }));
  }

  /**
   * Sections holding one of the asked values of every asked key. A key the index does not have is
   * INPUT_INVALID naming those it has; a value it does not have matches nothing.
   */
  async scope(filters: Filters): Promise<FilterScope> {
    const mask = new Uint8Array(this.sectionCount).fill(1);
    const shards = new Set<number>();
    let first = true;
    for (const [key, wanted] of Object.entries(filters)) {
      const k = this.keyIndex(key);
      const keyMask = await this.union(k, wanted);
      for (let s = 0; s < mask.length; s++) mask[s]! &= keyMask[s]!;
      // A shard is needed only if every key's values have rows in it.
      const keyShards = new Set(this.table.keys[k]!.values.filter((v) => wanted.includes(v.value)).flatMap((v) => v.shards));
      if (first) for (const s of keyShards) shards.add(s);
      else for (const s of shards) if (!keyShards.has(s)) shards.delete(s);
      first = false;
    }
    return { mask, shards: [...shards].sort((a, b) => a - b) };
  }

  /**
   * Facet counts of `matches` (the query's matching sections): for each key, per value, the
   * matches carrying it that pass the asked filters of the *other* keys (so choosing version 3.11
   * still shows how many hits 3.12 would have). Reads each key's list files (every value's list,
   * in an index written before them).
   */
  async facets(matches: readonly number[], filters: Filters): Promise<Facets> {
    const masks = new Map<string, Uint8Array>();
    for (const [key, wanted] of Object.entries(filters)) masks.set(key, await this.union(this.keyIndex(key), wanted));
    const out: Facets = keyTable();
    for (const [k, { key, values }] of this.table.keys.entries()) {
      const others = [...masks].filter(([other]) => other !== key).map(([, mask]) => mask);
      const passing = new Uint8Array(this.sectionCount);
      for (const s of matches) if (others.every((mask) => mask[s] === 1)) passing[s] = 1;
      const lists = await this.valueLists(k);
      const counts = keyTable<number>();
      values.forEach(({ value }, v) => (counts[value] = lists[v]!.reduce((n, s) => n + passing[s]!, 0)));
      out[key] = counts;
    }
    return out;
  }

  /** Every value's section list of key `k`, from the key's list files (or, without them, each value's file). */
  private async valueLists(k: number): Promise<Uint32Array[]> {
    const { values, lists } = this.table.keys[k]!;
    if (!lists) return Promise.all(values.map((_, v) => this.list(k, v)));
    const files = lists.map((ref, i) => this.keyFile(k, i, values.slice(ref.first, lists[i + 1]?.first ?? values.length).map((v) => v.count)));
    return (await Promise.all(files)).flat();
  }

  private keyIndex(key: string): number {
    const k = this.table.keys.findIndex((entry) => entry.key === key);
    if (k < 0) {
      const known = this.table.keys.map((entry) => JSON.stringify(entry.key)).join(', ');
      throw new SgptError('INPUT_INVALID', `filter key ${JSON.stringify(key)} is not in the index (${known ? `it has ${known}` : 'it has no filters'})`);
    }
    return k;
  }

  private async union(k: number, wanted: readonly string[]): Promise<Uint8Array> {
    const mask = new Uint8Array(this.sectionCount);
    const values = this.table.keys[k]!.values;
    for (const [v, { value }] of values.entries()) {
      if (!wanted.includes(value)) continue;
      for (const s of await this.list(k, v)) mask[s] = 1;
    }
    return mask;
  }
}
