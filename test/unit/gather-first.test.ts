// Gather first, dequantise after (src/embed/gather-first): the rewritten graph computes the same
// values bit for bit, leaves anything it cannot prove row-wise alone, and drops the folded table.
import { readFileSync } from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { gatherFirst } from '../../src/embed/gather-first';
import { GRAPH_NODE, MODEL_GRAPH, bytesField, concat, readNode, scanFields, stringField, varintField } from '../../src/embed/onnx-proto';

const FLOAT = 1;
const INT8 = 3;
const INT64 = 7;

function tensor(name: string, dataType: number, dims: number[], data: ArrayBufferView): Uint8Array {
  return concat([...dims.map((d) => varintField(1, d)), varintField(2, dataType), stringField(8, name), bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))]);
}

function valueInfo(name: string, elemType: number, dims: Array<number | string>): Uint8Array {
  const shape = concat(dims.map((d) => bytesField(1, typeof d === 'number' ? varintField(1, d) : stringField(2, d))));
  return concat([stringField(1, name), bytesField(2, bytesField(1, concat([varintField(1, elemType), bytesField(2, shape)])))]);
}

function node(op: string, inputs: string[], outputs: string[], ints: Record<string, number> = {}): Uint8Array {
  const attributes = Object.entries(ints).map(([name, value]) => bytesField(5, concat([stringField(1, name), varintField(3, value), varintField(20, 2)])));
  return concat([...inputs.map((i) => stringField(1, i)), ...outputs.map((o) => stringField(2, o)), stringField(4, op), ...attributes]);
}

const ROWS = 6;
const DIMS = 4;

/** A quantised table as model/quantize.py writes it: Cast(int8) * per-row scale + exact column, gathered by `ids`; `extra` nodes and outputs added. */
function tableModel(extra: { nodes?: Uint8Array[]; outputs?: Uint8Array[]; table?: string } = {}): Uint8Array {
  const q = Int8Array.from({ length: ROWS * DIMS }, (_, i) => ((i * 37) % 255) - 127);
  const scale = Float32Array.from({ length: ROWS }, (_, i) => 0.01 * (i + 1));
  const exact = Float32Array.from({ length: ROWS }, (_, i) => 1.5 - i * 0.25);
  const selector = Float32Array.from({ length: DIMS }, (_, i) => (i === 2 ? 1 : 0));
  const nodes = [
    node('Cast', ['q'], ['q_float'], { to: FLOAT }),
    node('Mul', ['q_float', 'scale'], ['int8_part']),
    node('MatMul', ['exact', 'selector'], ['exact_part']),
    node('Add', ['int8_part', 'exact_part'], ['table']),
    ...(extra.nodes ?? []),
    node('Gather', [extra.table ?? 'table', 'ids'], ['y'], { axis: 0 }),
  ];
  const graph = concat([
    ...nodes.map((n) => bytesField(GRAPH_NODE, n)),
    stringField(2, 'table'),
    bytesField(5, tensor('q', INT8, [ROWS, DIMS], q)),
    bytesField(5, tensor('scale', FLOAT, [ROWS, 1], scale)),
    bytesField(5, tensor('exact', FLOAT, [ROWS, 1], exact)),
    bytesField(5, tensor('selector', FLOAT, [1, DIMS], selector)),
    bytesField(11, valueInfo('ids', INT64, ['b', 'l'])),
    bytesField(12, valueInfo('y', FLOAT, ['b', 'l', DIMS])),
    ...(extra.outputs ?? []).map((o) => bytesField(12, o)),
  ]);
  return concat([varintField(1, 8), bytesField(8, concat([stringField(1, ''), varintField(2, 17)])), bytesField(MODEL_GRAPH, graph)]);
}

function opTypes(model: Uint8Array): string[] {
  const graph = scanFields(model).find((f) => f.field === MODEL_GRAPH)!;
  return scanFields(graph.body).filter((f) => f.field === GRAPH_NODE).map((f) => readNode(f.body).opType);
}

async function run(model: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Float32Array>> {
  const session = await InferenceSession.create(model, { intraOpNumThreads: 1 });
  try {
    const out = await session.run(feeds);
    return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data as Float32Array]));
  } finally {
    await session.release();
  }
}

const ids = new Tensor('int64', BigInt64Array.from([5, 0, 3, 3, 1, 2], BigInt), [2, 3]);

describe('gatherFirst', () => {
  it('gathers the rows first and dequantises only them: the same values, bit for bit', async () => {
    const model = tableModel();
    const rewritten = gatherFirst(model);
    expect(rewritten).not.toBe(model);
    // The table itself is never built: every op runs on gathered rows.
    expect(opTypes(rewritten).filter((op) => op === 'Gather')).toHaveLength(3);
    expect(opTypes(rewritten).at(-1)).toBe('Add');
    const [before, after] = [await run(model, { ids }), await run(rewritten, { ids })];
    expect(after.y).toEqual(before.y);
  });

  it('leaves a table that something else reads, or one built by an op that mixes rows', () => {
    const shared = tableModel({ outputs: [valueInfo('table', FLOAT, [ROWS, DIMS])] });
    expect(gatherFirst(shared)).toBe(shared);
    const transposed = tableModel({ nodes: [node('Transpose', ['table'], ['table_t'], {}), node('Transpose', ['table_t'], ['table_tt'], {})], table: 'table_tt' });
    expect(gatherFirst(transposed)).toBe(transposed);
  });

  it('leaves a model without a computed table (fp32 weights) as it is', () => {
    const model = new Uint8Array(readFileSync('test/fixtures/models/tiny-gpt2/onnx/model.onnx'));
    expect(gatherFirst(model)).toBe(model);
  });

  it('gives sgpt-nano the same hidden states, padding included, without folding its 15 M-value table', async () => {
    const model = new Uint8Array(readFileSync('public/models/sgpt-nano/onnx/model.onnx'));
    const rewritten = gatherFirst(model);
    expect(rewritten).not.toBe(model);
    const [rows, length] = [3, 17];
    const tokens = BigInt64Array.from({ length: rows * length }, (_, i) => BigInt((i * 7919) % 50257));
    const mask = BigInt64Array.from({ length: rows * length }, (_, i) => (i % length < length - (i < length ? 0 : 4) ? 1n : 0n));
    const feeds = () => ({ input_ids: new Tensor('int64', tokens, [rows, length]), attention_mask: new Tensor('int64', mask, [rows, length]) });
    const [before, after] = [await run(model, feeds()), await run(rewritten, feeds())];
    expect(after.last_hidden_state).toEqual(before.last_hidden_state);
  });

  it('refuses bytes that are not protocol buffers with MODEL_INVALID', () => {
    expect(() => gatherFirst(new Uint8Array([0x0a, 0xff]))).toThrow(expect.objectContaining({ code: 'MODEL_INVALID' }));
  });
});
