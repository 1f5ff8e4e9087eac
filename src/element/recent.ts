/**
 * Recent searches kept in the browser (localStorage, or any Storage): newest first, no repeats
 * (case-insensitive), at most MAX_RECENT. A store the page cannot write (private mode, quota, a
 * sandboxed frame) or an entry another script garbled reads as empty: never an error for the reader.
 */
export const MAX_RECENT = 5;
/** A search longer than this is not kept (nor shown when found stored). */
export const MAX_RECENT_CHARS = 200;
const KEY_PREFIX = 'sgpt-search:recent:';

export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export class RecentSearches {
  private readonly key: string;

  /** `scope`: which searches share a list (the index or documents URL), so two sites on one origin keep theirs apart. */
  constructor(
    private readonly storage: StorageLike | null,
    scope: string,
  ) {
    this.key = KEY_PREFIX + scope;
  }

  list(): string[] {
    try {
      const data: unknown = JSON.parse(this.storage?.getItem(this.key) ?? '[]');
      // Only what add() would have stored: a value someone else wrote there may be anything.
      return Array.isArray(data) ? data.filter((item): item is string => typeof item === 'string' && item.trim() !== '' && item.length <= MAX_RECENT_CHARS).slice(0, MAX_RECENT) : [];
    } catch {
      return [];
    }
  }

  /** Keep `query` as the newest; returns the list as stored. */
  add(query: string): string[] {
    const text = query.trim();
    if (text === '' || text.length > MAX_RECENT_CHARS) return this.list();
    const next = [text, ...this.list().filter((item) => item.toLowerCase() !== text.toLowerCase())].slice(0, MAX_RECENT);
    this.write(() => this.storage?.setItem(this.key, JSON.stringify(next)));
    return this.list();
  }

  clear(): void {
    this.write(() => this.storage?.removeItem(this.key));
  }

  private write(action: () => void): void {
    try {
      action();
    } catch {
      // Storage refused (quota, private mode): recent searches are a convenience, the search goes on.
    }
  }
}
