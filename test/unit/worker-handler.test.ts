/** WorkerHandler in Node with the real tiny model: answers, progress order, malformed messages, cancellation. */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Embedder } from '../../src/embed/embedder';
import { SgptError } from '../../src/errors';
import { WorkerHandler } from '../../src/worker/handler';
import type { Response } from '../../src/worker/protocol';

const MODEL = resolve(import.meta.dirname, '../../test/fixtures/models/tiny-gpt2');
const DOCS = [
  { id: 'a', title: 'Tea', text: 'Boil water, then steep the leaves.' },
  { id: 'b', title: 'Coffee', text: 'Grind the beans.' },
  { id: 'c', title: 'Kettles', text: 'A kettle heats water.' },
];

describe('WorkerHandler', () => {
  const responses: Response[] = [];
  const handler = new WorkerHandler((response) => responses.push(structuredClone(response)), {
    loadEmbedder: (request, onProgress) => Embedder.load(request.model, { onProgress }).then((embedder) => ({ embedder, hash: '' })),
  });
  const of = (id: number) => responses.filter((r) => r.id === id);

  beforeAll(async () => {
    await handler.handle({ id: 1, type: 'load', model: MODEL });
  });

  it('answers load with the model facts after reporting download bytes', () => {
    const answers = of(1);
    expect(answers.at(-1)).toMatchObject({ type: 'result', result: { backend: 'cpu', dims: 64, mode: 'asymmetric' } });
    const model = answers.filter((r) => r.type === 'progress').map((r) => (r as { progress: { phase: string; loaded: number; total: number } }).progress);
    expect(model.length).toBeGreaterThan(0);
    expect(model.every((p) => p.phase === 'model' && p.loaded <= p.total)).toBe(true);
  });

  it('reports embedding progress from 0 to all before the result', async () => {
    await handler.handle({ id: 2, type: 'setDocuments', documents: DOCS });
    const answers = of(2);
    expect(answers[0]).toEqual({ id: 2, type: 'progress', progress: { phase: 'embed', done: 0, total: 3 } });
    expect(answers.at(-3)).toEqual({ id: 2, type: 'progress', progress: { phase: 'embed', done: 3, total: 3 } });
    // The slice's vectors follow as they are made, before the result.
    expect(answers.at(-2)).toMatchObject({ id: 2, type: 'progress', progress: { phase: 'embed', done: 3, total: 3, vectors: [{ index: 0 }, { index: 1 }, { index: 2 }] } });
    expect(answers.at(-1)).toMatchObject({ id: 2, type: 'result', result: { count: 3, embedded: 3 } });
    // The vectors it made come back for the page to keep: one row of 64 per (short) document.
    const made = (answers.at(-1) as { result: { vectors: Array<{ index: number; rows: Float32Array }> } }).result.vectors;
    expect(made.map((v) => [v.index, v.rows.length])).toEqual([[0, 64], [1, 64], [2, 64]]);
  });

  it('uses the vectors the page gives instead of embedding, and refuses rows of the wrong width', async () => {
    const fresh: Response[] = [];
    const other = new WorkerHandler((r) => fresh.push(structuredClone(r)), { loadEmbedder: (request) => Embedder.load(request.model).then((embedder) => ({ embedder, hash: '' })) });
    await other.handle({ id: 1, type: 'load', model: MODEL });
    const given = new Float32Array(64).fill(0.125);
    await other.handle({ id: 2, type: 'setDocuments', documents: DOCS, vectors: [given, null, null] });
    expect(fresh.filter((r) => r.id === 2).at(-1)).toMatchObject({ type: 'result', result: { count: 3, embedded: 2 } });
    expect(fresh.find((r) => r.id === 2 && r.type === 'progress')).toEqual({ id: 2, type: 'progress', progress: { phase: 'embed', done: 0, total: 2 } });
    await other.handle({ id: 3, type: 'setDocuments', documents: DOCS.slice(0, 1).map((d) => ({ ...d, id: 'z' })), vectors: [new Float32Array(10)] });
    expect(fresh.filter((r) => r.id === 3).at(-1)).toEqual({ id: 3, type: 'error', error: { code: 'DOCUMENTS_INVALID', message: "document 0: its vector has 10 numbers, not whole rows of the model's 64 dimensions" } });
  });

  it('answers where the model\'s windows of each text lie (excerpts at the window that won)', async () => {
    const long = 'Water boils at one hundred degrees. '.repeat(60);
    await handler.handle({ id: 40, type: 'windows', texts: ['short', long] });
    const answer = of(40).at(-1) as Extract<Response, { type: 'result' }>;
    const { windows } = answer.result as { windows: Array<Array<[number, number]>> };
    expect(windows[0]).toEqual([[0, 5]]);
    expect(windows[1]!.length).toBeGreaterThan(1);
    expect(windows[1]![0]![0]).toBe(0);
    expect(windows[1]!.at(-1)![1]).toBe(long.length);
    await handler.handle({ id: 41, type: 'windows', texts: [3] });
    expect(of(41).at(-1)).toMatchObject({ type: 'error', error: { code: 'INPUT_INVALID', message: 'windows needs a texts array of strings' } });
  });

  it('answers a search with the dense list: every embedded document by cosine, best first', async () => {
    await handler.handle({ id: 3, type: 'search', query: 'water', limit: 10 });
    const answer = of(3).at(-1) as Extract<Response, { type: 'result' }>;
    const result = answer.result as { hits: Array<{ id: string; score: number; chunk: number; chunks: number }>; embedded: number; total: number };
    expect(result.hits.map((h) => h.id).sort()).toEqual(['a', 'b', 'c']);
    expect(result.hits.map((h) => h.score)).toEqual([...result.hits.map((h) => h.score)].sort((x, y) => y - x));
    expect(Object.keys(result.hits[0]!).sort()).toEqual(['chunk', 'chunks', 'id', 'score']);
    expect(result.hits.every((h) => h.chunk === 0 && h.chunks === 1)).toBe(true); // short documents: one window each
    expect(result).toMatchObject({ embedded: 3, total: 3 });
  });

  it('answers a malformed request with INPUT_INVALID, and throws for a message nobody can be answered for', async () => {
    await handler.handle({ id: 4, type: 'search', query: 'x', limit: -1 });
    expect(of(4)).toEqual([{ id: 4, type: 'error', error: { code: 'INPUT_INVALID', message: 'search needs a positive integer limit' } }]);
    await expect(handler.handle({ type: 'search' })).rejects.toThrow(SgptError);
    await expect(handler.handle('hello')).rejects.toThrow('worker received a malformed message: a request must be an object');
  });

  it('a document update cancelled before it starts answers ABORTED and leaves the previous set; a rerun embeds it', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ id: `n${i}`, title: `Note ${i}`, text: `note number ${i} `.repeat(20) }));
    const running = handler.handle({ id: 5, type: 'setDocuments', documents: many });
    await handler.handle({ id: 6, type: 'cancel', target: 5 });
    await running;
    expect(of(5).at(-1)).toMatchObject({ type: 'error', error: { code: 'ABORTED' } });
    await handler.handle({ id: 7, type: 'search', query: 'tea', limit: 10 });
    expect((of(7).at(-1) as Extract<Response, { type: 'result' }>).result).toMatchObject({ embedded: 3, total: 3 });
    await handler.handle({ id: 8, type: 'setDocuments', documents: many });
    expect(of(8).at(-1)).toMatchObject({ id: 8, type: 'result', result: { count: 40, embedded: 40 } });
  });

  it('publishes each slice of a document set as it is embedded, so searches rank what is ready', async () => {
    const docs = Array.from({ length: 70 }, (_, i) => ({ id: i, title: `Doc ${i}`, text: `text ${i}` }));
    const seen: Response[] = [];
    let search: Promise<void> | undefined;
    const progressive = new WorkerHandler(
      (response) => {
        seen.push(structuredClone(response));
        const progress = response.type === 'progress' ? (response.progress as { phase: string; done?: number }) : null;
        // In the second slice (the first 64 are published), ask for the dense list.
        if (search === undefined && progress?.phase === 'embed' && progress.done! > 64) search = progressive.handle({ id: 2, type: 'search', query: 'text 3', limit: 100 });
      },
      { loadEmbedder: (request) => Embedder.load(request.model).then((embedder) => ({ embedder, hash: '' })) },
    );
    await progressive.handle({ id: 0, type: 'load', model: MODEL });
    await progressive.handle({ id: 1, type: 'setDocuments', documents: docs });
    await search;
    const result = (seen.filter((r) => r.id === 2).at(-1) as Extract<Response, { type: 'result' }>).result as { hits: unknown[]; embedded: number; total: number };
    expect(result).toMatchObject({ embedded: 64, total: 70 });
    expect(result.hits).toHaveLength(64);
  });

  it('a search sent after a new document set answers from that set, never from the set still embedding before it', async () => {
    const fresh: Response[] = [];
    const h = new WorkerHandler((r) => fresh.push(structuredClone(r)), { loadEmbedder: (request) => Embedder.load(request.model).then((embedder) => ({ embedder, hash: '' })) });
    await h.handle({ id: 1, type: 'load', model: MODEL });
    const older = Array.from({ length: 40 }, (_, i) => ({ id: `old${i}`, title: `Water ${i}`, text: `water and tea ${i} `.repeat(10) }));
    const embedding = h.handle({ id: 2, type: 'setDocuments', documents: older });
    // The old set is the corpus (its embedding under way) when the new one and the search come.
    await vi.waitFor(() => expect(fresh.some((r) => r.id === 2 && r.type === 'progress')).toBe(true), { interval: 1 });
    const replacing = h.handle({ id: 3, type: 'setDocuments', documents: DOCS });
    await h.handle({ id: 4, type: 'search', query: 'water', limit: 10 });
    const answer = (fresh.filter((r) => r.id === 4).at(-1) as Extract<Response, { type: 'result' }>).result as { hits: Array<{ id: string }>; total: number };
    // The new set, none of it embedded yet (the page ranks it by keyword meanwhile), not the old one's 40.
    expect(answer).toMatchObject({ total: 3, hits: [] });
    await Promise.all([embedding, replacing]);
    await h.handle({ id: 5, type: 'search', query: 'water', limit: 10 });
    const after = (fresh.filter((r) => r.id === 5).at(-1) as Extract<Response, { type: 'result' }>).result as { hits: Array<{ id: string }> };
    expect(after.hits.map((hit) => hit.id).sort()).toEqual(['a', 'b', 'c']);
  });

  it('refuses documents and searches before a model is loaded', async () => {
    const fresh: Response[] = [];
    const idle = new WorkerHandler((r) => fresh.push(r), { loadEmbedder: () => Promise.reject(new Error('unused')) });
    await idle.handle({ id: 1, type: 'search', query: 'x', limit: 1 });
    expect(fresh[0]).toMatchObject({ type: 'error', error: { code: 'INPUT_INVALID', message: 'no model is loaded: send load before documents or searches' } });
  });
});
