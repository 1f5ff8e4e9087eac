/**
 * FLOPs of a GPT-2-shaped decoder per token, counted as the matmuls do them (2 per multiply-add),
 * for the roofline rows of `npm run bench -- throughput`.
 *
 * Per layer and token: the four weight matmuls (qkv d×3d, attention out d×d, MLP d×4d and 4d×d:
 * 12 d² multiply-adds) and the attention scores and mix (q·k and a·v over the L positions of the
 * sequence: 2 L d). Layer norms, softmax and GELU are elementwise and left out; so is padding:
 * only real tokens count, so wasted padding lowers the measured fraction of peak.
 */
export interface DecoderShape {
  layers: number;
  dims: number;
}

/** The weight matmuls' [k, n] shapes, one layer: what the GEMM peak is measured on. */
export function layerGemms({ dims }: DecoderShape): Array<[number, number]> {
  return [
    [dims, 3 * dims],
    [dims, dims],
    [dims, 4 * dims],
    [4 * dims, dims],
  ];
}

/** FLOPs of one sequence of `length` tokens (every token attends to the whole padded row, as the graph computes it). */
export function sequenceFlops({ layers, dims }: DecoderShape, length: number): number {
  return layers * length * (2 * 12 * dims * dims + 2 * 2 * length * dims);
}

export function decoderShape(config: Record<string, unknown>): DecoderShape {
  const layers = config.n_layer ?? config.num_layers ?? config.num_hidden_layers;
  const dims = config.n_embd ?? config.hidden_size;
  if (typeof layers !== 'number' || typeof dims !== 'number') throw new Error('config.json states no layer count or hidden size');
  return { layers, dims };
}
