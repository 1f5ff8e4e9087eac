/**
 * SGPT-CE score from a causal LM's logits: the sum of log P(query token | everything before it),
 * no length normalisation (closer to 0 = better; comparable only across documents for one query).
 */
import { SgptError } from '../errors';

/** One batch row: its real (unpadded) input length and the query tokens it predicts at its end. */
export interface ScoredRow {
  length: number;
  query: readonly number[];
}

/** log_softmax(logits[offset .. offset + vocab))[token], via a max-shifted log-sum-exp. */
export function logProb(logits: Float32Array, offset: number, vocab: number, token: number): number {
  let max = -Infinity;
  for (let v = offset; v < offset + vocab; v++) {
    const x = logits[v]!;
    if (x > max) max = x;
  }
  let sum = 0;
  for (let v = offset; v < offset + vocab; v++) sum += Math.exp(logits[v]! - max);
  return logits[offset + token]! - max - Math.log(sum);
}

/**
 * Scores for every row of fp32 logits laid out flat as [rows, kept, vocab]: the logits of the
 * last `kept` of `seqLen` padded positions (kept = seqLen when the model returns them all).
 * Position p predicts token p + 1, so row b's query token j is read at position
 * length - query.length + j; padding after `length` is never read. Arithmetic is float64 on the
 * fp32 logits (at least as exact as the reference's fp32 log_softmax).
 */
export function scoreRows(
  logits: Float32Array,
  seqLen: number,
  vocab: number,
  rows: readonly ScoredRow[],
  kept: number = seqLen,
): number[] {
  if (logits.length !== rows.length * kept * vocab) {
    throw new SgptError('INTERNAL', `logits hold ${logits.length} values, expected ${rows.length}x${kept}x${vocab}`);
  }
  const first = seqLen - kept; // padded position of logits row 0
  return rows.map((row, b) => {
    const { length, query } = row;
    if (length > seqLen || query.length < 1 || query.length > length || length - query.length < first) {
      throw new SgptError('INTERNAL', `row ${b}: ${query.length} query tokens do not fit its length ${length} (sequence ${seqLen}, last ${kept} kept)`);
    }
    let score = 0;
    query.forEach((token, j) => {
      if (!Number.isInteger(token) || token < 0 || token >= vocab) {
        throw new SgptError('INTERNAL', `row ${b}: token id ${token} is outside the vocabulary of ${vocab}`);
      }
      const position = length - query.length + j - first;
      score += logProb(logits, (b * kept + position) * vocab, vocab, token);
    });
    return score;
  });
}

/** Logit positions a batch needs: from the earliest query position of any row to the end. */
export function positionsToKeep(seqLen: number, rows: readonly ScoredRow[]): number {
  return rows.reduce((keep, row) => Math.max(keep, seqLen - row.length + row.query.length), 0);
}

/** Candidate indices best first: higher score, then lower index (deterministic ties). */
export function orderByScore(scores: readonly number[]): number[] {
  return scores.map((_, index) => index).sort((a, b) => scores[b]! - scores[a]! || a - b);
}
