/**
 * Just enough of ONNX's protocol-buffer encoding for the bench: a field scanner (the weights are
 * skipped, never decoded), a model's metadata (flops.ts reads what the exporter pruned), and field
 * writers (the GEMM graphs of gemm-model.ts). Field numbers are onnx.proto's.
 */
import { concatArrays } from '../../src/embed/concat';

const VARINT = 0;
const FIXED64 = 1;
const BYTES = 2;
const FIXED32 = 5;

/** One field of a message: its number, and its raw bytes (tag included) for copying it as is. */
interface RawField {
  field: number;
  wire: number;
  /** The tag and the value, as they were. */
  raw: Uint8Array;
  /** The value of a varint field (below 2^53; larger values are never read here). */
  value: number;
  /** The body of a length-delimited field. */
  body: Uint8Array;
}

function invalid(what: string): Error {
  return new Error(`not a valid ONNX file (${what})`);
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
function scanFields(bytes: Uint8Array): RawField[] {
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

/** ModelProto.metadata_props (StringStringEntryProto: key 1, value 2). */
const MODEL_METADATA = 14;

/** A model's metadata_props (the exporter's notes, e.g. which weights it pruned). */
export function readMetadata(model: Uint8Array): Map<string, string> {
  const entries = new Map<string, string>();
  for (const f of scanFields(model)) {
    if (f.field !== MODEL_METADATA) continue;
    const entry = scanFields(f.body);
    const text = (n: number) => utf8.decode(entry.find((e) => e.field === n)?.body ?? new Uint8Array());
    entries.set(text(1), text(2));
  }
  return entries;
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
function fieldHead(field: number, length: number): Uint8Array {
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
  return concatArrays(parts, Uint8Array);
}
