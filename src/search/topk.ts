/**
 * The k best of n scores with a bounded min-heap (O(n log k), no sort of all n).
 * Order is deterministic: higher score first, then lower index.
 */
import { SgptError } from '../errors';

export interface Scored {
  index: number;
  score: number;
}

/** True when (scoreA, indexA) ranks below (scoreB, indexB). */
function worse(scoreA: number, indexA: number, scoreB: number, indexB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && indexA > indexB);
}

/** Streaming selector: push (index, score) pairs, then read the best k. The heap root is the worst kept entry. */
export class TopK {
  private readonly scores: Float64Array;
  private readonly indices: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 0) throw new SgptError('INPUT_INVALID', `k must be a non-negative integer, got ${k}`);
    this.scores = new Float64Array(k);
    this.indices = new Int32Array(k);
  }

  push(index: number, score: number): void {
    if (Number.isNaN(score)) throw new SgptError('INPUT_INVALID', `score for index ${index} is NaN`);
    if (this.size < this.k) {
      this.scores[this.size] = score;
      this.indices[this.size] = index;
      this.siftUp(this.size++);
    } else if (this.k > 0 && worse(this.scores[0]!, this.indices[0]!, score, index)) {
      this.scores[0] = score;
      this.indices[0] = index;
      this.siftDown(0);
    }
  }

  /** The kept entries, best first. */
  result(): Scored[] {
    const out: Scored[] = [];
    for (let i = 0; i < this.size; i++) out.push({ index: this.indices[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.index - b.index);
  }

  private swap(i: number, j: number): void {
    const score = this.scores[i]!;
    const index = this.indices[i]!;
    this.scores[i] = this.scores[j]!;
    this.indices[i] = this.indices[j]!;
    this.scores[j] = score;
    this.indices[j] = index;
  }

  private below(i: number, j: number): boolean {
    return worse(this.scores[i]!, this.indices[i]!, this.scores[j]!, this.indices[j]!);
  }

  private siftUp(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.below(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let lowest = i;
      if (left < this.size && this.below(left, lowest)) lowest = left;
      if (right < this.size && this.below(right, lowest)) lowest = right;
      if (lowest === i) return;
      this.swap(i, lowest);
      i = lowest;
    }
  }
}

/** The k best entries of `scores` (index = position), best first. */
export function topK(scores: ArrayLike<number>, k: number): Scored[] {
  const selector = new TopK(Math.min(k, scores.length));
  for (let i = 0; i < scores.length; i++) selector.push(i, scores[i]!);
  return selector.result();
}
