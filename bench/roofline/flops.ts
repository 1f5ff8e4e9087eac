/**
 * FLOPs of a GPT-2-shaped decoder per token, counted as the matmuls do them (2 per multiply-add),
 * for the roofline rows of `npm run bench -- throughput`.
 *
 * Per layer and token: the four weight matmuls (qkv d×3d, attention out d×d, MLP d×u and u×d with
 * u = 4d units: 12 d² multiply-adds) and the attention scores and mix (q·k and a·v over the L
 * positions of the sequence: 2 L d). Only what the graph computes counts: a branch the exporter
 * pruned (model/gpt2.py prune_dead_branches, recorded in the file's metadata) is left out, an MLP
 * cut to its live units counts those. Layer norms, softmax, GELU and the token lookup are
 * elementwise and left out; so is padding: only real tokens count, so wasted padding lowers the
 * measured fraction of peak.
 */
export interface DecoderShape {
  layers: number;
  dims: number;
  /** Per layer, what the graph computes; absent: every block whole. */
  live?: LiveBlock[];
}

export interface LiveBlock {
  attention: boolean;
  mlpUnits: number;
}

/**
 * Whether the graph's work is matmuls: some block computes attention or an MLP of at least `dims`
 * units. Then a GEMM at the layer's shapes is its ceiling; otherwise (a pruned graph: a lookup,
 * layer norms, a few units) the model's own graph is (graph-rate.ts).
 */
export function matmulBound(shape: DecoderShape): boolean {
  return blocks(shape).some((block) => block.attention || block.mlpUnits >= shape.dims);
}

/** The weight matmuls' [k, n] shapes, one whole layer: what the GEMM peak is measured on. */
export function layerGemms({ dims }: DecoderShape): Array<[number, number]> {
  return [
    [dims, 3 * dims],
    [dims, dims],
    [dims, 4 * dims],
    [4 * dims, dims],
  ];
}

function blocks({ layers, dims, live }: DecoderShape): LiveBlock[] {
  return live ?? Array.from({ length: layers }, () => ({ attention: true, mlpUnits: 4 * dims }));
}

/** FLOPs of one sequence of `length` tokens (every token attends to the whole padded row, as the graph computes it). */
export function sequenceFlops(shape: DecoderShape, length: number): number {
  const d = shape.dims;
  return blocks(shape).reduce((sum, block) => {
    const attention = block.attention ? 2 * 4 * d * d + 2 * 2 * length * d : 0;
    return sum + length * (attention + 2 * 2 * d * block.mlpUnits);
  }, 0);
}

export function decoderShape(config: Record<string, unknown>): DecoderShape {
  const layers = config.n_layer ?? config.num_layers ?? config.num_hidden_layers;
  const dims = config.n_embd ?? config.hidden_size;
  if (typeof layers !== 'number' || typeof dims !== 'number') throw new Error('config.json states no layer count or hidden size');
  return { layers, dims };
}
