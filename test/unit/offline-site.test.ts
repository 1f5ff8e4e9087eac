/**
 * `sgpt-search index --offline` (src/build/offline-site.ts) and the script format
 * (src/index/script-files.ts): every file a page reads is also a script that, run as a classic
 * script, registers the same bytes; an index read through those scripts searches exactly as the
 * index read from its files; a build without --offline takes them away again.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSiteIndex } from '../../src/build/site-build';
import { SgptError } from '../../src/errors';
import { openIndexDir, fsLoader } from '../../src/index/node-files';
import { FILE_LIST, REGISTRY, scriptPath, scriptText } from '../../src/index/script-files';
import { SiteSearch } from '../../src/index/site-search';

const root = resolve(import.meta.dirname, '../..');
const SITE = resolve(root, 'test/fixtures/site');
const TINY = resolve(root, 'test/fixtures/models/tiny-gpt2');
let work: string;
let out: string;

/** Run the script for `path` as a page would and return the bytes it registered (null: no script). */
async function fromScript(dir: string, path: string): Promise<Uint8Array | null> {
  const file = join(dir, scriptPath(path));
  if (!existsSync(file)) return null;
  const self: Record<string, Record<string, string>> = {};
  runInNewContext(await readFile(file, 'utf8'), { self });
  return new Uint8Array(Buffer.from(self[REGISTRY]![path]!, 'base64'));
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-offline-unit-'));
  out = join(work, 'sgpt');
  await buildSiteIndex({ site: SITE, out, model: TINY, runtime: true, shipModel: true, webgpu: false, offline: true });
}, 120_000);
afterAll(() => rm(work, { recursive: true, force: true }));

describe('script format', () => {
  it('registers the bytes under their path, whatever the path holds', () => {
    const self: Record<string, Record<string, string>> = {};
    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    runInNewContext(scriptText('a "quoted"/path.bin', bytes.toString('base64')) + scriptText('b', ''), { self });
    expect(Buffer.from(self[REGISTRY]!['a "quoted"/path.bin']!, 'base64')).toEqual(bytes);
    expect(self[REGISTRY]!['b']).toBe('');
  });
});

describe('sgpt-search index --offline', () => {
  it('writes every file the page reads as a script with the same bytes, and lists them', async () => {
    const list = JSON.parse(new TextDecoder().decode((await fromScript(out, FILE_LIST))!)) as string[];
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    const model = manifest.model.url as string;
    const indexFiles = ['manifest.json', manifest.sections.name, manifest.hashes.name, manifest.keyword.name, ...manifest.shards.map((s: { name: string }) => s.name)];
    for (const name of indexFiles) expect(list).toContain(name);
    expect(list).toContain(`${model}config.json`);
    expect(list).toContain('ort/ort-wasm-simd-threaded.wasm');
    expect(list).toContain('ort/ort-wasm-simd-threaded.mjs');
    for (const path of list) {
      const bytes = await fromScript(out, path);
      if (path === 'manifest.json') {
        // The served copy also names the files the build owns; the rest is the same.
        const { owned: _owned, ...served } = manifest;
        expect(JSON.parse(new TextDecoder().decode(bytes!))).toEqual(served);
      } else expect(Buffer.from(bytes!).equals(await readFile(join(out, ...path.split('/'))))).toBe(true);
    }
    expect(existsSync(join(out, 'sgpt-search.offline.js'))).toBe(true);
  });

  it('an index read through its scripts searches as the index read from its files', async () => {
    const overScripts = await SiteSearch.open(async (name) => (await fromScript(out, name))!);
    const overFiles = await SiteSearch.open(fsLoader(out));
    for (const query of ['install the teapot', 'kettle', 'faq']) {
      expect(await overScripts.keywordSearch(query, 5)).toEqual(await overFiles.keywordSearch(query, 5));
    }
    expect((await openIndexDir(out)).manifest.counts).toEqual(overScripts.manifest.counts);
  });

  it('a rebuild without --offline removes the scripts and the classic runtime', async () => {
    const again = join(work, 'again');
    await buildSiteIndex({ site: SITE, out: again, model: TINY, runtime: true, shipModel: true, webgpu: false, offline: true });
    expect((await readdir(join(again, 'offline'))).length).toBeGreaterThan(0);
    await buildSiteIndex({ site: SITE, out: again, model: TINY, runtime: true, shipModel: true, webgpu: false });
    expect(existsSync(join(again, 'offline'))).toBe(false);
    expect(existsSync(join(again, 'sgpt-search.offline.js'))).toBe(false);
    expect(existsSync(join(again, 'sgpt-search.js'))).toBe(true);
  }, 120_000);

  it('refuses --offline without the runtime or the model beside the index, before any work', async () => {
    const run = buildSiteIndex({ site: SITE, out: join(work, 'refused'), model: TINY, runtime: false, shipModel: true, offline: true });
    await expect(run).rejects.toBeInstanceOf(SgptError);
    await expect(run).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringContaining('--no-runtime') });
    expect(existsSync(join(work, 'refused'))).toBe(false);
  });
});
