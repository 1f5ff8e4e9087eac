/**
 * Exact cosine search over chunk vectors: one contiguous Float32Array of L2-normalised rows and
 * an owner per row (the document's index). A document scores as its best chunk. Documents can be
 * added, replaced or removed by id, so only changed documents need re-embedding.
 */
import { SgptError } from '../errors';
import { TopK } from './topk';

export type DocId = string | number;

export interface VectorHit {
  /** The document's index in the store (its position in `ids`). */
  doc: number;
  id: DocId;
  /** Cosine similarity of the best chunk. */
  score: number;
  /** Which of the document's rows (in row order) scored best, */
  chunk: number;
  /** of how many. */
  chunks: number;
}

export class VectorStore {
  private data: Float32Array;
  private owners: Int32Array;
  private used: number;
  private readonly docIds: DocId[];
  private readonly slots = new Map<DocId, number>();

  /**
   * @param vectors rows * dims, rows L2-normalised. The store takes both arrays over: set/remove write into them.
   * @param owner row -> document index in [0, ids.length)
   * @param ids document ids by index; default 0..max(owner)
   */
  constructor(vectors: Float32Array, owner: Int32Array, readonly dims: number, ids?: readonly DocId[]) {
    if (!Number.isInteger(dims) || dims < 1) throw new SgptError('INPUT_INVALID', `dims must be a positive integer, got ${dims}`);
    if (vectors.length !== owner.length * dims) {
      throw new SgptError('INPUT_INVALID', `${vectors.length} vector values do not make ${owner.length} rows of ${dims} dims`);
    }
    const docs = ids?.length ?? owner.reduce((max, o) => Math.max(max, o + 1), 0);
    const counts = new Int32Array(docs);
    for (const o of owner) {
      if (!(o >= 0 && o < docs)) throw new SgptError('INPUT_INVALID', `row owner ${o} is not a document index in [0, ${docs})`);
      counts[o]!++;
    }
    const empty = counts.indexOf(0);
    if (empty !== -1) throw new SgptError('INPUT_INVALID', `document ${ids?.[empty] ?? empty} has no vectors`);
    this.docIds = ids ? [...ids] : Array.from({ length: docs }, (_, i) => i);
    this.docIds.forEach((id, slot) => {
      if (this.slots.has(id)) throw new SgptError('INPUT_INVALID', `duplicate document id ${JSON.stringify(id)}`);
      this.slots.set(id, slot);
    });
    this.data = vectors;
    this.owners = owner;
    this.used = owner.length;
  }

  static empty(dims: number): VectorStore {
    return new VectorStore(new Float32Array(0), new Int32Array(0), dims, []);
  }

  /** Number of documents. */
  get size(): number {
    return this.docIds.length;
  }

  /** Number of chunk rows. */
  get rows(): number {
    return this.used;
  }

  get ids(): readonly DocId[] {
    return this.docIds;
  }

  /** The rows in use (a view, valid until the next change). */
  get vectors(): Float32Array {
    return this.data.subarray(0, this.used * this.dims);
  }

  get owner(): Int32Array {
    return this.owners.subarray(0, this.used);
  }

  has(id: DocId): boolean {
    return this.slots.has(id);
  }

  /** Add a document, or replace its rows if the id exists (it keeps its index). */
  set(id: DocId, rows: Float32Array): void {
    const count = rows.length / this.dims;
    if (!Number.isInteger(count) || count < 1) {
      throw new SgptError('INPUT_INVALID', `document ${JSON.stringify(id)}: ${rows.length} values are not one or more rows of ${this.dims} dims`);
    }
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.docIds.length;
      this.docIds.push(id);
      this.slots.set(id, slot);
    } else {
      this.compact(slot, false);
    }
    this.reserve(this.used + count);
    this.data.set(rows, this.used * this.dims);
    this.owners.fill(slot, this.used, this.used + count);
    this.used += count;
  }

  /** Remove a document; later documents move down one index. Returns whether it existed. */
  remove(id: DocId): boolean {
    const slot = this.slots.get(id);
    if (slot === undefined) return false;
    this.compact(slot, true);
    this.docIds.splice(slot, 1);
    this.slots.delete(id);
    for (let s = slot; s < this.docIds.length; s++) this.slots.set(this.docIds[s]!, s);
    return true;
  }

  /** The k best documents for an L2-normalised query, best first (ties: lower document index). */
  search(query: Float32Array, k: number): VectorHit[] {
    if (query.length !== this.dims) {
      throw new SgptError('INPUT_INVALID', `query has ${query.length} dims, the store holds ${this.dims}-dim vectors`);
    }
    const docs = this.docIds.length;
    const best = new Float64Array(docs).fill(-Infinity);
    const bestChunk = new Int32Array(docs);
    const seen = new Int32Array(docs);
    const { data, owners, dims } = this;
    for (let r = 0; r < this.used; r++) {
      let dot = 0;
      const base = r * dims;
      for (let d = 0; d < dims; d++) dot += data[base + d]! * query[d]!;
      const doc = owners[r]!;
      if (dot > best[doc]!) {
        best[doc] = dot;
        bestChunk[doc] = seen[doc]!;
      }
      seen[doc]!++;
    }
    const selector = new TopK(Math.min(k, docs));
    for (let doc = 0; doc < docs; doc++) selector.push(doc, best[doc]!);
    return selector.result().map(({ index, score }) => ({ doc: index, id: this.docIds[index]!, score, chunk: bestChunk[index]!, chunks: seen[index]! }));
  }

  /** Drop the rows of `slot`, keeping the others in order; with `renumber`, owners above it move down. */
  private compact(slot: number, renumber: boolean): void {
    const { data, owners, dims } = this;
    let write = 0;
    for (let read = 0; read < this.used; read++) {
      const o = owners[read]!;
      if (o === slot) continue;
      if (write !== read) data.copyWithin(write * dims, read * dims, (read + 1) * dims);
      owners[write] = renumber && o > slot ? o - 1 : o;
      write++;
    }
    this.used = write;
  }

  private reserve(rows: number): void {
    if (rows <= this.owners.length) return;
    const capacity = Math.max(rows, 2 * this.owners.length, 16);
    const data = new Float32Array(capacity * this.dims);
    data.set(this.data.subarray(0, this.used * this.dims));
    const owners = new Int32Array(capacity);
    owners.set(this.owners.subarray(0, this.used));
    this.data = data;
    this.owners = owners;
  }
}
