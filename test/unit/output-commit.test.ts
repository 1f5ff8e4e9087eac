/**
 * OutputDir.commit (src/index/output-dir.ts) when it does not finish: it writes the pending list
 * before its first rename, so a commit that fails (or is killed) part-way is repaired by the next
 * build; and the order it places files in (the order put), which the offline scripts rely on.
 * node:fs/promises' rename is wrapped to record each rename and fail one on demand.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeOfflineScripts } from '../../src/build/offline-site';
import { OutputDir, PENDING } from '../../src/index/output-dir';
import { STUB_BUILT as BUILT, textBytes as bytes } from '../stub-index';
import { sgptRejection } from '../support';

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, rename: vi.fn(actual.rename) };
});
const { rename: realRename } = await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises');

/** Targets renamed to, in order; the rename numbered `failAt` (1-based) fails. */
let renamed: string[];
let failAt: number;
let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-output-commit-'));
  renamed = [];
  failAt = 0;
  vi.mocked(rename).mockImplementation(async (from, to) => {
    renamed.push(String(to).slice(work.length + 1));
    if (renamed.length === failAt) throw Object.assign(new Error(`EIO: i/o error, rename '${String(from)}' -> '${String(to)}'`), { code: 'EIO' });
    return realRename(from, to);
  });
});
afterEach(() => rm(work, { recursive: true, force: true }));


async function build(out: string, files: Record<string, string>): Promise<void> {
  const dir = await OutputDir.open(out);
  for (const [path, text] of Object.entries(files)) await dir.put(path, bytes(text));
  await dir.commit(BUILT);
}

describe('a commit that fails part-way', () => {
  it('lists what it places before the first rename, says to run the build again, and the next build repairs the folder', async () => {
    const out = join(work, 'out');
    await build(out, { 'a.js': 'a1', 'c.js': 'c1' });
    renamed = [];
    failAt = 5; // the pending list, a.js, new/d.js, f.js, then e.js fails
    const dir = await OutputDir.open(out);
    for (const [path, text] of Object.entries({ 'a.js': 'a2', 'new/d.js': 'd2', 'f.js': 'f2', 'e.js': 'e2' })) await dir.put(path, bytes(text));
    const error = await sgptRejection(dir.commit(BUILT));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toMatch(/cannot write .*e\.js: EIO.* 3 of the build's 6 new files were placed, the previous manifest\.json still in use: run the build again/);
    await dir.abort(); // as buildSiteIndex does
    expect(renamed[0]).toBe(`out/${PENDING}`);
    const pending = JSON.parse(await readFile(join(out, PENDING), 'utf8')) as { path: string; sha256: string }[];
    expect(pending.map((entry) => entry.path)).toEqual(expect.arrayContaining(['a.js', 'new/d.js', 'f.js', 'e.js', 'c.js', 'manifest.json']));
    expect(pending.every((entry) => /^[0-9a-f]{64}$/.test(entry.sha256))).toBe(true);
    expect(await readFile(join(out, 'new/d.js'), 'utf8')).toBe('d2'); // placed, and named by no ownership list
    failAt = 0;
    // The next build replaces what the failed commit placed, and removes what it does not write itself.
    await build(out, { 'a.js': 'a3', 'new/d.js': 'd3' });
    expect(await readFile(join(out, 'new/d.js'), 'utf8')).toBe('d3');
    expect((await readdir(out)).sort()).toEqual(['a.js', 'manifest.json', 'new', expect.stringMatching(/^owned\./)]);
    expect(existsSync(join(out, PENDING))).toBe(false);
  });
});

describe('the offline scripts', () => {
  it('places offline/manifest.json.js and offline/files.json.js after every script they name, just before manifest.json', async () => {
    const out = join(work, 'out');
    const dir = await OutputDir.open(out);
    const files = ['index.bin', 'model/0123/m/config.json', 'ort/ort-wasm-simd-threaded.mjs', 'ort/ort-wasm-simd-threaded.wasm'];
    for (const path of files) await dir.put(path, bytes(path));
    await writeOfflineScripts(dir, { manifest: BUILT.manifest, names: ['index.bin'] }, 'model/0123/m/');
    renamed = [];
    await dir.commit(BUILT);
    const placed = renamed.map((path) => path.slice('out/'.length)).filter((path) => path !== PENDING);
    expect(placed.slice(-4)).toEqual(['offline/manifest.json.js', 'offline/files.json.js', expect.stringMatching(/^owned\./), 'manifest.json']);
    expect(placed.filter((path) => path.startsWith('offline/'))).toHaveLength(files.length + 2);
  });
});
