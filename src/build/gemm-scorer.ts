/**
 * k-means' block scorer for Node builds: a block of rows against every centroid as one float32
 * GEMM through onnxruntime-node (tens of GFLOP/s, where a JS loop of float64 dot products does
 * ~1). Its scores round, so it declares float32's error bound and k-means rescores every centroid
 * near a row's best exactly: the clustering is the JS scorer's, bit for bit. When onnxruntime-node
 * cannot load or run, the build goes on with the JS scorer after a one-line note; it never fails.
 */
import { jsScorer, type BlockScorer } from '../search/kmeans';
import { matmulModel } from './onnx-graph';

type Ort = typeof import('onnxruntime-node');

/** γ_n = n·u / (1 − n·u): the worst relative error of an n-term dot product in unit roundoff u, in any summation order, FMA or not (Higham, "Accuracy and Stability of Numerical Algorithms", §3.1). */
function gamma(n: number, u: number): number {
  return n * u < 0.5 ? (n * u) / (1 - n * u) : Infinity;
}

/** Headroom over the worst case (the bound is already far above typical error; this covers the margin's own rounding). */
const SAFETY = 2;

/**
 * |float32 GEMM score − fastDot| ≤ this × |row| × |centroid|: the GEMM's error (float32, any
 * blocking or order) plus fastDot's (float64 sums of exact float32 products).
 */
export function gemmRelativeError(dims: number): number {
  return SAFETY * (gamma(dims, 2 ** -24) + gamma(dims, 2 ** -53));
}

/** A block scorer that may hold a native session: release it when the build is done. */
export interface SessionScorer extends BlockScorer {
  release(): Promise<void>;
}

/** k-major centroids (k × dims) as the GEMM's right operand (dims × k). */
function transpose(centroids: Float32Array, k: number, dims: number): Float32Array {
  const out = new Float32Array(dims * k);
  for (let c = 0; c < k; c++) for (let d = 0; d < dims; d++) out[d * k + c] = centroids[c * dims + d]!;
  return out;
}

/**
 * onnxruntime threads for the GEMM: on the 2-core development machine under load, 1 thread trained
 * the Python docs' k-means in 7.1–7.4 s where the default (one per core) took 12.2–13.4 s (its
 * threads wait on each other when the other core is busy), and seeded in 2.1 s against 3.5–4.1 s.
 */
const GEMM_THREADS = 1;
/** onnxruntime's CPU arena kept ~110 MB after the build's GEMMs (Python docs: peak RSS 313–323 MB with it, 242 MB without, at the same CPU time). */
const ARENA = false;

interface Gemm {
  ort: Ort;
  session: Awaited<ReturnType<Ort['InferenceSession']['create']>>;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];

/**
 * The GEMM scorer. onnxruntime-node loads at the first block scored (a build that runs no k-means,
 * such as an unchanged rebuild, never loads it); if it cannot load or a run fails, `note` says why
 * once and plain JS scores the rest. `load`: how onnxruntime-node is imported (a test breaks it).
 */
export function gemmScorer(note: (line: string) => void, load: () => Promise<Ort> = () => import('onnxruntime-node')): SessionScorer {
  let gemm: Promise<Gemm | null> | null = null;
  const unavailable = (why: unknown): null => {
    note(`k-means: onnxruntime-node is unavailable (${firstLine(why)}); clustering in plain JS (the same shards, slower)`);
    return null;
  };
  const start = () =>
    (gemm ??= (async () => {
      const ort = await load();
      return { ort, session: await ort.InferenceSession.create(matmulModel(), { intraOpNumThreads: GEMM_THREADS, interOpNumThreads: 1, enableCpuMemArena: ARENA }) };
    })().catch(unavailable));
  return {
    // JS scores (after a fallback) are exact, so they meet this bound too.
    relativeError: gemmRelativeError,
    against(centroids, k, dims) {
      const plain = jsScorer.against(centroids, k, dims);
      let right: InstanceType<Ort['Tensor']> | null = null;
      return async (rows, count) => {
        const ready = count === 0 ? null : await start();
        if (ready === null) return plain(rows, count);
        const { ort, session } = ready;
        right ??= new ort.Tensor('float32', transpose(centroids, k, dims), [dims, k]);
        try {
          const { Y } = await session.run({ A: new ort.Tensor('float32', rows.subarray(0, count * dims), [count, dims]), B: right });
          return Y!.data as Float32Array;
        } catch (error) {
          // A run that fails (out of memory, a broken binary) hands the rest of the build to plain JS.
          gemm = Promise.resolve(unavailable(error));
          await session.release().catch(() => {});
          return plain(rows, count);
        }
      };
    },
    async release() {
      const ready = await gemm;
      gemm = null;
      await ready?.session.release();
    },
  };
}
