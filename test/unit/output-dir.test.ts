/**
 * OutputDir (src/index/node-files.ts), the folder a build writes: it replaces only files it owns,
 * one build at a time, never through a link out of the folder, and a failed build leaves the folder
 * as it found it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readlinkSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeJson, fileRefFor, gzip } from '../../src/index/format';
import { LOCK, OutputDir, ownedFiles, PENDING, STAGING } from '../../src/index/output-dir';
import { OutLock, removeStale } from '../../src/index/out-lock';
import type { SgptError } from '../../src/errors';
import { STUB_BUILT as BUILT, buildFiles as build, textBytes as bytes } from '../stub-index';
import { sgptRejection } from '../support';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-output-dir-'));
});
afterEach(() => rm(work, { recursive: true, force: true }));

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}


/** The folder's entries that a build keeps while it runs (lock, staging, pending list). */
async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith('.sgpt-'));
}

/** The lock file's record, as out-lock writes it, with `fields` changed. */
function lockText(fields: Record<string, unknown>): string {
  let pidns = '';
  try {
    pidns = readlinkSync('/proc/self/ns/pid');
  } catch {
    // not Linux
  }
  return `${JSON.stringify({ pid: process.pid, host: hostname(), pidns, started: new Date().toISOString(), token: 'feedfeedfeedfeed', ...fields })}\n`;
}

/** A pid that runs no more. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;

/** Every path under `dir`, '/'-separated, with its text. */
async function contents(dir: string): Promise<Record<string, string>> {
  const all: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) all[join(entry.parentPath, entry.name).slice(dir.length + 1)] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return all;
}

/**
 * `rounds` times over one folder: a stale lock, and `builds` takes of it, build i started
 * `delay(round, i)` turns of the event loop late. Exactly one wins and holds it; every other is
 * refused with `refused`; released, the folder is empty again.
 */
async function staleTakeovers(builds: number, rounds: number, delay: (round: number, build: number) => number, refused: RegExp): Promise<void> {
  const out = join(work, 'out');
  await mkdir(out);
  const dead = deadPid();
  const turns = async (n: number) => {
    for (let i = 0; i < n; i++) await new Promise((done) => setImmediate(done));
  };
  for (let round = 0; round < rounds; round++) {
    await writeFile(join(out, LOCK), lockText({ pid: dead, token: `stale${round}` }));
    const taken = await Promise.allSettled(Array.from({ length: builds }, (_, build) => turns(delay(round, build)).then(() => OutLock.take(out))));
    const won = taken.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(won, `round ${round}`).toHaveLength(1);
    for (const result of taken) if (result.status === 'rejected') expect((result.reason as SgptError).message).toMatch(refused);
    expect(await won[0]!.holds()).toBe(true);
    await won[0]!.release();
    expect(await readdir(out)).toEqual([]);
  }
}

describe('OutputDir replaces only files it owns', () => {
  it("refuses a manifest.json that is not an sgpt-search index's, before anything", async () => {
    const out = join(work, 'pub');
    await put(join(out, 'manifest.json'), '{"name":"My PWA"}');
    const error = await sgptRejection(OutputDir.open(out));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain(join(out, 'manifest.json'));
    expect(error.message).toMatch(/not an sgpt-search index manifest.*Move or remove that file, or give --out an empty folder/);
    expect(await readdir(out)).toEqual(['manifest.json']);
  });

  it('refuses a file it does not own at a path it writes, with nothing replaced, even the files put before', async () => {
    const out = join(work, 'pub');
    const theirs = { 'sgpt-search.js': 'mine', 'chunks/worker-ABC.js': 'mine too', 'same.js': 'same bytes' };
    for (const [path, text] of Object.entries(theirs)) await put(join(out, path), text);
    const dir = await OutputDir.open(out);
    await dir.put('index.0123456789abcdef.bin', bytes('index'));
    await dir.put('same.js', bytes('same bytes')); // already there: left as it is
    for (const path of ['chunks/worker-ABC.js', 'sgpt-search.js']) {
      const error = await sgptRejection(dir.put(path, bytes('runtime')));
      expect(error.code).toBe('INPUT_INVALID');
      expect(error.message).toContain(join(out, path));
      expect(error.message).toMatch(/is not a file of the sgpt-search index there.*nothing was changed/);
    }
    await dir.abort();
    expect(await contents(out)).toEqual(theirs);
    expect(await leftovers(out)).toEqual([]);
  });

  it('replaces what the previous build owned, build after build', async () => {
    const out = join(work, 'out');
    await build(out, { 'sgpt-search.js': 'v1', 'chunks/a.js': 'a1' });
    await build(out, { 'sgpt-search.js': 'v2', 'chunks/b.js': 'b2' });
    const files = await contents(out);
    expect(files['sgpt-search.js']).toBe('v2');
    expect(files['chunks/b.js']).toBe('b2');
    expect(files['chunks/a.js']).toBeUndefined(); // owned by the first build, not written by the second
    expect(JSON.parse(files['manifest.json']!).format).toBe('sgpt-search-index');
    expect(existsSync(join(out, LOCK))).toBe(false);
  });

  it('rebuilds an index of a build before the ownership list, replacing its files and removing nothing', async () => {
    const out = join(work, 'out');
    await put(join(out, 'manifest.json'), new TextDecoder().decode(encodeJson(BUILT.manifest))); // no "owned"
    await put(join(out, 'sgpt-search.js'), 'older runtime');
    await put(join(out, 'chunks/old.js'), 'older chunk');
    await build(out, { 'sgpt-search.js': 'new runtime' });
    const files = await contents(out);
    expect(files['sgpt-search.js']).toBe('new runtime');
    expect(files['chunks/old.js']).toBe('older chunk');
    expect(JSON.parse(files['manifest.json']!).owned).toBeDefined();
  });

  it('a file added beside an index with an ownership list is not its own', async () => {
    const out = join(work, 'out');
    await build(out, { 'sgpt-search.js': 'v1' });
    await put(join(out, 'chunks/a.js'), 'added by hand');
    const dir = await OutputDir.open(out);
    expect((await sgptRejection(dir.put('chunks/a.js', bytes('a chunk')))).message).toContain(join(out, 'chunks/a.js'));
    await dir.abort();
    expect((await contents(out))['chunks/a.js']).toBe('added by hand');
  });
});

describe('OutputDir replaces and removes a file only while it holds the bytes a build wrote', () => {
  /** The paths the ownership list of the index in `out` names. */
  const listed = async (out: string) => [...(await ownedFiles(out))].sort();

  it("leaves a user's file with the bytes it writes as the user's: not listed, so a later build that does not write it leaves it", async () => {
    const out = join(work, 'appout');
    await put(join(out, 'app.js'), 'app');
    await put(join(out, 'chunks/c.js'), 'chunk'); // copied from the runtime by the user (the README's bundler recipe)
    await build(out, { 'sgpt-search.js': 'runtime', 'chunks/c.js': 'chunk' });
    expect(await listed(out)).toEqual([expect.stringMatching(/^owned\./), 'sgpt-search.js']);
    await build(out, { 'index.0123456789abcdef.bin': 'index' }); // --no-runtime
    const files = await contents(out);
    expect(files['chunks/c.js']).toBe('chunk');
    expect(files['app.js']).toBe('app');
    expect(files['sgpt-search.js']).toBeUndefined(); // the build's own
  });

  it('counts as its own a file with its bytes that the previous build wrote', async () => {
    const out = join(work, 'out');
    await build(out, { 'chunks/c.js': 'chunk' });
    await build(out, { 'chunks/c.js': 'chunk' });
    await build(out, {});
    expect((await contents(out))['chunks/c.js']).toBeUndefined();
  });

  it("a stray pending list (paths alone, or with hashes of other bytes) grants nothing: the user's files stay", async () => {
    const out = join(work, 'up');
    await put(join(out, 'a.txt'), 'precious');
    await put(join(out, 'sub/b.html'), 'x');
    await put(join(out, 'sgpt-search.js'), 'mine');
    await put(join(out, PENDING), JSON.stringify(['a.txt', 'sub/b.html', { path: 'sgpt-search.js', sha256: 'b'.repeat(64) }]));
    const dir = await OutputDir.open(out);
    expect((await sgptRejection(dir.put('sgpt-search.js', bytes('runtime')))).message).toMatch(/sgpt-search\.js has changed since sgpt-search wrote it/);
    await dir.put('index.0123456789abcdef.bin', bytes('index'));
    await dir.commit(BUILT);
    const files = await contents(out);
    expect(files['a.txt']).toBe('precious');
    expect(files['sub/b.html']).toBe('x');
    expect(files['sgpt-search.js']).toBe('mine');
  });

  it('a file the previous build listed that changed since is neither replaced nor removed, and a removal left is said once', async () => {
    const out = join(work, 'out');
    await build(out, { 'sgpt-search.js': 'v1', 'chunks/a.js': 'a1', 'chunks/b.js': 'b1' });
    await writeFile(join(out, 'sgpt-search.js'), 'edited by hand');
    await writeFile(join(out, 'chunks/a.js'), 'edited by hand');
    const refused = await OutputDir.open(out);
    expect((await sgptRejection(refused.put('sgpt-search.js', bytes('v2')))).message).toContain(`${join(out, 'sgpt-search.js')} has changed since sgpt-search wrote it`);
    await refused.abort();
    const notes: string[] = [];
    const dir = await OutputDir.open(out, (line) => notes.push(line));
    await dir.put('index.0123456789abcdef.bin', bytes('index'));
    await dir.commit(BUILT);
    const files = await contents(out);
    expect(files['sgpt-search.js']).toBe('edited by hand');
    expect(files['chunks/a.js']).toBe('edited by hand');
    expect(files['chunks/b.js']).toBeUndefined(); // still the build's bytes: removed
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/left in .* 2 files the previous build listed .*no longer the bytes that build wrote.*: chunks\/a\.js, sgpt-search\.js/);
  });

  it('writes again a damaged index file of the previous build (its name carries the hash of what it held)', async () => {
    const out = join(work, 'out');
    const index = await fileRefFor('vectors-0', 'bin', bytes('vectors'));
    await build(out, { [index.name]: 'vectors', 'sgpt-search.js': 'v1' });
    await writeFile(join(out, index.name), 'vectorz'); // damage
    await writeFile(join(out, 'sgpt-search.js'), 'v1, damaged');
    const dir = await OutputDir.open(out);
    await dir.put(index.name, bytes('vectors'));
    expect((await sgptRejection(dir.put('sgpt-search.js', bytes('v1')))).message).toContain('sgpt-search.js has changed since sgpt-search wrote it'); // no hash in its name: not the build's to judge
    await dir.commit(BUILT);
    const files = await contents(out);
    expect(files[index.name]).toBe('vectors');
    expect(files['sgpt-search.js']).toBe('v1, damaged');
    expect(await ownedFiles(out)).not.toContain('sgpt-search.js'); // refused, so not listed
  });

  it('a file changed after the build checked it, before commit, fails the commit with nothing changed', async () => {
    const out = join(work, 'out');
    await build(out, { 'sgpt-search.js': 'v1' });
    const dir = await OutputDir.open(out);
    await dir.put('sgpt-search.js', bytes('v2'));
    await writeFile(join(out, 'sgpt-search.js'), 'edited by hand');
    expect((await sgptRejection(dir.commit(BUILT))).message).toMatch(/sgpt-search\.js changed while the build ran.*nothing was changed/);
    await dir.abort();
    expect((await contents(out))['sgpt-search.js']).toBe('edited by hand');
  });

  it('an ownership list without hashes (an older version) replaces by name but removes nothing', async () => {
    const out = join(work, 'out');
    await build(out, { 'sgpt-search.js': 'v1' });
    const list = await gzip(encodeJson(['sgpt-search.js', 'a.txt'])); // as an older sgpt-search wrote it; a.txt: the user's
    const owned = await fileRefFor('owned', 'json.gzip', list);
    await writeFile(join(out, owned.name), list);
    await writeFile(join(out, 'manifest.json'), encodeJson({ ...BUILT.manifest, owned }));
    await put(join(out, 'a.txt'), 'precious');
    const notes: string[] = [];
    const dir = await OutputDir.open(out, (line) => notes.push(line));
    await dir.put('sgpt-search.js', bytes('v2'));
    await dir.commit(BUILT);
    const files = await contents(out);
    expect(files['sgpt-search.js']).toBe('v2');
    expect(files['a.txt']).toBe('precious');
    expect(notes).toEqual([expect.stringMatching(/1 file .*listed without a hash.*: a\.txt/)]);
  });

  it('a manifest that does not validate owns nothing but manifest.json', async () => {
    const out = join(work, 'fj2');
    await put(join(out, 'sgpt-search.js'), 'mine');
    await put(join(out, 'manifest.json'), '{"format":"sgpt-search-index"}');
    const dir = await OutputDir.open(out);
    expect((await sgptRejection(dir.put('sgpt-search.js', bytes('runtime')))).message).toMatch(/sgpt-search\.js is not a file of the sgpt-search index there/);
    await dir.put('index.0123456789abcdef.bin', bytes('index'));
    await dir.commit(BUILT);
    const files = await contents(out);
    expect(files['sgpt-search.js']).toBe('mine');
    expect(JSON.parse(files['manifest.json']!).owned).toBeDefined();
  });
});

describe('OutputDir writes only inside the folder', () => {
  it('refuses to write through a link to a folder outside it, naming the link', async () => {
    const out = join(work, 'so');
    const victim = join(work, 'victim');
    await mkdir(out);
    await mkdir(victim);
    await symlink(victim, join(out, 'ort'));
    const dir = await OutputDir.open(out);
    for (const path of ['ort/ort-wasm.wasm', 'ort/deeper/file.js']) {
      const error = await sgptRejection(dir.put(path, bytes('wasm')));
      expect(error.code).toBe('INPUT_INVALID');
      expect(error.message).toContain(`${join(out, 'ort')} is a link to ${victim}, outside --out`);
    }
    await dir.abort();
    expect(await readdir(victim)).toEqual([]);
  });

  it('writes through a link that stays inside it', async () => {
    const out = join(work, 'out');
    await mkdir(join(out, 'real-ort'), { recursive: true });
    await symlink(join(out, 'real-ort'), join(out, 'ort'));
    await build(out, { 'ort/x.wasm': 'wasm' });
    expect(await readFile(join(out, 'real-ort/x.wasm'), 'utf8')).toBe('wasm');
  });
});

describe('OutputDir checks again at commit what it checked at put', () => {
  it('refuses, with nothing changed, a file that appeared at a path after the build put its own there', async () => {
    const out = join(work, 'out');
    const dir = await OutputDir.open(out);
    await dir.put('index.bin', bytes('index'));
    await dir.put('sgpt-search.js', bytes('runtime'));
    await put(join(out, 'sgpt-search.js'), 'mine, written while the build embedded');
    const error = await sgptRejection(dir.commit(BUILT));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain(`${join(out, 'sgpt-search.js')} appeared while the build ran`);
    await dir.abort();
    expect(await contents(out)).toEqual({ 'sgpt-search.js': 'mine, written while the build embedded' });
    expect(await leftovers(out)).toEqual([]);
  });

  it('refuses, with nothing changed, a folder that became a link out of --out after the build put a file in it', async () => {
    const out = join(work, 'out');
    const victim = join(work, 'victim');
    await mkdir(join(out, 'ort'), { recursive: true });
    await mkdir(victim);
    const dir = await OutputDir.open(out);
    await dir.put('index.bin', bytes('index'));
    await dir.put('ort/x.wasm', bytes('wasm'));
    await rm(join(out, 'ort'), { recursive: true });
    await symlink(victim, join(out, 'ort'));
    const error = await sgptRejection(dir.commit(BUILT));
    expect(error.message).toContain(`${join(out, 'ort')} is a link to ${victim}, outside --out`);
    await dir.abort();
    expect(await readdir(victim)).toEqual([]);
    expect((await readdir(out)).sort()).toEqual(['ort']);
  });

  it('refuses at put anything but a regular file at a path it writes, even one the previous index owns', async () => {
    const out = join(work, 'out');
    await build(out, { 'chunks/a.js': 'a' });
    await rm(join(out, 'chunks/a.js'));
    await mkdir(join(out, 'chunks/a.js'));
    const dir = await OutputDir.open(out);
    const error = await sgptRejection(dir.put('chunks/a.js', bytes('a chunk')));
    expect(error.message).toContain(`${join(out, 'chunks/a.js')} is not a regular file`);
    await dir.abort();
  });
});

describe('OutputDir is written by one build at a time', () => {
  it('refuses a second build while one holds the folder, and lets the next one in after commit or abort', async () => {
    const out = join(work, 'out');
    const first = await OutputDir.open(out);
    await first.put('a.js', bytes('first'));
    const error = await sgptRejection(OutputDir.open(out));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain(`another sgpt-search build (pid ${process.pid}) is writing ${out}; wait for it`);
    await first.commit(BUILT); // the second build did not touch the first's staged files
    expect(await readFile(join(out, 'a.js'), 'utf8')).toBe('first');
    const second = await OutputDir.open(out);
    await second.abort();
    await build(out, { 'a.js': 'third' });
    expect(await readFile(join(out, 'a.js'), 'utf8')).toBe('third');
  });

  it('refuses a folder where its lock goes, naming it, with nothing changed', async () => {
    const out = join(work, 'out');
    await mkdir(join(out, LOCK), { recursive: true });
    const error = await sgptRejection(OutputDir.open(out));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toBe(`${join(out, LOCK)} is not a regular file, and sgpt-search keeps the lock of --out there (one build at a time): remove it, or give this build another --out`);
    expect(await readdir(out)).toEqual([LOCK]);
  });

  it('takes over the lock of a build that was killed, and clears its staging folder', async () => {
    const out = join(work, 'out');
    await put(join(out, LOCK), lockText({ pid: deadPid() }));
    await put(join(out, `${STAGING}-0123456789abcdef`, '1'), 'left by the killed build');
    await put(join(out, STAGING, '1'), 'left by a build before staging folders had tokens');
    await build(out, { 'a.js': 'a' });
    expect((await readdir(out)).sort()).toEqual(['a.js', 'manifest.json', expect.stringMatching(/^owned\./)]);
  });

  it("a build whose lock was taken over (another pid namespace saw its pid as dead) commits nothing, and never another's bytes", async () => {
    const out = join(work, 'out');
    const first = await OutputDir.open(out);
    await first.put('a.js', bytes('first'));
    // What a build in another pid namespace reads: the pid of `first` runs nowhere it can see.
    const record = JSON.parse(await readFile(join(out, LOCK), 'utf8'));
    await writeFile(join(out, LOCK), lockText({ ...record, pid: deadPid() }));
    const second = await OutputDir.open(out);
    await second.put('a.js', bytes('second'));
    await second.put('b.js', bytes('second'));
    // The second build cleared the first's staging folder: a write says why, not ENOENT.
    const lost = await sgptRejection(first.put('c.js', bytes('first')));
    expect(lost.message).toMatch(/another sgpt-search build took --out .* over while this one ran/);
    const error = await sgptRejection(first.commit(BUILT));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toMatch(/another sgpt-search build took --out .* over while this one ran.*changed nothing/);
    await first.abort(); // as buildSiteIndex does: the lock and the folder stay the second build's
    expect((await readdir(out)).sort()).toEqual([LOCK, expect.stringMatching(/^\.sgpt-staging-/)]);
    await second.commit(BUILT);
    expect(await readFile(join(out, 'a.js'), 'utf8')).toBe('second');
    expect(await leftovers(out)).toEqual([]);
  });

  it('two builds taking over one stale lock at the same moment: exactly one gets it, the other is told it is held', async () => {
    // The second build starts 0-24 turns later, so its steps fall between the first's.
    await staleTakeovers(2, 100, (round, build) => (build === 0 ? 0 : round % 25), /another sgpt-search build (\(pid \d+\) )?is writing|other builds keep taking it/);
  });

  it('four builds taking over one stale lock at the same moment: exactly one gets it, the others are told it is held', async () => {
    // Staggered so that each build's steps fall between the others' (one moving the new lock aside, another creating its own, was the old race).
    await staleTakeovers(4, 40, (round, build) => (round * (build + 1)) % 13, /another sgpt-search build (\(pid \d+\) )?is writing/);
  });

  it("clears what a build killed while taking over a lock left (its gate, its record, an older version's lock moved aside)", async () => {
    const out = join(work, 'out');
    await put(join(out, LOCK), lockText({ pid: deadPid() }));
    const killed = lockText({ pid: deadPid(), token: '0123456789abcdef' });
    await put(join(out, `${STAGING}-gate`), killed);
    await put(join(out, `${STAGING}-lock-0123456789abcdef`), killed);
    await put(join(out, `${LOCK}-0123456789abcdef`), lockText({ pid: deadPid() }));
    await build(out, { 'a.js': 'a' });
    expect(await leftovers(out)).toEqual([]);
  });

  it("a build whose lock is taken over as it opens fails, touching no other build's staging folder", async () => {
    const out = join(work, 'out');
    await put(join(out, `${STAGING}-feedfeedfeedfeed`, '1'), "the other build's");
    const take = OutLock.take.bind(OutLock);
    vi.spyOn(OutLock, 'take').mockImplementationOnce(async (dir) => {
      const lock = await take(dir);
      await writeFile(join(out, LOCK), lockText({ token: 'feedfeedfeedfeed' })); // what no gate sees (see out-lock.ts)
      return lock;
    });
    const error = await sgptRejection(OutputDir.open(out));
    expect(error.message).toMatch(/another sgpt-search build took --out .* over as this one started/);
    expect(await readFile(join(out, `${STAGING}-feedfeedfeedfeed`, '1'), 'utf8')).toBe("the other build's");
    vi.restoreAllMocks();
  });

  it('a build that judged a lock stale after another took it over leaves the new lock where it is', async () => {
    const out = join(work, 'out');
    await put(join(out, LOCK), lockText({ pid: deadPid() }));
    const seen = { text: await readFile(join(out, LOCK), 'utf8'), mtimeMs: statSync(join(out, LOCK)).mtimeMs };
    const first = await OutLock.take(out);
    await removeStale(join(out, LOCK), seen, join(out, `${LOCK}-late`)); // the second build, late
    expect(await first.holds()).toBe(true);
    expect(await readdir(out)).toEqual([LOCK]);
    await first.release();
  });

  it("takes over a lock naming this process's pid that this process did not take (node is pid 1 in a container, every run)", async () => {
    const out = join(work, 'out');
    await put(join(out, LOCK), lockText({ pid: process.pid }));
    await build(out, { 'a.js': 'a' });
    expect(await leftovers(out)).toEqual([]);
  });

  it('takes over a lock untouched for over 10 minutes, whatever pid it names (a reused pid: pid 1 runs)', async () => {
    const out = join(work, 'out');
    await put(join(out, LOCK), lockText({ pid: 1 }));
    const held = await sgptRejection(OutputDir.open(out));
    expect(held.message).toContain('another sgpt-search build (pid 1) is writing');
    const old = new Date(Date.now() - 11 * 60_000);
    await utimes(join(out, LOCK), old, old);
    await build(out, { 'a.js': 'a' });
    expect(await leftovers(out)).toEqual([]);
  });

  it("holds a lock from another host while it is touched, naming the host and how to remove it", async () => {
    const out = join(work, 'out');
    await put(join(out, LOCK), lockText({ host: 'ci-runner-7', pid: deadPid() }));
    const error = await sgptRejection(OutputDir.open(out));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain(`another sgpt-search build (pid`);
    expect(error.message).toContain('on host ci-runner-7');
    expect(error.message).toContain(`remove ${join(out, LOCK)} if no build is running there`);
  });

  it('a running build touches its lock every 30 s, so it never looks stale', async () => {
    const out = join(work, 'out');
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const dir = await OutputDir.open(out);
      const old = new Date(Date.now() - 11 * 60_000);
      await utimes(join(out, LOCK), old, old);
      vi.advanceTimersByTime(30_000);
      await vi.waitFor(() => expect(Date.now() - statSync(join(out, LOCK)).mtimeMs).toBeLessThan(60_000));
      expect((await sgptRejection(OutputDir.open(out))).message).toContain(`(pid ${process.pid}) is writing`);
      await dir.abort();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('a failed build leaves the folder as it found it', () => {
  it('removes the folders it made (all of them), and only its own files from one that was there', async () => {
    const made = join(work, 'new/deeper/out');
    await (await OutputDir.open(made)).abort();
    expect(await readdir(work)).toEqual([]);
    const there = join(work, 'there');
    await mkdir(there);
    const dir = await OutputDir.open(there);
    await dir.put('a.js', bytes('a'));
    await dir.abort();
    expect(await readdir(there)).toEqual([]);
  });
});
