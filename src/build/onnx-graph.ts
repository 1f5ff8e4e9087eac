/**
 * Small ONNX graphs encoded in memory (no onnx package): just enough of ONNX's protocol-buffer
 * encoding to write a MatMul. `matmulModel` is k-means' block scorer in a Node build
 * (./gemm-scorer); `gemmModel` is the bench's roofline graph at a model's weight shapes (Node, and
 * onnxruntime-web in Chromium). Field numbers are onnx.proto's. Pure: the browser bench runs it.
 */
import { concatArrays } from '../embed/concat';

const VARINT = 0;
const BYTES = 2;
const FLOAT = 1; // onnx TensorProto.DataType.FLOAT
const INT8 = 3;

function varintBytes(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

const utf8 = new TextEncoder();

const concat = (parts: readonly Uint8Array[]): Uint8Array => concatArrays(parts, Uint8Array);

/** A length-delimited field: tag, length, body. */
function bytesField(field: number, body: Uint8Array): Uint8Array {
  return concat([Uint8Array.from([...varintBytes(field * 8 + BYTES), ...varintBytes(body.length)]), body]);
}

function stringField(field: number, text: string): Uint8Array {
  return bytesField(field, utf8.encode(text));
}

/** A varint field (a non-negative integer below 2^53). */
function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varintBytes(field * 8 + VARINT), ...varintBytes(value)]);
}

/** TypeProto of a float tensor; a dim is a number (fixed) or a string (symbolic). */
function floatTensorType(dims: ReadonlyArray<number | string>): Uint8Array {
  const shape = concat(dims.map((d) => bytesField(1, typeof d === 'number' ? varintField(1, d) : stringField(2, d))));
  return bytesField(1, concat([varintField(1, FLOAT), bytesField(2, shape)]));
}

function valueInfo(name: string, dims: ReadonlyArray<number | string>): Uint8Array {
  return concat([stringField(1, name), bytesField(2, floatTensorType(dims))]);
}

function initializer(name: string, type: number, dims: number[], data: ArrayBufferView): Uint8Array {
  return concat([...dims.map((d) => varintField(1, d)), varintField(2, type), stringField(8, name), bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength))]);
}

interface Graph {
  node: Uint8Array;
  initializers: Uint8Array[];
  inputs: Uint8Array[];
  output: Uint8Array;
  /** Whether the node is in the com.microsoft domain (onnxruntime's contrib ops). */
  contrib?: boolean;
}

/** ModelProto bytes: IR version 8, opset 13. */
function modelBytes({ node, initializers, inputs, output, contrib = false }: Graph): Uint8Array {
  const graph = concat([bytesField(1, node), stringField(2, 'gemm'), ...initializers.map((init) => bytesField(5, init)), ...inputs.map((input) => bytesField(11, input)), bytesField(12, output)]);
  const opsets = [concat([stringField(1, ''), varintField(2, 13)]), ...(contrib ? [concat([stringField(1, 'com.microsoft'), varintField(2, 1)])] : [])];
  return concat([varintField(1, 8), ...opsets.map((opset) => bytesField(8, opset)), bytesField(7, graph)]);
}

/** NodeProto: inputs, output, op type (and domain). */
function node(inputs: string[], output: string, op: string, domain?: string): Uint8Array {
  return concat([...inputs.map((name) => stringField(1, name)), stringField(2, output), stringField(4, op), ...(domain === undefined ? [] : [stringField(7, domain)])]);
}

/** Y[m, n] = A[m, d] · B[d, n], every dimension symbolic: one session multiplies any shapes (k-means' rows by its centroids, transposed). */
export function matmulModel(): Uint8Array {
  return modelBytes({ node: node(['A', 'B'], 'Y', 'MatMul'), initializers: [], inputs: [valueInfo('A', ['m', 'd']), valueInfo('B', ['d', 'n'])], output: valueInfo('Y', ['m', 'n']) });
}

/**
 * The roofline's GEMM: input A [m, k], initializer B [k, n] (deterministic values, the way a
 * model's weights are), output Y [m, n]. `int8`: B stored int8 with per-column scales and
 * multiplied by onnxruntime's DynamicQuantizeMatMul (A quantised to 8 bits per call), the int8
 * kernel a runtime could use.
 */
export function gemmModel(k: number, n: number, { int8 = false }: { int8?: boolean } = {}): Uint8Array {
  const value = (i: number) => ((i * 7919) % 997) / 997 - 0.5;
  const initializers = int8
    ? [initializer('B', INT8, [k, n], Int8Array.from({ length: k * n }, (_, i) => Math.round(value(i) * 254))), initializer('scale', FLOAT, [n], new Float32Array(n).fill(1 / 254))]
    : [initializer('B', FLOAT, [k, n], Float32Array.from({ length: k * n }, (_, i) => value(i)))];
  return modelBytes({
    node: int8 ? node(['A', 'B', 'scale'], 'Y', 'DynamicQuantizeMatMul', 'com.microsoft') : node(['A', 'B'], 'Y', 'MatMul'),
    initializers,
    inputs: [valueInfo('A', ['m', k])],
    output: valueInfo('Y', ['m', n]),
    contrib: int8,
  });
}
