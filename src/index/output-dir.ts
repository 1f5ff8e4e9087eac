/**
 * A build's output folder, which may hold other people's files (the index's Node edge for
 * writing; reading is ./node-files). A build writes only what it owns: one build at a time holds the folder (a lock, ./out-lock), every file is checked
 * and staged as it is made (never written through a link out of the folder; a file there that the
 * previous index does not own, or that is no longer the bytes it wrote, and that has other bytes
 * than this build's, or anything there but a regular file, fails the build with nothing changed),
 * and when the build commits the files are checked again, listed as pending and renamed into place
 * (an existing file with the same bytes is left as it is, and listed as the build's only when it
 * was already the index's), the manifest last; only then are the files that the previous
 * manifest's ownership list names, and this build no longer writes, removed, each only while it
 * still holds the bytes listed (its sha256). A killed build therefore leaves the previous index
 * working, and the next one repairs it (the pending list names what a killed commit placed, with
 * the hashes); a failed one leaves the folder as it found it.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, realpath, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { SgptError } from '../errors';
import { DiskRowStore } from './disk-rows';
import { DiskPages } from './disk-pages';
import { readIndexFile } from './node-files';
import { LOCK, OutLock, STAGING } from './out-lock';
import { decodeJson, encodeJson, fileContent, fileRefFor, FORMAT_NAME, gzip, parseManifest, parseOwned, verifyFile, type Manifest, type OwnedEntry } from './format';
import { MANIFEST } from './reader';
import type { BuiltIndex } from './writer';

/**
 * Each build writes its files into its own staging folder, `.sgpt-staging-<lock token>`, then
 * renames them into place at commit; its own, so two builds that both believe they hold the lock
 * never rename each other's bytes. Removed at the end of each build, and by the next build's open.
 */
export { STAGING };

/**
 * The paths a commit is about to place or remove, each with the sha256 of the bytes it places (or
 * that the previous build listed), written (atomically) before its first rename and removed after
 * its last removal. A build killed or failed in between leaves it: the next build counts a file at
 * one of those paths that holds those bytes as its own (replaces it, removes it when it does not
 * write it), so it repairs the folder instead of refusing files that no ownership list names yet.
 */
export const PENDING = '.sgpt-pending.json';

export { LOCK };

/**
 * What a build may replace or remove: by path, the sha256 of each content a build wrote there (a
 * set: a killed commit's pending list and the previous ownership list may name two), or null for
 * an entry of a list written before the hashes.
 */
type Owned = Map<string, Set<string> | null>;

/** The files (paths relative to the folder, '/'-separated) the index in `dir` owns, by its manifest's ownership list; none when unreadable. */
export async function ownedFiles(dir: string): Promise<Set<string>> {
  return new Set((await previousIndex(dir)).owned?.keys());
}

/**
 * Whether `dir` holds no manifest.json, an sgpt-search index's, or someone else's, which a build
 * into `dir` refuses to replace (OutputDir.open). The Vite dev server refuses the same way.
 */
export async function manifestThere(dir: string): Promise<'none' | 'index' | 'foreign'> {
  return (await previousIndex(dir)).manifest;
}

/**
 * What the folder holds already: whether its manifest.json is an sgpt-search index's ("format"
 * says so, whatever the version or damage; absent: none is there), and what that index owns by
 * its ownership list: null for a valid manifest without one (built before the list existed). A
 * manifest that does not validate, or whose list is missing or damaged, owns nothing (but its
 * manifest.json): anyone can write `{"format":"sgpt-search-index"}`, and it must not make the
 * user's files at the build's names replaceable.
 */
async function previousIndex(dir: string): Promise<{ manifest: 'none' | 'index' | 'foreign'; owned: Owned | null }> {
  let json: unknown;
  try {
    json = decodeJson(MANIFEST, await readIndexFile(join(dir, MANIFEST)));
  } catch (error) {
    return { manifest: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'none' : 'foreign', owned: new Map() };
  }
  if (typeof json !== 'object' || json === null || (json as { format?: unknown }).format !== FORMAT_NAME) return { manifest: 'foreign', owned: new Map() };
  let manifest: Manifest;
  try {
    manifest = parseManifest(json);
  } catch {
    return { manifest: 'index', owned: new Map() };
  }
  if (manifest.owned === undefined) return { manifest: 'index', owned: null };
  return { manifest: 'index', owned: toOwned((await listedFiles(dir, manifest)) ?? []) };
}

/** The entries of the ownership list of the index `manifest` in `dir`, the list itself included (null: no list, or a damaged one). */
async function listedFiles(dir: string, manifest: Manifest): Promise<OwnedEntry[] | null> {
  const ref = manifest.owned;
  if (ref === undefined) return null;
  try {
    const bytes = await readIndexFile(join(dir, ref.name), ref.bytes);
    await verifyFile(ref, bytes);
    return [...parseOwned(ref.name, decodeJson(ref.name, await fileContent(ref.name, bytes))), { path: ref.name, sha256: ref.sha256 }];
  } catch {
    return null;
  }
}

/** `entries` by path, the hashes of a path's entries together (null: an entry without a hash, see OutputDir.mayReplace). */
function toOwned(entries: readonly OwnedEntry[], into: Owned = new Map()): Owned {
  for (const { path, sha256 } of entries) {
    const hashes = into.has(path) ? into.get(path)! : new Set<string>();
    if (hashes !== null && sha256 !== null) hashes.add(sha256);
    into.set(path, sha256 === null ? null : hashes);
  }
  return into;
}

/**
 * The entries of a pending list left in `dir` by a commit that did not finish (none: none, or
 * unreadable). An entry without a hash grants nothing: it is a stray list written by hand, or one
 * of a version before the hashes, and nothing tells a file that version placed from a user's.
 */
async function pendingFiles(dir: string): Promise<OwnedEntry[]> {
  try {
    return parseOwned(PENDING, decodeJson(PENDING, await readIndexFile(join(dir, PENDING)))).filter((entry) => entry.sha256 !== null);
  } catch {
    return [];
  }
}

/** A staged file: where it waits, its sha256, and what was at its path when put (false: nothing; else the sha256 of the file the build may replace there). */
interface Staged {
  file: string;
  sha256: string;
  existed: false | string;
}

/** Fails (touching nothing) when another build took the lock of `dir` over from this one (`when`: as it started, while it ran). */
async function stillHeld(lock: OutLock, dir: string, when: string): Promise<void> {
  if (!(await lock.holds())) {
    throw new SgptError('INPUT_INVALID', `another sgpt-search build took --out ${dir} over ${when} (its lock ${lock.path} no longer names this build): this build changed nothing there`);
  }
}

/**
 * An output folder being written by one build, which holds its lock. Nothing in the folder changes
 * before commit: each file is checked and staged as it is put, and commit checks them all again and
 * renames them into place. So a build that fails, here or anywhere before commit, has replaced
 * nothing (abort).
 */
export class OutputDir {
  /** Paths this build wrote (or found already in place with the same bytes), with the sha256 of those bytes. */
  private readonly written = new Map<string, string>();
  /** Of those, the ones found in place that were not the previous index's: a user's file with the build's bytes stays the user's. */
  private readonly notOurs = new Set<string>();
  /** Staged files by path, in the order they were put: the order commit renames them in. */
  private readonly staged = new Map<string, Staged>();
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
    private readonly lock: OutLock,
    /** This build's staging folder. */
    private readonly staging: string,
    /** What the previous index owns, and what a pending list a killed commit left names (see mayReplace). */
    private readonly owned: Owned,
    /** Whether the previous index has no ownership list (built before it existed; see mayReplace). */
    private readonly unlisted: boolean,
    /** Said once, after commit, of files a build listed that it left in place (changed since, or listed without a hash). */
    private readonly onNote: (line: string) => void,
    /** The topmost folder this build made for --out (a failed build removes those it made, when empty). */
    private readonly created: string | undefined,
  ) {}

  /**
   * Creates the folder (refusing a file), takes its lock, reads what the previous build owned and
   * what a killed commit left pending, and clears the staging folders of builds that hold the lock
   * no more (once this build holds it, no other build may write). A manifest.json that is not an
   * sgpt-search index's is refused here, before any work, as every build replaces manifest.json.
   */
  static async open(dir: string, onNote: (line: string) => void = () => undefined): Promise<OutputDir> {
    const out = resolve(dir);
    let created: string | undefined;
    try {
      created = await mkdir(out, { recursive: true });
    } catch (error) {
      throw new SgptError('INPUT_INVALID', `--out ${dir} cannot be a folder: ${(error as Error).message}`);
    }
    let lock: OutLock | undefined;
    try {
      lock = await OutLock.take(out);
      // Before clearing other builds' staging folders: the lock must still be ours (see out-lock.ts for when it may not be).
      await stillHeld(lock, dir, 'as this one started');
      const previous = await previousIndex(out);
      if (previous.manifest === 'foreign') throw inTheWay(join(out, MANIFEST), dir, 'is not an sgpt-search index manifest');
      const pending = await pendingFiles(out);
      // `.sgpt-lock-<token>`: a stale lock moved aside by a build killed then, before the lock's temporary files were named `.sgpt-staging-…`.
      for (const name of await readdir(out)) if (name.startsWith(STAGING) || name.startsWith(`${LOCK}-`)) await rm(join(out, name), { recursive: true, force: true });
      const staging = join(out, `${STAGING}-${lock.token}`);
      await mkdir(staging);
      const owned = toOwned(pending, previous.owned ?? new Map());
      return new OutputDir(out, await realpath(out), lock, staging, owned, previous.owned === null, onNote, created);
    } catch (error) {
      await lock?.release();
      await removeMade(out, created);
      throw error;
    }
  }

  /** A RowStore for the build's vectors in the staging folder (removed by close, or with the folder). */
  rowStore(dims: number, bufferRows?: number): Promise<DiskRowStore> {
    return DiskRowStore.create(join(this.staging, 'vectors.f32'), dims, bufferRows);
  }

  /** A PageSource for the build's pages in the staging folder (removed by close, or with the folder). */
  pageFile(): Promise<DiskPages> {
    return DiskPages.create(join(this.staging, 'pages.jsonl'));
  }

  /** Bytes of the files this build put so far (staged or already there). */
  get total(): number {
    return this.bytes;
  }

  /** Paths put so far, in order. */
  paths(): string[] {
    return [...this.written.keys()];
  }

  /** The bytes put at `path` (staged, or already in place). */
  async read(path: string): Promise<Uint8Array> {
    return new Uint8Array(await readFile(this.staged.get(path)?.file ?? join(this.dir, ...path.split('/'))));
  }

  /**
   * Put `bytes` at `path` (relative, '/'-separated): unchanged when the same bytes are there, else
   * staged for commit, which places files in the order they were put (a path put again moves to
   * the end). Refused (INPUT_INVALID) when its folder leads out of the output folder through a
   * link, or when something else is there that this build may not replace: a file it does not own,
   * or anything but a regular file (a folder, a link, a socket), whoever owns it, which a rename
   * could not replace or should not.
   */
  async put(path: string, bytes: Uint8Array): Promise<void> {
    const target = join(this.dir, ...path.split('/'));
    this.checkFolder(target, path);
    const sha256 = sha256Of(bytes);
    this.staged.delete(path);
    this.notOurs.delete(path);
    if (sameBytes(target, bytes)) {
      if (!this.mayReplace(path, sha256)) this.notOurs.add(path);
      this.written.set(path, sha256);
      this.bytes += bytes.byteLength;
      return;
    }
    const there = lstatSync(target, { throwIfNoEntry: false });
    if (there !== undefined && !there.isFile()) throw inTheWay(target, this.dir, 'is not a regular file');
    const was = there === undefined ? false : fileSha256(target);
    if (was !== false && !this.mayReplace(path, was) && !this.restores(path, sha256)) throw inTheWay(target, this.dir, this.owned.has(path) ? 'has changed since sgpt-search wrote it' : 'is not a file of the sgpt-search index there');
    this.written.set(path, sha256); // only once it may go there: a refused path is never listed
    this.bytes += bytes.byteLength;
    const file = join(this.staging, `${++this.count}`);
    try {
      await writeFile(file, bytes);
    } catch (error) {
      // A build that took the folder over cleared this one's staging folder: say that, not ENOENT.
      await this.stillLocked();
      throw new SgptError('INPUT_INVALID', `cannot write ${file}: ${(error as Error).message}`);
    }
    this.staged.set(path, { file, sha256, existed: was });
  }

  /**
   * Whether the build may replace the file at `path`, which holds bytes of sha256 `sha256` (and
   * count it as its own). A file the previous index's ownership list (or a killed commit's pending
   * list) names with those bytes, yes: it still is what a build wrote. Named with other bytes, no:
   * someone changed it since. Named by a list of a version before the hashes (null), yes, as by
   * name alone before: those builds wrote exactly these names, and such a list is read only once,
   * by the build that replaces it with a list with hashes. An sgpt-search index without the list
   * (built before it existed): everything the build writes, since those builds wrote exactly these
   * names (the same runtime names, content-hashed index and model/<hash>/ names) into a folder
   * given to them; a file of someone else's at one of them would have been replaced by that build
   * already. Else (no index, or one whose manifest or list does not validate), no.
   */
  private mayReplace(path: string, sha256: string): boolean {
    // manifest.json: open refused one that is not an sgpt-search index's.
    if (path === MANIFEST) return true;
    const hashes = this.owned.get(path);
    return hashes === undefined ? this.unlisted : hashes === null || hashes.has(sha256);
  }

  /**
   * Whether putting bytes of sha256 `sha256` at `path` writes again a damaged index file of the
   * previous build: the list names `path` with exactly those bytes, and its name carries their hash
   * (`stem.<first 16 hex of sha256>.ext`, ./format's fileRefFor), so whatever else is there is
   * damage to the build's own file, not a file of anyone's (a rebuild repairs a damaged index).
   * Runtime and model files carry no such hash: one changed since is refused, named.
   */
  private restores(path: string, sha256: string): boolean {
    const hashes = this.owned.get(path);
    return hashes !== undefined && hashes !== null && hashes.has(sha256) && basename(path).includes(`.${sha256.slice(0, 16)}.`);
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
   * What put saw at each staged path must still hold when commit places it (the model and the
   * runtime are put before minutes of embedding): nothing where nothing was, a regular file where
   * the build's own was, with the same bytes, every folder still inside the output folder. Else
   * refused, nothing changed.
   */
  private checkAgain(): void {
    this.inside.clear();
    for (const [path, { existed }] of this.staged) {
      const target = join(this.dir, ...path.split('/'));
      this.checkFolder(target, path);
      const there = lstatSync(target, { throwIfNoEntry: false });
      if (there === undefined) continue;
      if (existed === false) throw inTheWay(target, this.dir, 'appeared while the build ran');
      if (!there.isFile()) throw inTheWay(target, this.dir, 'is no longer a regular file');
      if (fileSha256(target) !== existed) throw inTheWay(target, this.dir, 'changed while the build ran');
    }
  }

  /** Fails (touching nothing) when another build took the folder's lock over from this one. */
  private stillLocked(): Promise<void> {
    return stillHeld(this.lock, this.dir, 'while this one ran');
  }

  /**
   * Make the build live: the ownership list and the manifest are put last, every staged file is
   * checked again, the pending list written, and the files renamed into place in the order put
   * (the manifest's rename makes the build live); then what the previous build owned (or a killed
   * commit left pending) and this one did not write is removed, the pending list, the staging
   * folder and the lock.
   */
  async commit(built: BuiltIndex): Promise<void> {
    await this.stillLocked();
    const listed: OwnedEntry[] = [...this.written].filter(([path]) => !this.notOurs.has(path)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, sha256]) => ({ path, sha256 }));
    const content = await gzip(encodeJson(listed));
    const owned = await fileRefFor('owned', 'json.gzip', content);
    await this.put(owned.name, content);
    await this.put(MANIFEST, encodeJson({ ...built.manifest, owned }));
    this.checkAgain();
    const leaving = [...this.owned].filter(([path]) => !this.written.has(path));
    const pending: OwnedEntry[] = [
      ...[...this.staged].map(([path, { sha256 }]) => ({ path, sha256 })),
      ...leaving.flatMap(([path, hashes]) => [...(hashes ?? [])].map((sha256) => ({ path, sha256 }))),
    ];
    const list = join(this.staging, 'pending.json');
    await writeFile(list, encodeJson(pending));
    await rename(list, join(this.dir, PENDING));
    let placed = 0;
    for (const [path, { file }] of this.staged) {
      const target = join(this.dir, ...path.split('/'));
      try {
        await mkdir(dirname(target), { recursive: true });
        await rename(file, target);
        placed++;
      } catch (error) {
        // Not foreseen by checkAgain (a full disk, a change made this instant): the files placed
        // so far are named by the pending list, so the next build replaces or removes them.
        throw new SgptError(
          'INPUT_INVALID',
          `cannot write ${target}: ${(error as Error).message}. ${placed} of the build's ${this.staged.size} new files were placed, the previous manifest.json still in use: run the build again, which repairs ${this.dir} (see ${PENDING} there)`,
        );
      }
    }
    await this.stillLocked();
    const kept: string[] = [];
    for (const [path, hashes] of leaving) if (!(await this.remove(path, hashes))) kept.push(path);
    await rm(join(this.dir, PENDING), { force: true });
    await this.close();
    if (kept.length > 0) {
      const shown = kept.slice(0, 5).join(', ') + (kept.length > 5 ? `, and ${kept.length - 5} more` : '');
      this.onNote(`left in ${this.dir} ${kept.length} file${kept.length === 1 ? '' : 's'} the previous build listed as its own but this one does not write, as ${kept.length === 1 ? 'it is' : 'they are'} no longer the bytes that build wrote (or were listed without a hash by an older sgpt-search): ${shown}. Remove them if nothing uses them`);
    }
  }

  /**
   * A failed build: the folder is left as it was found. The staging folder goes (its own: no other
   * build's), then, if this build still holds the lock, the lock, and the folders this build made
   * for --out when they are empty. Nothing after commit.
   */
  async abort(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await rm(this.staging, { recursive: true, force: true });
    const ours = await this.lock.holds(); // if not, the folder is another build's now: leave the rest
    await this.lock.release();
    if (ours) await removeMade(this.dir, this.created);
  }

  private async close(): Promise<void> {
    await this.stillLocked();
    this.closed = true;
    await rm(this.staging, { recursive: true, force: true });
    await this.lock.release();
  }

  /**
   * Remove a previously owned file, and the folders it leaves empty, only while it holds bytes a
   * build listed there (`hashes`; null, a list without hashes: never); never through a link out of
   * the folder. False when a file is left there that the build would have removed.
   */
  private async remove(path: string, hashes: ReadonlySet<string> | null): Promise<boolean> {
    const target = join(this.dir, ...path.split('/'));
    try {
      const parent = await realpath(dirname(target));
      if (parent !== this.real && !parent.startsWith(`${this.real}${sep}`)) return true;
      if (!(await lstat(target)).isFile()) return true;
      if (hashes === null || !hashes.has(fileSha256(target))) return false;
      await rm(target);
      for (let folder = dirname(target); relative(this.dir, folder) !== ''; folder = dirname(folder)) await rmdir(folder);
    } catch {
      // gone already, not a file, or a folder that still holds something: leave it
    }
    return true;
  }
}

/** Remove `dir` and the folders above it up to `made` (the topmost a build made), deepest first, each only when empty. */
async function removeMade(dir: string, made: string | undefined): Promise<void> {
  if (made === undefined) return;
  for (let folder = dir; ; folder = dirname(folder)) {
    if (!(await rmdir(folder).then(() => true, () => false)) || folder === made || folder === dirname(folder)) return; // not empty: someone else's now
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

/** The sha256 (hex) of `bytes`: what an ownership or pending list records of a file (the hash of the index's file names). */
function sha256Of(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The sha256 of the file at `path` (synchronous, as sameBytes). */
function fileSha256(path: string): string {
  return sha256Of(readFileSync(path));
}

/** Write the index files of `built` and make it live (see OutputDir). Returns the index's bytes. */
export async function writeIndexDir(out: OutputDir, built: BuiltIndex): Promise<number> {
  const before = out.total;
  for (const file of built.files) if (file.name !== MANIFEST) await out.put(file.name, file.bytes);
  const bytes = out.total - before;
  await out.commit(built);
  return bytes;
}

/**
 * Place the finished index in `from` (its manifest and every file its ownership list names) into
 * `to` as a build would write it there: the same lock, ownership rules and commit, so nothing that
 * is not the index's is replaced and the files of an index there before that this one no longer
 * has are removed. (The Vite plugin builds in its cache folder, since Vite empties outDir at each
 * build, then places the index in outDir.)
 */
export async function placeIndex(from: string, to: string, onNote?: (line: string) => void): Promise<void> {
  const manifest = parseManifest(decodeJson(MANIFEST, await readIndexFile(join(from, MANIFEST))));
  const files = ((await listedFiles(from, manifest)) ?? []).map(({ path }) => path).filter((path) => path !== manifest.owned?.name);
  if (manifest.owned === undefined || files.length === 0) throw new SgptError('INDEX_INVALID', `${from}: its manifest lists no files to place`);
  const out = await OutputDir.open(to, onNote);
  try {
    for (const path of files) await out.put(path, await readIndexFile(join(from, ...path.split('/'))));
    const { owned: _listed, ...placed } = manifest; // commit lists what it placed
    await out.commit({ manifest: placed, files: [], stats: {} as BuiltIndex['stats'] });
  } catch (error) {
    await out.abort();
    throw error;
  }
}
