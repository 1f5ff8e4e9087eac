/**
 * The element's controller without the DOM: a fake worker client whose answers the test releases
 * by hand, a fake site source, a memory vector cache. Covers the load policy (nothing before
 * intent), the order keyword-then-model, and the races a generation counter and latest-wins guard.
 */
import { describe, expect, it, vi } from 'vitest';
import { SgptError, toSgptError } from '../../src/errors';
import { MAX_RESTARTS, SearchController, type ControllerDeps, type ControllerSettings, type ControllerView, type SiteSourceLike } from '../../src/element/controller';
import type { SearchStage } from '../../src/element/source';
import type { OfflineTransport } from '../../src/element/defaults';
import { memoryVectorCache, type VectorCache } from '../../src/element/vector-cache';
import { contentHash, modelKey } from '../../src/worker/document-vectors';
import type { LoadResult, RuntimeOptions, SearchDocument, SearchResult, SetDocumentsResult } from '../../src/worker/protocol';

const DOCS: SearchDocument[] = [
  { id: 'tea', title: 'Tea', text: 'Boil water, then steep the leaves.' },
  { id: 'coffee', title: 'Coffee', text: 'Grind the beans and pour hot water.' },
];
const HASH = 'a'.repeat(64);
const DIMS = 2;

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const tick = () => new Promise((done) => setTimeout(done, 0));
async function settle(rounds = 5) {
  for (let i = 0; i < rounds; i++) await tick();
}

/** A worker client whose calls wait until the test answers them. */
class FakeClient {
  readonly loads: Array<{ model: string; runtime: RuntimeOptions | undefined; answer: ReturnType<typeof deferred<LoadResult>> }> = [];
  readonly setCalls: Array<{ documents: SearchDocument[]; vectors: Array<Float32Array | null> | undefined; answer: ReturnType<typeof deferred<SetDocumentsResult>> }> = [];
  readonly searches: string[] = [];
  /** For each search, how many document sets had been posted before it. */
  readonly setsBeforeSearch: number[] = [];
  disposed = 0;

  load(model: string, options?: { runtime?: RuntimeOptions }): Promise<LoadResult> {
    const answer = deferred<LoadResult>();
    this.loads.push({ model, runtime: options?.runtime, answer });
    return answer.promise;
  }
  setDocuments(documents: SearchDocument[], vectors?: Array<Float32Array | null>): Promise<SetDocumentsResult> {
    const answer = deferred<SetDocumentsResult>();
    this.setCalls.push({ documents, vectors, answer });
    return answer.promise;
  }
  async search(query: string): Promise<SearchResult> {
    this.searches.push(query);
    this.setsBeforeSearch.push(this.setCalls.length);
    return { query, hits: [{ id: 'coffee', score: 0.9, chunk: 0, chunks: 1 }], embedded: 2, total: 2, ms: 1 };
  }
  async embedQuery(): Promise<never> {
    throw new SgptError('INTERNAL', 'not used');
  }
  async windows(): Promise<never> {
    throw new SgptError('INTERNAL', 'not used');
  }
  async rerank(): Promise<never> {
    throw new SgptError('INTERNAL', 'not used');
  }
  dispose(): void {
    this.disposed++;
  }
}

function loadResult(model: string, hash = HASH): LoadResult {
  return { backend: 'wasm', modelId: model, dims: DIMS, mode: 'asymmetric', hash };
}

function settings(patch: Partial<ControllerSettings> = {}): ControllerSettings {
  return { model: '/models/m/', limit: 8, device: 'auto', rerank: false, rerankModel: '', load: 'intent', ...patch };
}

function setup(patch: Partial<ControllerSettings> = {}, options: { vectors?: VectorCache; openVectors?: () => Promise<VectorCache>; site?: SiteSourceLike; sites?: Record<string, SiteSourceLike>; json?: () => Promise<unknown>; offline?: OfflineTransport; stored?: string[] } = {}) {
  const client = new FakeClient();
  const shown: Array<{ query: string; stage: string; ids: Array<string | number>; keywordMatch: boolean }> = [];
  const events: Array<{ type: string; detail: unknown }> = [];
  const fetched: string[] = [];
  const warnings: string[] = [];
  const idle: Array<() => void> = [];
  const progressed: unknown[] = [];
  const states: Array<{ error: string | null; progress: boolean }> = [];
  const view: ControllerView = {
    state: ({ error, progress }) => states.push({ error: error?.code ?? null, progress: progress !== null }),
    results: (query, { results, stage, keywordMatch }) => shown.push({ query, stage, ids: results.map((hit) => hit.id), keywordMatch }),
    ready: (detail) => events.push({ type: 'ready', detail }),
    progress: (progress) => progressed.push(progress),
    error: (detail) => events.push({ type: 'error', detail }),
  };
  const vectors = options.vectors ?? memoryVectorCache();
  const deps: ControllerDeps = {
    client,
    resolve: (url) => new URL(url, 'http://site.test/').href,
    defaults: () => ({ model: '/models/default/', ortBase: '/ort/', ...(options.offline ? { offline: options.offline } : {}) }),
    fetchJson: async (url) => {
      fetched.push(url);
      return options.json ? options.json() : DOCS;
    },
    openSite: (url) => {
      const site = options.sites?.[url] ?? options.site;
      if (!site) throw new Error('no site in this test');
      return site;
    },
    openVectors: options.openVectors ?? (async () => vectors),
    ...(options.stored ? { isStored: async (url: string) => options.stored!.includes(url) } : {}),
    whenIdle: (task) => {
      idle.push(task);
      return () => idle.splice(idle.indexOf(task), 1);
    },
    warn: (message) => warnings.push(message),
    describe: (error) => toSgptError(error).toJSON(),
    debounceMs: 0,
  };
  const controller = new SearchController(view, deps, settings(patch));
  // As the element's first update: every setting is new.
  controller.configure(settings(patch), new Set(Object.keys(settings(patch)) as Array<keyof ControllerSettings>));
  return { controller, client, shown, events, fetched, warnings, idle, vectors, progressed, states };
}

describe('from disk (an offline transport)', () => {
  it("hands the worker the transport's model URL and the files' bytes with the load", async () => {
    const files = { 'https://sgpt-search.invalid/model/m/config.json': new Uint8Array([123, 125]) };
    const asked: string[] = [];
    const offline: OfflineTransport = {
      indexFiles: () => async () => new Uint8Array(0),
      prepareLoad: async (model, runtime) => {
        asked.push(model);
        return { model: 'https://sgpt-search.invalid/model/m/', runtime: { ...runtime, files } };
      },
      createWorker: () => {
        throw new Error('not used');
      },
    };
    const { controller, client } = setup({}, { offline });
    controller.intent();
    await settle();
    expect(asked).toEqual(['http://site.test/models/m/']);
    expect(client.loads.map((l) => l.model)).toEqual(['https://sgpt-search.invalid/model/m/']);
    expect(client.loads[0]!.runtime).toEqual({ ortBase: 'http://site.test/ort/', files });
  });
});

describe('load policy', () => {
  it('loads nothing before intent, then the documents, then the model', async () => {
    const { controller, client, fetched } = setup({ src: '/docs.json' });
    await settle();
    expect(fetched).toEqual([]);
    expect(client.loads).toHaveLength(0);
    controller.intent();
    await settle();
    expect(fetched).toEqual(['/docs.json']);
    expect(client.loads.map((l) => l.model)).toEqual(['http://site.test/models/m/']);
    controller.intent(); // a second sign of intent starts nothing new
    await settle();
    expect(client.loads).toHaveLength(1);
  });

  it('starts the model only after the documents arrived (keyword first), also when only another model is kept', async () => {
    const documents = deferred<unknown>();
    const { controller, client } = setup({ src: '/docs.json' }, { json: () => documents.promise, stored: ['http://site.test/models/other/config.json'] });
    controller.intent();
    await settle();
    expect(client.loads).toHaveLength(0);
    documents.resolve(DOCS);
    await settle();
    expect(client.loads).toHaveLength(1);
  });

  it('a model this browser keeps starts beside the documents, and gets them once they are in', async () => {
    const documents = deferred<unknown>();
    const { controller, client, events } = setup({ src: '/docs.json' }, { json: () => documents.promise, stored: ['http://site.test/models/m/config.json'] });
    controller.intent();
    await settle();
    expect(client.loads.map((l) => l.model)).toEqual(['http://site.test/models/m/']);
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m/'));
    await settle();
    expect(client.setCalls).toHaveLength(0); // no documents yet: nothing handed over, not ready
    expect(events).toEqual([]);
    documents.resolve(DOCS);
    await settle();
    expect(client.setCalls.map((c) => c.documents)).toEqual([DOCS]);
    client.setCalls[0]!.answer.resolve({ count: 2, embedded: 2, vectors: [] });
    await settle();
    expect(events.map((e) => e.type)).toEqual(['ready']);
  });

  it('a kept model warms up when the page is idle, silently; intent then fetches the documents and hands them over', async () => {
    const { controller, client, fetched, idle, events, progressed } = setup({ src: '/docs.json' }, { stored: ['http://site.test/models/m/config.json'] });
    await settle();
    expect(idle.length).toBeGreaterThan(0);
    idle.splice(0).forEach((task) => task());
    await settle();
    expect(client.loads.map((l) => l.model)).toEqual(['http://site.test/models/m/']);
    controller.onProgress({ phase: 'model', loaded: 10, total: 100 });
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m/'));
    await settle();
    // Before intent: no documents, nothing handed over, announced or shown.
    expect(fetched).toEqual([]);
    expect(client.setCalls).toHaveLength(0);
    expect(events).toEqual([]);
    expect(progressed).toEqual([]);
    controller.intent();
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    expect(fetched).toEqual(['/docs.json']);
    expect(client.loads).toHaveLength(1); // the warm load is the load
    client.setCalls[0]!.answer.resolve({ count: 2, embedded: 2, vectors: [] });
    await settle();
    expect(events.map((e) => e.type)).toEqual(['ready']);
  });

  it('no warm-up for a model this browser does not keep, or a site index; a model changed before intent drops the warm load', async () => {
    const cold = setup({ src: '/docs.json' });
    await settle();
    cold.idle.splice(0).forEach((task) => task());
    await settle();
    expect(cold.client.loads).toHaveLength(0);

    const kept = ['http://site.test/models/m/config.json', 'http://site.test/models/other/config.json'];
    const { controller, client, idle } = setup({ src: '/docs.json' }, { stored: kept });
    await settle();
    idle.splice(0).forEach((task) => task());
    await settle();
    expect(client.loads).toHaveLength(1);
    controller.configure(settings({ src: '/docs.json', model: '/models/other/' }), new Set(['model']));
    expect(client.disposed).toBe(1);
    idle.splice(0).forEach((task) => task());
    await settle();
    expect(client.loads.map((l) => l.model)).toEqual(['http://site.test/models/m/', 'http://site.test/models/other/']);
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m/'));
    client.loads[1]!.answer.resolve(loadResult('http://site.test/models/other/'));
    controller.intent();
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    expect(client.loads).toHaveLength(2);
  });

  it('a warm load that fails before intent is not announced; intent loads again', async () => {
    const { controller, client, idle, events } = setup({ src: '/docs.json' }, { stored: ['http://site.test/models/m/config.json'] });
    await settle();
    idle.splice(0).forEach((task) => task());
    await settle();
    client.loads[0]!.answer.reject(new SgptError('WORKER_DIED', 'the worker stopped'));
    await settle();
    expect(events).toEqual([]);
    controller.intent();
    await settle();
    expect(client.loads).toHaveLength(2);
  });

  it('eager starts at once; idle when the page is idle', async () => {
    const eager = setup({ load: 'eager' });
    await settle();
    expect(eager.client.loads).toHaveLength(1);
    const idle = setup({ load: 'idle' });
    await settle();
    expect(idle.client.loads).toHaveLength(0);
    expect(idle.idle).toHaveLength(1);
    idle.idle[0]!();
    await settle();
    expect(idle.client.loads).toHaveLength(1);
  });

  it('a setting changed before intent loads nothing; after intent it reloads', async () => {
    const { controller, client } = setup();
    controller.configure(settings({ model: '/models/other/' }), new Set(['model']));
    await settle();
    expect(client.loads).toHaveLength(0);
    controller.intent();
    await settle();
    expect(client.loads.map((l) => l.model)).toEqual(['http://site.test/models/other/']);
    controller.configure(settings({ model: '/models/third/' }), new Set(['model']));
    await settle();
    expect(client.loads.map((l) => l.model)).toEqual(['http://site.test/models/other/', 'http://site.test/models/third/']);
  });

  it('typing is intent: keyword results come before any model', async () => {
    const { controller, client, shown } = setup();
    controller.acceptDocuments(DOCS);
    controller.input('coffee');
    await settle();
    expect(shown[0]).toEqual({ query: 'coffee', stage: 'keyword', ids: ['coffee'], keywordMatch: true });
    expect(client.loads).toHaveLength(1);
    expect(client.searches).toEqual([]); // the semantic stage waits for the model
  });
});

describe('races', () => {
  it('a query typed at once on a first visit: its semantic stage waits for the load that follows the documents, no error', async () => {
    const documents = deferred<unknown>();
    const { controller, client, shown, events, states } = setup({ src: '/docs.json' }, { json: () => documents.promise });
    controller.input('coffee');
    await settle();
    documents.resolve(DOCS);
    await settle();
    expect(shown.map((s) => s.stage)).toEqual(['keyword']);
    expect(client.loads).toHaveLength(1);
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    client.setCalls[0]!.answer.resolve({ count: 2, embedded: 2, vectors: [] });
    await settle();
    expect(events.map((e) => e.type)).toEqual(['ready']);
    expect(states.every((s) => s.error === null)).toBe(true);
    expect(shown.at(-1)).toMatchObject({ query: 'coffee', stage: 'semantic' });
  });

  it('words no document holds: the keyword stage finds nothing and says so, the semantic stage shows the nearest in meaning and says so too', async () => {
    const { controller, client, shown } = setup({ src: '/docs.json', load: 'eager' });
    await vi.waitFor(() => expect(client.loads).toHaveLength(1));
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    client.setCalls[0]!.answer.resolve({ count: 2, embedded: 2, vectors: [] });
    controller.input('espresso');
    await vi.waitFor(() => expect(shown.at(-1)?.stage).toBe('semantic'));
    // (searched again once the documents are embedded: the same two stages)
    expect(new Set(shown.map((s) => JSON.stringify(s)))).toEqual(
      new Set([
        { query: 'espresso', stage: 'keyword', ids: [], keywordMatch: false },
        { query: 'espresso', stage: 'semantic', ids: ['coffee'], keywordMatch: false },
      ].map((s) => JSON.stringify(s))),
    );
    controller.input('hot water');
    await vi.waitFor(() => expect(shown.at(-1)).toMatchObject({ query: 'hot water', stage: 'semantic' }));
    expect(shown.slice(-2).map((s) => s.keywordMatch)).toEqual([true, true]);
  });

  it('a model switched during a load: the old load is ignored, the new one embeds and fires ready once', async () => {
    const { controller, client, events } = setup({}, {});
    controller.acceptDocuments(DOCS);
    controller.intent();
    await settle();
    controller.configure(settings({ model: '/models/new/' }), new Set(['model']));
    await settle();
    expect(client.loads).toHaveLength(2);
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await settle();
    expect(client.setCalls).toHaveLength(0); // the superseded model gets no documents
    client.loads[1]!.answer.resolve(loadResult('http://site.test/models/new'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    client.setCalls[0]!.answer.resolve({ count: 2, embedded: 2, vectors: [] });
    await settle();
    expect(events.filter((e) => e.type === 'ready')).toEqual([{ type: 'ready', detail: { backend: 'wasm', modelId: 'http://site.test/models/new', dims: DIMS } }]);
  });

  it('documents replaced while embedding: ready waits for the latest set', async () => {
    const { controller, client, events } = setup();
    controller.acceptDocuments(DOCS);
    controller.intent();
    await settle();
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    const newer = [...DOCS, { id: 'milk', title: 'Milk', text: 'Warm the milk.' }];
    controller.acceptDocuments(newer);
    await vi.waitFor(() => expect(client.setCalls.map((c) => c.documents.length)).toEqual([2, 3]));
    client.setCalls[0]!.answer.resolve({ count: 2, embedded: 2, vectors: [] });
    await settle();
    expect(events.some((e) => e.type === 'ready')).toBe(false);
    client.setCalls[1]!.answer.resolve({ count: 3, embedded: 3, vectors: [] });
    await settle();
    expect(events.filter((e) => e.type === 'ready')).toHaveLength(1);
  });

  it('latest query wins: an older query shows nothing after a newer one started', async () => {
    const { controller, client, shown } = setup();
    controller.acceptDocuments(DOCS);
    controller.input('tea');
    controller.input('coffee');
    await settle();
    expect(shown.map((s) => s.query)).toEqual(['coffee']);
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    client.setCalls[0]!.answer.resolve({ count: 2, embedded: 2, vectors: [] });
    await settle();
    expect(shown.every((s) => s.query === 'coffee')).toBe(true);
    expect(shown.at(-1)).toMatchObject({ query: 'coffee', stage: 'semantic' });
  });

  it('a later stage waits while the pointer is over the list, and shows when it leaves', async () => {
    const stages = [deferred<void>()];
    const site: SiteSourceLike = {
      site: Promise.resolve(),
      modelUrl: async () => undefined,
      async *search(query): AsyncIterable<SearchStage> {
        yield { stage: 'keyword', results: [{ id: 1, title: query, excerpt: '', score: 1 }], keywordMatch: true };
        await stages[0]!.promise;
        yield { stage: 'semantic', results: [{ id: 2, title: query, excerpt: '', score: 1 }], keywordMatch: true };
      },
    };
    const { controller, shown } = setup({ index: '/sgpt/manifest.json' }, { site });
    controller.input('kettle');
    await settle();
    expect(shown.map((s) => s.stage)).toEqual(['keyword']);
    controller.pointerOverList(true);
    stages[0]!.resolve();
    await settle();
    expect(shown.map((s) => s.stage)).toEqual(['keyword']);
    controller.pointerOverList(false);
    expect(shown.map((s) => s.stage)).toEqual(['keyword', 'semantic']);
  });

  it('taken out of the page while the documents or the index load: nothing loads after it, and put back it loads', async () => {
    const documents = deferred<unknown>();
    const bySrc = setup({ src: '/docs.json' }, { json: () => documents.promise });
    bySrc.controller.intent();
    await settle();
    bySrc.controller.disconnect();
    documents.resolve(DOCS);
    await settle();
    expect(bySrc.client.loads).toHaveLength(0);
    bySrc.controller.connect();
    await settle();
    expect(bySrc.client.loads).toHaveLength(1);

    const opened = deferred<void>();
    const site: SiteSourceLike = {
      site: opened.promise,
      modelUrl: async () => undefined,
      async *search(): AsyncIterable<SearchStage> {},
    };
    const byIndex = setup({ index: '/sgpt/manifest.json' }, { site });
    byIndex.controller.intent();
    await settle();
    byIndex.controller.disconnect();
    opened.resolve();
    await settle();
    expect(byIndex.client.loads).toHaveLength(0);
    // A setting changed while out of the page loads nothing either; connect loads once.
    byIndex.controller.configure(settings({ index: '/sgpt/manifest.json', model: '/models/new/' }), new Set(['model']));
    await settle();
    expect(byIndex.client.loads).toHaveLength(0);
    byIndex.controller.connect();
    await settle();
    expect(byIndex.client.loads.map((l) => l.model)).toEqual(['http://site.test/models/new/']);
  });

  it('put back after it was ready: the model loads again, ready fires again, and the query is searched semantically; a search while out of the page asks nothing of the worker', async () => {
    const { controller, client, events, shown } = setup({ load: 'eager' });
    controller.acceptDocuments(DOCS);
    await settle();
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    client.setCalls[0]!.answer.resolve({ count: 2, embedded: 2, vectors: [] });
    await settle();
    controller.disconnect();
    controller.input('coffee');
    await settle();
    expect(shown.map((s) => s.stage)).toEqual(['keyword']);
    expect(client.searches).toEqual([]);
    expect(client.loads).toHaveLength(1);
    controller.connect();
    await settle();
    expect(client.loads).toHaveLength(2);
    client.loads[1]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(2));
    client.setCalls[1]!.answer.resolve({ count: 2, embedded: 0, vectors: [] });
    await settle();
    expect(events.map((e) => e.type)).toEqual(['ready', 'ready']);
    expect(shown.at(-1)).toMatchObject({ query: 'coffee', stage: 'semantic' });
  });

  it('disconnect disposes the client, and an answer arriving after it changes nothing', async () => {
    const { controller, client, events } = setup({ load: 'eager' });
    controller.acceptDocuments(DOCS);
    await settle();
    controller.disconnect();
    expect(client.disposed).toBe(1);
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await settle();
    expect(client.setCalls).toHaveLength(0);
    expect(events).toEqual([]);
  });
});

describe('vectors across visits', () => {
  async function visit(vectors: VectorCache, documents: SearchDocument[], hash = HASH) {
    const run = setup({ load: 'eager' }, { vectors });
    run.controller.acceptDocuments(documents);
    await settle();
    run.client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m', hash));
    // Content hashes are Web Crypto digests: wait for the documents to reach the worker, however long that takes here.
    await vi.waitFor(() => expect(run.client.setCalls).toHaveLength(1));
    const call = run.client.setCalls[0]!;
    // The worker embeds what it was not given.
    const made = call.vectors!.flatMap((rows, index) => (rows === null ? [{ index, rows: Float32Array.of(index, 1) }] : []));
    // As the worker does: each slice's vectors come with an embed progress message, then the result.
    if (made.length > 0) run.controller.onProgress({ phase: 'embed', done: made.length, total: made.length, vectors: made });
    call.answer.resolve({ count: documents.length, embedded: made.length, vectors: made });
    await settle(10);
    return call.vectors!;
  }

  it('a second visit gets every vector from the cache; an edited document is embedded again', async () => {
    const cache = memoryVectorCache();
    expect((await visit(cache, DOCS)).every((v) => v === null)).toBe(true);
    expect((await visit(cache, DOCS)).map((v) => v && Array.from(v))).toEqual([[0, 1], [1, 1]]);
    const edited = [DOCS[0]!, { ...DOCS[1]!, text: 'Grind finer.' }];
    expect((await visit(cache, edited)).map((v) => v && Array.from(v))).toEqual([[0, 1], null]);
    // Keys are by content, not by id or position: a renamed, moved document keeps its vector.
    const moved = [{ ...DOCS[0]!, id: 'renamed', url: '/elsewhere' }];
    expect((await visit(cache, moved)).map((v) => v && Array.from(v))).toEqual([[0, 1]]);
  });

  it("a slice's vectors are kept as they come, even if the reader leaves before the set is done; the view never sees them", async () => {
    const cache = memoryVectorCache();
    const run = setup({ load: 'eager' }, { vectors: cache });
    run.controller.acceptDocuments(DOCS);
    await settle();
    run.client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(run.client.setCalls).toHaveLength(1));
    run.controller.onProgress({ phase: 'embed', done: 1, total: 2, vectors: [{ index: 0, rows: Float32Array.of(0.6, 0.8) }] });
    run.controller.disconnect(); // the reader leaves; the set never completes
    await settle();
    expect(run.progressed).toEqual([{ phase: 'embed', done: 1, total: 2 }]);
    const key = `${modelKey(loadResult('http://site.test/models/m'))} ${await contentHash(DOCS[0]!)}`;
    expect((await cache.get([key]))[0]).toEqual(Float32Array.of(0.6, 0.8));
  });

  it('a warm (kept) model with another hash never reuses them: its documents are embedded again', async () => {
    const cache = memoryVectorCache();
    await visit(cache, DOCS);
    const run = setup({}, { vectors: cache, stored: ['http://site.test/models/m/config.json'] });
    run.controller.acceptDocuments(DOCS);
    await settle();
    run.idle.splice(0).forEach((task) => task());
    await settle();
    run.client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m', 'c'.repeat(64)));
    run.controller.intent();
    await vi.waitFor(() => expect(run.client.setCalls).toHaveLength(1));
    expect(run.client.setCalls[0]!.vectors!.every((v) => v === null)).toBe(true);
  });

  it('another model (hash) never reuses them; an unknown hash keeps nothing', async () => {
    const cache = memoryVectorCache();
    await visit(cache, DOCS);
    expect((await visit(cache, DOCS, 'b'.repeat(64))).every((v) => v === null)).toBe(true);
    const unknown = memoryVectorCache();
    await visit(unknown, DOCS, '');
    expect((await unknown.get([`${modelKey(loadResult('http://site.test/models/m'))} ${await contentHash(DOCS[0]!)}`]))[0]).toBeNull();
  });

  it('their database opens beside the model download, so an open that hangs is given up meanwhile; a site index opens none', async () => {
    const opened = deferred<VectorCache>();
    const openVectors = vi.fn(() => opened.promise);
    const { controller, client } = setup({ src: '/docs.json' }, { openVectors });
    controller.intent();
    await settle();
    expect(client.loads).toHaveLength(1);
    expect(openVectors).toHaveBeenCalledTimes(1); // the model is still downloading
    opened.resolve(memoryVectorCache()); // as openVectorCache does when the open times out
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    expect(openVectors).toHaveBeenCalledTimes(1);

    const site: SiteSourceLike = { site: Promise.resolve(), modelUrl: async () => undefined, async *search() {} };
    const indexed = vi.fn(() => opened.promise);
    const run = setup({ index: '/a/manifest.json' }, { site, openVectors: indexed });
    run.controller.intent();
    await settle();
    expect(run.client.loads).toHaveLength(1);
    expect(indexed).not.toHaveBeenCalled();
  });

  it('shipped vectors are used when the model matches, and ignored with a note when it does not', async () => {
    const file = (hash: string) => ({
      model: { id: 'm', hash, dims: DIMS, mode: 'asymmetric' },
      documents: DOCS.map((doc, i) => ({ ...doc, vector: [i, 0.5] })),
    });
    const matching = setup({ load: 'eager' });
    matching.controller.acceptDocuments(file(HASH));
    await settle();
    matching.client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(matching.client.setCalls).toHaveLength(1));
    expect(matching.client.setCalls[0]!.vectors!.map((v) => v && Array.from(v))).toEqual([[0, 0.5], [1, 0.5]]);
    expect(matching.client.setCalls[0]!.documents[0]).toEqual(DOCS[0]); // the vector is not sent as a document field

    const other = setup({ load: 'eager' });
    other.controller.acceptDocuments(file('c'.repeat(64)));
    await settle();
    other.client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(other.client.setCalls).toHaveLength(1));
    expect(other.client.setCalls[0]!.vectors!.every((v) => v === null)).toBe(true);
    expect(other.warnings[0]).toMatch(/made by another model \(model hash cccccccccccc… vs aaaaaaaaaaaa…\)/);
  });
});

describe('failures and changes', () => {
  const died = () => new SgptError('WORKER_DIED', 'the search worker crashed; it restarts on the next search');

  it('a worker that dies while the model loads: the next search loads it again, and its results are semantic', async () => {
    const { controller, client, shown, events, states } = setup();
    controller.acceptDocuments(DOCS);
    controller.intent();
    await settle();
    client.loads[0]!.answer.reject(died());
    await settle();
    expect(events.map((e) => e.type)).toEqual(['error']);
    expect(states.at(-1)).toEqual({ error: 'WORKER_DIED', progress: false }); // no bar left loading beside it
    controller.input('coffee');
    await settle();
    expect(client.loads).toHaveLength(2);
    client.loads[1]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    client.setCalls[0]!.answer.resolve({ count: 2, embedded: 2, vectors: [] });
    await settle();
    expect(events.map((e) => e.type)).toEqual(['error', 'ready']);
    expect(shown.at(-1)).toMatchObject({ query: 'coffee', stage: 'semantic' });
    expect(states.at(-1)!.error).toBeNull();
  });

  it('a worker that dies while embedding: the next search loads again and hands the documents over with the vectors kept so far', async () => {
    const { controller, client, events, vectors } = setup();
    controller.acceptDocuments(DOCS);
    controller.intent();
    await settle();
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    // The first document's vector came with progress before the worker died.
    controller.onProgress({ phase: 'embed', done: 1, total: 2, vectors: [{ index: 0, rows: new Float32Array([1, 0]) }] });
    await settle();
    client.setCalls[0]!.answer.reject(died());
    await settle();
    controller.input('coffee');
    await settle();
    expect(client.loads).toHaveLength(2);
    client.loads[1]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(2));
    expect(client.setCalls[1]!.vectors!.map((v) => v && Array.from(v))).toEqual([[1, 0], null]);
    client.setCalls[1]!.answer.resolve({ count: 2, embedded: 1, vectors: [] });
    await settle();
    expect(events.filter((e) => e.type === 'ready')).toHaveLength(1);
    expect((await vectors.get([`${modelKey(loadResult('m'))} ${await contentHash(DOCS[0]!)}`]))[0]).not.toBeNull();
  });

  it('a worker that dies at every load is started over at most MAX_RESTARTS times in a row, its error announced once; a worker the page refuses (CSP) is not', async () => {
    const { controller, client, events } = setup();
    controller.acceptDocuments(DOCS);
    controller.intent();
    await settle();
    client.loads[0]!.answer.reject(died());
    await settle();
    for (const query of ['c', 'co', 'cof', 'coff']) {
      controller.input(query);
      await settle();
      if (client.loads.at(-1)!.answer) client.loads.at(-1)!.answer.reject(died());
      await settle();
    }
    expect(client.loads).toHaveLength(1 + MAX_RESTARTS);
    expect(events.filter((e) => e.type === 'error')).toHaveLength(1);

    const refused = setup({}, {});
    refused.controller.acceptDocuments(DOCS);
    refused.controller.intent();
    await settle();
    refused.client.loads[0]!.answer.reject(new SgptError('CSP_BLOCKED', "the page's Content Security Policy directive worker-src blocked the search worker"));
    await settle();
    refused.controller.input('coffee');
    await settle();
    expect(refused.client.loads).toHaveLength(1);
  });

  it('sgpt-ready waits for a documents file whose keyword index is built in slices, and the worker gets the set', async () => {
    const big = Array.from({ length: 20_000 }, (_, i) => ({ id: `d${i}`, title: `Note ${i}`, text: `note ${i} on kettles, cups and water number ${i % 97} `.repeat(3) }));
    const { controller, client, events } = setup({ src: '/docs.json' }, { json: async () => big });
    controller.intent();
    // Generous waits: 20,000 documents are parsed and indexed in slices, seconds on a busy machine.
    await vi.waitFor(() => expect(client.loads).toHaveLength(1), { interval: 1, timeout: 20_000 });
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await new Promise((done) => setTimeout(done, 5));
    expect(events).toEqual([]); // not ready: the set is still being indexed
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1), { timeout: 20_000 });
    expect(client.setCalls[0]!.documents).toHaveLength(20_000);
    client.setCalls[0]!.answer.resolve({ count: 20_000, embedded: 20_000, vectors: [] });
    await vi.waitFor(() => expect(events.map((e) => e.type)).toEqual(['ready']), { timeout: 20_000 });
  }, 60_000);

  it("new documents: the dense list is asked for only once the worker has them, never from the set before (whose ids may name others)", async () => {
    // Reading kept vectors (IndexedDB) takes a while; the query comes meanwhile.
    const memory = memoryVectorCache();
    let reads = 0;
    const second = deferred<void>();
    const slow: VectorCache = {
      kind: 'memory',
      put: (entries) => memory.put(entries),
      get: async (keys) => {
        if (++reads === 2) await second.promise;
        return memory.get(keys);
      },
    };
    const { controller, client } = setup({}, { vectors: slow });
    controller.acceptDocuments(DOCS);
    controller.intent();
    await settle();
    client.loads[0]!.answer.resolve(loadResult('http://site.test/models/m'));
    await vi.waitFor(() => expect(client.setCalls).toHaveLength(1));
    client.setCalls[0]!.answer.resolve({ count: 2, embedded: 2, vectors: [] });
    await settle();
    controller.acceptDocuments([{ id: 'tea', title: 'Taxes', text: 'File the tax return.' }, DOCS[1]!]);
    controller.input('coffee');
    await settle();
    expect(client.searches).toEqual([]);
    second.resolve();
    await vi.waitFor(() => expect(client.searches).toHaveLength(1));
    expect(client.setsBeforeSearch).toEqual([2]);
  });

  it('another index (the model set by the page) searches again at once: no results of the site before stay', async () => {
    const site = (name: string): SiteSourceLike => ({
      site: Promise.resolve(),
      modelUrl: async () => undefined,
      async *search(query): AsyncIterable<SearchStage> {
        yield { stage: 'keyword', results: [{ id: name, title: query, excerpt: '', score: 1 }], keywordMatch: true };
      },
    });
    const { controller, shown } = setup({ index: '/a/manifest.json' }, { sites: { '/a/manifest.json': site('a'), '/b/manifest.json': site('b') } });
    controller.input('kettle');
    await settle();
    expect(shown.map((s) => s.ids)).toEqual([['a']]);
    controller.configure(settings({ index: '/b/manifest.json' }), new Set(['index']));
    await settle();
    expect(shown.map((s) => s.ids)).toEqual([['a'], ['b']]);
  });

  it('an index that cannot be read loads no model (the default least of all)', async () => {
    const broken: SiteSourceLike = {
      site: Promise.reject(new SgptError('INDEX_INVALID', 'manifest.json: not JSON')),
      modelUrl: () => Promise.reject(new SgptError('INDEX_INVALID', 'manifest.json: not JSON')),
      async *search(): AsyncIterable<SearchStage> {
        throw new SgptError('INDEX_INVALID', 'manifest.json: not JSON');
      },
    };
    broken.site.catch(() => undefined);
    const { controller, client, events } = setup({ index: '/a/manifest.json' }, { site: broken });
    controller.input('kettle');
    await settle();
    expect(client.loads).toHaveLength(0);
    expect(events).toEqual([{ type: 'error', detail: { code: 'INDEX_INVALID', message: 'manifest.json: not JSON' } }]);
  });

  it('taking src away takes its documents away (documents set as the property stay when src goes)', async () => {
    const { controller, shown, events } = setup({ src: '/docs.json' });
    controller.intent();
    await settle();
    controller.input('coffee');
    await settle();
    expect(shown.at(-1)).toMatchObject({ query: 'coffee', ids: ['coffee'] });
    controller.configure(settings({}), new Set(['src']));
    await settle();
    expect(controller.documents).toEqual([]);
    expect(shown.at(-1)).toMatchObject({ query: 'coffee', stage: 'keyword', ids: [] });
    expect(events.filter((e) => e.type === 'error')).toEqual([]);

    const given = setup({ src: '/docs.json' });
    given.controller.intent();
    await settle();
    await given.controller.acceptDocuments(DOCS.slice(0, 1));
    given.controller.configure(settings({}), new Set(['src']));
    await settle();
    expect(given.controller.documents).toEqual(DOCS.slice(0, 1));
  });

  it('refused documents stay in view beside the results of the set before, until good ones come', async () => {
    let answer: unknown = DOCS;
    const { controller, states, shown } = setup({ src: '/docs.json' }, { json: async () => answer });
    controller.intent();
    await settle();
    answer = { not: 'documents' };
    controller.configure(settings({ src: '/other.json' }), new Set(['src']));
    await settle();
    expect(states.at(-1)!.error).toBe('DOCUMENTS_INVALID');
    controller.input('coffee');
    await settle();
    expect(shown.at(-1)).toMatchObject({ query: 'coffee', ids: ['coffee'] });
    expect(states.at(-1)!.error).toBe('DOCUMENTS_INVALID');
    answer = DOCS;
    controller.configure(settings({ src: '/docs.json' }), new Set(['src']));
    await settle();
    expect(states.at(-1)!.error).toBeNull();
  });
});
