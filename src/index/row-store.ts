/**
 * Where a build keeps its float32 vectors between collecting them (cache, previous index, model)
 * and writing the shards: rows appended in the order they arrive, read back by position. The
 * writer reads them a block at a time (k-means' sample, assignment, one shard's members), so a
 * store on disk (./disk-rows) bounds the build's memory; the in-memory store is for small builds
 * and the dev server. No fs here.
 */

export interface RowStore {
  readonly dims: number;
  /** Rows held. */
  readonly rows: number;
  /** Appends rows (each `dims` long); returns the position of the first. */
  append(rows: readonly Float32Array[]): Promise<number>;
  /** Rows at `first` … `first + count - 1`, contiguous (count × dims). */
  read(first: number, count: number): Promise<Float32Array>;
  /** Frees what it holds (removes its file). */
  close(): Promise<void>;
}

/** Rows per read when a caller gathers scattered positions (bounds what one gather holds besides its result). */
export const DEFAULT_ROW_BLOCK = 4096;

/**
 * Bytes of unwanted rows a gather reads through rather than start another read: about what one
 * read call costs. Reading through every gap instead made a build's shard writing quadratic (each
 * of √n shards read blocks spanning the whole store to pick out its n/√n rows).
 */
const GAP_BYTES = 64 * 1024;

/**
 * The rows at `positions` (in that order), contiguous. Read in position order, one span of at most
 * `block` rows per read, a new read past a gap wider than GAP_BYTES, so rows stored in another
 * order than they are asked for (a rebuild stores them in the previous index's shard order) cost a
 * few large reads, and rows scattered over the store (a shard's members) cost no more than their bytes.
 */
export async function gatherRows(store: RowStore, positions: ArrayLike<number>, block = DEFAULT_ROW_BLOCK): Promise<Float32Array> {
  const { dims } = store;
  const out = new Float32Array(positions.length * dims);
  const order = Int32Array.from({ length: positions.length }, (_, i) => i).sort((a, b) => positions[a]! - positions[b]!);
  const maxGap = Math.max(1, Math.floor(GAP_BYTES / (dims * Float32Array.BYTES_PER_ELEMENT)));
  for (let i = 0; i < order.length; ) {
    const start = positions[order[i]!]!;
    let j = i + 1;
    while (j < order.length && positions[order[j]!]! < start + block && positions[order[j]!]! - positions[order[j - 1]!]! <= maxGap) j++;
    const span = positions[order[j - 1]!]! - start + 1;
    const rows = await store.read(start, span);
    for (let m = i; m < j; m++) {
      const at = (positions[order[m]!]! - start) * dims;
      out.set(rows.subarray(at, at + dims), order[m]! * dims);
    }
    i = j;
  }
  return out;
}

/** Rows in one growing array (doubling): every row in RAM. */
export class MemoryRowStore implements RowStore {
  private data: Float32Array;
  private count = 0;

  constructor(readonly dims: number) {
    this.data = new Float32Array(dims * 64);
  }

  get rows(): number {
    return this.count;
  }

  async append(rows: readonly Float32Array[]): Promise<number> {
    const first = this.count;
    const needed = (this.count + rows.length) * this.dims;
    if (needed > this.data.length) {
      const grown = new Float32Array(Math.max(needed, this.data.length * 2));
      grown.set(this.data.subarray(0, this.count * this.dims));
      this.data = grown;
    }
    for (const row of rows) this.data.set(row, this.count++ * this.dims);
    return first;
  }

  async read(first: number, count: number): Promise<Float32Array> {
    return this.data.slice(first * this.dims, (first + count) * this.dims);
  }

  async close(): Promise<void> {
    this.data = new Float32Array(0);
    this.count = 0;
  }
}
