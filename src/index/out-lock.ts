/**
 * The lock of an output folder, `<out>/.sgpt-lock`: one build at a time writes the folder. The file
 * is created exclusively and holds one JSON line: the build's pid, host name, pid namespace (Linux),
 * start time and a random token, which names the build's staging folder and which the build checks
 * before it renames or removes anything (a build whose lock was taken over fails, touching nothing).
 *
 * When is a lock left by a build that no longer runs (stale, taken over)? A pid says so only where
 * it means the same process: on this host, in this pid namespace (a container on a shared folder
 * has its own pids, and its node is pid 1 every run), and not reused since. So:
 *   - a running build touches its lock every LOCK_REFRESH_MS; a lock untouched for LOCK_STALE_MS
 *     is stale whoever wrote it (a killed build's pid reused, another host's build killed);
 *   - a lock from another host or pid namespace is otherwise held (its pid cannot be checked from
 *     here), and the message names the host and says how to remove it;
 *   - one naming this process's pid is stale unless this process took it (an earlier process with
 *     the same pid wrote it); one naming another pid is stale when that pid runs no more;
 *   - one that cannot be read yet is held (a build is writing it this moment) until it is old.
 * Builds may find one stale lock at the same moment. Each replaces it only inside a gate,
 * `<out>/.sgpt-staging-gate`, made by an exclusive link (so with its record in it), held for a few
 * file operations: there it checks that the lock is still the one it judged, and renames its own
 * record over it. A rename replaces in one step, so the lock is never missing and no exclusive
 * create slips in; inside the gate no other build replaces it: so exactly one takes it over, and
 * the others, once the gate is free, find its lock held. What no gate sees: a lock judged stale
 * whose build still runs (untouched for 10 minutes: stopped, suspended) and that releases it in
 * that instant, or a gate left by a build killed inside it and taken over by two builds at once.
 * There a build may lose its lock unseen; the token check catches it: it fails at commit, changing
 * nothing, and OutputDir.open clears staging folders only once its lock is checked to hold.
 * Files a killed build leaves here (its record on the way in, a gate, a lock moved aside) are
 * named `.sgpt-staging-…`, which the next build clears with the staging folders.
 */
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { link, lstat, open, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SgptError } from '../errors';

export const LOCK = '.sgpt-lock';
/** The prefix of the staging folders, and of the lock's temporary files (see the top of this file): the next build clears them all. */
export const STAGING = '.sgpt-staging';
const GATE = `${STAGING}-gate`;

/** How often a running build touches its lock, and how long untouched makes it stale. */
export const LOCK_REFRESH_MS = 30_000;
export const LOCK_STALE_MS = 10 * 60_000;

interface LockRecord {
  pid: number;
  host: string;
  pidns: string;
  started: string;
  token: string;
}

/** Tokens of the locks this process holds. */
const mine = new Set<string>();

/** Where a pid means one process: the host and its pid namespace ('' where unreadable). */
function here(): { host: string; pidns: string } {
  let pidns = '';
  try {
    pidns = readlinkSync('/proc/self/ns/pid');
  } catch {
    // not Linux: the host alone
  }
  return { host: hostname(), pidns };
}

function parse(text: string): LockRecord | null {
  try {
    const record = JSON.parse(text) as LockRecord;
    return Number.isSafeInteger(record.pid) && typeof record.token === 'string' && typeof record.host === 'string' ? record : null;
  } catch {
    return null;
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

/** A lock file as read: its text and last touch, from one open file (so both are the same file's). */
export interface Seen {
  text: string;
  mtimeMs: number;
}

/** Whether `now` is the lock file `seen` was (same text, same last touch). */
function same(now: Seen | null, seen: Seen): boolean {
  return now !== null && now.text === seen.text && now.mtimeMs === seen.mtimeMs;
}

/**
 * The lock file (or gate) at `path` as it is now (null: none). Anything there but a regular file is
 * refused (INPUT_INVALID), never opened: a folder would fail the read (EISDIR), a FIFO would block.
 */
async function see(path: string): Promise<Seen | null> {
  const there = await lstat(path).catch(() => null);
  if (there !== null && !there.isFile()) {
    throw new SgptError('INPUT_INVALID', `${path} is not a regular file, and sgpt-search keeps the lock of --out there (one build at a time): remove it, or give this build another --out`);
  }
  const file = await open(path, 'r').catch(() => null);
  if (file === null) return null;
  try {
    const [text, info] = await Promise.all([file.readFile('utf8'), file.stat()]);
    return { text, mtimeMs: info.mtimeMs };
  } finally {
    await file.close();
  }
}

/** Why the lock `seen` at `path` holds the folder, or null when it is stale (see the top of this file). */
function holder(seen: Seen, path: string, dir: string): string | null {
  if (Date.now() - seen.mtimeMs > LOCK_STALE_MS) return null;
  const lock = parse(seen.text);
  const remove = `remove ${path} if no build is running`;
  if (lock === null) return `another sgpt-search build is writing ${dir}; wait for it to finish, or give this build another --out (${remove})`;
  const { host, pidns } = here();
  if (lock.host !== host || (lock.pidns ?? '') !== pidns) {
    const where = lock.host === host ? `on ${host} in another pid namespace (a container?)` : `on host ${lock.host}`;
    return `another sgpt-search build (pid ${lock.pid} ${where}, started ${lock.started}) is writing ${dir}; wait for it to finish, or give this build another --out (${remove} there; a lock untouched for ${LOCK_STALE_MS / 60_000} minutes is taken over)`;
  }
  if (lock.pid === process.pid ? !mine.has(lock.token) : !alive(lock.pid)) return null;
  return `another sgpt-search build (pid ${lock.pid}) is writing ${dir}; wait for it to finish, or give this build another --out (${remove})`;
}

/**
 * Remove the stale lock `seen` from `path`, and no other: moved aside to `aside` first, then checked
 * to be the lock judged (the text names its build's token; an unreadable one is old, a new one is not).
 */
export async function removeStale(path: string, seen: Seen, aside: string): Promise<void> {
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // another build moved it first
    throw error;
  }
  // Another build's new lock: back where it was, unless a third's is there now (a link never replaces).
  if (!same(await see(aside), seen)) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}

/**
 * Replace the stale lock `seen` of `dir` with `text` (this build's record), inside the gate (see the
 * top of this file); false when the gate is another build's or the lock is no longer the one judged.
 */
async function takeOver(dir: string, seen: Seen, text: string, token: string): Promise<boolean> {
  const path = join(dir, LOCK);
  const gate = join(dir, GATE);
  const own = join(dir, `${STAGING}-lock-${token}`);
  try {
    await writeFile(own, text);
    try {
      await link(own, gate).catch(async (error: NodeJS.ErrnoException) => {
        // A filesystem without hard links: an exclusive create (read empty for an instant: held).
        if (error.code === 'EPERM' || error.code === 'ENOTSUP' || error.code === 'ENOSYS') await writeFile(gate, text, { flag: 'wx' });
        else throw error;
      }); // exclusive, and the gate is never seen empty
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false; // a build that took the lock cleared `own`
      if (code !== 'EEXIST') throw error;
      // A gate left by a build killed inside it is stale by the lock's own rules.
      const there = await see(gate);
      if (there !== null && holder(there, gate, dir) === null) await removeStale(gate, there, join(dir, `${STAGING}-gate-${token}`));
      return false;
    }
    try {
      if (!same(await see(path), seen)) return false;
      await rename(own, path);
      return true;
    } finally {
      // Leave the gate, if it is still ours (one taken over as stale is no longer).
      if ((await see(gate))?.text === text) await rm(gate, { force: true });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false; // cleared by the build that took the lock
    throw new SgptError('INPUT_INVALID', `cannot write into --out ${dir}: ${(error as Error).message}`);
  } finally {
    await rm(own, { force: true });
  }
}

/** The lock a build holds on its output folder. */
export class OutLock {
  private constructor(
    readonly path: string,
    /** Names the build's staging folder; commit and close check the lock still holds it. */
    readonly token: string,
    private readonly timer: NodeJS.Timeout,
  ) {}

  /** Take the lock of `dir` (INPUT_INVALID while another build holds it), taking over a stale one. */
  static async take(dir: string): Promise<OutLock> {
    const path = join(dir, LOCK);
    const token = randomBytes(8).toString('hex');
    const record: LockRecord = { pid: process.pid, ...here(), started: new Date().toISOString(), token };
    const text = `${JSON.stringify(record)}\n`;
    mine.add(token); // the gate's record names it too: another take in this process must see it held
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await writeFile(path, text, { flag: 'wx' });
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new SgptError('INPUT_INVALID', `cannot write into --out ${dir}: ${(error as Error).message}`);
        }
        const seen = await see(path);
        const held = seen === null ? null : holder(seen, path, dir); // null: released just now
        if (held !== null) throw new SgptError('INPUT_INVALID', held);
        if (seen !== null && (await takeOver(dir, seen, text, token))) break;
        // The gate is another build's (taking it over now), or the lock changed: look again shortly.
        if (attempt >= 200) throw new SgptError('INPUT_INVALID', `cannot take the lock ${path}: other builds keep taking it`);
        await new Promise((done) => setTimeout(done, 5 + Math.random() * 10));
      }
    } catch (error) {
      mine.delete(token);
      throw error;
    }
    const touch = () => {
      const now = new Date();
      utimes(path, now, now).catch(() => undefined);
    };
    return new OutLock(path, token, setInterval(touch, LOCK_REFRESH_MS).unref());
  }

  /** Whether the lock still holds this build's token (not taken over). */
  async holds(): Promise<boolean> {
    return parse(await readFile(this.path, 'utf8').catch(() => ''))?.token === this.token;
  }

  /** Stop touching the lock, and remove it if it is still this build's. */
  async release(): Promise<void> {
    clearInterval(this.timer);
    mine.delete(this.token);
    if (await this.holds()) await rm(this.path, { force: true });
  }
}
