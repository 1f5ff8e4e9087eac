// Loads the exported model with transformers.js (AutoModel, onnxruntime-node) and compares SGPT
// pooled embeddings with the torch fp32 ones in build/export-check.json (cosine per text).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AutoModel, Tensor, env } from '@huggingface/transformers';

const check = JSON.parse(readFileSync(process.argv[3] ?? new URL('./build/export-check.json', import.meta.url), 'utf8'));
const dir = resolve(process.argv[2] ?? check.model);
env.allowLocalModels = true;
env.allowRemoteModels = false;
const model = await AutoModel.from_pretrained(dir, { local_files_only: true });
const n = Math.max(...check.ids.map((s) => s.length));
const ids = new BigInt64Array(check.ids.length * n).fill(50256n);
const mask = new BigInt64Array(check.ids.length * n);
check.ids.forEach((s, i) => s.forEach((t, j) => { ids[i * n + j] = BigInt(t); mask[i * n + j] = 1n; }));
const out = await model({ input_ids: new Tensor('int64', ids, [check.ids.length, n]),
  attention_mask: new Tensor('int64', mask, [check.ids.length, n]) });
const h = out.last_hidden_state;
const d = h.dims[2];
let worst = 1;
check.ids.forEach((s, i) => {
  const v = new Float64Array(d);
  let wsum = 0;
  for (let j = 0; j < s.length; j++) {
    for (let k = 0; k < d; k++) v[k] += (j + 1) * h.data[(i * n + j) * d + k];
    wsum += j + 1;
  }
  let dot = 0, nv = 0, nr = 0;
  for (let k = 0; k < d; k++) { const x = v[k] / wsum; dot += x * check.pooled[i][k]; nv += x * x; nr += check.pooled[i][k] ** 2; }
  worst = Math.min(worst, dot / Math.sqrt(nv * nr));
});
console.log(JSON.stringify({ dims: h.dims, worstCosineVsTorchFp32: worst }));
if (worst < 0.99) process.exit(1);
