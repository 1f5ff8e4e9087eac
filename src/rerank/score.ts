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
 * Scores for every row of fp32 logits laid out flat as [rows, seqLen, vocab]. Position p predicts
 * token p + 1, so row b's query token j is read at position length - query.length + j; padding
 * after `length` is never read. Arithmetic is float64 on the fp32 logits (at least as exact as
 * the reference's fp32 log_softmax).
 */
export function scoreRows(logits: Float32Array, seqLen: number, vocab: number, rows: readonly ScoredRow[]): number[] {
  if (logits.length !== rows.length * seqLen * vocab) {
    throw new SgptError('INTERNAL', `logits hold ${logits.length} values, expected ${rows.length}x${seqLen}x${vocab}`);
  }
  return rows.map((row, b) => {
    const { length, query } = row;
    if (length > seqLen || query.length < 1 || query.length > length) {
      throw new SgptError('INTERNAL', `row ${b}: ${query.length} query tokens do not fit its length ${length} (sequence ${seqLen})`);
    }
    let score = 0;
    query.forEach((token, j) => {
      if (!Number.isInteger(token) || token < 0 || token >= vocab) {
        throw new SgptError('INTERNAL', `row ${b}: token id ${token} is outside the vocabulary of ${vocab}`);
      }
      const position = length - query.length + j;
      score += logProb(logits, (b * seqLen + position) * vocab, vocab, token);
    });
    return score;
  });
}

/** Candidate indices best first: higher score, then lower index (deterministic ties). */
export function orderByScore(scores: readonly number[]): number[] {
  return scores.map((_, index) => index).sort((a, b) => scores[b]! - scores[a]! || a - b);
}
