/**
 * SearchClient over the real WorkerHandler and the real tiny model. The transport is an
 * in-process stand-in for a Worker (structured clone, asynchronous delivery) so that tests can
 * crash it, silence it or make it answer nonsense.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Embedder } from '../../src/embed/embedder';
import { SgptError } from '../../src/errors';
import { SearchClient, type WorkerLike } from '../../src/worker/client';
import { WorkerHandler } from '../../src/worker/handler';
import type { Progress, SearchDocument } from '../../src/worker/protocol';
import { sgptRejection } from '../support';

const MODEL = resolve(import.meta.dirname, '../../test/fixtures/models/tiny-gpt2');

const DOCS: SearchDocument[] = [
  { id: 'tea', title: 'Tea', text: 'Boil water, then steep the leaves for three minutes.', url: '/tea' },
  { id: 'coffee', title: 'Coffee', text: 'Grind the beans and pour hot water over them.' },
  { id: 'kettle', title: 'Kettles', text: 'A kettle heats water for tea.' },
];

type Listener = (event: Event) => void;

class InProcessWorker implements WorkerLike {
  terminated = false;
  /** When set, requests are swallowed: a hung worker. */
  silent = false;
  readonly received: unknown[] = [];
  private readonly listeners = new Map<string, Listener[]>();
  private readonly handler = new WorkerHandler((response) => this.emit('message', { data: structuredClone(response) }), {
    loadEmbedder: (request, onProgress) =>
      Embedder.load(request.model, { onProgress, ...(request.mode ? { settings: { mode: request.mode } } : {}) }).then((embedder) => ({ embedder, hash: '' })),
  });

  postMessage(message: unknown): void {
    if (this.terminated) return;
    const data = structuredClone(message);
    this.received.push(data);
    if (this.silent) return;
    setTimeout(() => {
      this.handler.handle(data).catch((error: Error) => this.emit('error', { message: error.message, preventDefault() {} }));
    });
  }

  terminate(): void {
    this.terminated = true;
  }

  addEventListener(type: string, listener: Listener): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }

  emit(type: string, event: object): void {
    if (this.terminated) return;
    for (const listener of this.listeners.get(type) ?? []) listener(event as Event);
  }
}

function setup(options: { timeoutMs?: number; heartbeatMs?: number } = {}) {
  const workers: InProcessWorker[] = [];
  const progress: Progress[] = [];
  const deaths: SgptError[] = [];
  const client = new SearchClient({
    createWorker: () => {
      const worker = new InProcessWorker();
      workers.push(worker);
      return worker;
    },
    onProgress: (p) => progress.push(p),
    onDeath: (e) => deaths.push(e),
    ...options,
  });
  return { client, workers, progress, deaths };
}

/** Resolves once the worker has received the search for `query`. */
async function sent(worker: InProcessWorker, query: string): Promise<void> {
  await expect.poll(() => worker.received.some((m) => (m as { query?: string }).query === query)).toBe(true);
}


describe('SearchClient', () => {
  it('loads, embeds and searches with the real model, reporting progress', async () => {
    const { client, progress } = setup();
    const loaded = await client.load(MODEL);
    expect(loaded).toMatchObject({ backend: 'cpu', dims: 64, mode: 'asymmetric' });
    expect(await client.setDocuments(DOCS)).toMatchObject({ count: 3, embedded: 3 });
    expect(progress.filter((p) => p.phase === 'embed').at(-1)).toMatchObject({ phase: 'embed', done: 3, total: 3 });

    const result = await client.search('how to make tea', 2);
    expect(result.query).toBe('how to make tea');
    expect(result.hits).toHaveLength(2);
    expect(result.hits[0]!.score).toBeGreaterThanOrEqual(result.hits[1]!.score);
    const all = await client.search('how to make tea', 10);
    expect(all.hits.map((h) => h.id).sort()).toEqual(['coffee', 'kettle', 'tea']);
    expect(all).toMatchObject({ embedded: 3, total: 3 });
    // Same query, same model: the same scores as embedding directly.
    const embedder = await Embedder.load(MODEL);
    const query = await embedder.embedQuery('how to make tea');
    const doc = await embedder.embed(['Tea\nBoil water, then steep the leaves for three minutes.'], 'document');
    const cosine = query.reduce((sum, q, d) => sum + q * doc.vectors[d]!, 0);
    expect(all.hits.find((h) => h.id === 'tea')!.score).toBeCloseTo(cosine, 5);
    await embedder.dispose();
    client.dispose();
  });

  it('embeds only new or changed documents when the set changes', async () => {
    const { client } = setup();
    await client.load(MODEL);
    expect(await client.setDocuments(DOCS)).toMatchObject({ count: 3, embedded: 3 });
    const changed = DOCS.map((d) => (d.id === 'coffee' ? { ...d, text: 'Espresso is pressed.' } : d));
    expect(await client.setDocuments(changed)).toMatchObject({ count: 3, embedded: 1 });
    expect(await client.setDocuments(changed.slice(1))).toMatchObject({ count: 2, embedded: 0 });
    const hits = (await client.search('espresso', 5)).hits;
    expect(hits.map((h) => h.id).sort()).toEqual(['coffee', 'kettle']);
    client.dispose();
  });

  it('a model switch aborts documents still being embedded and starts from an empty corpus', async () => {
    const { client } = setup();
    await client.load(MODEL);
    const embedding = client.setDocuments(DOCS);
    const reloaded = client.load(MODEL, { mode: 'symmetric' });
    expect((await sgptRejection(embedding)).code).toBe('ABORTED');
    expect((await reloaded).mode).toBe('symmetric');
    expect((await client.search('tea', 3)).hits).toEqual([]);
    expect(await client.setDocuments(DOCS)).toMatchObject({ count: 3, embedded: 3 });
    client.dispose();
  });

  it('lets only the latest search answer; an earlier one rejects with ABORTED', async () => {
    const { client, workers } = setup();
    await client.load(MODEL);
    await client.setDocuments(DOCS);
    const first = client.search('tea', 3);
    const second = client.search('coffee', 3);
    expect((await sgptRejection(first)).code).toBe('ABORTED');
    expect((await second).query).toBe('coffee');

    // Superseded after it reached the worker: the worker is told to cancel it.
    workers[0]!.silent = true; // hold it in the worker
    const third = client.search('kettle', 3);
    await sent(workers[0]!, 'kettle');
    workers[0]!.silent = false;
    const fourth = client.search('leaves', 3);
    expect((await sgptRejection(third)).code).toBe('ABORTED');
    expect((await fourth).query).toBe('leaves');
    const target = (workers[0]!.received.find((m) => (m as { query?: string }).query === 'kettle') as { id: number }).id;
    expect(workers[0]!.received).toContainEqual(expect.objectContaining({ type: 'cancel', target }));

    const controller = new AbortController();
    const fifth = client.search('kettle', 3, controller.signal);
    controller.abort();
    expect((await sgptRejection(fifth)).code).toBe('ABORTED');
    client.dispose();
  });

  it('carries the worker\'s errors with their codes', async () => {
    const { client } = setup();
    expect((await sgptRejection(client.search('tea', 3))).code).toBe('INPUT_INVALID');
    await client.load(MODEL);
    const invalid = await sgptRejection(client.setDocuments([{ id: 'a', title: 'A', text: 'x' }, { id: 'a', title: 'B', text: 'y' }]));
    expect(invalid.code).toBe('DOCUMENTS_INVALID');
    expect(invalid.message).toContain('document 1');
    const missing = await sgptRejection(client.load(resolve(MODEL, '../no-such-model')));
    expect(missing.code).toBe('MODEL_NOT_FOUND');
    client.dispose();
  });

  it('a crashed worker fails what waits with WORKER_DIED; the next call restarts it with the same model and documents', async () => {
    const { client, workers, deaths } = setup();
    await client.load(MODEL);
    await client.setDocuments(DOCS);
    const before = await client.search('steeping leaves', 3);

    workers[0]!.silent = true; // the crash happens while the search is in the worker
    const pending = client.search('tea', 3);
    await sent(workers[0]!, 'tea');
    workers[0]!.emit('error', { message: 'out of memory', preventDefault() {} });
    const died = await sgptRejection(pending);
    expect(died.code).toBe('WORKER_DIED');
    expect(died.message).toContain('out of memory');
    expect(deaths).toHaveLength(1);
    expect(workers[0]!.terminated).toBe(true);

    const after = await client.search('steeping leaves', 3);
    expect(workers).toHaveLength(2);
    expect(workers[1]!.received.map((m) => (m as { type: string }).type).filter((type) => type !== 'ping')).toEqual(['load', 'setDocuments', 'search']);
    expect(after.hits).toEqual(before.hits);
    client.dispose();
  });

  it('a worker that stops answering is declared dead after the timeout', async () => {
    // Long enough that loading the tiny model (silent while its session builds) never trips it on
    // a loaded machine; short enough to keep the test quick.
    const { client, workers } = setup({ timeoutMs: 2_000 });
    await client.load(MODEL);
    workers[0]!.silent = true;
    const died = await sgptRejection(client.search('tea', 3));
    expect(died.code).toBe('WORKER_DIED');
    expect(died.message).toContain('did not answer for 2 s');
    expect(workers[0]!.terminated).toBe(true);
    client.dispose();
  });

  it('a worker that dies silently is found by the heartbeat of the first query, however long the reader keeps typing', async () => {
    // The watchdog alone (timeoutMs) would wait; each new query used to start its clock over.
    const { client, workers, deaths } = setup({ timeoutMs: 3_600_000, heartbeatMs: 200 });
    await client.load(MODEL);
    await client.setDocuments(DOCS);
    workers[0]!.silent = true;
    const first = client.search('t', 3);
    const outcomes: Array<Promise<SgptError>> = [sgptRejection(first)];
    // Typing: a new query every 50 ms, each one superseding the last, for longer than the heartbeat.
    let query = 't';
    for (;;) {
      await new Promise((done) => setTimeout(done, 50));
      if (deaths.length > 0) break;
      query += 'e';
      outcomes.push(sgptRejection(client.search(query, 3)));
    }
    const codes = (await Promise.all(outcomes)).map((e) => e.code);
    expect(codes.at(-1)).toBe('WORKER_DIED');
    expect(codes.slice(0, -1).every((code) => code === 'ABORTED')).toBe(true);
    // Died within the heartbeat: a handful of keystrokes, not the whole hour of the watchdog.
    expect(outcomes.length).toBeLessThan(40);
    expect(workers[0]!.terminated).toBe(true);
    // A live worker answers the heartbeat (pong) and is left alone.
    expect((await client.search('tea', 3)).hits.length).toBeGreaterThan(0);
    client.dispose();
  });

  it('an answer outside the protocol is treated as a dead worker', async () => {
    const { client, workers } = setup();
    const loading = client.load(MODEL);
    workers[0]!.emit('message', { data: { id: 1, type: 'result' } });
    expect((await sgptRejection(loading)).code).toBe('WORKER_DIED');
    client.dispose();
  });
});
