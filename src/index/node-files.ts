/**
 * The Node edge of the index: read an index folder through the same reader the browser uses, and
 * write a build into an output folder that may hold other people's files. A build writes only
 * what it owns: one build at a time holds the folder (a lock), every file is checked and staged
 * as it is made (never written through a link out of the folder; a file there that the previous
 * index does not own and that has other bytes fails the build with nothing changed), and when the
 * build commits the files are renamed into place (an existing file with the same bytes is left as
 * it is), the manifest last; only then are the files that the previous manifest's ownership list
 * names, and this build no longer writes, removed. A killed build therefore leaves the previous
 * index working, and the next one repairs it; a failed one leaves the folder as it found it.
 */
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { lstat, mkdir, readFile, realpath, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { SgptError } from '../errors';
import { DiskRowStore } from './disk-rows';
import { DiskPages } from './disk-pages';
import { checkFileName, decodeJson, encodeJson, fileContent, fileRefFor, FORMAT_NAME, gzip, parseManifest, parseOwned, verifyFile } from './format';
import { IndexReader, MANIFEST, type FileLoader } from './reader';
import type { BuiltIndex } from './writer';

export function fsLoader(dir: string): FileLoader {
  return async (name) => {
    checkFileName(name, 'a file name');
    try {
      return new Uint8Array(await readFile(join(dir, name)));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new SgptError('INDEX_INVALID', `${name}: missing from ${dir} (incomplete index; rebuild it with \`sgpt-search index\`)`);
      throw new SgptError('INDEX_INVALID', `${name}: cannot read from ${dir}: ${(error as Error).message}`);
    }
  };
}

export function openIndexDir(dir: string): Promise<IndexReader> {
  return IndexReader.open(fsLoader(dir));
}

/** Files are written here first, then renamed into place when the build commits; removed at the start and end of each build. */
export const STAGING = '.sgpt-staging';

/** Held while a build writes the folder: the pid of the build, so a second build fails at once. */
export const LOCK = '.sgpt-lock';

/** The files (paths relative to the folder, '/'-separated) the index in `dir` owns, by its manifest's ownership list; none when unreadable. */
export async function ownedFiles(dir: string): Promise<Set<string>> {
  return (await previousIndex(dir)).owned ?? new Set();
}

/**
 * What the folder holds already: whether its manifest.json is an sgpt-search index's ("format"
 * says so, whatever the version or damage; absent: none is there), and the files that index owns
 * by its ownership list (null: an sgpt-search manifest without a readable list).
 */
async function previousIndex(dir: string): Promise<{ manifest: 'none' | 'index' | 'foreign'; owned: Set<string> | null }> {
  let json: unknown;
  try {
    json = decodeJson(MANIFEST, await readFile(join(dir, MANIFEST)));
  } catch (error) {
    return { manifest: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'none' : 'foreign', owned: new Set() };
  }
  if (typeof json !== 'object' || json === null || (json as { format?: unknown }).format !== FORMAT_NAME) return { manifest: 'foreign', owned: new Set() };
  try {
    const ref = parseManifest(json).owned;
    if (ref === undefined) return { manifest: 'index', owned: null };
    const bytes = new Uint8Array(await readFile(join(dir, ref.name)));
    await verifyFile(ref, bytes);
    return { manifest: 'index', owned: new Set([...parseOwned(ref.name, decodeJson(ref.name, await fileContent(ref.name, bytes))), ref.name]) };
  } catch {
    return { manifest: 'index', owned: null }; // damage: replace what the build writes, remove nothing
  }
}

/** Whether the process `pid` runs (EPERM: it does, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Take the folder's lock: created exclusively with this process's pid. One left by a build that
 * was killed (its pid runs no more) is taken over; two builds starting at the same instant over
 * such a lock could both take it, which the lock does not try to prevent.
 */
async function lock(dir: string): Promise<void> {
  const path = join(dir, LOCK);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new SgptError('INPUT_INVALID', `cannot write into --out ${dir}: ${(error as Error).message}`);
    }
    const text = await readFile(path, 'utf8').catch(() => null); // null: released just now
    const pid = text !== null && /^\d+\n$/.test(text) ? Number(text) : NaN; // no pid yet: a build is writing it this moment
    if (attempt < 2 && (text === null || (Number.isSafeInteger(pid) && !alive(pid)))) {
      if (text !== null) await rm(path, { force: true });
      continue;
    }
    throw new SgptError(
      'INPUT_INVALID',
      `another sgpt-search build (pid ${Number.isNaN(pid) ? 'unknown' : pid}) is writing ${dir}; wait for it to finish, or give this build another --out (remove ${path} if no build is running)`,
    );
  }
}

/**
 * An output folder being written by one build, which holds its lock. Nothing in the folder changes
 * before commit: each file is checked and staged as it is put, and commit renames them all into
 * place. So a build that fails, here or anywhere before commit, has replaced nothing (abort).
 */
export class OutputDir {
  /** Paths this build wrote (or found already in place with the same bytes). */
  private readonly written = new Set<string>();
  /** Staged files by path, in the order they were put: the order commit renames them in. */
  private readonly staged = new Map<string, string>();
  /** Folders (absolute) found to lead nowhere outside the output folder. */
  private readonly inside = new Set<string>();
  private bytes = 0;
  /** Staged files so far, naming the next. */
  private count = 0;
  private closed = false;

  private constructor(
    readonly dir: string,
    /** The output folder's real path, to tell a link out of it. */
    private readonly real: string,
    /** What the previous index owns (null: an sgpt-search index without a readable list; see mayReplace). */
    private readonly previous: Set<string> | null,
    /** Whether this build made the folder (a failed build then removes it when it is empty). */
    private readonly created: boolean,
  ) {}

  /**
   * Creates the folder (refusing a file), takes its lock, clears a staging folder left by a killed
   * build, reads what the previous build owned. A manifest.json that is not an sgpt-search index's
   * is refused here, before any work, as every build replaces manifest.json.
   */
  static async open(dir: string): Promise<OutputDir> {
    const out = resolve(dir);
    let created: boolean;
    try {
      created = (await mkdir(out, { recursive: true })) !== undefined;
    } catch (error) {
      throw new SgptError('INPUT_INVALID', `--out ${dir} cannot be a folder: ${(error as Error).message}`);
    }
    await lock(out);
    try {
      const previous = await previousIndex(out);
      if (previous.manifest === 'foreign') throw inTheWay(join(out, MANIFEST), dir, 'is not an sgpt-search index manifest');
      await rm(join(out, STAGING), { recursive: true, force: true });
      await mkdir(join(out, STAGING));
      return new OutputDir(out, await realpath(out), previous.owned, created);
    } catch (error) {
      await rm(join(out, LOCK), { force: true });
      throw error;
    }
  }

  /** A RowStore for the build's vectors in the staging folder (removed by close, or with the folder). */
  rowStore(dims: number, bufferRows?: number): Promise<DiskRowStore> {
    return DiskRowStore.create(join(this.dir, STAGING, 'vectors.f32'), dims, bufferRows);
  }

  /** A PageSource for the build's pages in the staging folder (removed by close, or with the folder). */
  pageFile(): Promise<DiskPages> {
    return DiskPages.create(join(this.dir, STAGING, 'pages.jsonl'));
  }

  /** Bytes of the files this build put so far (staged or already there). */
  get total(): number {
    return this.bytes;
  }

  /** Paths put so far, in order. */
  paths(): string[] {
    return [...this.written];
  }

  /** The bytes put at `path` (staged, or already in place). */
  async read(path: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.staged.get(path) ?? join(this.dir, ...path.split('/'))));
  }

  /**
   * Put `bytes` at `path` (relative, '/'-separated): unchanged when the same bytes are there, else
   * staged for commit. Refused (INPUT_INVALID) when its folder leads out of the output folder
   * through a link, or when something else is there that this build may not replace.
   */
  async put(path: string, bytes: Uint8Array): Promise<void> {
    const target = join(this.dir, ...path.split('/'));
    this.checkFolder(target, path);
    this.written.add(path);
    this.bytes += bytes.byteLength;
    this.staged.delete(path);
    if (sameBytes(target, bytes)) return;
    if (!this.mayReplace(path) && lstatSync(target, { throwIfNoEntry: false }) !== undefined) {
      throw inTheWay(target, this.dir, 'is not a file of the sgpt-search index there');
    }
    const staged = join(this.dir, STAGING, `${++this.count}`);
    try {
      await writeFile(staged, bytes);
    } catch (error) {
      throw new SgptError('INPUT_INVALID', `cannot write ${staged}: ${(error as Error).message}`);
    }
    this.staged.set(path, staged);
  }

  /**
   * Whether the build may replace what is at `path`. Files the previous index's ownership list
   * names, yes. An sgpt-search index without the list (built before it existed, or whose list is
   * damaged): everything the build writes, since those builds wrote exactly these names (the same
   * runtime names, content-hashed index and model/<hash>/ names) into a folder given to them; a
   * file of someone else's at one of them would have been replaced by that build already. No
   * index (no manifest.json): only a file with the same bytes is left in place, anything else there is refused.
   */
  private mayReplace(path: string): boolean {
    // manifest.json: open refused one that is not an sgpt-search index's.
    return path === MANIFEST || this.previous === null || this.previous.has(path);
  }

  /** Refuses a target whose folder (or the nearest that exists) resolves outside the output folder, or is not a folder. */
  private checkFolder(target: string, path: string): void {
    const folder = dirname(target);
    if (this.inside.has(folder)) return;
    for (let existing = folder; ; existing = dirname(existing)) {
      let real: string;
      try {
        real = realpathSync(existing);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' && existing !== this.dir) continue;
        throw inTheWay(existing, this.dir, `cannot hold ${path} (${(error as Error).message})`);
      }
      if (real !== this.real && !real.startsWith(`${this.real}${sep}`)) {
        throw new SgptError('INPUT_INVALID', `${existing} is a link to ${real}, outside --out ${this.dir}: sgpt-search writes only inside --out (${path} would go there); remove the link, or choose another --out`);
      }
      if (!statSync(real).isDirectory()) throw inTheWay(existing, this.dir, `is not a folder, and ${path} goes in it`);
      break;
    }
    this.inside.add(folder);
  }

  /**
   * Make the build live: the ownership list and the manifest are put last, every staged file is
   * renamed into place in the order put (the manifest's rename makes the build live), then what
   * the previous build owned and this one did not write is removed, the staging folder and the lock.
   */
  async commit(built: BuiltIndex): Promise<void> {
    const listed = [...this.written].sort();
    const content = await gzip(encodeJson(listed));
    const owned = await fileRefFor('owned', 'json.gzip', content);
    await this.put(owned.name, content);
    await this.put(MANIFEST, encodeJson({ ...built.manifest, owned }));
    for (const [path, staged] of this.staged) {
      const target = join(this.dir, ...path.split('/'));
      try {
        await mkdir(dirname(target), { recursive: true });
        await rename(staged, target);
      } catch (error) {
        throw new SgptError('INPUT_INVALID', `cannot write ${target}: ${(error as Error).message}`);
      }
    }
    for (const path of this.previous ?? []) if (!this.written.has(path)) await this.remove(path);
    await this.close();
  }

  /**
   * A failed build: the folder is left as it was found. The staged files and the lock go, and the
   * folder too when this build made it and it is empty. Nothing after commit.
   */
  async abort(): Promise<void> {
    if (this.closed) return;
    await this.close();
    if (this.created) await rmdir(this.dir).catch(() => undefined); // not empty: someone else's now
  }

  private async close(): Promise<void> {
    this.closed = true;
    await rm(join(this.dir, STAGING), { recursive: true, force: true });
    await rm(join(this.dir, LOCK), { force: true });
  }

  /** Remove a previously owned file, and the folders it leaves empty; never through a link out of the folder. */
  private async remove(path: string): Promise<void> {
    const target = join(this.dir, ...path.split('/'));
    try {
      const parent = await realpath(dirname(target));
      if (parent !== this.real && !parent.startsWith(`${this.real}${sep}`)) return;
      if (!(await lstat(target)).isFile()) return;
      await rm(target);
      for (let folder = dirname(target); relative(this.dir, folder) !== ''; folder = dirname(folder)) await rmdir(folder);
    } catch {
      // gone already, not a file, or a folder that still holds something: leave it
    }
  }
}

/** A build refusing to replace what is at `path` in the output folder `out`, saying what to do. */
function inTheWay(path: string, out: string, why: string): SgptError {
  return new SgptError(
    'INPUT_INVALID',
    `${path} ${why}, and sgpt-search replaces only files it wrote: nothing was changed in ${out}. Move or remove that file, or give --out an empty folder (or one only sgpt-search writes)`,
  );
}

/**
 * Whether `path` holds exactly `bytes`. Synchronous: a rebuild checks thousands of small files, and
 * each promise call's round trip through libuv's thread pool cost several times the read itself
 * (the Python docs' 4,256 files: 0.7 s against 0.1 s on a loaded 2-core machine).
 */
function sameBytes(path: string, bytes: Uint8Array): boolean {
  try {
    const stat = lstatSync(path);
    if (!stat.isFile() || stat.size !== bytes.byteLength) return false;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).equals(readFileSync(path));
  } catch {
    return false;
  }
}

/** Write the index files of `built` and make it live (see OutputDir). Returns the index's bytes. */
export async function writeIndexDir(out: OutputDir, built: BuiltIndex): Promise<number> {
  const before = out.total;
  for (const file of built.files) if (file.name !== MANIFEST) await out.put(file.name, file.bytes);
  const bytes = out.total - before;
  await out.commit(built);
  return bytes;
}
