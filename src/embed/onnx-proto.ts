/**
 * Just enough of ONNX's protocol-buffer encoding to edit a model's node list: a field scanner that
 * keeps every field's raw bytes (the weights are copied, never decoded), the NodeProto and
 * TensorProto fields a graph rewrite reads, and field writers (new nodes; the bench's GEMM graphs). Field numbers are
 * onnx.proto's; anything not named here passes through untouched.
 */
import { SgptError } from '../errors';

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/** One field of a message: its number, and its raw bytes (tag included) for copying it as is. */
export interface RawField {
  field: number;
  wire: number;
  /** The tag and the value, as they were. */
  raw: Uint8Array;
  /** The value of a varint field (below 2^53; larger values are never read here). */
  value: number;
  /** The body of a length-delimited field. */
  body: Uint8Array;
}

function invalid(what: string): SgptError {
  return new SgptError('MODEL_INVALID', `onnx/model.onnx is not a valid ONNX file (${what})`);
}

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return [value, i + 1];
  }
  throw invalid('a truncated varint');
}

/** The fields of one message, in order. */
export function scanFields(bytes: Uint8Array): RawField[] {
  const fields: RawField[] = [];
  let at = 0;
  const empty = bytes.subarray(0, 0);
  while (at < bytes.length) {
    const start = at;
    const [tag, afterTag] = readVarint(bytes, at);
    const wire = tag % 8;
    const field = Math.floor(tag / 8);
    let value = 0;
    let body = empty;
    if (wire === VARINT) [value, at] = readVarint(bytes, afterTag);
    else if (wire === FIXED64) at = afterTag + 8;
    else if (wire === FIXED32) at = afterTag + 4;
    else if (wire === BYTES) {
      const [length, afterLength] = readVarint(bytes, afterTag);
      at = afterLength + length;
      body = bytes.subarray(afterLength, at);
    } else throw invalid(`wire type ${wire}`);
    if (at > bytes.length || field === 0) throw invalid('a field runs past the end of its message');
    fields.push({ field, wire, raw: bytes.subarray(start, at), value, body });
  }
  return fields;
}

const utf8 = new TextDecoder();

/** ModelProto.graph, GraphProto.node / initializer / output / value_info. */
export const MODEL_GRAPH = 7;
export const GRAPH_NODE = 1;
export const GRAPH_INITIALIZER = 5;
export const GRAPH_OUTPUT = 12;
export const GRAPH_VALUE_INFO = 13;

export interface OnnxNode {
  inputs: string[];
  outputs: string[];
  name: string;
  opType: string;
  domain: string;
  /** Integer attributes by name (AttributeProto.i). */
  ints: Map<string, number>;
  /** Every field other than inputs, outputs, name and op type (attributes, domain, doc), raw. */
  rest: Uint8Array[];
}

export function readNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { inputs: [], outputs: [], name: '', opType: '', domain: '', ints: new Map(), rest: [] };
  for (const f of scanFields(bytes)) {
    if (f.field === 1) node.inputs.push(utf8.decode(f.body));
    else if (f.field === 2) node.outputs.push(utf8.decode(f.body));
    else if (f.field === 3) node.name = utf8.decode(f.body);
    else if (f.field === 4) node.opType = utf8.decode(f.body);
    else {
      if (f.field === 7) node.domain = utf8.decode(f.body);
      if (f.field === 5) {
        // AttributeProto: name (1), i (3).
        const attribute = scanFields(f.body);
        const name = attribute.find((a) => a.field === 1);
        const int = attribute.find((a) => a.field === 3 && a.wire === VARINT);
        if (name !== undefined && int !== undefined) node.ints.set(utf8.decode(name.body), int.value);
      }
      node.rest.push(f.raw);
    }
  }
  return node;
}

/** An initializer's name, element type (TensorProto.DataType) and shape; its data is not read. */
export interface TensorHeader {
  name: string;
  dataType: number;
  dims: number[];
}

export function readTensorHeader(bytes: Uint8Array): TensorHeader {
  const tensor: TensorHeader = { name: '', dataType: 0, dims: [] };
  for (const f of scanFields(bytes)) {
    if (f.field === 8) tensor.name = utf8.decode(f.body);
    else if (f.field === 2) tensor.dataType = f.value;
    else if (f.field === 1 && f.wire === VARINT) tensor.dims.push(f.value);
    else if (f.field === 1 && f.wire === BYTES) {
      // packed dims
      for (let at = 0; at < f.body.length; ) {
        const [dim, next] = readVarint(f.body, at);
        tensor.dims.push(dim);
        at = next;
      }
    }
  }
  return tensor;
}

/** The name of a ValueInfoProto (field 1). */
export function readValueName(bytes: Uint8Array): string {
  const name = scanFields(bytes).find((f) => f.field === 1);
  return name === undefined ? '' : utf8.decode(name.body);
}

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

const utf8Encoder = new TextEncoder();

/** The tag and length of a length-delimited field of `length` bytes. */
export function fieldHead(field: number, length: number): Uint8Array {
  return Uint8Array.from([...varintBytes(field * 8 + BYTES), ...varintBytes(length)]);
}

/** A length-delimited field: tag, length, body. */
export function bytesField(field: number, body: Uint8Array): Uint8Array {
  return concat([fieldHead(field, body.length), body]);
}

export function stringField(field: number, text: string): Uint8Array {
  return bytesField(field, utf8Encoder.encode(text));
}

/** A varint field (a non-negative integer below 2^53). */
export function varintField(field: number, value: number): Uint8Array {
  return Uint8Array.from([...varintBytes(field * 8 + VARINT), ...varintBytes(value)]);
}

/** Byte strings end to end. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A NodeProto's bytes: its inputs, outputs, name and op type, then its other fields as they were. */
export function encodeNode(node: OnnxNode): Uint8Array {
  return concat([
    ...node.inputs.map((input) => stringField(1, input)),
    ...node.outputs.map((output) => stringField(2, output)),
    ...(node.name === '' ? [] : [stringField(3, node.name)]),
    stringField(4, node.opType),
    ...node.rest,
  ]);
}
