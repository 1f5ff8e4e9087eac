/**
 * What the reranker needs from a causal language model, and its loader: any transformers.js
 * causal LM (AutoModelForCausalLM: GPT-2, GPT-Neo, ...) whose ONNX export has a `logits` output.
 * Source resolution, devices and errors are src/embed/model.ts's `loadPretrained`.
 */
import { AutoModelForCausalLM, Tensor } from '@huggingface/transformers';
import type { PaddedBatch } from '../embed/batch';
import { int64, loadPretrained } from '../embed/model';
import type { LoadOptions } from '../embed/types';
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
  /**
   * fp32 logits of a right-padded batch, flat [rows, kept, vocab]: the last `kept` positions.
   * A model with a `num_logits_to_keep` input computes only the last `keep` (fewer vocabulary
   * projections: most of a small LM's cost); others return every position (kept = seqLen).
   */
  logits(batch: PaddedBatch, keep?: number): Promise<{ logits: Float32Array; vocab: number; kept: number }>;
  dispose(): Promise<void>;
}

interface LmModel {
  sessions: Record<string, { inputNames: string[]; outputNames: string[] }>;
  (inputs: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  dispose(): Promise<unknown>;
}

const GPT2_END_OF_TEXT = 50256;

export async function loadCausalLm(source: string, opts: LoadOptions = {}): Promise<CausalLm> {
  const modelClass = AutoModelForCausalLM as unknown as Parameters<typeof loadPretrained<LmModel>>[0];
  const { model, tokenizer, config, backend, modelId } = await loadPretrained(modelClass, source, opts);
  const fail = async (message: string): Promise<never> => {
    await model.dispose();
    throw new SgptError('MODEL_INVALID', message);
  };
  const outputs = model.sessions.model?.outputNames ?? [];
  const canKeep = model.sessions.model?.inputNames.includes('num_logits_to_keep') ?? false;
  if (!outputs.includes('logits')) {
    await fail(`onnx/model.onnx of "${modelId}" has outputs [${outputs.join(', ')}] but no logits: reranking needs a causal LM export (GPT2LMHeadModel / GPTNeoForCausalLM)`);
  }
  const positions = config.n_positions ?? config.max_position_embeddings;
  if (typeof positions !== 'number' || !Number.isInteger(positions) || positions < 2) {
    await fail(`config.json of "${modelId}" states no position limit (n_positions or max_position_embeddings)`);
  }
  const sgpt = config.sgpt as { pad_token_id?: unknown } | undefined;
  const pad = sgpt?.pad_token_id ?? config.eos_token_id;
  return {
    modelId,
    backend,
    maxPositions: positions as number,
    // Padding is never read (right padding, causal attention); any in-vocabulary id works.
    padTokenId: typeof pad === 'number' ? pad : GPT2_END_OF_TEXT,
    tokenize: (text) => tokenizer.encode(text, { add_special_tokens: false }),
    async logits(batch, keep) {
      const shape = [batch.rows, batch.seqLen];
      const inputs: Record<string, Tensor> = { input_ids: int64(batch.inputIds, shape), attention_mask: int64(batch.attentionMask, shape) };
      const wanted = canKeep && keep !== undefined && keep > 0 && keep < batch.seqLen ? keep : batch.seqLen;
      // transformers.js passes 0 (= all positions) unless the input is given.
      if (canKeep) inputs.num_logits_to_keep = new Tensor('int64', BigInt64Array.of(BigInt(wanted)), []);
      const out = await model(inputs);
      try {
        const logits = out.logits!;
        const [rows, kept, vocab] = logits.dims;
        if (rows !== batch.rows || kept !== wanted || vocab === undefined) {
          throw new SgptError('MODEL_INVALID', `logits of "${modelId}" have shape [${logits.dims.join(', ')}], expected [${batch.rows}, ${wanted}, vocab]`);
        }
        const data = logits.type === 'float32' ? logits.data : logits.to('float32').data;
        return { logits: data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>), vocab, kept };
      } finally {
        // GPU-backed outputs (WebGPU) hold device memory until disposed; present.* too.
        for (const tensor of Object.values(out)) if (tensor.location !== 'cpu') tensor.dispose();
      }
    },
    async dispose() {
      await model.dispose();
    },
  };
}
