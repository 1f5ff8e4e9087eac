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
 * Two builds taking over one stale lock at the same instant could both believe they hold it; the
 * token check makes the first of them fail at commit with nothing changed.
 */
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { SgptError } from '../errors';

export const LOCK = '.sgpt-lock';

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

/** Why the lock at `path` holds the folder, or null when it is stale (see the top of this file). */
async function holder(path: string, dir: string): Promise<string | null> {
  const [text, info] = await Promise.all([readFile(path, 'utf8').catch(() => null), stat(path).catch(() => null)]);
  if (text === null || info === null) return null; // released just now
  if (Date.now() - info.mtimeMs > LOCK_STALE_MS) return null;
  const lock = parse(text);
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
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFile(path, `${JSON.stringify(record)}\n`, { flag: 'wx' });
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new SgptError('INPUT_INVALID', `cannot write into --out ${dir}: ${(error as Error).message}`);
      }
      const held = await holder(path, dir);
      if (held !== null || attempt >= 2) throw new SgptError('INPUT_INVALID', held ?? `cannot take the lock ${path}: other builds keep taking it`);
      await rm(path, { force: true });
    }
    mine.add(token);
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
