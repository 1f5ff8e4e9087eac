// model/quantize.py writes a quantised embedding table gather-first: the lookup gathers the stored
// rows (codes, scales, exact columns) and dequantises only them. The same rows come out as from
// the folded table, bit for bit (fixtures by model/build_tiny.py), and onnxruntime never builds
// the fp32 table at session start (sgpt-nano: it would be 39 256 × 384 floats, 60 MB).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIXTURES = 'test/fixtures/models/quantized-table';
const NANO = 'public/models/sgpt-nano/onnx/model.onnx';
/** sgpt-nano's token table as float32: 39,256 rows × 384. */
const TABLE_FP32_BYTES = 39_256 * 384 * 4;

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sgpt-lookup-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function rows(file: string, ids: number[][]): Promise<Float32Array> {
  const session = await InferenceSession.create(file, { intraOpNumThreads: 1 });
  try {
    const input = new Tensor('int64', BigInt64Array.from(ids.flat().map(BigInt)), [ids.length, ids[0]!.length]);
    const out = await session.run({ input_ids: input });
    return out.rows!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Bytes of the graph onnxruntime keeps after its start-up optimisations (constant folding included). */
async function optimisedBytes(file: string): Promise<number> {
  const out = join(scratch, `${Math.random().toString(36).slice(2)}.onnx`);
  const session = await InferenceSession.create(file, { intraOpNumThreads: 1, graphOptimizationLevel: 'basic', optimizedModelFilePath: out });
  await session.release();
  return (await stat(out)).size;
}

describe.each(['int8', 'int4'])('a %s table', (bits) => {
  const [folded, gathered] = [join(FIXTURES, `${bits}-folded.onnx`), join(FIXTURES, `${bits}-gathered.onnx`)];

  it('looked up gather-first gives the folded table rows, bit for bit (repeats, row 0 and the last row included)', async () => {
    const ids = [
      [5, 0, 63, 3],
      [3, 3, 1, 62],
    ];
    const [expected, actual] = [await rows(folded, ids), await rows(gathered, ids)];
    expect(actual).toHaveLength(2 * 4 * 16);
    expect(actual).toEqual(expected);
    // Not a degenerate table: the rows differ.
    expect(actual.subarray(0, 16)).not.toEqual(actual.subarray(16, 32));
  });

  it('is not folded to fp32 at session start, where the folded form is', async () => {
    // The folded form's optimised graph holds the fp32 table (64 × 16 × 4 bytes); the gathered one
    // keeps only the stored codes, smaller than that.
    const fp32Table = 64 * 16 * 4;
    expect(await optimisedBytes(folded)).toBeGreaterThan(fp32Table);
    expect(await optimisedBytes(gathered)).toBeLessThan(fp32Table);
  });
});

it('a 4-bit table keeps each row to its levels (model/build_tiny.py: 7, from row 32 on 3, from 48 on 1)', async () => {
  // Groups of 8 weights share a scale; column 3 is exact. A row quantised to -L..L holds at most
  // 2L + 1 distinct values per group.
  const ids = [Array.from({ length: 64 }, (_, i) => i)];
  const table = await rows(join(FIXTURES, 'int4-gathered.onnx'), ids);
  const distinct = (row: number) =>
    Math.max(...[0, 8].map((start) => new Set([...table.subarray(row * 16 + start, row * 16 + start + 8)].filter((_, j) => start + j !== 3)).size));
  const most = (from: number, to: number) => Math.max(...Array.from({ length: to - from }, (_, i) => distinct(from + i)));
  expect(most(48, 64)).toBe(3);
  expect(most(32, 48)).toBeGreaterThan(3);
  expect(most(32, 48)).toBeLessThanOrEqual(7);
  expect(most(0, 32)).toBeGreaterThan(7);
});

it('sgpt-nano keeps its 4-bit table at session start (a folded table would add 60 MB)', async () => {
  const size = (await stat(NANO)).size;
  // Live transformer layers fold their own 4-bit weights to float32 (a 384-wide layer: ~7 MB);
  // half the folded table is far above that and far below what folding the table would add.
  expect((await optimisedBytes(NANO)) - size).toBeLessThan(TABLE_FP32_BYTES / 2);
});
