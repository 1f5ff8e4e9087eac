/**
 * SGPT weighted-mean pooling: the i-th real token of a row gets weight i (cumsum of the mask),
 * so later tokens, which have seen more of the text, count more; then L2 normalisation so that
 * a dot product is the cosine similarity. cumsum(mask) equals the reference's arange(1..S) * mask
 * under right padding and stays right if anything pads on the left.
 */
import { SgptError } from '../errors';

/**
 * @param hidden last_hidden_state, [batch, seqLen, dims] flattened row-major
 * @param mask attention mask, [batch, seqLen] (1 = token, 0 = padding)
 * @returns [batch, dims] L2-normalised rows
 */
export function weightedMeanPool(
  hidden: Float32Array,
  mask: ArrayLike<number>,
  batch: number,
  seqLen: number,
  dims: number,
): Float32Array {
  if (hidden.length !== batch * seqLen * dims || mask.length !== batch * seqLen) {
    throw new SgptError(
      'INTERNAL',
      `pooling shapes disagree: hidden has ${hidden.length} values and mask ${mask.length} for [${batch}, ${seqLen}, ${dims}]`,
    );
  }
  const out = new Float32Array(batch * dims);
  // Accumulate in float64: a 300-token row sums weights up to 45150.
  const sum = new Float64Array(dims);
  for (let b = 0; b < batch; b++) {
    sum.fill(0);
    let weight = 0;
    let weightTotal = 0;
    for (let t = 0; t < seqLen; t++) {
      if (!mask[b * seqLen + t]) continue;
      weight += 1;
      weightTotal += weight;
      const offset = (b * seqLen + t) * dims;
      for (let d = 0; d < dims; d++) sum[d]! += weight * hidden[offset + d]!;
    }
    if (weightTotal === 0) throw new SgptError('INPUT_INVALID', `row ${b} has no tokens to pool`);
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      sum[d]! /= weightTotal;
      norm += sum[d]! * sum[d]!;
    }
    norm = Math.sqrt(norm);
    if (norm === 0) throw new SgptError('INTERNAL', `row ${b} pooled to the zero vector; it cannot be normalised`);
    for (let d = 0; d < dims; d++) out[b * dims + d] = sum[d]! / norm;
  }
  return out;
}
