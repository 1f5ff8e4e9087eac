/**
 * The key policy for document vectors (content hash, model key), the documents-file format with
 * shipped vectors and its validation against the loaded model, and `sgpt-search embed --documents`
 * end to end (the real CLI): its vectors are the Embedder's, stamped with the hash the browser
 * computes from the files it loads.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedder } from '../../src/embed/embedder';
import { modelContentHash, sha256Hex } from '../../src/index/format';
import { modelFolderHash } from '../../src/index/model-ref';
import { contentHash, modelKey, parseDocumentFile, stampMismatch, type ModelStamp } from '../../src/worker/document-vectors';
import { documentText } from '../../src/worker/documents';
import type { LoadResult } from '../../src/worker/protocol';
import { cosine } from '../support';

const TINY = resolve('test/fixtures/models/tiny-gpt2');
const HASH = 'ab'.repeat(32);
const loaded: LoadResult = { backend: 'wasm', modelId: 'http://site.test/models/tiny-gpt2', dims: 2, mode: 'asymmetric', hash: HASH };
const stamp: ModelStamp = { id: 'tiny-gpt2', hash: HASH, dims: 2, mode: 'asymmetric' };

describe('keys', () => {
  it('the content hash is the sha256 of what the model reads: title and text, not id or url', async () => {
    const doc = { id: 1, title: 'Tea', text: 'Steep it.', url: '/a' };
    expect(await contentHash(doc)).toBe(await sha256Hex(documentText(doc)));
    expect(await contentHash({ ...doc, id: 'other', url: '/b' })).toBe(await contentHash(doc));
    expect(await contentHash({ ...doc, text: 'Steep it!' })).not.toBe(await contentHash(doc));
    expect(await contentHash({ ...doc, title: 'Teas' })).not.toBe(await contentHash(doc));
  });

  it('the model key names the model, its hash, mode and dims; no hash, no key', () => {
    expect(modelKey(loaded)).toBe(`tiny-gpt2@${HASH}/asymmetric/2`);
    expect(modelKey({ ...loaded, mode: 'symmetric' })).not.toBe(modelKey(loaded));
    expect(modelKey({ ...loaded, hash: 'cd'.repeat(32) })).not.toBe(modelKey(loaded));
    expect(modelKey({ ...loaded, hash: '' })).toBeNull();
  });

  it("the browser's model hash (files it loaded) equals the CLI's folder hash", async () => {
    const digests = new Map<string, string>();
    for (const name of ['config.json', 'onnx/model.onnx']) digests.set(name, await sha256Hex(new Uint8Array(await readFile(join(TINY, name)))));
    expect(await modelContentHash(digests)).toBe(await modelFolderHash(TINY));
  });
});

describe('documents file', () => {
  const docs = [
    { id: 'a', title: 'A', text: 'one', vector: [0.6, 0.8] },
    { id: 'b', title: 'B', text: 'two' },
  ];

  it('a plain array has no shipped vectors; a stamped file has them, aligned, without the field in the documents', () => {
    expect(parseDocumentFile([{ id: 'a', title: 'A', text: 'one' }])).toEqual({ documents: [{ id: 'a', title: 'A', text: 'one' }], shipped: null });
    const file = parseDocumentFile({ model: stamp, documents: docs });
    expect(file.documents).toEqual([{ id: 'a', title: 'A', text: 'one' }, { id: 'b', title: 'B', text: 'two' }]);
    expect(file.shipped!.vectors.map((v) => v && Array.from(v))).toEqual([[Math.fround(0.6), Math.fround(0.8)], null]);
  });

  it('refuses a bad stamp or a vector that is not whole rows of finite numbers, naming the document', () => {
    expect(() => parseDocumentFile({ model: { ...stamp, hash: 'x' }, documents: docs })).toThrow(/"model" must be \{id, hash \(64 hex digits\), dims, mode\}/);
    expect(() => parseDocumentFile({ documents: docs })).toThrow(/"model" must be/);
    expect(() => parseDocumentFile({ model: stamp, documents: [{ ...docs[0], vector: [1, 2, 3] }] })).toThrow(/document 0: "vector" must be finite numbers, a whole number of rows of 2/);
    expect(() => parseDocumentFile({ model: stamp, documents: [{ ...docs[0], vector: [1, null] }] })).toThrow(/document 0/);
    expect(() => parseDocumentFile({ model: stamp })).toThrow(/needs a "documents" array/);
    expect(() => parseDocumentFile({ model: stamp, documents: [{ id: 'a', title: 'A' }] })).toThrow(/text must be a string/);
  });

  it('vectors are used only with the same model: id, hash, dims and mode, each named when they differ', () => {
    expect(stampMismatch(stamp, loaded)).toBeNull();
    expect(stampMismatch({ ...stamp, dims: 384 }, loaded)).toBe('384 vs 2 dimensions');
    expect(stampMismatch({ ...stamp, id: 'sgpt-nano' }, loaded)).toBe('model "sgpt-nano" vs "tiny-gpt2"');
    expect(stampMismatch({ ...stamp, mode: 'symmetric' }, loaded)).toBe('mode symmetric vs asymmetric');
    expect(stampMismatch({ ...stamp, hash: 'cd'.repeat(32) }, loaded)).toMatch(/^model hash cdcdcdcdcdcd… vs abababababab…$/);
    expect(stampMismatch(stamp, { ...loaded, hash: '' })).toBe("the loaded model's hash is unknown");
  });
});

describe('sgpt-search embed --documents', () => {
  let dir: string;
  let embedder: Embedder;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sgpt-embed-docs-'));
    embedder = await Embedder.load(TINY);
  });
  afterAll(async () => {
    await embedder.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes each document's vector (all its windows) and the model's stamp; the vectors are the Embedder's", async () => {
    const long = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    const docs = [
      { id: 'tea', title: 'Tea', text: 'Boil water, then steep the leaves.', url: '/tea' },
      { id: 2, title: 'Long', text: long },
    ];
    await writeFile(join(dir, 'docs.json'), JSON.stringify(docs));
    await promisify(execFile)(process.execPath, [resolve('bin/sgpt-search.js'), 'embed', '--documents', join(dir, 'docs.json'), '--out', join(dir, 'out.json'), '--model', TINY]);
    const file = parseDocumentFile(JSON.parse(await readFile(join(dir, 'out.json'), 'utf8')));
    expect(file.documents).toEqual(docs);
    expect(file.shipped!.model).toEqual({ id: 'tiny-gpt2', hash: await modelFolderHash(TINY), dims: embedder.dims, mode: embedder.settings.mode });
    const reference = await embedder.embed(docs.map(documentText), 'document');
    for (const [i, rows] of file.shipped!.vectors.entries()) {
      const mine = [...reference.owner.keys()].filter((r) => reference.owner[r] === i);
      expect(rows!.length).toBe(mine.length * reference.dims);
      mine.forEach((r, k) => {
        const expected = reference.vectors.subarray(r * reference.dims, (r + 1) * reference.dims);
        expect(cosine(rows!.subarray(k * reference.dims, (k + 1) * reference.dims), expected)).toBeGreaterThan(0.9999);
      });
    }
    expect(file.shipped!.vectors[1]!.length / reference.dims).toBeGreaterThan(1); // the long one has several windows
  });

  it('refuses invalid documents and options that would make vectors the browser cannot check, exit 1', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify([{ id: 'a', title: 'A' }]));
    const run = (args: string[]) => promisify(execFile)(process.execPath, [resolve('bin/sgpt-search.js'), 'embed', ...args]).then(() => null, (error: { code: number; stderr: string }) => error);
    const bad = await run(['--documents', join(dir, 'bad.json'), '--model', TINY]);
    expect(bad?.code).toBe(1);
    expect(bad?.stderr).toMatch(/document 0 \(id "a"\): text must be a string/);
    const options = await run(['--documents', join(dir, 'docs.json'), '--model', TINY, '--max-length', '20']);
    expect(options?.stderr).toMatch(/--max-length and --overlap would make vectors the browser cannot check/);
    // An --out that cannot be written is refused before any embedding, naming it, and leaves nothing behind.
    const folder = await run(['--documents', join(dir, 'docs.json'), '--model', TINY, '--out', dir]);
    expect(folder?.stderr).toMatch(new RegExp(`INPUT_INVALID.*--out ${dir} is a folder`));
    const missing = await run(['--documents', join(dir, 'docs.json'), '--model', TINY, '--out', join(dir, 'nowhere', 'out.json')]);
    expect(missing?.stderr).toMatch(/INPUT_INVALID.*the folder .*nowhere does not exist/);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    // A UTF-8 byte order mark is dropped (JSON.parse refused it); bytes that are not UTF-8 are refused, naming the file and line.
    await writeFile(join(dir, 'bom.json'), `\uFEFF${JSON.stringify([{ id: 'a', title: 'A', text: 'x' }])}`);
    expect(await run(['--documents', join(dir, 'bom.json'), '--model', TINY])).toBeNull();
    await writeFile(join(dir, 'latin1.json'), Buffer.from(`[\n${JSON.stringify({ id: 'a', title: 'Café', text: 'x' })}]`, 'latin1'));
    const latin1 = await run(['--documents', join(dir, 'latin1.json'), '--model', TINY]);
    expect(latin1?.code).toBe(1);
    expect(latin1?.stderr).toContain(`INPUT_INVALID: ${join(dir, 'latin1.json')}:2: not valid UTF-8`);
  });
});
