/**
 * The naive baseline for `npm run bench -- throughput`: what a user writes first. Load the
 * tokenizer and one onnxruntime-node session (default options), then for each document on stdin
 * (one per line), run each of its windows alone (batch of 1, no padding), pool, print the vector.
 * Same windows, brackets and pooling as `sgpt-search embed`, so both print the same vectors.
 *
 *   tsx bench/roofline/naive-embed.ts <model-folder> < texts.txt > vectors.jsonl
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { chunkTokens } from '../../src/embed/chunk';
import { weightedMeanPool } from '../../src/embed/pooling';
import { readSgptSettings } from '../../src/embed/sgpt-settings';
import { textBudget, wrapIds } from '../../src/embed/wrap';

const model = process.argv[2]!;
const settings = readSgptSettings(JSON.parse(readFileSync(join(model, 'config.json'), 'utf8')));
const tokenizer = await AutoTokenizer.from_pretrained(model);
const session = await InferenceSession.create(join(model, 'onnx', 'model.onnx'));
const lines = readFileSync(0, 'utf8').split('\n');
if (lines.at(-1) === '') lines.pop();
const out: string[] = [];
for (const text of lines) {
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  const vectors: number[][] = [];
  for (const chunk of chunkTokens(ids, textBudget(settings, 'document'))) {
    const seq = wrapIds(chunk, settings, 'document');
    const shape = [1, seq.length];
    const result = await session.run({
      input_ids: new Tensor('int64', BigInt64Array.from(seq, BigInt), shape),
      attention_mask: new Tensor('int64', new BigInt64Array(seq.length).fill(1n), shape),
    });
    const hidden = result.last_hidden_state!;
    const dims = hidden.dims[2]!;
    vectors.push(Array.from(weightedMeanPool(hidden.data as Float32Array, new Uint8Array(seq.length).fill(1), 1, seq.length, dims)));
  }
  out.push(JSON.stringify(vectors.length === 1 ? vectors[0] : vectors));
}
process.stdout.write(`${out.join('\n')}\n`);
