/**
 * Document vectors kept across visits in IndexedDB (browser edge), under
 * `<model key> <content hash>` (src/worker/document-vectors): a document embedded once by a model
 * is not embedded again by it, whatever its id or url, until its title or text changes.
 *
 * IndexedDB is an optimisation, never a requirement: when it cannot be opened (disabled, blocked
 * by another tab holding an older version, private mode) or refuses a write (quota), the vectors
 * live in memory for this page view and the console says why, once.
 */

const DB_NAME = 'sgpt-search';
const STORE = 'vectors';
/** A database that neither opens nor fails within this long (an open blocked by another tab) is given up. */
const OPEN_TIMEOUT_MS = 3_000;

export interface VectorCache {
  /** Rows per key (null: not kept). */
  get(keys: readonly string[]): Promise<Array<Float32Array | null>>;
  put(entries: ReadonlyArray<{ key: string; rows: Float32Array }>): Promise<void>;
  /** 'indexeddb', or 'memory' after a fallback. */
  readonly kind: 'indexeddb' | 'memory';
}

function note(reason: string): void {
  console.warn(`sgpt-search: ${reason}; document vectors are kept in memory for this page only, so the next visit embeds the documents again`);
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException('transaction aborted', 'AbortError'));
  });
}

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`IndexedDB did not open within ${OPEN_TIMEOUT_MS / 1000} s`)), OPEN_TIMEOUT_MS);
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onblocked = () => {
      clearTimeout(timer);
      reject(new Error('IndexedDB is blocked (another tab holds an older version of the database open)'));
    };
    req.onsuccess = () => {
      clearTimeout(timer);
      resolve(req.result);
    };
    req.onerror = () => {
      clearTimeout(timer);
      reject(req.error ?? new Error('IndexedDB refused to open'));
    };
  });
}

class MemoryCache implements VectorCache {
  readonly kind = 'memory' as const;
  constructor(readonly entries = new Map<string, Float32Array>()) {}
  async get(keys: readonly string[]) {
    return keys.map((key) => this.entries.get(key) ?? null);
  }
  async put(entries: ReadonlyArray<{ key: string; rows: Float32Array }>) {
    for (const { key, rows } of entries) this.entries.set(key, rows);
  }
}

/** IndexedDB until it fails; then the same interface over memory, with the console note. */
class FallbackCache implements VectorCache {
  private memory: MemoryCache | null = null;
  constructor(private readonly db: IDBDatabase) {}

  get kind() {
    return this.memory === null ? ('indexeddb' as const) : ('memory' as const);
  }

  private fallBack(reason: string): MemoryCache {
    if (this.memory === null) {
      note(reason);
      this.memory = new MemoryCache();
    }
    return this.memory;
  }

  async get(keys: readonly string[]) {
    if (this.memory !== null) return this.memory.get(keys);
    try {
      const store = this.db.transaction(STORE, 'readonly').objectStore(STORE);
      const values = await Promise.all(keys.map((key) => request(store.get(key))));
      return values.map((value) => (value instanceof Float32Array ? value : null));
    } catch (error) {
      return this.fallBack(`IndexedDB could not be read (${describe(error)})`).get(keys);
    }
  }

  async put(entries: ReadonlyArray<{ key: string; rows: Float32Array }>) {
    if (this.memory !== null) return this.memory.put(entries);
    if (entries.length === 0) return;
    try {
      const tx = this.db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      for (const { key, rows } of entries) store.put(rows, key);
      await done(tx);
    } catch (error) {
      const quota = error instanceof DOMException && error.name === 'QuotaExceededError';
      await this.fallBack(quota ? 'the browser\'s storage quota for this site is full (QuotaExceededError)' : `IndexedDB refused to store vectors (${describe(error)})`).put(entries);
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error || error instanceof DOMException ? `${error.name}: ${error.message}` : String(error);
}

/** The page's vector cache: IndexedDB when it opens, else memory (with a console note). */
export async function openVectorCache(): Promise<VectorCache> {
  try {
    if (typeof indexedDB === 'undefined') throw new Error('this browser has no IndexedDB');
    return new FallbackCache(await openDb());
  } catch (error) {
    note(`IndexedDB is not available (${describe(error)})`);
    return new MemoryCache();
  }
}

/** A cache in memory only (Node tests, or a page that opts out). */
export function memoryVectorCache(): VectorCache {
  return new MemoryCache();
}
