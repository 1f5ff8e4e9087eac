/**
 * Loading a GPT through transformers.js, the same code in Node and the browser (no Node imports).
 *
 * A source is one of
 * - a hub id, "owner/name" or "name" (fetched from `remoteHost`, default the Hugging Face hub),
 * - an http(s) URL of a model folder, or in the browser a path like "/models/tiny-gpt2"
 *   (resolved against the page or worker URL),
 * - in Node, a directory: anything starting with "/", "./" or "../", or with two or more "/".
 * transformers.js reads where to fetch from in its global `env`; loads are serialised so each one
 * sees its own settings, and the previous values are restored afterwards.
 */
import {
  AutoConfig,
  AutoModel,
  AutoTokenizer,
  env,
  GPT2Tokenizer,
  PreTrainedTokenizer,
  Tensor,
} from '@huggingface/transformers';
import { SgptError, cspBlocked, type ErrorCode } from '../errors';
import type { PaddedBatch } from './batch';
import { byteLevelAddedTokens, DEFERRED_BUILD } from './piece-memo';
import type { Backend, Device, Dtype, LoadOptions, OrtWasmFiles } from './types';

export const DEFAULT_REMOTE_HOST = 'https://huggingface.co/';
const HUB_PATH_TEMPLATE = '{model}/resolve/{revision}/';
/** transformers.js' rule for hub ids (utils/hub/constants.js REPO_ID_REGEX), plus its extra checks. */
const HUB_ID = /^(\b[\w\-.]+\b\/)?\b[\w\-.]{1,96}\b$/;
const FOLDER_NAME = /^\b[\w\-.]{1,96}\b$/;

export type ModelSource =
  | { kind: 'hub'; modelId: string }
  | { kind: 'url'; modelId: string; host: string }
  | { kind: 'path'; modelId: string };

export function isNodeRuntime(): boolean {
  return typeof process !== 'undefined' && process.release?.name === 'node';
}

function isHubId(value: string): boolean {
  return HUB_ID.test(value) && !value.includes('..') && !value.includes('--');
}

/**
 * Classify a source string. `base` is the URL that browser paths resolve against
 * (the page or worker location); `node` says whether a file system is there.
 */
export function resolveSource(source: string, runtime: { node: boolean; base?: string }): ModelSource {
  const trimmed = source.trim();
  if (trimmed === '') throw new SgptError('INPUT_INVALID', 'model source is empty: give a hub id, a URL or a folder');
  if (/^https?:\/\//i.test(trimmed)) return urlSource(trimmed);
  const pathLike = /^\.{0,2}\//.test(trimmed) || (trimmed.match(/\//g)?.length ?? 0) >= 2 || trimmed.includes('\\');
  if (pathLike) {
    if (runtime.node) return { kind: 'path', modelId: trimmed.replace(/[/\\]+$/, '') };
    if (runtime.base === undefined) {
      throw new SgptError('INPUT_INVALID', `model path "${trimmed}" needs a base URL to resolve against; give an absolute URL`);
    }
    return urlSource(new URL(trimmed, runtime.base).href);
  }
  if (isHubId(trimmed)) return { kind: 'hub', modelId: trimmed };
  throw new SgptError(
    'INPUT_INVALID',
    `model source "${trimmed}" is neither a hub id ("owner/name"), a URL, nor a path (start it with "/" or "./")`,
  );
}

function urlSource(href: string): ModelSource {
  const url = new URL(href);
  const segments = url.pathname.split('/').filter((s) => s !== '');
  const name = segments.pop();
  if (name === undefined || !FOLDER_NAME.test(name) || name.includes('..') || name.includes('--')) {
    throw new SgptError(
      'INPUT_INVALID',
      `model URL ${href} must end in a plain folder name (letters, digits, "-", "_", "."), like https://host/models/tiny-gpt2`,
    );
  }
  const host = `${url.origin}/${segments.map((s) => `${s}/`).join('')}`;
  return { kind: 'url', modelId: name, host };
}

/** Where the source's files live, for messages. */
export function describeSource(source: ModelSource, remoteHost = DEFAULT_REMOTE_HOST): string {
  switch (source.kind) {
    case 'hub':
      return `${remoteHost.replace(/\/?$/, '/')}${source.modelId}`;
    case 'url':
      return `${source.host}${source.modelId}`;
    case 'path':
      return source.modelId;
  }
}

type EnvSettings = Pick<
  typeof env,
  'allowLocalModels' | 'allowRemoteModels' | 'remoteHost' | 'remotePathTemplate' | 'useCustomCache' | 'customCache'
>;

/**
 * Holds downloads for the duration of one load. transformers.js in Node hands ONNX files to
 * onnxruntime through a cache; its file cache keys by folder name only (two hosts' "tiny-gpt2"
 * would collide, and a changed file would never be fetched again), so URL sources and test hosts
 * use this instead.
 */
class LoadCache {
  private readonly files = new Map<string, { body: ArrayBuffer; headers: Headers }>();

  async match(key: string): Promise<Response | undefined> {
    const file = this.files.get(key);
    return file && new Response(file.body, { headers: file.headers });
  }

  async put(key: string, response: Response): Promise<void> {
    this.files.set(key, { body: await response.arrayBuffer(), headers: new Headers(response.headers) });
  }
}

function envFor(source: ModelSource, remoteHost: string | undefined, node: boolean): EnvSettings {
  const keep = { useCustomCache: env.useCustomCache, customCache: env.customCache };
  // Node: the real hub's files go to transformers.js' disk cache; everything else lives per load.
  // Browsers keep their Cache API, keyed by full URL.
  const perLoad = node ? { useCustomCache: true, customCache: new LoadCache() } : keep;
  switch (source.kind) {
    case 'hub':
      return {
        allowLocalModels: false,
        allowRemoteModels: true,
        remoteHost: remoteHost ?? DEFAULT_REMOTE_HOST,
        remotePathTemplate: HUB_PATH_TEMPLATE,
        ...(remoteHost === undefined ? keep : perLoad),
      };
    case 'url':
      return {
        allowLocalModels: false,
        allowRemoteModels: true,
        remoteHost: source.host,
        remotePathTemplate: '{model}/',
        ...perLoad,
      };
    case 'path':
      return {
        allowLocalModels: true,
        allowRemoteModels: false,
        remoteHost: env.remoteHost,
        remotePathTemplate: env.remotePathTemplate,
        ...keep,
      };
  }
}

let loadChain: Promise<unknown> = Promise.resolve();

/** Run `load` with transformers.js' env pointed at the source, one load at a time. */
async function withSourceEnv<T>(
  source: ModelSource,
  remoteHost: string | undefined,
  node: boolean,
  load: () => Promise<T>,
): Promise<T> {
  const run = async () => {
    const wanted = envFor(source, remoteHost, node);
    const saved: EnvSettings = {
      allowLocalModels: env.allowLocalModels,
      allowRemoteModels: env.allowRemoteModels,
      remoteHost: env.remoteHost,
      remotePathTemplate: env.remotePathTemplate,
      useCustomCache: env.useCustomCache,
      customCache: env.customCache,
    };
    Object.assign(env, wanted);
    try {
      return await load();
    } finally {
      Object.assign(env, saved);
    }
  };
  const result = loadChain.then(run, run);
  loadChain = result.catch(() => undefined);
  return result;
}

/**
 * The backend a device choice runs on here. 'auto' in a browser takes WebGPU only from a real
 * adapter: a fallback (software) adapter computes correctly but far slower than WASM.
 */
export async function resolveBackend(device: Device, allowWebGpu: boolean, node: boolean): Promise<Backend> {
  if (node) {
    if (device === 'wasm') {
      throw new SgptError('BACKEND_UNAVAILABLE', 'device "wasm" is for browsers; Node runs onnxruntime-node: use "cpu" or "auto"');
    }
    return device === 'webgpu' ? 'webgpu' : 'cpu';
  }
  if (device === 'cpu') throw new SgptError('BACKEND_UNAVAILABLE', 'device "cpu" is Node-only; in a browser use "wasm", "webgpu" or "auto"');
  if (device === 'wasm' || (device === 'auto' && !allowWebGpu)) return 'wasm';
  const adapter = await webGpuAdapter();
  if (device === 'webgpu') {
    if (!adapter) throw new SgptError('BACKEND_UNAVAILABLE', 'device "webgpu" was requested but this browser offers no WebGPU adapter; use "auto" or "wasm"');
    return 'webgpu';
  }
  return adapter && !adapter.fallback ? 'webgpu' : 'wasm';
}

interface GpuAdapterLike {
  info?: { isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

async function webGpuAdapter(): Promise<{ fallback: boolean } | null> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } } | undefined)?.gpu;
  if (!gpu) return null;
  try {
    const adapter = await gpu.requestAdapter();
    return adapter ? { fallback: adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false } : null;
  } catch {
    return null;
  }
}

/**
 * Browser runtime settings, before the first session: onnxruntime-web's files from our own
 * server (`base`, never a CDN) when given, and the thread count. The plain build is ~2x faster for
 * fp32 on CPU; WebGPU needs the asyncify build. Fields are set in place because transformers.js
 * holds a reference to the `wasm` object.
 */
function configureWasm(base: string | OrtWasmFiles | undefined, backend: Backend, threads: number | undefined): void {
  if (base === undefined && threads === undefined) return;
  const wasm = env.backends.onnx.wasm;
  if (!wasm) throw new SgptError('BACKEND_UNAVAILABLE', 'onnxruntime-web has no WASM backend in this build');
  if (base !== undefined) {
    // transformers.js would fetch the WASM glue (.mjs) and import it from a blob: URL, which a
    // strict CSP (script-src without blob:) refuses: let onnxruntime-web import the file itself.
    env.useWasmCache = false;
    if (typeof base !== 'string') {
      if (backend === 'webgpu') throw new SgptError('BACKEND_UNAVAILABLE', 'WebGPU needs the asyncify build: give wasmPaths as the folder that serves it');
      wasm.wasmPaths = { ...base };
    } else {
      const folder = base.endsWith('/') ? base : `${base}/`;
      const stem = `ort-wasm-simd-threaded${backend === 'webgpu' ? '.asyncify' : ''}`;
      wasm.wasmPaths = { mjs: `${folder}${stem}.mjs`, wasm: `${folder}${stem}.wasm` };
    }
  }
  if (threads !== undefined) wasm.numThreads = threads;
}

/** The last quoted path or URL in a transformers.js message: the file it could not get. */
function quotedFile(message: string): string | undefined {
  const matches = [...message.matchAll(/"([^"]+)"/g)];
  return matches.at(-1)?.[1];
}

type Phase = 'config' | 'tokenizer' | 'model';

function loadError(error: unknown, phase: Phase, where: string, backend: Backend): SgptError {
  if (error instanceof SgptError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const name = error instanceof Error ? error.name : '';
  const fail = (code: ErrorCode, text: string) => new SgptError(code, text, { cause: error });
  if (/Content Security Policy/i.test(message)) {
    return cspBlocked(/unsafe-eval|WebAssembly/i.test(message) ? "script-src (without 'wasm-unsafe-eval')" : 'script-src or connect-src', `loading model "${where}": ${message}`);
  }
  if (name === 'ModelFileNotFoundError' || /\b404\b|ENOENT/.test(message)) return modelFileMissing(quotedFile(message), where, error);
  if (error instanceof SyntaxError || /JSON/.test(message)) {
    const file = phase === 'config' ? 'config.json' : phase === 'tokenizer' ? 'tokenizer.json / tokenizer_config.json' : 'a JSON file';
    return fail('MODEL_INVALID', `${file} of model "${where}" is not valid JSON: ${message}`);
  }
  if (/unsupported model type/i.test(message)) {
    return fail('MODEL_INVALID', `model "${where}": ${message} (transformers.js has no model class for it; GPT-2 and GPT-Neo work)`);
  }
  if (phase === 'model' && /unsupported device|backend|execution provider|webgpu|wasm/i.test(message)) {
    return fail('BACKEND_UNAVAILABLE', `the ${backend} backend could not run model "${where}": ${message}`);
  }
  if (phase === 'model' && /protobuf|load model|invalid model|onnx/i.test(message)) {
    return fail('MODEL_INVALID', `onnx model of "${where}" could not be read: ${message}`);
  }
  return fail('MODEL_LOAD_FAILED', `loading the ${phase} of model "${where}" failed: ${message}`);
}

function modelFileMissing(file: string | null | undefined, where: string, cause?: unknown): SgptError {
  return new SgptError(
    'MODEL_NOT_FOUND',
    `model file not found${file ? `: ${file}` : ''} (model "${where}"). A model folder needs config.json, tokenizer.json, tokenizer_config.json and onnx/model.onnx.`,
    cause === undefined ? undefined : { cause },
  );
}

/** Progress over all files: transformers.js reports per file; we sum them. */
function progressAggregator(onProgress: LoadOptions['onProgress']) {
  if (!onProgress) return undefined;
  const files = new Map<string, { loaded: number; total: number }>();
  return (event: { status: string; file?: string; loaded?: number; total?: number }) => {
    if (event.status !== 'progress' || event.file === undefined) return;
    files.set(event.file, { loaded: event.loaded ?? 0, total: event.total ?? 0 });
    let loaded = 0;
    let total = 0;
    for (const file of files.values()) {
      loaded += file.loaded;
      total += file.total;
    }
    onProgress(loaded, total);
  };
}

/** A transformers.js model class (AutoModel, AutoModelForCausalLM, ...). */
interface PretrainedClass<M> {
  from_pretrained(id: string, options: Record<string, unknown>): Promise<M>;
}

export interface LoadedPretrained<M> {
  model: M;
  tokenizer: PreTrainedTokenizer;
  /** config.json as parsed (the "sgpt" key included). */
  config: Record<string, unknown>;
  backend: Backend;
  /** Where the files came from (folder, URL or hub URL). */
  modelId: string;
}

/**
 * Load config, tokenizer and ONNX weights of a source with one model class. Shared by the
 * embedder (AutoModel) and the reranker (AutoModelForCausalLM). Failures are SgptErrors.
 * `loadedTokenizer`: the source's tokenizer when already loaded (another session of the same
 * model), not read again; null: none wanted (a worker thread, which is sent ids).
 */
export async function loadPretrained<M>(modelClass: PretrainedClass<M>, sourceText: string, opts?: LoadOptions, loadedTokenizer?: PreTrainedTokenizer): Promise<LoadedPretrained<M>>;
export async function loadPretrained<M>(modelClass: PretrainedClass<M>, sourceText: string, opts: LoadOptions, loadedTokenizer: null): Promise<Omit<LoadedPretrained<M>, 'tokenizer'>>;
export async function loadPretrained<M>(
  modelClass: PretrainedClass<M>,
  sourceText: string,
  opts: LoadOptions = {},
  loadedTokenizer?: PreTrainedTokenizer | null,
): Promise<Omit<LoadedPretrained<M>, 'tokenizer'> & { tokenizer?: PreTrainedTokenizer }> {
  const node = isNodeRuntime();
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const source = resolveSource(sourceText, { node, ...(base === undefined ? {} : { base }) });
  const where = describeSource(source, opts.remoteHost);
  const backend = await resolveBackend(opts.device ?? 'auto', opts.allowWebGpu ?? true, node);
  if (!node) configureWasm(opts.wasmPaths, backend, opts.threads);
  const progress_callback = progressAggregator(opts.onProgress);
  const common = progress_callback ? { progress_callback } : {};

  return withSourceEnv(source, opts.remoteHost, node, async () => {
    const step = async <T>(phase: Phase, load: () => Promise<T>): Promise<T> => {
      try {
        return await load();
      } catch (error) {
        throw loadError(error, phase, where, backend);
      }
    };
    const configObject = await step('config', () => AutoConfig.from_pretrained(source.modelId, common));
    const config = configObject as unknown as Record<string, unknown>;
    if (typeof config.model_type !== 'string' || config.model_type === '') {
      throw new SgptError('MODEL_INVALID', `config.json of model "${where}" has no "model_type" (expected e.g. "gpt2" or "gpt_neo")`);
    }
    const jsConfig = config['transformers.js_config'] as { dtype?: unknown } | undefined;
    const dtype: Dtype = opts.dtype ?? (isDtype(jsConfig?.dtype) ? jsConfig.dtype : 'fp32');
    // Both at once: the tokenizer's JSON is parsed while the runtime compiles its WASM (off the
    // thread in a browser) and the model file is read; a repeat visit's start-up is these two.
    const [tokenizer, model] = await Promise.allSettled([
      loadedTokenizer === null ? undefined : (loadedTokenizer ?? step('tokenizer', () => loadTokenizer(source.modelId, common, node, (error) => loadError(error, 'tokenizer', where, backend)))),
      step('model', () =>
        modelClass.from_pretrained(source.modelId, {
          ...common,
          config: configObject,
          device: backend,
          dtype,
          ...(node && opts.threads !== undefined ? { session_options: { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } } : {}),
        }),
      ),
    ]);
    if (tokenizer.status === 'rejected') {
      if (model.status === 'fulfilled') await (model.value as { dispose?: () => Promise<unknown> }).dispose?.();
      throw tokenizer.reason;
    }
    if (model.status === 'rejected') throw model.reason;
    return { model: model.value, ...(tokenizer.value === undefined ? {} : { tokenizer: tokenizer.value }), config, backend, modelId: where };
  });
}

/**
 * A source's tokenizer, its files fetched as transformers.js fetches them (its env, caches and
 * progress events). With `defer` (Node: a CLI call or a build, whose start-up is on the clock),
 * built only when first used where ./piece-memo tokenises from its JSON alone (GPT-2's tokenizer
 * class, byte-level: every SGPT model's), since building it takes ~115 ms (maps of 50 k tokens
 * and merges; ~155 ms with reading the JSON: README, twelfth-session throughput row, 2026-12-02) and transformers.js' own encode is then asked only for a text holding an added
 * token, its decode for excerpt offsets. Otherwise built now: a page's worker loads ahead of the
 * reader's query, whose excerpts would otherwise pay for it. Either way a broken one fails the
 * load. `failed` turns a later build's error into the load's.
 */
async function loadTokenizer(id: string, options: Record<string, unknown>, defer: boolean, failed: (error: unknown) => Error): Promise<PreTrainedTokenizer> {
  let files: ConstructorParameters<typeof PreTrainedTokenizer> | undefined;
  // from_pretrained fetches tokenizer.json and tokenizer_config.json and returns `new this(json,
  // config)`: with a `this` that only keeps them, nothing is built.
  const keep = function (this: unknown, ...read: ConstructorParameters<typeof PreTrainedTokenizer>) {
    files = read;
  };
  await (PreTrainedTokenizer.from_pretrained as (this: unknown, id: string, options: Record<string, unknown>) => Promise<unknown>).call(keep, id, options);
  const [json, config] = files ?? [];
  // transformers.js reads a missing tokenizer_config.json as none (and then fails on a property of it).
  if (files !== undefined && (config === undefined || config === null)) throw modelFileMissing('tokenizer_config.json', id);
  if (json === undefined || config === undefined || String(config.tokenizer_class).replace(/Fast$/, '') !== 'GPT2Tokenizer') return AutoTokenizer.from_pretrained(id, options);
  const model = json.model as { vocab?: unknown; merges?: unknown } | undefined;
  // The check below empties the vocabulary and merges, so their shape is checked here: every merge
  // written as the first is ("a b", or ["a", "b"]), as transformers.js reads them all.
  const merges = Array.isArray(model?.merges) ? (model.merges as unknown[]) : undefined;
  const pair = (merge: unknown) => Array.isArray(merge) && merge.length === 2 && merge.every((part) => typeof part === 'string');
  const mergeOk = typeof merges?.[0] === 'string' ? (merge: unknown) => typeof merge === 'string' : pair;
  const listed = typeof model?.vocab === 'object' && model.vocab !== null && merges !== undefined && merges.every(mergeOk);
  if (!defer || !listed || byteLevelAddedTokens(json, config) === null) return new GPT2Tokenizer(json, config);
  // Built now on an empty vocabulary (~1 ms), it checks all the rest (normalizer, pre-tokenizer,
  // decoder, post-processor, added tokens, the config's special tokens): a broken tokenizer fails
  // the load, as when it was built whole here.
  new GPT2Tokenizer({ ...json, model: { ...model, vocab: {}, merges: [] } }, config);
  let built: PreTrainedTokenizer | Error | undefined;
  const tokenizer = (): PreTrainedTokenizer => {
    if (built === undefined) {
      try {
        built = new GPT2Tokenizer(json, config);
      } catch (error) {
        built = failed(error);
      }
    }
    if (built instanceof Error) throw built;
    return built;
  };
  // The JSON is read without building; anything else builds it, and methods run on it.
  return new Proxy({} as PreTrainedTokenizer, {
    get(_, key) {
      if (key === '_tokenizerJSON') return json;
      if (key === '_tokenizerConfig') return config;
      if (key === 'then') return undefined; // awaited as a load's result, it is no thenable (and is not built)
      if (key === DEFERRED_BUILD) return built === undefined;
      const real = tokenizer();
      const value: unknown = Reflect.get(real, key);
      return typeof value === 'function' ? value.bind(real) : value;
    },
  });
}

function isDtype(value: unknown): value is Dtype {
  return value === 'fp32' || value === 'q8' || value === 'fp16';
}

/** The decoder as a worker thread sees it: padded ids in, last hidden states out. */
export interface HiddenStates {
  readonly config: Record<string, unknown>;
  readonly dims: number;
  readonly backend: Backend;
  readonly modelId: string;
  /** last_hidden_state for a right-padded batch, flat [rows, seqLen, dims] float32. */
  run(batch: PaddedBatch): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** The decoder as the embedder sees it: its tokenizer too. */
export interface Encoder extends HiddenStates {
  readonly tokenizer: PreTrainedTokenizer;
}

interface FeatureModel {
  sessions: Record<string, { inputNames: string[]; outputNames: string[] }>;
  (inputs: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  dispose(): Promise<unknown>;
}

export function int64(data: ArrayLike<number>, dims: number[]): Tensor {
  const out = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i]!);
  return new Tensor('int64', out, dims);
}

/** Load a model whose ONNX graph outputs last_hidden_state (GPT2Model / GPTNeoModel exports), and its tokenizer. */
export async function loadEncoder(source: string, opts: LoadOptions = {}, sharedTokenizer?: PreTrainedTokenizer): Promise<Encoder> {
  const loaded = await loadPretrained(AutoModel as unknown as PretrainedClass<FeatureModel>, source, opts, sharedTokenizer);
  return { ...(await hiddenStates(loaded)), tokenizer: loaded.tokenizer };
}

/** The same model without its tokenizer, for a thread that is sent ids. */
export async function loadHiddenStates(source: string, opts: LoadOptions = {}): Promise<HiddenStates> {
  return hiddenStates(await loadPretrained(AutoModel as unknown as PretrainedClass<FeatureModel>, source, opts, null));
}

async function hiddenStates({ model, config, backend, modelId }: Omit<LoadedPretrained<FeatureModel>, 'tokenizer'>): Promise<HiddenStates> {
  const session = model.sessions.model;
  if (!session?.outputNames.includes('last_hidden_state')) {
    await model.dispose();
    throw new SgptError(
      'MODEL_INVALID',
      `onnx/model.onnx of "${modelId}" has outputs [${session?.outputNames.join(', ') ?? ''}] but no last_hidden_state: export the feature model (GPT2Model), not the LM head`,
    );
  }
  const dims = config.n_embd ?? config.hidden_size;
  if (typeof dims !== 'number' || !Number.isInteger(dims) || dims < 1) {
    await model.dispose();
    throw new SgptError('MODEL_INVALID', `config.json of "${modelId}" states no hidden size (n_embd or hidden_size)`);
  }
  return {
    config,
    dims,
    backend,
    modelId,
    async run(batch) {
      const shape = [batch.rows, batch.seqLen];
      const outputs = await model({ input_ids: int64(batch.inputIds, shape), attention_mask: int64(batch.attentionMask, shape) });
      try {
        const hidden = outputs.last_hidden_state!;
        const [rows, seqLen, width] = hidden.dims;
        if (rows !== batch.rows || seqLen !== batch.seqLen || width !== dims) {
          throw new SgptError('MODEL_INVALID', `last_hidden_state of "${modelId}" has shape [${hidden.dims.join(', ')}], expected [${batch.rows}, ${batch.seqLen}, ${dims}]`);
        }
        const data = hidden.type === 'float32' ? hidden.data : hidden.to('float32').data;
        return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
      } finally {
        // GPU-backed outputs (WebGPU) hold device memory until disposed; extra outputs (present.*) too.
        for (const tensor of Object.values(outputs)) if (tensor.location !== 'cpu') tensor.dispose();
      }
    },
    async dispose() {
      await model.dispose();
    },
  };
}
