// Loading through src/embed/model.ts: every fixture signature, every source kind (folder, hub id,
// URL) against the real code paths, and the error codes a person sees when a model is broken.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AutoModel, AutoTokenizer, Tensor } from '@huggingface/transformers';
import { padBatch } from '../../src/embed/batch';
import { Embedder } from '../../src/embed/embedder';
import { describeSource, loadEncoder, loadHiddenStates, resolveBackend, resolveSource } from '../../src/embed/model';
import { cosine, sgptRejection } from '../support';

/**
 * GPT-2 tokenizers src/embed/model.ts has built with their vocabulary (its load's check on an
 * empty one is not counted, nor what transformers.js' own AutoTokenizer builds: its own class).
 */
const built = vi.hoisted(() => ({ tokenizers: 0 }));
vi.mock('@huggingface/transformers', async (original) => {
  const actual = await original<typeof import('@huggingface/transformers')>();
  class CountedGPT2Tokenizer extends actual.GPT2Tokenizer {
    constructor(...args: ConstructorParameters<typeof actual.GPT2Tokenizer>) {
      super(...args);
      if (Object.keys((args[0] as { model: { vocab: object } }).model.vocab).length > 0) built.tokenizers++;
    }
  }
  return { ...actual, GPT2Tokenizer: CountedGPT2Tokenizer };
});

const FIXTURES = path.resolve('test/fixtures/models');
const TINY = path.resolve('test/fixtures/models/tiny-gpt2');



describe('resolveSource', () => {
  it('tells hub ids, URLs and paths apart', () => {
    expect(resolveSource('Muennighoff/SGPT-125M-weightedmean-nli-bitfit', { node: true })).toEqual({
      kind: 'hub',
      modelId: 'Muennighoff/SGPT-125M-weightedmean-nli-bitfit',
    });
    expect(resolveSource('gpt2', { node: false, base: 'http://x/' })).toEqual({ kind: 'hub', modelId: 'gpt2' });
    expect(resolveSource('http://host:8080/models/tiny-gpt2/', { node: true })).toEqual({
      kind: 'url',
      modelId: 'tiny-gpt2',
      host: 'http://host:8080/models/',
    });
    expect(resolveSource('/models/tiny-gpt2', { node: false, base: 'http://site.test/app/worker.js' })).toEqual({
      kind: 'url',
      modelId: 'tiny-gpt2',
      host: 'http://site.test/models/',
    });
    expect(resolveSource('/models/tiny-gpt2/', { node: true })).toEqual({ kind: 'path', modelId: '/models/tiny-gpt2' });
    expect(resolveSource('./tiny', { node: true })).toEqual({ kind: 'path', modelId: './tiny' });
    expect(resolveSource('test/fixtures/models/tiny-gpt2', { node: true })).toEqual({
      kind: 'path',
      modelId: 'test/fixtures/models/tiny-gpt2',
    });
  });

  it('rejects what is none of them', () => {
    expect(() => resolveSource('  ', { node: true })).toThrow(/empty/);
    expect(() => resolveSource('bad name!', { node: true })).toThrow(/neither a hub id/);
    expect(() => resolveSource('http://host/', { node: true })).toThrow(/folder name/);
    expect(() => resolveSource('/models/x', { node: false })).toThrow(/base URL/);
  });

  it('describes where files come from', () => {
    expect(describeSource({ kind: 'hub', modelId: 'a/b' })).toBe('https://huggingface.co/a/b');
    expect(describeSource({ kind: 'hub', modelId: 'a/b' }, 'http://127.0.0.1:9')).toBe('http://127.0.0.1:9/a/b');
  });
});

describe('resolveBackend', () => {
  afterEach(() => vi.unstubAllGlobals());
  const gpu = (adapter: unknown) => vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => adapter } });

  it('Node runs cpu (webgpu on request) and refuses wasm', async () => {
    expect(await resolveBackend('auto', true, true)).toBe('cpu');
    expect(await resolveBackend('cpu', true, true)).toBe('cpu');
    expect(await resolveBackend('webgpu', true, true)).toBe('webgpu');
    await expect(resolveBackend('wasm', true, true)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('browser auto: WebGPU only from a real adapter the caller allows, else wasm', async () => {
    gpu({ info: { isFallbackAdapter: false } });
    expect(await resolveBackend('auto', true, false)).toBe('webgpu');
    expect(await resolveBackend('auto', false, false)).toBe('wasm');
    gpu({ info: { isFallbackAdapter: true } });
    expect(await resolveBackend('auto', true, false)).toBe('wasm');
    expect(await resolveBackend('webgpu', true, false)).toBe('webgpu');
    gpu(null);
    expect(await resolveBackend('auto', true, false)).toBe('wasm');
    await expect(resolveBackend('webgpu', true, false)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
    await expect(resolveBackend('cpu', true, false)).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' });
  });

  it('browser without navigator.gpu runs wasm', async () => {
    vi.stubGlobal('navigator', {});
    expect(await resolveBackend('auto', true, false)).toBe('wasm');
  });
});

describe('fixture signatures', () => {
  // Same text alone and in a padded batch must pool to the same vector for every export
  // signature: plain, position_ids (built from the mask), empty past_key_values, GPT-Neo attention.
  it.each(['gpt2-plain', 'gpt2-position-ids', 'gpt2-with-past', 'gpt-neo'])('%s embeds, padding-invariant', async (name) => {
    const embedder = await Embedder.load(path.join(FIXTURES, name));
    try {
      expect(embedder.dims).toBe(8);
      expect(embedder.backend).toBe('cpu');
      const texts = ['short text', 'a much longer text that forces the short one to be padded on the right'];
      const batched = await embedder.embed(texts, 'document');
      const alone = await embedder.embed([texts[0]!], 'document');
      expect(cosine(batched.vectors.subarray(0, 8), alone.vectors)).toBeGreaterThan(0.99999);
      for (let row = 0; row < batched.rows; row++) {
        expect(Math.hypot(...batched.vectors.subarray(row * 8, row * 8 + 8))).toBeCloseTo(1, 5);
      }
    } finally {
      await embedder.dispose();
    }
  });

  it('position_ids that transformers.js builds from the mask are 0..n-1 for every real token', async () => {
    // Reference: the same graph fed explicit positions (GPT-2's default arange); a shifted
    // arange must differ, so the comparison can fail.
    const dir = path.join(FIXTURES, 'gpt2-position-ids');
    const encoder = await loadEncoder(dir);
    const raw = await AutoModel.from_pretrained(dir, { device: 'cpu', dtype: 'fp32', local_files_only: true });
    try {
      const batch = padBatch([[90, 15496, 995, 11, 92], [90, 15496, 92]], 50256);
      const viaEncoder = await encoder.run(batch);
      const int64 = (values: number[]) => new Tensor('int64', BigInt64Array.from(values.map(BigInt)), [2, 5]);
      const withPositions = async (shift: number) => {
        const positions = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4].map((p) => p + shift);
        const out = await raw({
          input_ids: int64([...batch.inputIds]),
          attention_mask: int64([...batch.attentionMask]),
          position_ids: int64(positions),
        });
        return out.last_hidden_state.data as Float32Array;
      };
      const realRows = (data: Float32Array) => [...data.subarray(0, 5 * 8), ...data.subarray(5 * 8, 8 * 8)];
      const diff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
      expect(diff(realRows(viaEncoder), realRows(await withPositions(0)))).toBeLessThan(1e-5);
      expect(diff(realRows(viaEncoder), realRows(await withPositions(1)))).toBeGreaterThan(1e-3);
    } finally {
      await encoder.dispose();
      await raw.dispose();
    }
  });

  it('the fixture without an "sgpt" key runs symmetric with 75 tokens', async () => {
    const embedder = await Embedder.load(path.join(FIXTURES, 'gpt2-plain'));
    expect(embedder.settings.mode).toBe('symmetric');
    expect(embedder.settings.maxLength).toEqual({ query: 75, document: 75 });
    await embedder.dispose();
  });

  it('a worker thread\'s load (loadHiddenStates) reads no tokenizer, and gives the same hidden states', async () => {
    const dir = path.join(FIXTURES, 'tiny-gpt2');
    const bare = mkdtempSync(path.join(tmpdir(), 'sgpt-no-tokenizer-'));
    try {
      cpSync(dir, bare, { recursive: true });
      rmSync(path.join(bare, 'tokenizer.json'));
      expect((await sgptRejection(loadEncoder(bare))).code).toBe('MODEL_NOT_FOUND');
      const [encoder, states] = [await loadEncoder(dir), await loadHiddenStates(bare)];
      try {
        expect('tokenizer' in states).toBe(false);
        const batch = padBatch([[90, 15496, 995, 92], [90, 92]], 50256);
        expect(await states.run(batch)).toEqual(await encoder.run(batch));
      } finally {
        await Promise.all([encoder.dispose(), states.dispose()]);
      }
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it("a byte-level GPT-2 tokenizer is built only when asked for more than its JSON, then encodes and decodes as transformers.js' own", async () => {
    built.tokenizers = 0;
    const embedder = await Embedder.load(TINY);
    try {
      const long = 'Kettles boil water for tea, and a watched pot never boils. '.repeat(40);
      await embedder.embed(['plain words, no added token', long], 'document');
      expect(built.tokenizers).toBe(0);
      const own = await AutoTokenizer.from_pretrained(TINY);
      const text = 'an <|endoftext|> inside';
      expect(embedder.tokenize(text)).toEqual(own.encode(text, { add_special_tokens: false }));
      expect(built.tokenizers).toBe(1);
      // Excerpt offsets decode windows' tokens: the same tokenizer, built once.
      const windows = embedder.windows(long, 'document');
      expect(windows.length).toBeGreaterThan(1);
      expect(windows[0]![0]).toBe(0);
      expect(windows.at(-1)![1]).toBe(long.length);
      for (const [start, end] of windows) expect(start).toBeLessThan(end);
      expect(built.tokenizers).toBe(1);
    } finally {
      await embedder.dispose();
    }
  });

  it('an LM export without last_hidden_state is MODEL_INVALID', async () => {
    const error = await sgptRejection(loadEncoder(path.join(FIXTURES, 'gpt2-lm')));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/logits.*no last_hidden_state/);
  });
});

describe('broken model folders', () => {
  let scratch: string;

  /** A copy of the gpt2-plain fixture with `change` applied. */
  function variant(name: string, change: (dir: string) => void): string {
    const dir = path.join(scratch, name);
    mkdirSync(path.join(dir, 'onnx'), { recursive: true });
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      copyFileSync(path.join(FIXTURES, 'gpt2-plain', file), path.join(dir, file));
    }
    change(dir);
    return dir;
  }

  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'sgpt-model-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('a missing folder is MODEL_NOT_FOUND naming config.json', async () => {
    const error = await sgptRejection(Embedder.load(path.join(scratch, 'does-not-exist')));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toContain(path.join(scratch, 'does-not-exist', 'config.json'));
  });

  it('a missing onnx file is MODEL_NOT_FOUND naming it', async () => {
    const dir = variant('no-onnx', (d) => rmSync(path.join(d, 'onnx/model.onnx')));
    const error = await sgptRejection(Embedder.load(dir));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toContain('model.onnx');
  });

  it('a missing tokenizer is MODEL_NOT_FOUND naming it', async () => {
    const dir = variant('no-tokenizer', (d) => rmSync(path.join(d, 'tokenizer.json')));
    const error = await sgptRejection(Embedder.load(dir));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toContain('tokenizer.json');
  });

  it('a missing tokenizer_config.json is MODEL_NOT_FOUND naming it', async () => {
    const dir = variant('no-tokenizer-config', (d) => rmSync(path.join(d, 'tokenizer_config.json')));
    const error = await sgptRejection(Embedder.load(dir));
    expect(error.code).toBe('MODEL_NOT_FOUND');
    expect(error.message).toContain('model file not found: tokenizer_config.json');
  });

  it('a tokenizer.json that is JSON but no tokenizer fails the load, naming the tokenizer', async () => {
    const dir = variant('not-a-tokenizer', (d) => writeFileSync(path.join(d, 'tokenizer.json'), '{"model": {"type": "BPE"}}'));
    const error = await sgptRejection(Embedder.load(dir));
    expect(['MODEL_INVALID', 'MODEL_LOAD_FAILED']).toContain(error.code);
    expect(error.message).toMatch(/tokenizer/);
  });

  it('a byte-level tokenizer broken past its vocabulary fails the load too, though it is built only when needed', async () => {
    const json = JSON.parse(readFileSync(path.join(FIXTURES, 'gpt2-plain', 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    const broken: Array<[string, Record<string, unknown>]> = [
      ['bad-decoder', { ...json, decoder: { type: 'Bogus' } }],
      ['no-added-tokens', Object.fromEntries(Object.entries(json).filter(([key]) => key !== 'added_tokens'))],
      ['null-merge', { ...json, model: { ...(json.model as object), merges: [...((json.model as { merges: unknown[] }).merges.slice(0, 100)), null] } }],
    ];
    for (const [name, tokenizer] of broken) {
      const dir = variant(name, (d) => writeFileSync(path.join(d, 'tokenizer.json'), JSON.stringify(tokenizer)));
      const error = await sgptRejection(Embedder.load(dir));
      expect(error.code, name).toBe('MODEL_LOAD_FAILED');
      expect(error.message, name).toMatch(/loading the tokenizer of model/);
    }
  });

  it('a config.json that is not JSON is MODEL_INVALID', async () => {
    const dir = variant('bad-json', (d) => writeFileSync(path.join(d, 'config.json'), '{ "model_type": "gpt2", '));
    const error = await sgptRejection(Embedder.load(dir));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/config\.json.*not valid JSON/);
  });

  it('a config without "model_type" is MODEL_INVALID', async () => {
    const dir = variant('no-type', (d) => {
      const config = JSON.parse(readFileSync(path.join(d, 'config.json'), 'utf8'));
      delete config.model_type;
      writeFileSync(path.join(d, 'config.json'), JSON.stringify(config));
    });
    const error = await sgptRejection(Embedder.load(dir));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/model_type/);
  });

  it('a malformed "sgpt" key is MODEL_INVALID', async () => {
    const dir = variant('bad-sgpt', (d) => {
      const config = JSON.parse(readFileSync(path.join(d, 'config.json'), 'utf8'));
      config.sgpt = { mode: 'sideways' };
      writeFileSync(path.join(d, 'config.json'), JSON.stringify(config));
    });
    const error = await sgptRejection(Embedder.load(dir));
    expect(error.code).toBe('MODEL_INVALID');
    expect(error.message).toMatch(/sgpt\.mode/);
  });

  it('an onnx file that is not a model is MODEL_INVALID', async () => {
    const dir = variant('bad-onnx', (d) => writeFileSync(path.join(d, 'onnx/model.onnx'), 'not a protobuf'));
    const error = await sgptRejection(Embedder.load(dir));
    expect(error.code).toBe('MODEL_INVALID');
  });

  it('device "wasm" in Node is BACKEND_UNAVAILABLE', async () => {
    const error = await sgptRejection(Embedder.load(path.join(FIXTURES, 'gpt2-plain'), { device: 'wasm' }));
    expect(error.code).toBe('BACKEND_UNAVAILABLE');
  });
});

describe('remote sources over HTTP (a local server in the hub layout)', () => {
  let server: Server;
  let origin: string;
  const requests: string[] = [];
  const models = path.resolve('test/fixtures/models');

  beforeAll(async () => {
    // /<owner>/<name>/resolve/main/<file> (hub) and /models/<name>/<file> (plain URL folder)
    server = createServer((req, res) => {
      const url = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      requests.push(url);
      const hub = url.match(/^\/sgpt-search\/([\w.-]+)\/resolve\/main\/(.+)$/);
      const plain = url.match(/^\/models\/([\w.-]+)\/(.+)$/);
      const match = hub ?? plain;
      try {
        if (!match || match[2]!.includes('..')) throw new Error('no route');
        const body = readFileSync(path.join(models, match[1]!, match[2]!));
        res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/octet-stream' });
        res.end(body);
      } catch {
        res.writeHead(404).end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  let local: Float32Array;
  beforeAll(async () => {
    const embedder = await Embedder.load(TINY);
    local = (await embedder.embed(['remote loading check'], 'query')).vectors;
    await embedder.dispose();
  });

  it('loads by hub id from remoteHost, same vectors as the folder', async () => {
    requests.length = 0;
    const progress: Array<[number, number]> = [];
    const embedder = await Embedder.load('sgpt-search/tiny-gpt2', {
      remoteHost: `${origin}/`,
      onProgress: (loaded, total) => progress.push([loaded, total]),
    });
    try {
      expect(requests).toContain('/sgpt-search/tiny-gpt2/resolve/main/onnx/model.onnx');
      expect(embedder.modelId).toBe(`${origin}/sgpt-search/tiny-gpt2`);
      const vector = (await embedder.embed(['remote loading check'], 'query')).vectors;
      expect(cosine(vector, local)).toBeGreaterThan(0.999999);
      const [loaded, total] = progress.at(-1)!;
      expect(total).toBeGreaterThan(13_000_000);
      expect(loaded).toBe(total);
    } finally {
      await embedder.dispose();
    }
  });

  it('loads by URL of a model folder', async () => {
    requests.length = 0;
    const embedder = await Embedder.load(`${origin}/models/tiny-gpt2`);
    try {
      expect(requests).toContain('/models/tiny-gpt2/config.json');
      const vector = (await embedder.embed(['remote loading check'], 'query')).vectors;
      expect(cosine(vector, local)).toBeGreaterThan(0.999999);
    } finally {
      await embedder.dispose();
    }
  });

  it('a 404 is MODEL_NOT_FOUND naming the URL, for hub ids and URLs', async () => {
    const hub = await sgptRejection(Embedder.load('sgpt-search/missing-model', { remoteHost: `${origin}/` }));
    expect(hub.code).toBe('MODEL_NOT_FOUND');
    expect(hub.message).toContain(`${origin}/sgpt-search/missing-model/resolve/main/config.json`);
    const url = await sgptRejection(Embedder.load(`${origin}/models/missing-model`));
    expect(url.code).toBe('MODEL_NOT_FOUND');
    expect(url.message).toContain(`${origin}/models/missing-model/config.json`);
  });

  it('an unreachable host is MODEL_LOAD_FAILED', async () => {
    const error = await sgptRejection(Embedder.load('http://127.0.0.1:1/models/tiny-gpt2'));
    expect(error.code).toBe('MODEL_LOAD_FAILED');
  });
});
