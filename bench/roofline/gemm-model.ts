/**
 * A plain MatMul ONNX graph, encoded in memory (no onnx package): Y[m, n] = A[m, k] · B[k, n] with
 * symbolic m, and B a float32 initializer, the way the model's weights are. The bench runs it
 * through onnxruntime (Node, and onnxruntime-web in Chromium) at the model's shapes to find the
 * machine's matmul rate (the roofline). Field numbers are onnx.proto's.
 */
import { bytesField, concat, stringField, varintField } from './onnx-proto';

const FLOAT = 1; // onnx TensorProto.DataType.FLOAT
const INT8 = 3;

/** TypeProto of a float tensor; a dim is a number (fixed) or a string (symbolic). */
function floatTensorType(dims: Array<number | string>): Uint8Array {
  const shape = concat(dims.map((d) => bytesField(1, typeof d === 'number' ? varintField(1, d) : stringField(2, d))));
  return bytesField(1, concat([varintField(1, FLOAT), bytesField(2, shape)]));
}

function valueInfo(name: string, dims: Array<number | string>): Uint8Array {
  return concat([stringField(1, name), bytesField(2, floatTensorType(dims))]);
}

function initializer(name: string, type: number, dims: number[], data: ArrayBufferView): Uint8Array {
  return concat([...dims.map((d) => varintField(1, d)), varintField(2, type), stringField(8, name), bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))]);
}

/**
 * ONNX model bytes: input A [m, k], initializer B [k, n] (deterministic values), output Y [m, n].
 * `int8`: B stored int8 with per-column scales and multiplied by onnxruntime's
 * DynamicQuantizeMatMul (A quantised to 8 bits per call), the int8 kernel a runtime could use.
 */
export function gemmModel(k: number, n: number, { int8 = false }: { int8?: boolean } = {}): Uint8Array {
  const value = (i: number) => ((i * 7919) % 997) / 997 - 0.5;
  const inits = int8
    ? [
        initializer('B', INT8, [k, n], Int8Array.from({ length: k * n }, (_, i) => Math.round(value(i) * 254))),
        initializer('scale', FLOAT, [n], new Float32Array(n).fill(1 / 254)),
      ]
    : [initializer('B', FLOAT, [k, n], Float32Array.from({ length: k * n }, (_, i) => value(i)))];
  const node = int8
    ? concat([stringField(1, 'A'), stringField(1, 'B'), stringField(1, 'scale'), stringField(2, 'Y'), stringField(4, 'DynamicQuantizeMatMul'), stringField(7, 'com.microsoft')])
    : concat([stringField(1, 'A'), stringField(1, 'B'), stringField(2, 'Y'), stringField(4, 'MatMul')]);
  const graph = concat([
    bytesField(1, node),
    stringField(2, 'gemm'),
    ...inits.map((init) => bytesField(5, init)),
    bytesField(11, valueInfo('A', ['m', k])),
    bytesField(12, valueInfo('Y', ['m', n])),
  ]);
  const opsets = [concat([stringField(1, ''), varintField(2, 13)]), ...(int8 ? [concat([stringField(1, 'com.microsoft'), varintField(2, 1)])] : [])];
  return concat([varintField(1, 8), ...opsets.map((opset) => bytesField(8, opset)), bytesField(7, graph)]);
}
