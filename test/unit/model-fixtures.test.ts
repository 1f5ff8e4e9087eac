// Every model built by model/build_tiny.py must load with transformers.js in Node, give the
// documented output, and keep real tokens blind to right padding (the exported causal mask).
import { AutoModel, AutoModelForCausalLM, Tensor, env } from '@huggingface/transformers';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

interface Case {
  dir: string;
  output: 'last_hidden_state' | 'logits';
  width: number;
  inputs: string[];
}

const fixture = (name: string, output: Case['output'], inputs: string[]): Case => ({
  dir: `test/fixtures/models/${name}`,
  output,
  width: output === 'logits' ? 50257 : 8,
  inputs,
});
const PAST = ['past_key_values.0.key', 'past_key_values.0.value', 'past_key_values.1.key', 'past_key_values.1.value'];

const CASES: Case[] = [
  { dir: 'test/fixtures/models/tiny-gpt2', output: 'last_hidden_state', width: 64, inputs: [] },
  fixture('gpt2-plain', 'last_hidden_state', []),
  fixture('gpt2-position-ids', 'last_hidden_state', ['position_ids']),
  fixture('gpt2-with-past', 'last_hidden_state', PAST),
  fixture('gpt-neo', 'last_hidden_state', []),
  fixture('gpt2-lm', 'logits', PAST),
];

const ids = (rows: number[][]) =>
  new Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]?.length ?? 0]);

describe.each(CASES)('$dir', ({ dir, output, width, inputs }) => {
  it(`loads and returns ${output}; real tokens ignore right padding`, async () => {
    env.allowLocalModels = true;
    env.allowRemoteModels = false;
    env.localModelPath = path.resolve(path.dirname(dir)) + path.sep;
    const Loader = output === 'logits' ? AutoModelForCausalLM : AutoModel;
    const model = await Loader.from_pretrained(path.basename(dir), { device: 'cpu' });
    try {
      expect(model.sessions.model?.inputNames).toEqual(['input_ids', 'attention_mask', ...inputs]);
      const text = [15496, 995, 11, 428, 318];
      const padded = await model({
        input_ids: ids([text, [15496, 995, 50256, 50256, 50256]]),
        attention_mask: ids([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]),
      });
      const alone = await model({ input_ids: ids([[15496, 995]]), attention_mask: ids([[1, 1]]) });
      const y = padded[output] as Tensor;
      expect(y.dims).toEqual([2, 5, width]);
      const row1 = (y.data as Float32Array).subarray(5 * width, 7 * width);
      const ref = (alone[output] as Tensor).data as Float32Array;
      const maxDiff = Math.max(...Array.from(ref, (v, i) => Math.abs(v - (row1[i] ?? NaN))));
      expect(maxDiff).toBeLessThan(1e-5);
    } finally {
      await model.dispose();
    }
  });
});

it('the tied LM head stores the embedding once', () => {
  const size = (name: string) => statSync(`test/fixtures/models/${name}/onnx/model.onnx`).size;
  // A second 50257 x 8 float32 copy would add 1.6 MB.
  expect(size('gpt2-lm') - size('gpt2-with-past')).toBeLessThan(100_000);
});
