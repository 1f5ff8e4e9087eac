/**
 * The page extraction cache: a page whose inputs are unchanged is not parsed again; its extracted
 * Page (and the warnings its extraction said) come back from the previous build. Node edge.
 *
 * The key (pageKey, the one place that owns it) hashes everything that decides a page's extraction:
 * EXTRACTOR_VERSION, the HTML parser's version, the runtime's ICU (the charsets a page may
 * declare), the site's template (the blocks left out as chrome: ./template), the page's site URL
 * and its file's bytes. What picks pages (exclude, skipped folders)
 * and what is applied after (filters read from the path, records) is not in it.
 *
 * One pack file per build target (site folder + output folder) under `<dir>/`: the entries, then
 * an index (JSON: format, extractor version, [key, offset, length, sha-1] per entry), then a
 * 24-byte trailer ("SGPTPGS1", the index's offset and length as little-endian uint64s). A build
 * reads its pack's index, reads each hit's bytes where they lie, and streams the next generation
 * to a temporary file (the hits' bytes copied, the misses written) that replaces the pack when the
 * site has been read: an entry no build used is gone after one build, and memory holds an index
 * and a page, not the site. A pack of another target untouched for PRUNE_DAYS is removed.
 * Anything wrong with a pack (unreadable, truncated, foreign format or extractor version, an entry
 * failing its check) is a miss and one warning line; a folder that cannot be written is one note,
 * and the build goes on without keeping its pages. Never a failed or a wrong build.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Page } from './html';

/** Bump whenever html.ts or site.ts's decodePage change what a page extracts to (test/unit/page-cache.test.ts ties it to the fixture's pages). */
export const EXTRACTOR_VERSION = 30;
/** The pack's own layout; bump when it changes. */
const MAGIC = 'SGPTPGS1';
const FORMAT = 1;
const TRAILER_BYTES = 24;
/** Packs of other build targets unused this long are removed; temporary files of killed builds after a day. */
const PRUNE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * What a page's extraction gave: the page (null: skipped, e.g. binary) and the warnings it said
 * (without the file name); or, in an entry of its own (blocksKey), a sampled page's blocks for the
 * site's template (./template), which a build reads before it knows the template.
 */
export interface CachedPage {
  page: Page | null;
  warnings: string[];
  blocks?: string[];
}

type IndexEntry = [key: string, offset: number, length: number, sha1: string];

interface PackIndex {
  format: number;
  extractor: number;
  entries: IndexEntry[];
}

/** The parser's version: a new parse5 may build another tree from the same bytes. */
function parserVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const pkg = require(join(dirname(require.resolve('parse5')), '..', 'package.json')) as { version?: unknown };
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

let keyPrefix: string | undefined;

/** The cache key of a page: a hash over everything that decides its extraction (see the module comment); `template`: the site template's digest (./template). */
export function pageKey(url: string, bytes: Uint8Array, template = ''): string {
  keyPrefix ??= `sgpt-page\0extractor ${EXTRACTOR_VERSION}\0parse5 ${parserVersion()}\0icu ${process.versions.icu ?? ''}\0`;
  return createHash('sha256').update(keyPrefix).update(`template ${template}\0${url}\0${bytes.byteLength}\0`).update(bytes).digest('hex');
}

/** The cache key of a sampled page's blocks (CachedPage.blocks): its page's inputs but the template, which they decide; never a page's key (a template's digest is hex or ''). */
export function blocksKey(url: string, bytes: Uint8Array): string {
  return pageKey(url, bytes, 'blocks');
}

/** The pack of a build target: the site folder and the output folder, resolved. */
export function packName(site: string, out: string): string {
  return `${createHash('sha256').update(`${resolve(site)}\0${resolve(out)}`).digest('hex').slice(0, 24)}.pack`;
}

function sha1(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** Why `index` is not a pack index this build can read, or null when it is. */
function indexProblem(index: unknown, end: number): string | null {
  const value = index as Partial<PackIndex> | null;
  if (value === null || typeof value !== 'object' || value.format !== FORMAT) return 'another pack format';
  if (value.extractor !== EXTRACTOR_VERSION) return `written by extractor version ${String(value.extractor)}, this is ${EXTRACTOR_VERSION}`;
  const ok = (e: unknown) =>
    Array.isArray(e) && typeof e[0] === 'string' && Number.isSafeInteger(e[1]) && Number.isSafeInteger(e[2]) && e[1] >= 0 && e[2] >= 0 && e[1] + e[2] <= end && typeof e[3] === 'string';
  return Array.isArray(value.entries) && value.entries.every(ok) ? null : 'a damaged index';
}

/** An entry's bytes as a CachedPage; null when they are not one (bytes that pass their check yet are not: a broken writer's). */
function parseEntry(bytes: Buffer): CachedPage | null {
  let value: Partial<CachedPage> | null;
  try {
    value = JSON.parse(bytes.toString('utf8')) as Partial<CachedPage> | null;
  } catch {
    return null;
  }
  const page = value?.page;
  const pageOk = page === null || (typeof page === 'object' && page !== undefined && Array.isArray(page.sections));
  const blocksOk = value?.blocks === undefined || Array.isArray(value.blocks);
  return value !== null && typeof value === 'object' && pageOk && blocksOk && Array.isArray(value.warnings) ? (value as CachedPage) : null;
}

/** The previous generation: its entries by key, read where they lie. */
class PackReader {
  private constructor(
    private readonly file: FileHandle,
    private readonly entries: Map<string, IndexEntry>,
  ) {}

  /** The pack at `path`; null when there is none, a reason string when it cannot be used. */
  static async open(path: string): Promise<PackReader | string | null> {
    let file: FileHandle;
    try {
      file = await open(path, 'r');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' || code === 'ENOTDIR' ? null : `cannot be read (${(error as Error).message})`; // no folder yet: no pack
    }
    try {
      const { size } = await file.stat();
      if (size < TRAILER_BYTES) throw new Error('truncated');
      const trailer = Buffer.alloc(TRAILER_BYTES);
      await file.read(trailer, 0, TRAILER_BYTES, size - TRAILER_BYTES);
      if (trailer.toString('latin1', 0, 8) !== MAGIC) throw new Error('truncated, or not a page pack');
      const [at, length] = [Number(trailer.readBigUInt64LE(8)), Number(trailer.readBigUInt64LE(16))];
      if (at + length !== size - TRAILER_BYTES) throw new Error('truncated');
      const raw = Buffer.alloc(length);
      await file.read(raw, 0, length, at);
      let index: unknown;
      try {
        index = JSON.parse(raw.toString('utf8'));
      } catch {
        throw new Error('a damaged index');
      }
      const problem = indexProblem(index, at);
      if (problem !== null) throw new Error(problem);
      return new PackReader(file, new Map((index as PackIndex).entries.map((e) => [e[0], e])));
    } catch (error) {
      await file.close();
      return (error as Error).message;
    }
  }

  /** The entry's bytes, or 'corrupt' when they fail their check; undefined when the pack has no such key. */
  async read(key: string): Promise<Buffer | 'corrupt' | undefined> {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    const bytes = Buffer.alloc(entry[2]);
    const { bytesRead } = await this.file.read(bytes, 0, entry[2], entry[1]);
    return bytesRead === entry[2] && sha1(bytes) === entry[3] ? bytes : 'corrupt';
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

/** The next generation, streamed to a temporary file renamed over the pack when the build has read every page. */
class PackWriter {
  private offset = 0;
  private readonly entries: IndexEntry[] = [];
  private readonly keys = new Set<string>();

  private constructor(
    private readonly file: FileHandle,
    private readonly temporary: string,
  ) {}

  static async create(path: string): Promise<PackWriter> {
    const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    return new PackWriter(await open(temporary, 'w'), temporary);
  }

  async add(key: string, bytes: Uint8Array): Promise<void> {
    if (this.keys.has(key)) return;
    this.keys.add(key);
    await this.file.write(bytes, 0, bytes.byteLength, this.offset);
    this.entries.push([key, this.offset, bytes.byteLength, sha1(bytes)]);
    this.offset += bytes.byteLength;
  }

  async commit(path: string): Promise<void> {
    const index = Buffer.from(JSON.stringify({ format: FORMAT, extractor: EXTRACTOR_VERSION, entries: this.entries } satisfies PackIndex), 'utf8');
    const trailer = Buffer.alloc(TRAILER_BYTES);
    trailer.write(MAGIC, 0, 'latin1');
    trailer.writeBigUInt64LE(BigInt(this.offset), 8);
    trailer.writeBigUInt64LE(BigInt(index.byteLength), 16);
    await this.file.write(Buffer.concat([index, trailer]), 0, index.byteLength + TRAILER_BYTES, this.offset);
    await this.file.close();
    await rename(this.temporary, path);
  }

  async abandon(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await rm(this.temporary, { force: true });
  }
}

/** A build's view of its pack: get() what the previous generation holds, put() what was extracted, then commit(). */
export class PageCache {
  /** Entries that failed their check (extracted again). */
  private corrupt = 0;

  private constructor(
    private readonly path: string,
    private reader: PackReader | null,
    private writer: PackWriter | null,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * The cache of the build target `name` (packName) in `dir` (created when missing). Never throws:
   * an unusable pack is a warning and no hits, an unwritable folder a note and no writes.
   */
  static async open(dir: string, name: string, warn: (message: string) => void): Promise<PageCache> {
    const path = join(dir, name);
    const reader = await PackReader.open(path);
    if (typeof reader === 'string') warn(`page cache ${path}: ${reader}; every page is extracted again and the pack replaced`);
    let writer: PackWriter | null = null;
    try {
      await mkdir(dir, { recursive: true });
      writer = await PackWriter.create(path);
    } catch (error) {
      warn(`page cache ${dir} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): this build's pages are not kept`);
    }
    return new PageCache(path, typeof reader === 'string' ? null : reader, writer, warn);
  }

  /** The page extracted before from the same inputs, carried into the next generation; null on a miss. */
  async get(key: string): Promise<CachedPage | null> {
    const bytes = await this.reader?.read(key);
    if (bytes === undefined) return null;
    const entry = bytes === 'corrupt' ? null : parseEntry(bytes);
    if (entry === null) {
      this.corrupt++;
      return null;
    }
    await this.keep(key, bytes as Buffer);
    return entry;
  }

  /** Keeps a freshly extracted page for the next build. */
  put(key: string, entry: CachedPage): Promise<void> {
    return this.keep(key, Buffer.from(JSON.stringify(entry), 'utf8'));
  }

  /** Replaces the pack with this build's pages (only when every page was read) and prunes stale packs. */
  async commit(): Promise<void> {
    await this.reader?.close();
    this.reader = null;
    if (this.corrupt > 0) this.warn(`page cache ${this.path}: ${this.corrupt} damaged entr${this.corrupt === 1 ? 'y was' : 'ies were'} extracted again and replaced`);
    const writer = this.writer;
    if (writer === null) return;
    this.writer = null;
    try {
      await writer.commit(this.path);
    } catch (error) {
      await writer.abandon();
      this.warn(`page cache ${this.path} cannot be written (${(error as Error).message}): this build's pages are not kept`);
      return;
    }
    await prune(dirname(this.path), this.path);
  }

  /** Leaves the pack as it was (a build that failed before reading every page). */
  async abandon(): Promise<void> {
    await this.reader?.close();
    await this.writer?.abandon();
    this.reader = this.writer = null;
  }

  private async keep(key: string, bytes: Uint8Array): Promise<void> {
    if (this.writer === null) return;
    try {
      await this.writer.add(key, bytes);
    } catch (error) {
      await this.writer.abandon();
      this.writer = null;
      this.warn(`page cache ${this.path} cannot be written (${(error as Error).message}): this build's pages are not kept`);
    }
  }
}

/** Removes other targets' packs unused for PRUNE_DAYS and temporary files older than a day (best effort). */
async function prune(dir: string, own: string): Promise<void> {
  const now = Date.now();
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const path = join(dir, name);
    const limit = name.endsWith('.tmp') ? DAY_MS : name.endsWith('.pack') && path !== own ? PRUNE_DAYS * DAY_MS : Infinity;
    if (limit === Infinity) continue;
    const info = await stat(path).catch(() => null);
    if (info !== null && now - info.mtimeMs > limit) await rm(path, { force: true }).catch(() => undefined);
  }
}
