// Worker threads that embed whole slices (src/embed/embed-workers.ts): the calling thread's vectors
// bit for bit, in order; a worker that fails is a coded error, not a hang; one that cannot start
// leaves every call in-thread; idle threads are let go and come back.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Embedder } from '../../src/embed/embedder';
import { CHARS_PER_WORKER, embedWorkers, WARM_CHARS_PER_WORKER, type EmbedWorkersOptions } from '../../src/embed/embed-workers';
import { documentSessions, documentWorkers, MAX_EMBED_WORKERS } from '../../src/embed/node-sessions';
import { SLICE_CHARS, sliceBounds, tokenizeSlice, type SliceJob, type SliceTokens, type SliceWorkers } from '../../src/embed/slices';
import type { Embeddings, LoadOptions } from '../../src/embed/types';
import { sgptRejection } from '../support';

const SHIPPED = 'public/models/sgpt-nano';
const demo = (JSON.parse(readFileSync('demo/data/python-docs.json', 'utf8')) as Array<{ title: string; text: string }>).map(({ title, text }) => `${title}. ${text}`);
const huge = demo.slice(0, 60).join(' ');
const texts = [
  '',
  ...demo.slice(0, 120),
  huge,
  '日本語のテキスト 中文 한국어 🙂👍🏽 e\u0301 café',
  'before<|endoftext|>after',
  ' ',
  ...demo.slice(120),
  'lone surrogate \ud800 here',
  '',
];
// Ten times the demo: ~50 slices, so a worker (ready in well under a second) takes many of them.
const many = Array.from({ length: 10 }, () => demo).flat();
const fixture = (name: string) => new URL(`../fixtures/workers/${name}`, import.meta.url);

/** Load options with `size` worker threads whatever the machine, counting the slices they embed. */
function counted(size: number, options: EmbedWorkersOptions = {}): { load: LoadOptions; slices: () => number; starts: () => number; loaded: () => Promise<unknown> } {
  let slices = 0;
  const seen = new Set<Promise<unknown>>();
  const sliceWorkers: LoadOptions['sliceWorkers'] = (source, load) => {
    const pool = embedWorkers(size, { charsPerWorker: 0, ...options })(source, load);
    const spy: SliceWorkers = {
      ...pool,
      runners: (n) =>
        pool.runners(n).map((ready) => {
          seen.add(ready);
          return ready.then((runner) => runner && { embed: (...args: Parameters<typeof runner.embed>) => (slices++, runner.embed(...args)) });
        }),
    };
    return spy;
  };
  return { load: { threads: 1, sessions: 1, sliceWorkers }, slices: () => slices, starts: () => seen.size, loaded: () => Promise.all(seen) };
}

const bytes = (out: Embeddings) => Buffer.from(out.vectors.buffer, out.vectors.byteOffset, out.vectors.byteLength);

let plain: Embedder;
/** A slice's texts as a worker is sent them: their ids, tokenised on this thread. */
const tokens = (texts: readonly string[]): SliceTokens => tokenizeSlice(texts, (text) => plain.tokenize(text));
beforeAll(async () => {
  plain = await Embedder.load(SHIPPED, { threads: 1, sessions: 1 });
});
afterAll(async () => {
  await plain?.dispose();
});

describe('embedding worker threads', () => {
  it('give the in-thread vectors bit for bit, in order, over many slices (empty, huge and non-ASCII texts), with one and two threads', async () => {
    expect(sliceBounds(texts).length).toBeGreaterThan(4);
    for (const size of [1, 2]) {
      const spied = counted(size);
      const piped = await Embedder.load(SHIPPED, spied.load);
      try {
        for (const role of ['document', 'query'] as const) {
          const reference = await plain.embed(texts, role);
          for (let call = 0; call < 2; call++) {
            const progress: number[] = [];
            const delivered: Array<{ owner: Int32Array; vectors: Float32Array }> = [];
            const out = await piped.embed(texts, role, { onProgress: (done) => progress.push(done), onRows: (rows) => delivered.push(rows) });
            expect(out.rows).toBe(reference.rows);
            expect([...out.owner]).toEqual([...reference.owner]);
            expect(bytes(out).equals(bytes(reference))).toBe(true);
            // onRows gave every text's rows once, as the call returns them, a slice at a time
            expect(delivered.length).toBe(sliceBounds(texts).length);
            const firstRow = new Map<number, number>();
            out.owner.forEach((text, row) => firstRow.has(text) || firstRow.set(text, row));
            const assembled = new Float32Array(out.vectors.length);
            const texts_ = new Set<number>();
            for (const { owner, vectors } of delivered) {
              owner.forEach((text, i) => {
                if (i === 0 || owner[i - 1] !== text) expect(texts_.has(text)).toBe(false), texts_.add(text);
                const row = firstRow.get(text)! + (i - owner.indexOf(text));
                assembled.set(vectors.subarray(i * out.dims, (i + 1) * out.dims), row * out.dims);
              });
            }
            expect(texts_.size).toBe(texts.length);
            expect(Buffer.from(assembled.buffer).equals(bytes(out))).toBe(true);
            expect(progress.at(-1)).toBe(texts.length);
            expect(progress.every((done, i) => i === 0 || done >= progress[i - 1]!)).toBe(true);
          }
        }
        expect(spied.slices()).toBeGreaterThan(0); // the threads did embed some of it
      } finally {
        await piped.dispose();
      }
    }
  });

  it('a text a worker cannot embed fails as it does in-thread, named by its place in the call', async () => {
    const workers = embedWorkers(1, { charsPerWorker: 0 })(SHIPPED, { threads: 1 });
    try {
      const runner = await workers.runners({ slices: 2, chars: 0 })[0]!;
      expect(runner).not.toBeNull();
      const job: SliceJob = { role: 'document', settings: { ...plain.settings, mode: 'symmetric' }, batchSize: 16, batchTokens: 1024 };
      const go = new AbortController().signal;
      const error = await sgptRejection(runner!.embed(tokens(['a text', '']), 100, job, go));
      expect(error.code).toBe('INPUT_INVALID');
      expect(error.message).toContain('text 101 is empty');
      // The thread is still there for the next slice.
      const out = await runner!.embed(tokens(['a text']), 0, job, go);
      const reference = await plain.embed(['a text'], 'document');
      expect(out.vectors.length).toBe(reference.vectors.length);
    } finally {
      await workers.dispose();
    }
  });

  for (const [name, what] of [['throws.mjs', 'failed: model exploded'], ['exits.mjs', 'exited (code 3)']] as const) {
    it(`a worker that ${name === 'throws.mjs' ? 'throws' : 'exits'} fails the call with WORKER_DIED; the next call starts a fresh one`, async () => {
      const embedder = await Embedder.load(SHIPPED, counted(1, { url: fixture(name) }).load);
      try {
        const error = await sgptRejection(embedder.embed(many, 'document'));
        expect(error.code).toBe('WORKER_DIED');
        expect(error.message).toContain(what);
        expect((await sgptRejection(embedder.embed(many, 'document'))).code).toBe('WORKER_DIED');
      } finally {
        await embedder.dispose();
      }
    });
  }

  it('a worker that cannot start (it could not load the model) leaves every call in-thread, with the same vectors', async () => {
    const spied = counted(1, { url: fixture('never-starts.mjs') });
    const embedder = await Embedder.load(SHIPPED, spied.load);
    try {
      const reference = await plain.embed(demo, 'document');
      for (let call = 0; call < 2; call++) expect(bytes(await embedder.embed(demo, 'document')).equals(bytes(reference))).toBe(true);
      expect(spied.slices()).toBe(0);
      expect(spied.starts()).toBe(1); // tried once, never again
    } finally {
      await embedder.dispose();
    }
  });

  it('an aborted call stops, and the threads serve the next call', async () => {
    const spied = counted(1);
    const embedder = await Embedder.load(SHIPPED, spied.load);
    try {
      await embedder.embed(demo, 'document'); // the thread has started
      const controller = new AbortController();
      let batches = 0;
      const aborted = embedder.embed(many, 'document', {
        signal: controller.signal,
        onProgress: () => {
          if (++batches === 3) controller.abort();
        },
      });
      expect((await sgptRejection(aborted)).code).toBe('ABORTED');
      const reference = await plain.embed(demo, 'document');
      expect(bytes(await embedder.embed(demo, 'document')).equals(bytes(reference))).toBe(true);
    } finally {
      await embedder.dispose();
    }
  });

  it('overlapping calls share the threads and each gets its own vectors; one ending never lets go of threads another uses', async () => {
    const spied = counted(1, { idleMs: 20 });
    const embedder = await Embedder.load(SHIPPED, spied.load);
    try {
      const [a, b] = [await plain.embed(many.slice(0, 900), 'document'), await plain.embed(demo, 'document')];
      await embedder.embed(demo, 'document'); // the thread has started
      const long = embedder.embed(many.slice(0, 900), 'document');
      // Short calls end (each would start the idle timer) while the long one runs.
      const short = await embedder.embed(demo, 'document');
      for (let i = 0; i < 3; i++) {
        await embedder.embedQuery('how do I read a file');
        await new Promise((done) => setTimeout(done, 40));
      }
      expect(bytes(short).equals(bytes(b))).toBe(true);
      expect(bytes(await long).equals(bytes(a))).toBe(true);
      expect(spied.starts()).toBe(1);
    } finally {
      await embedder.dispose();
    }
  });

  it('a slice on a worker stops at its next batch when cancelled, and the thread takes the next', async () => {
    const workers = embedWorkers(1, { charsPerWorker: 0 })(SHIPPED, { threads: 1 });
    try {
      const runner = (await workers.runners({ slices: 2, chars: 0 })[0])!;
      const job: SliceJob = { role: 'document', settings: plain.settings, batchSize: 16, batchTokens: 1024 };
      const stop = new AbortController();
      const huge = Array.from({ length: 40 }, () => demo.join(' ')).join(' '); // ~13 M characters, hundreds of batches
      const slice = tokens([huge]);
      const started = performance.now();
      const cancelled = runner.embed(slice, 0, job, stop.signal);
      stop.abort();
      expect((await sgptRejection(cancelled)).code).toBe('ABORTED');
      const reference = await plain.embed(demo.slice(0, 20), 'document');
      const out = await runner.embed(tokens(demo.slice(0, 20)), 0, job, new AbortController().signal);
      expect(Buffer.from(out.vectors.buffer).equals(bytes(reference))).toBe(true);
      // Embedding all of it would take tens of seconds.
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      workers.dispose();
    }
  });

  it('a cancelled slice waiting behind another is answered at once; dispose cancels what a thread was asked and waits for it to end', async () => {
    const workers = embedWorkers(1, { charsPerWorker: 0 })(SHIPPED, { threads: 1 });
    const runner = (await workers.runners({ slices: 2, chars: 0 })[0])!;
    const job: SliceJob = { role: 'document', settings: plain.settings, batchSize: 16, batchTokens: 1024 };
    const huge = Array.from({ length: 40 }, () => demo.join(' ')).join(' ');
    const order: string[] = [];
    const long = runner.embed(tokens([huge]), 0, job, new AbortController().signal).then(
      () => order.push('long done'),
      (error: { code?: string }) => order.push(`long ${error.code}`),
    );
    const stop = new AbortController();
    const queued = runner.embed(tokens(demo.slice(0, 5)), 0, job, stop.signal).catch((error: { code?: string }) => order.push(`queued ${error.code}`));
    await new Promise((done) => setTimeout(done, 200)); // the long slice is under way
    stop.abort();
    await queued;
    expect(order).toEqual(['queued ABORTED']); // before the long one, which is still running
    await workers.dispose();
    expect(order).toEqual(['queued ABORTED', 'long ABORTED']); // answered before the thread ended
    await long;
    expect(workers.runners({ slices: 2, chars: 0 })).toEqual([]); // none after dispose
  });

  it('dispose during a call lets each thread finish what it was asked: the call settles, the process lives', async () => {
    const embedder = await Embedder.load(SHIPPED, counted(1).load);
    await embedder.embed(demo, 'document'); // the thread has started
    const call = embedder.embed(many, 'document').then(
      () => 'done',
      () => 'failed',
    );
    await new Promise((done) => setTimeout(done, 150));
    await embedder.dispose();
    expect(['done', 'failed']).toContain(await call);
  });

  it('idle threads are let go, and the next call starts them again', async () => {
    const spied = counted(1, { idleMs: 50 });
    const embedder = await Embedder.load(SHIPPED, spied.load);
    try {
      const reference = await plain.embed(demo, 'document');
      expect(bytes(await embedder.embed(demo, 'document')).equals(bytes(reference))).toBe(true);
      expect(spied.starts()).toBe(1);
      await new Promise((done) => setTimeout(done, 300));
      expect(bytes(await embedder.embed(demo, 'document')).equals(bytes(reference))).toBe(true);
      expect(spied.starts()).toBe(2);
    } finally {
      await embedder.dispose();
    }
  });

  it('a call starts one thread per CHARS_PER_WORKER characters, fewer than its slices, and uses those already there; the Node defaults take one per free core, as the load average leaves them', async () => {
    const spied = counted(2, { charsPerWorker: CHARS_PER_WORKER });
    const embedder = await Embedder.load(SHIPPED, spied.load);
    try {
      await embedder.embed(demo.slice(0, 5), 'document'); // one slice
      const short = demo.slice(0, 100);
      expect(sliceBounds(short).length).toBeGreaterThan(1);
      expect(short.join('').length).toBeLessThan(CHARS_PER_WORKER);
      await embedder.embed(short, 'document');
      expect(spied.starts()).toBe(0);
      const long = Array.from({ length: Math.ceil(CHARS_PER_WORKER / demo.join('').length) }, () => demo).flat();
      await embedder.embed(long, 'document');
      expect(spied.starts()).toBe(1);
      // The thread started, a short call uses it too (its start-up is paid).
      await spied.loaded();
      const before = spied.slices();
      await embedder.embed(short, 'document');
      expect(spied.slices()).toBeGreaterThan(before);
    } finally {
      await embedder.dispose();
    }
    expect(documentWorkers(1, 4, 0.5)).toBe(3);
    expect(documentWorkers(1, 4, 2.2)).toBe(2); // one other busy job
    expect(documentWorkers(1, 4, 9)).toBe(0);
    expect(documentWorkers(1, 2, 4)).toBe(0); // both cores busy
    expect(documentWorkers(1, 2, 1.6)).toBe(0);
    expect(documentWorkers(1, 2, 1)).toBe(1); // the second core free
    expect(documentWorkers(1, 1, 0)).toBe(0);
    expect(documentWorkers(2, 2, 0)).toBe(0); // a 2-thread session fills both
    expect(documentWorkers(2, 8, 0)).toBe(3);
    expect(documentWorkers(1, 64, 0)).toBe(MAX_EMBED_WORKERS);
    expect(documentWorkers(0, 2, 0)).toBe(1); // 0 threads (the runtime's choice) counts as 1
    expect(documentSessions(1, 2, 4)).toEqual({ threads: 1, sessions: 1 });
    expect(documentSessions(1, 2, 1).sliceWorkers).toBeTypeOf('function');
  });
});

describe('threads started ahead of a call', () => {
  const repeat = (chars: number) => Array.from({ length: Math.ceil(chars / demo.join('').length) }, () => demo).flat();

  it('an announced call (`upcoming`, read while the model loads) starts one thread per WARM_CHARS_PER_WORKER characters, which that call uses; a short one starts none', async () => {
    const middling = repeat(WARM_CHARS_PER_WORKER);
    const chars = middling.join('').length;
    expect(chars).toBeGreaterThanOrEqual(WARM_CHARS_PER_WORKER);
    for (const [announced, threads] of [[middling, 1], [demo, 0]] as const) {
      const spied = counted(2, { charsPerWorker: chars + 1 }); // a call alone would start none
      const embedder = await Embedder.load(SHIPPED, { ...spied.load, upcoming: Promise.resolve(announced) });
      try {
        const reference = await plain.embed(announced, 'document');
        expect(bytes(await embedder.embed(announced, 'document')).equals(bytes(reference))).toBe(true);
        expect(spied.starts()).toBe(threads);
        if (threads > 0) {
          // The call does not wait for a thread still loading (under load it may end first); once
          // the warmed thread is in, a call uses it, and no other is started.
          await spied.loaded();
          expect(bytes(await embedder.embed(announced, 'document')).equals(bytes(reference))).toBe(true);
          expect(spied.slices()).toBeGreaterThan(0);
          expect(spied.starts()).toBe(threads);
        }
      } finally {
        await embedder.dispose();
      }
    }
  });

  it('a thread warmed for a call that never comes is let go by the idle timer warm() starts', async () => {
    const pool = embedWorkers(1, { idleMs: 50 })(SHIPPED, { threads: 1 });
    try {
      pool.warm({ slices: 10, chars: WARM_CHARS_PER_WORKER });
      await new Promise((done) => setTimeout(done, 2500)); // loaded, then past idleMs, with no call in between
      expect(pool.runners({ slices: 2, chars: 0 })).toEqual([]);
      pool.idle();
    } finally {
      await pool.dispose();
    }
  });

  it('texts announced after the load ended, or not texts at all, start nothing and throw nothing', async () => {
    const middling = repeat(WARM_CHARS_PER_WORKER);
    let announce: (texts: readonly string[]) => void = () => {};
    const late = counted(1, { charsPerWorker: CHARS_PER_WORKER });
    const embedder = await Embedder.load(SHIPPED, { ...late.load, upcoming: new Promise((resolve) => (announce = resolve)) });
    try {
      announce(middling); // the load is over: a thread started now would start with the call, which does not repay it
      await new Promise((done) => setTimeout(done, 50));
      await embedder.embed(middling.slice(0, 3), 'document');
      expect(late.starts()).toBe(0);
    } finally {
      await embedder.dispose();
    }
    for (const upcoming of [Promise.resolve(null), Promise.resolve({ texts: 3 }), Promise.resolve([null])]) {
      const odd = await Embedder.load(SHIPPED, { ...counted(1).load, upcoming: upcoming as unknown as Promise<readonly string[]> });
      await odd.dispose();
    }
  });

  it('threads warmed for a call that never comes are let go once idle; an upcoming that fails changes nothing', async () => {
    const pool = embedWorkers(1, { idleMs: 50 })(SHIPPED, { threads: 1 });
    try {
      pool.warm({ slices: 10, chars: WARM_CHARS_PER_WORKER });
      const [ready] = pool.runners({ slices: 2, chars: 0 }); // the warmed thread, though this call starts none
      expect(await ready).not.toBeNull();
      pool.idle();
      await new Promise((done) => setTimeout(done, 300));
      expect(pool.runners({ slices: 2, chars: 0 })).toEqual([]); // let go, and none started again
      pool.idle();
      pool.warm({ slices: 1, chars: 10 * WARM_CHARS_PER_WORKER }); // one slice: nothing to share
      expect(pool.runners({ slices: 2, chars: 0 })).toEqual([]);
      pool.idle();
    } finally {
      await pool.dispose();
    }
    const embedder = await Embedder.load(SHIPPED, { ...counted(1).load, upcoming: Promise.reject(new Error('stdin broke')) });
    try {
      expect((await embedder.embed(['a text'], 'document')).rows).toBe(1);
    } finally {
      await embedder.dispose();
    }
  });
});

describe('slices', () => {
  it('cut whole texts, in order, up to SLICE_CHARS characters (a longer text alone)', () => {
    expect(sliceBounds([])).toEqual([]);
    expect(sliceBounds(['a', 'b', 'c'], 2)).toEqual([[0, 2], [2, 3]]);
    expect(sliceBounds(['aaa', 'b', 'cc', 'dddd'], 3)).toEqual([[0, 1], [1, 3], [3, 4]]);
    expect(sliceBounds(['', '', ''], 1)).toEqual([[0, 3]]);
    expect(sliceBounds(['x'.repeat(SLICE_CHARS), 'y', 'z'.repeat(SLICE_CHARS - 1)])).toEqual([[0, 1], [1, 3]]);
  });
});
