/**
 * Symmetric per-vector int8 quantisation: each row is stored as int8 codes q and one float32
 * scale s with v ≈ q * s, s = max|v| / 127. Pure math, no I/O.
 */

export interface Quantized {
  codes: Int8Array; // rows * dims
  scales: Float32Array; // rows
}

export function quantize(vectors: Float32Array, dims: number): Quantized {
  const rows = dims > 0 ? vectors.length / dims : 0;
  if (!Number.isInteger(rows)) throw new RangeError(`vector length ${vectors.length} is not a multiple of dims ${dims}`);
  const codes = new Int8Array(vectors.length);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    const base = r * dims;
    let max = 0;
    for (let d = 0; d < dims; d++) max = Math.max(max, Math.abs(vectors[base + d]!));
    const scale = max / 127;
    scales[r] = scale;
    if (scale === 0) continue;
    for (let d = 0; d < dims; d++) codes[base + d] = Math.round(vectors[base + d]! / scale);
  }
  return { codes, scales };
}

export function dequantize(q: Quantized, dims: number): Float32Array {
  const out = new Float32Array(q.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = q.codes[i]! * q.scales[Math.floor(i / dims)]!;
  return out;
}

/**
 * Dot products of one float32 query with every quantised row: out[r] = s_r * Σ q_rd x_d.
 * The rows were L2-normalised before quantisation, so this is (≈) their cosine with a unit query.
 */
export function dotAll(query: Float32Array, q: Quantized, dims: number, out = new Float32Array(q.scales.length)): Float32Array {
  const { codes, scales } = q;
  for (let r = 0; r < scales.length; r++) {
    const base = r * dims;
    let sum = 0;
    for (let d = 0; d < dims; d++) sum += codes[base + d]! * query[d]!;
    out[r] = sum * scales[r]!;
  }
  return out;
}

/**
 * Residual codes (index format 6): a shard's rows lie near its centroid c, so each row is stored
 * as its projection on c, a = coef / 127 (coef an int8), and its codes' differences (mod 256) from
 * the codes of a·c. Lossless: deflate finds the differences smaller than the codes (the Python docs'
 * vector files: 0.94 ×). `predictedCode` and `predictionFactor` are the one formula writer and reader share.
 */
export function predictedCode(factor: number, centroid: number): number {
  const code = Math.round(factor * centroid);
  return code > 127 ? 127 : code < -127 ? -127 : code;
}

/** A row's factor for predictedCode: a / scale, the centroid's codes at the row's scale (0 for an all-zero row). */
export function predictionFactor(coef: number, scale: number): number {
  return scale === 0 ? 0 : coef / 127 / scale;
}

/** A row's projection on the centroid as coef / 127 (any int8 decodes exactly; this one predicts best). */
export function projectionCoefficient(codes: Int8Array, base: number, scale: number, centroid: Float32Array): number {
  let dot = 0;
  let norm = 0;
  for (let d = 0; d < centroid.length; d++) {
    dot += codes[base + d]! * scale * centroid[d]!;
    norm += centroid[d]! * centroid[d]!;
  }
  const coef = norm === 0 ? 0 : Math.round((127 * dot) / norm);
  return coef > 127 ? 127 : coef < -127 ? -127 : coef;
}
