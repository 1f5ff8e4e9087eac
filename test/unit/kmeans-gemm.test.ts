// k-means' block scorers: onnxruntime-node's float32 GEMM rounds differently from fastDot, yet the
// clustering (assignments, centroids bit for bit, iterations) is the plain JS scorer's, because
// every centroid within the GEMM's error bound of a row's best is rescored exactly. Rows here are
// built to tie: duplicates, vectors of small integers (exact ties), and those moved by less than
// the GEMM's error (near-ties).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { gemmRelativeError, gemmScorer } from '../../src/build/gemm-scorer';
import { assignRows, jsScorer, seededRandom, sphericalKMeans, type BlockScorer } from '../../src/search/kmeans';
import { norm, tieRows } from '../fixtures/tie-rows';

const notes: string[] = [];
const gemm = gemmScorer((line) => notes.push(line));
afterAll(() => gemm.release());

const bytesOf = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A scorer as wrong as it may be: each row's true best scored down by the whole declared bound, every other centroid up by it. */
const error = 0.05;
const adversary: BlockScorer = {
  relativeError: () => error,
  against: (centroids, k, dims) => async (rows, count) => {
    const exact = (await jsScorer.against(centroids, k, dims)(rows, count)) as Float64Array;
    for (let i = 0; i < count; i++) {
      const row = exact.subarray(i * k, (i + 1) * k);
      const best = row.indexOf(Math.max(...row));
      for (let c = 0; c < k; c++) row[c]! += (c === best ? -1 : 1) * error * norm(rows, i * dims, dims) * norm(centroids, c * dims, dims);
    }
    return exact;
  },
};

describe('k-means through a GEMM', () => {
  it('clusters exactly as the plain JS scorer: assignments, centroids bit for bit, iterations', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          rows: fc.integer({ min: 1, max: 160 }),
          dims: fc.constantFrom(3, 8, 64, 384),
          seed: fc.integer({ min: 1, max: 1e9 }),
          share: fc.double({ min: 0, max: 1, noNaN: true }),
          sampled: fc.boolean(),
        }),
        async ({ rows, dims, seed, share, sampled }) => {
          const k = Math.max(1, Math.min(rows, Math.ceil(share * rows))); // 1 … rows, past rows / 2 half the time
          const vectors = tieRows(rows, dims, seed);
          // A sample of 2 rows per cluster leaves rows for the final assignment; 0 trains on all.
          const options = { k, seed, samplePerCluster: sampled ? 2 : 0 };
          const plain = await sphericalKMeans(vectors, dims, { ...options, scorer: jsScorer });
          const fast = await sphericalKMeans(vectors, dims, { ...options, scorer: gemm });
          expect(fast.assignments).toEqual(plain.assignments);
          expect(bytesOf(fast.centroids).equals(bytesOf(plain.centroids))).toBe(true);
          expect(fast.iterations).toBe(plain.iterations);
          runs++;
        },
      ),
      { numRuns: 120, seed: 10 },
    );
    expect(runs).toBe(120);
    expect(notes).toEqual([]); // onnxruntime-node ran: no fallback on this machine
  });

  it('seeds as a plain k-means++ loop of fastDot does, with any scorer (a scorer only rules rows out)', async () => {
    // Each new centre's distance 2 − 2·cos to every row, in fastDot's summation order (four partial sums).
    const plainSeeds = (vectors: Float32Array, dims: number, k: number, seed: number) => {
      const n = vectors.length / dims;
      const random = seededRandom(seed);
      const centres = new Float32Array(k * dims);
      const nearest = new Float64Array(n).fill(Infinity);
      let chosen = Math.floor(random() * n);
      for (let c = 0; c < k; c++) {
        centres.set(vectors.subarray(chosen * dims, (chosen + 1) * dims), c * dims);
        if (c === k - 1) break;
        let total = 0;
        for (let i = 0; i < n; i++) {
          const s = [0, 0, 0, 0];
          for (let d = 0; d < dims; d++) s[d % 4]! += vectors[i * dims + d]! * centres[c * dims + d]!;
          nearest[i] = Math.min(nearest[i]!, Math.max(0, 2 - 2 * (s[0]! + s[1]! + s[2]! + s[3]!)));
          total += nearest[i]!;
        }
        if (total === 0) {
          chosen = (c + 1) % n;
          continue;
        }
        let target = random() * total;
        chosen = n - 1;
        for (let i = 0; i < n; i++) {
          if ((target -= nearest[i]!) < 0) {
            chosen = i;
            break;
          }
        }
      }
      return centres;
    };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200 }), fc.constantFrom(4, 16, 384), fc.integer({ min: 1, max: 1e9 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.boolean(), async (rows, dims, seed, share, scaled) => {
        const k = Math.max(1, Math.ceil(share * rows));
        // Some rows off unit length, or zero, when `scaled`: the GEMM's bound scales with the norms.
        const vectors = tieRows(rows, dims, seed).map((x, j) => (scaled ? x * [1, 1, 0.6, 1.4, 0][Math.floor(j / dims) % 5]! : x));
        const want = bytesOf(plainSeeds(vectors, dims, k, seed));
        // No iterations: the centroids are the seeds (samplePerCluster 0: no sample drawn before them).
        for (const scorer of [jsScorer, gemm, adversary]) {
          const { centroids } = await sphericalKMeans(vectors, dims, { k, seed, iterations: 0, samplePerCluster: 0, scorer });
          expect(bytesOf(centroids).equals(want)).toBe(true);
        }
      }),
      { numRuns: 100, seed: 4 },
    );
  });

  it("gives fastDot's own values from the JS scorer, two centroids at a time, for any width and count", async () => {
    for (const [dims, k] of [[1, 1], [3, 2], [5, 3], [8, 5], [9, 4], [384, 7]] as const) {
      const rows = tieRows(6, dims, dims * 10 + k);
      const centroids = tieRows(k, dims, dims * 10 + k + 1).map((x, j) => x * (1 + j * 1e-3)); // not unit: no exact ties
      const scores = await jsScorer.against(centroids, k, dims)(rows, 6);
      for (let i = 0; i < 6; i++) {
        for (let c = 0; c < k; c++) {
          const s = [0, 0, 0, 0];
          const whole = dims - (dims % 4);
          for (let d = 0; d < dims; d++) s[d < whole ? d % 4 : 0]! += rows[i * dims + d]! * centroids[c * dims + d]!;
          expect(scores[i * k + c]).toBe(s[0]! + s[1]! + s[2]! + s[3]!);
        }
      }
    }
  });

  it("keeps the GEMM's error within the bound it declares, on unit rows of the model's width and wider", async () => {
    for (const dims of [384, 1024]) {
      const rows = tieRows(512, dims, dims);
      const centroids = tieRows(64, dims, dims + 1);
      const scores = await gemm.against(centroids, 64, dims)(rows, 512);
      let worst = 0;
      for (let i = 0; i < 512; i++) {
        for (let c = 0; c < 64; c++) {
          let exact = 0;
          for (let d = 0; d < dims; d++) exact += rows[i * dims + d]! * centroids[c * dims + d]!;
          worst = Math.max(worst, Math.abs(scores[i * 64 + c]! - exact) / (norm(rows, i * dims, dims) * norm(centroids, c * dims, dims)));
        }
      }
      expect(worst).toBeGreaterThan(0); // it does round: the exact rescoring is needed
      expect(worst).toBeLessThan(gemmRelativeError(dims));
    }
  });

  it('chooses as fastDot does even when a scorer errs by its whole declared bound against the right answer', async () => {
    const dims = 8;
    const rows = tieRows(300, dims, 7);
    // Centroids 1e-4 apart (inside the adversary's margin), duplicates among them (ties go to the lower id).
    const centroids = new Float32Array(rows.subarray(0, 40 * dims));
    centroids.copyWithin(5 * dims, 3 * dims, 4 * dims);
    for (let d = 0; d < dims; d++) centroids[6 * dims + d] = centroids[2 * dims + d]! + 1e-4 * Math.sign(d - 3.5);
    const want = new Int32Array(300);
    const got = new Int32Array(300);
    await assignRows(rows, 300, centroids, dims, want, jsScorer);
    await assignRows(rows, 300, centroids, dims, got, adversary);
    expect(got).toEqual(want);
    const plain = await sphericalKMeans(rows, dims, { k: 40, scorer: jsScorer });
    const fooled = await sphericalKMeans(rows, dims, { k: 40, scorer: adversary });
    expect(fooled.assignments).toEqual(plain.assignments);
    expect(bytesOf(fooled.centroids).equals(bytesOf(plain.centroids))).toBe(true);
  });

  it('scores a row with NaN or infinite values against every centroid, as the plain loop does', async () => {
    const vectors = tieRows(60, 8, 5);
    vectors.fill(Number.NaN, 3 * 8, 4 * 8);
    vectors[10 * 8 + 2] = Infinity;
    for (const options of [{ k: 5 }, { k: 5, initial: tieRows(5, 8, 6) }]) {
      const plain = await sphericalKMeans(vectors, 8, { ...options, scorer: jsScorer });
      const fast = await sphericalKMeans(vectors, 8, { ...options, scorer: gemm });
      expect(fast.assignments).toEqual(plain.assignments);
      expect(bytesOf(fast.centroids).equals(bytesOf(plain.centroids))).toBe(true);
    }
  });

  it('falls back to plain JS with one note when onnxruntime-node cannot load, or when a run fails, and clusters the same', async () => {
    const vectors = tieRows(400, 16, 3);
    const want = await sphericalKMeans(vectors, 16, { k: 30, samplePerCluster: 4, scorer: jsScorer });
    const missing: string[] = [];
    const unloadable = gemmScorer((line) => missing.push(line), () => Promise.reject(new Error('Cannot find module onnxruntime_binding.node\n(stack)')));
    const got = await sphericalKMeans(vectors, 16, { k: 30, samplePerCluster: 4, scorer: unloadable });
    await unloadable.release();
    expect(got.assignments).toEqual(want.assignments);
    expect(bytesOf(got.centroids).equals(bytesOf(want.centroids))).toBe(true);
    expect(missing).toEqual(['k-means: onnxruntime-node is unavailable (Cannot find module onnxruntime_binding.node); clustering in plain JS (the same shards, slower)']);

    const failing: string[] = [];
    let released = 0;
    const broken = {
      Tensor: class {},
      InferenceSession: {
        create: async () => ({
          run: async () => {
            throw new Error('bad allocation');
          },
          release: async () => void released++,
        }),
      },
    } as unknown as typeof import('onnxruntime-node');
    const breaking = gemmScorer((line) => failing.push(line), async () => broken);
    const again = await sphericalKMeans(vectors, 16, { k: 30, samplePerCluster: 4, scorer: breaking });
    await breaking.release();
    expect(again.assignments).toEqual(want.assignments);
    expect(failing).toEqual(['k-means: onnxruntime-node is unavailable (bad allocation); clustering in plain JS (the same shards, slower)']);
    expect(released).toBe(1);
  });
});
