/**
 * What the reranker needs from a causal language model, and the adapter from a transformers.js
 * causal LM (AutoModelForCausalLM: GPT-2, GPT-Neo, ... exported with a `logits` output).
 */
import { AutoModelForCausalLM, AutoTokenizer, env, Tensor, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { PaddedBatch } from '../embed/batch';
import { SgptError } from '../errors';

export interface CausalLm {
  readonly modelId: string;
  /** The backend that actually runs the model ('cpu', 'wasm', 'webgpu'). */
  readonly backend: string;
  /** Positions the model can attend over (config n_positions / max_position_embeddings). */
  readonly maxPositions: number;
  readonly padTokenId: number;
  /** Bare BPE ids: no BOS/EOS added. */
  tokenize(text: string): number[];
  /** fp32 logits, flat [rows, seqLen, vocab], for a right-padded batch. */
  logits(batch: PaddedBatch): Promise<{ logits: Float32Array; vocab: number }>;
  dispose(): Promise<void>;
}

/** Causal-LM classes' logits-producing forward, as transformers.js exposes it. */
interface LmModel {
  config: Record<string, unknown>;
  (inputs: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  dispose(): Promise<unknown>;
}

function int64(data: ArrayLike<number>, dims: number[]): Tensor {
  const out = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = BigInt(data[i]!);
  return new Tensor('int64', out, dims);
}

/** Wrap a loaded transformers.js causal LM and its tokenizer. */
export function wrapCausalLm(model: LmModel, tokenizer: PreTrainedTokenizer, modelId: string, backend: string): CausalLm {
  const config = model.config;
  const positions = config.n_positions ?? config.max_position_embeddings;
  if (typeof positions !== 'number' || !Number.isInteger(positions) || positions < 2) {
    throw new SgptError('MODEL_INVALID', `${modelId}: config.json states no position limit (n_positions or max_position_embeddings)`);
  }
  const sgpt = config.sgpt as { pad_token_id?: unknown } | undefined;
  const pad = sgpt?.pad_token_id ?? config.eos_token_id ?? 50256;
  return {
    modelId,
    backend,
    maxPositions: positions,
    padTokenId: typeof pad === 'number' ? pad : 50256,
    tokenize: (text) => tokenizer.encode(text, { add_special_tokens: false }),
    async logits(batch) {
      const dims = [batch.rows, batch.seqLen];
      const out = await model({ input_ids: int64(batch.inputIds, dims), attention_mask: int64(batch.attentionMask, dims) });
      const logits = out.logits;
      if (logits === undefined || logits.dims.length !== 3 || !(logits.data instanceof Float32Array)) {
        throw new SgptError('MODEL_INVALID', `${modelId} has no fp32 "logits" output: rerank needs a causal LM (…LMHeadModel / …ForCausalLM export)`);
      }
      return { logits: logits.data, vocab: logits.dims[2]! };
    },
    dispose: async () => {
      await model.dispose();
    },
  };
}

/** Load a causal LM from a local folder (Node). Browser and hub sources go through src/embed/model.ts. */
export async function loadCausalLm(path: string): Promise<CausalLm> {
  env.allowRemoteModels = false;
  env.localModelPath = '';
  const [model, tokenizer] = await Promise.all([
    AutoModelForCausalLM.from_pretrained(path, { dtype: 'fp32', device: 'cpu' }),
    AutoTokenizer.from_pretrained(path),
  ]);
  return wrapCausalLm(model as unknown as LmModel, tokenizer, path, 'cpu');
}
