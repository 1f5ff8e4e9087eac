// Loads the exported LM (int8 weights) and its fp32 twin with the project's reranker (transformers.js,
// onnxruntime-node) and checks them against torch fp32 (build/check.json, written by export.py):
// fp32 ONNX scores = torch scores; int8 logits cosine vs fp32 >= 0.999; int8 ranks like fp32.
//     npx tsx model/nano_lm/check.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { padBatch } from '../../src/embed/batch';
import { Reranker } from '../../src/rerank/reranker';

interface Case { query: string; documents: string[]; relevant: number; torch: number[] }
const build = new URL('./build/', import.meta.url);
const check = JSON.parse(readFileSync(new URL('check.json', build), 'utf8')) as
  { fp32: string; int8: string; cases: Case[] };
const fp32 = await Reranker.load(check.fp32);
const int8 = await Reranker.load(check.int8);

const order = (s: number[]) => s.map((_, i) => i).sort((a, b) => s[b]! - s[a]! || a - b);
const sameOrder = (a: number[], b: number[]) => order(a).join() === order(b).join();
let maxTorchDiff = 0, sameTorch = 0, sameInt8 = 0, rrFp32 = 0, rrInt8 = 0, minCosine = 1;
const ms: number[] = [];
for (const c of check.cases) {
  const a = await fp32.score(c.query, c.documents);
  const t0 = performance.now();
  const b = await int8.score(c.query, c.documents);
  ms.push(performance.now() - t0);
  a.forEach((x, i) => (maxTorchDiff = Math.max(maxTorchDiff, Math.abs(x - c.torch[i]!))));
  sameTorch += Number(sameOrder(a, c.torch));
  sameInt8 += Number(sameOrder(a, b));
  rrFp32 += 1 / (order(a).indexOf(c.relevant) + 1);
  rrInt8 += 1 / (order(b).indexOf(c.relevant) + 1);
  // all-position logits of the relevant pair: cosine per position, fp32 vs int8
  const ids = fp32.input(c.query, c.documents[c.relevant]!).ids;
  const batch = padBatch([ids], fp32.lm.padTokenId);
  const x = await fp32.lm.logits(batch, ids.length);
  const y = await int8.lm.logits(batch, ids.length);
  for (let p = 0; p < x.kept; p++) {
    let dot = 0, nx = 0, ny = 0;
    for (let v = p * x.vocab; v < (p + 1) * x.vocab; v++) {
      dot += x.logits[v]! * y.logits[v]!; nx += x.logits[v]! ** 2; ny += y.logits[v]! ** 2;
    }
    minCosine = Math.min(minCosine, dot / Math.sqrt(nx * ny));
  }
}
const n = check.cases.length;
ms.sort((a, b) => a - b);
const result = {
  cases: n, docsPerCase: check.cases[0]!.documents.length, backend: int8.lm.backend,
  maxAbsScoreDiffFp32OnnxVsTorch: maxTorchDiff, sameOrderFp32OnnxVsTorch: `${sameTorch}/${n}`,
  minLogitsCosineInt8VsFp32: minCosine, sameOrderInt8VsFp32: `${sameInt8}/${n}`,
  mrrOwnSectionFp32: rrFp32 / n, mrrOwnSectionInt8: rrInt8 / n, int8MedianMsPer10Docs: ms[n >> 1],
};
console.log(JSON.stringify(result, null, 1));
writeFileSync(new URL('check-result.json', build), JSON.stringify(result, null, 1));
await fp32.lm.dispose();
await int8.lm.dispose();
if (maxTorchDiff > 1e-2 || minCosine < 0.999) process.exit(1);
