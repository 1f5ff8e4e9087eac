import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { checkShippableModel, shippedModelUrl, siteRootFrom, writeModel, writeRuntime } from '../../src/build/static-site';
import { parseManifest } from '../../src/index/format';
import { OutputDir } from '../../src/index/output-dir';
import { STUB_BUILT } from '../stub-index';

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-static-unit-'));
});
afterEach(() => rm(work, { recursive: true, force: true }));

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

describe('siteRootFrom', () => {
  it('is the way up from the index folder to the site, and undefined outside the site', () => {
    expect(siteRootFrom('/s/sgpt', '/s')).toBe('../');
    expect(siteRootFrom('/s/a/b', '/s')).toBe('../../');
    expect(siteRootFrom('/s', '/s')).toBe('./');
    expect(siteRootFrom('/tmp/index', '/s')).toBeUndefined();
    expect(siteRootFrom('/s', '/s/sgpt')).toBeUndefined();
  });
});


/** Run `write` against an output folder and make the build live. */
async function build(out: string, write: (dir: OutputDir) => Promise<number>): Promise<number> {
  const dir = await OutputDir.open(out);
  const bytes = await write(dir);
  await dir.commit(STUB_BUILT);
  return bytes;
}

describe('writeRuntime', () => {
  it('copies the runtime; chunks of an older build go only when that build owned them', async () => {
    const runtime = join(work, 'runtime');
    await put(join(runtime, 'sgpt-search.js'), 'entry');
    await put(join(runtime, 'chunks/worker-OLDHASH1.js'), 'old');
    await put(join(runtime, 'ort/ort-wasm-simd-threaded.wasm'), 'wasm');
    const out = join(work, 'out');
    await put(join(out, 'chunks/mine-USERFILE.js'), 'the user’s, shaped like a chunk');
    await put(join(out, 'chunks/notes.txt'), 'the user’s');
    await build(out, (dir) => writeRuntime(dir, { runtimeDir: runtime }));
    await rm(join(runtime, 'chunks/worker-OLDHASH1.js'));
    await put(join(runtime, 'chunks/worker-NEWHASH1.js'), 'worker');
    const bytes = await build(out, (dir) => writeRuntime(dir, { runtimeDir: runtime }));
    expect(bytes).toBe('entry'.length + 'worker'.length + 'wasm'.length);
    expect((await readdir(join(out, 'chunks'))).sort()).toEqual(['mine-USERFILE.js', 'notes.txt', 'worker-NEWHASH1.js']);
    expect(await readFile(join(out, 'ort/ort-wasm-simd-threaded.wasm'), 'utf8')).toBe('wasm');
  });

  it('adds the asyncify build from the onnxruntime-web it was built with, and removes it when WebGPU is not wanted', async () => {
    const runtime = join(work, 'runtime');
    await put(join(runtime, 'sgpt-search.js'), 'entry');
    await put(join(runtime, 'ort/ort-wasm-simd-threaded.mjs'), 'glue');
    const ort = join(work, 'onnxruntime-web');
    await put(join(ort, 'ort-wasm-simd-threaded.mjs'), 'glue');
    await put(join(ort, 'ort-wasm-simd-threaded.asyncify.mjs'), 'a-glue');
    await put(join(ort, 'ort-wasm-simd-threaded.asyncify.wasm'), 'big');
    const out = join(work, 'out');
    const warnings: string[] = [];
    await build(out, (dir) => writeRuntime(dir, { runtimeDir: runtime, ortDir: ort, onWarning: (m) => warnings.push(m) }));
    expect((await readdir(join(out, 'ort'))).sort()).toEqual(['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.mjs']);
    expect(warnings).toEqual([]);
    expect(await build(out, (dir) => writeRuntime(dir, { runtimeDir: runtime, ortDir: ort, webgpu: false }))).toBe('entry'.length + 'glue'.length);
    expect(await readdir(join(out, 'ort'))).toEqual(['ort-wasm-simd-threaded.mjs']);
  });

  it('leaves the asyncify build out, saying why, when the installed onnxruntime-web is another version', async () => {
    const runtime = join(work, 'runtime');
    await put(join(runtime, 'sgpt-search.js'), 'entry');
    await put(join(runtime, 'ort/ort-wasm-simd-threaded.mjs'), 'glue 1.31');
    const ort = join(work, 'onnxruntime-web');
    await put(join(ort, 'ort-wasm-simd-threaded.mjs'), 'glue 1.32');
    await put(join(ort, 'ort-wasm-simd-threaded.asyncify.mjs'), 'a-glue');
    await put(join(ort, 'ort-wasm-simd-threaded.asyncify.wasm'), 'big');
    const warnings: string[] = [];
    await build(join(work, 'out'), (dir) => writeRuntime(dir, { runtimeDir: runtime, ortDir: ort, onWarning: (m) => warnings.push(m) }));
    expect(await readdir(join(work, 'out/ort'))).toEqual(['ort-wasm-simd-threaded.mjs']);
    expect(warnings).toEqual([expect.stringMatching(/left out.*not the version the runtime was built with/)]);
  });

  it('adds the real asyncify build from the installed onnxruntime-web to the built runtime', async () => {
    const out = join(work, 'out');
    await build(out, (dir) => writeRuntime(dir, { onWarning: (m) => expect.fail(m) }));
    expect((await readdir(join(out, 'ort'))).sort()).toEqual(['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm']);
  });

  it('names the command that builds a missing runtime', async () => {
    await expect(writeRuntime(await OutputDir.open(join(work, 'out')), { runtimeDir: join(work, 'no-runtime') })).rejects.toThrow(/run `npm run build`.*or pass --no-runtime/);
  });
});

describe('writeModel', () => {
  it('copies config, tokenizer and ONNX files to model/<hash>/<id>/; a changed model gets a new folder and the old one goes', async () => {
    const model = join(work, 'my-model');
    await put(join(model, 'config.json'), '{}');
    await put(join(model, 'tokenizer.json'), '{"t":1}');
    await put(join(model, 'onnx/model.onnx'), 'onnx');
    await put(join(model, 'README.md'), 'not for the browser');
    const out = join(work, 'out');
    await put(join(out, 'model/old-model/config.json'), '{}'); // not ours: stays
    const url = await shippedModelUrl(model, 'my-model');
    expect(url).toMatch(/^model\/[0-9a-f]{16}\/my-model\/$/);
    expect(await build(out, (dir) => writeModel(model, dir, url))).toBe(2 + 7 + 4);
    expect((await readdir(join(out, url))).sort()).toEqual(['config.json', 'onnx', 'tokenizer.json']);
    await put(join(model, 'onnx/model.onnx'), 'retrained');
    const next = await shippedModelUrl(model, 'my-model');
    expect(next).not.toBe(url);
    await build(out, (dir) => writeModel(model, dir, next));
    expect((await readdir(join(out, 'model'))).sort()).toEqual([next.split('/')[1], 'old-model'].sort());
  });

  it('refuses a hub id or URL, saying what to do instead', () => {
    expect(() => checkShippableModel('Muennighoff/SGPT-125M')).toThrow(/--no-model and set the element's model attribute/);
  });
});

describe('manifest model.url and root', () => {
  it('round-trips the optional fields and refuses ones that leave the index or the site', async () => {
    const out = join(work, 'sgpt');
    await promisify(execFile)(process.execPath, [resolve('bin/sgpt-search.js'), 'index', 'test/fixtures/site', '--out', out, '--no-runtime']);
    const json = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    const manifest = parseManifest(json);
    expect(manifest.model.url).toMatch(new RegExp(`^model/[0-9a-f]{16}/${manifest.model.id}/$`));
    expect(manifest.root).toBeUndefined(); // the index is not inside the site
    expect(parseManifest({ ...json, root: '../' }).root).toBe('../');
    expect(() => parseManifest({ ...json, root: 'https://elsewhere/' })).toThrow(/root/);
    expect(() => parseManifest({ ...json, model: { ...json.model, url: '../../x/' } })).toThrow(/model.url/);
    expect(() => parseManifest({ ...json, model: { ...json.model, url: 'https://cdn.example/m/' } })).toThrow(/model.url/);
    const { url: _, ...withoutUrl } = json.model;
    expect(parseManifest({ ...json, model: withoutUrl }).model.url).toBeUndefined();
  });
});

describe('sgpt-search/vite for plain-JS configs', () => {
  it('loads through the package exports without TypeScript', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', "import p from 'sgpt-search/vite'; console.log(p().name)"]);
    expect(stdout.trim()).toBe('sgpt-search');
  });
});
