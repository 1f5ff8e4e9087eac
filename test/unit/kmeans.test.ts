import { describe, expect, it } from 'vitest';
import { buildIvf, ivfSearch, jsScorer, probe, seededRandom, sphericalKMeans, type BlockScorer } from '../../src/search/kmeans';
import { VectorStore } from '../../src/search/vector-store';
import { clusteredData } from '../fixtures/clustered-vectors';

const unit = (degrees: number) => [Math.cos((degrees * Math.PI) / 180), Math.sin((degrees * Math.PI) / 180)];

describe('seeded PRNG', () => {
  it('repeats for a seed and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(draws).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seededRandom(43)()).not.toBe(draws[0]);
  });
});

describe('spherical k-means', () => {
  it('finds two groups on the circle with unit-length mean directions', async () => {
    const vectors = Float32Array.from([0, 10, 90, 100].flatMap(unit));
    const result = await sphericalKMeans(vectors, 2, { k: 2 });
    const [a, b, c, d] = result.assignments;
    expect(a).toBe(b);
    expect(c).toBe(d);
    expect(a).not.toBe(c);
    const centre = (cluster: number) => Array.from(result.centroids.subarray(cluster * 2, cluster * 2 + 2));
    const expected = [unit(5), unit(95)];
    expect(centre(a!)[0]).toBeCloseTo(expected[0]![0]!, 6);
    expect(centre(a!)[1]).toBeCloseTo(expected[0]![1]!, 6);
    expect(centre(c!)[0]).toBeCloseTo(expected[1]![0]!, 6);
    expect(centre(c!)[1]).toBeCloseTo(expected[1]![1]!, 6);
  });

  it('a signal aborted during an iteration stops training before the next, from k-means++ seeding or from given centroids', async () => {
    const { vectors } = clusteredData(500, 0, 16, { clusters: 10 });
    const far = await sphericalKMeans(vectors, 16, { k: 8, seed: 3, iterations: 1 }); // a start that needs more iterations
    for (const initial of [undefined, far.centroids]) {
      const stop = new AbortController();
      let scored = 0;
      // Blocks scored after the abort: the seeding's next centre, or the next iteration, would score more.
      const scorer: BlockScorer = {
        relativeError: (dims) => jsScorer.relativeError(dims),
        against: (centroids, k, dims) => (rows, count) => {
          scored++;
          stop.abort();
          return jsScorer.against(centroids, k, dims)(rows, count);
        },
      };
      await expect(sphericalKMeans(vectors, 16, { k: 8, seed: 3, scorer, signal: stop.signal, ...(initial === undefined ? {} : { initial }) })).rejects.toMatchObject({ name: 'AbortError' });
      expect(scored).toBe(1);
    }
  });

  it('started from its own result (a rebuild of an unchanged site), it stops at once with the same clusters', async () => {
    const { vectors } = clusteredData(500, 0, 16, { clusters: 10 });
    const first = await sphericalKMeans(vectors, 16, { k: 8, seed: 3 });
    const warm = await sphericalKMeans(vectors, 16, { k: 8, seed: 3, initial: first.centroids });
    expect(warm.iterations).toBeLessThanOrEqual(2);
    expect(warm.assignments).toEqual(first.assignments);
    await expect(sphericalKMeans(vectors, 16, { k: 8, initial: new Float32Array(3) })).rejects.toThrow(/initial centroids/);
  });

  it('is deterministic for a seed', async () => {
    const { vectors } = clusteredData(500, 0, 16, { clusters: 10 });
    const first = await sphericalKMeans(vectors, 16, { k: 8, seed: 3 });
    const again = await sphericalKMeans(vectors, 16, { k: 8, seed: 3 });
    expect(again.centroids).toEqual(first.centroids);
    expect(again.assignments).toEqual(first.assignments);
    for (let c = 0; c < 8; c++) {
      const row = first.centroids.subarray(c * 16, (c + 1) * 16);
      expect(Math.hypot(...row)).toBeCloseTo(1, 5);
    }
  });

  it('copes with repeated points: finite unit centroids, each point at its best one', async () => {
    const vectors = Float32Array.from([...unit(0), ...unit(0), ...unit(0), ...unit(0), ...unit(90), ...unit(180)]);
    const result = await sphericalKMeans(vectors, 2, { k: 4 });
    expect(result.centroids.every(Number.isFinite)).toBe(true);
    for (let row = 0; row < 6; row++) {
      const [x, y] = [vectors[row * 2]!, vectors[row * 2 + 1]!];
      const sims = [0, 1, 2, 3].map((c) => x * result.centroids[c * 2]! + y * result.centroids[c * 2 + 1]!);
      expect(sims[result.assignments[row]!]).toBeCloseTo(Math.max(...sims), 6);
    }
    // The three distinct directions each get a centroid of their own.
    expect(new Set(result.assignments).size).toBe(3);
  });

  it('skips rows by its bounds without changing a result: equal to plain Lloyd iterations that score every row', async () => {
    // Plain Lloyd from the same start, every row scored every pass, in the same summation order
    // (four partial sums), re-seeding an emptied cluster with the worst-served row.
    const lloyd = (vectors: Float32Array, dims: number, start: Float32Array, iterations: number) => {
      const rows = vectors.length / dims;
      const k = start.length / dims;
      const centroids = Float32Array.from(start);
      const labels = new Int32Array(rows).fill(-1);
      const sims = new Float64Array(rows);
      const dot = (r: number, c: number) => {
        const s = [0, 0, 0, 0];
        for (let d = 0; d < dims; d++) s[d % 4]! += vectors[r * dims + d]! * centroids[c * dims + d]!;
        return s[0]! + s[1]! + s[2]! + s[3]!;
      };
      const assignAll = () => {
        let changed = 0;
        for (let r = 0; r < rows; r++) {
          let best = 0;
          let bestSim = -Infinity;
          for (let c = 0; c < k; c++) if (dot(r, c) > bestSim) [best, bestSim] = [c, dot(r, c)];
          if (labels[r] !== best) changed++;
          [labels[r], sims[r]] = [best, bestSim];
        }
        return changed;
      };
      for (let it = 0; it < iterations; it++) {
        if (assignAll() === 0) return { centroids, labels };
        centroids.fill(0);
        const sizes = new Int32Array(k);
        labels.forEach((c, r) => {
          sizes[c]!++;
          for (let d = 0; d < dims; d++) centroids[c * dims + d]! += vectors[r * dims + d]!;
        });
        for (let c = 0; c < k; c++) {
          const norm = Math.sqrt(centroids.subarray(c * dims, (c + 1) * dims).reduce((a, x) => a + x * x, 0));
          if (norm > 0) for (let d = 0; d < dims; d++) centroids[c * dims + d]! /= norm;
        }
        for (let c = 0; c < k; c++) {
          if (sizes[c]! > 0) continue;
          let worst = -1;
          for (let r = 0; r < rows; r++) if (sizes[labels[r]!]! > 1 && (worst === -1 || sims[r]! < sims[worst]!)) worst = r;
          if (worst === -1) break;
          centroids.set(vectors.subarray(worst * dims, (worst + 1) * dims), c * dims);
          sizes[labels[worst]!]!--;
          [sizes[c], labels[worst], sims[worst]] = [1, c, 1];
        }
      }
      assignAll(); // out of iterations: every row to its nearest final centroid
      return { centroids, labels };
    };
    // Well separated, overlapping, and more clusters than groups (clusters empty out and are re-seeded).
    for (const [rows, dims, k, clusters, spread] of [[1500, 16, 8, 20, 1], [1200, 32, 24, 200, 2], [900, 8, 40, 3, 3]] as const) {
      const { vectors } = clusteredData(rows, 0, dims, { clusters, spread, seed: rows });
      const start = Float32Array.from(vectors.subarray(0, k * dims));
      const got = await sphericalKMeans(vectors, dims, { k, initial: start, samplePerCluster: 0 });
      const want = lloyd(vectors, dims, start, 20);
      expect(got.assignments).toEqual(want.labels);
      expect(got.centroids).toEqual(want.centroids);
    }
  });

  it('rejects a bad k or shape', async () => {
    await expect(sphericalKMeans(new Float32Array(4), 2, { k: 3 })).rejects.toThrow(/k must be an integer in \[1, 2\]/);
    await expect(sphericalKMeans(new Float32Array(5), 2, { k: 1 })).rejects.toThrow(/do not make rows/);
  });
});

describe('IVF probing', () => {
  it('probes the nearest centroids first, ties to the lower id', () => {
    const centroids = Float32Array.from([...unit(0), ...unit(90), ...unit(90), ...unit(180)]);
    expect(probe(Float32Array.from(unit(80)), centroids, 2, 3)).toEqual([1, 2, 0]);
    expect(probe(Float32Array.from(unit(80)), centroids, 2, 10)).toHaveLength(4);
  });

  it('regroups the rows cluster by cluster, keeping their ids', async () => {
    const vectors = Float32Array.from([...unit(0), ...unit(90), ...unit(2), ...unit(92), ...unit(1)]);
    const ivf = await buildIvf(vectors, 2, { k: 2 });
    const first = ivf.rows[0] === 0 ? [0, 2, 4] : [1, 3];
    const second = first.length === 3 ? [1, 3] : [0, 2, 4];
    expect(Array.from(ivf.rows)).toEqual([...first, ...second]);
    expect(Array.from(ivf.offsets)).toEqual([0, first.length, 5]);
    ivf.rows.forEach((row, position) => {
      expect(Array.from(ivf.vectors.subarray(position * 2, position * 2 + 2))).toEqual(Array.from(vectors.subarray(row * 2, row * 2 + 2)));
    });
  });

  it('recall@10 against exact search rises with nprobe and is exact with every cluster', async () => {
    const dims = 32;
    const k = 40;
    const data = clusteredData(3000, 50, dims, { clusters: 40, spread: 0.8 });
    const ivf = await buildIvf(data.vectors, dims, { k });
    const exact = new VectorStore(data.vectors.slice(), Int32Array.from({ length: 3000 }, (_, i) => i), dims);
    const recall = (nprobe: number) => {
      let found = 0;
      for (let q = 0; q < 50; q++) {
        const query = data.queries.subarray(q * dims, (q + 1) * dims);
        const truth = exact.search(query, 10);
        const got = ivfSearch(ivf, query, nprobe, 10);
        if (nprobe === k) expect(got.map((hit) => hit.index)).toEqual(truth.map((hit) => hit.doc));
        const ids = new Set(got.map((hit) => hit.index));
        found += truth.filter((hit) => ids.has(hit.doc)).length;
      }
      return found / 500;
    };
    const curve = [1, 2, 4, 8, k].map(recall);
    for (let i = 1; i < curve.length; i++) expect(curve[i]).toBeGreaterThanOrEqual(curve[i - 1]!);
    expect(curve[0]).toBeLessThan(1);
    expect(curve[3]).toBeGreaterThan(0.9);
    expect(curve.at(-1)).toBe(1);
  });
});
