/**
 * A plain MatMul ONNX graph, encoded in memory (no onnx package): Y[m, n] = A[m, k] · B[k, n] with
 * symbolic m, and B a float32 initializer, the way the model's weights are. The bench runs it
 * through onnxruntime-node at the model's shapes to find the machine's matmul rate (the roofline).
 *
 * Protocol-buffer wire format by hand: each field is (number << 3 | wire type), then a varint or a
 * length-prefixed body. Only the fields onnx.proto needs for this graph are written.
 */
const VARINT = 0;
const BYTES = 2;

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

type Field = number[];

function intField(field: number, value: number): Field {
  return [...varint((field << 3) | VARINT), ...varint(value)];
}

function bytesField(field: number, body: ArrayLike<number>): Field {
  return [...varint((field << 3) | BYTES), ...varint(body.length), ...Array.from(body)];
}

function stringField(field: number, text: string): Field {
  return bytesField(field, new TextEncoder().encode(text));
}

function message(...fields: Field[]): number[] {
  return fields.flat();
}

const FLOAT = 1; // onnx TensorProto.DataType.FLOAT

/** TypeProto of a float tensor; a dim is a number (fixed) or a string (symbolic). */
function floatTensorType(dims: Array<number | string>): number[] {
  const shape = message(...dims.map((d) => bytesField(1, typeof d === 'number' ? message(intField(1, d)) : message(stringField(2, d)))));
  return message(bytesField(1, message(intField(1, FLOAT), bytesField(2, shape))));
}

function valueInfo(name: string, dims: Array<number | string>): number[] {
  return message(stringField(1, name), bytesField(2, floatTensorType(dims)));
}

/** ONNX model bytes: input A [m, k], initializer B [k, n] (deterministic values), output Y [m, n]. */
export function gemmModel(k: number, n: number): Uint8Array {
  const weights = new Float32Array(k * n);
  for (let i = 0; i < weights.length; i++) weights[i] = ((i * 7919) % 997) / 997 - 0.5;
  const initializer = message(
    intField(1, k),
    intField(1, n),
    intField(2, FLOAT),
    stringField(8, 'B'),
    bytesField(9, new Uint8Array(weights.buffer)),
  );
  const node = message(stringField(1, 'A'), stringField(1, 'B'), stringField(2, 'Y'), stringField(4, 'MatMul'));
  const graph = message(
    bytesField(1, node),
    stringField(2, 'gemm'),
    bytesField(5, initializer),
    bytesField(11, valueInfo('A', ['m', k])),
    bytesField(12, valueInfo('Y', ['m', n])),
  );
  const opset = message(stringField(1, ''), intField(2, 13));
  return Uint8Array.from(message(intField(1, 8), bytesField(8, opset), bytesField(7, graph)));
}
