/**
 * A plain MatMul ONNX graph, encoded in memory (no onnx package): Y[m, n] = A[m, k] · B[k, n] with
 * symbolic m, and B a float32 initializer, the way the model's weights are. The bench runs it
 * through onnxruntime (Node, and onnxruntime-web in Chromium) at the model's shapes to find the
 * machine's matmul rate (the roofline). Field numbers are onnx.proto's.
 */
import { bytesField, concat, stringField, varintField } from '../../src/embed/onnx-proto';

const FLOAT = 1; // onnx TensorProto.DataType.FLOAT

/** TypeProto of a float tensor; a dim is a number (fixed) or a string (symbolic). */
function floatTensorType(dims: Array<number | string>): Uint8Array {
  const shape = concat(dims.map((d) => bytesField(1, typeof d === 'number' ? varintField(1, d) : stringField(2, d))));
  return bytesField(1, concat([varintField(1, FLOAT), bytesField(2, shape)]));
}

function valueInfo(name: string, dims: Array<number | string>): Uint8Array {
  return concat([stringField(1, name), bytesField(2, floatTensorType(dims))]);
}

/** ONNX model bytes: input A [m, k], initializer B [k, n] (deterministic values), output Y [m, n]. */
export function gemmModel(k: number, n: number): Uint8Array {
  const weights = new Float32Array(k * n);
  for (let i = 0; i < weights.length; i++) weights[i] = ((i * 7919) % 997) / 997 - 0.5;
  const initializer = concat([varintField(1, k), varintField(1, n), varintField(2, FLOAT), stringField(8, 'B'), bytesField(9, new Uint8Array(weights.buffer))]);
  const node = concat([stringField(1, 'A'), stringField(1, 'B'), stringField(2, 'Y'), stringField(4, 'MatMul')]);
  const graph = concat([
    bytesField(1, node),
    stringField(2, 'gemm'),
    bytesField(5, initializer),
    bytesField(11, valueInfo('A', ['m', k])),
    bytesField(12, valueInfo('Y', ['m', n])),
  ]);
  const opset = concat([stringField(1, ''), varintField(2, 13)]);
  return concat([varintField(1, 8), bytesField(8, opset), bytesField(7, graph)]);
}
