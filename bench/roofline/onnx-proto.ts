/**
 * Just enough of ONNX's protocol-buffer decoding for the bench: a field scanner (the weights are
 * skipped, never decoded) and a model's metadata (flops.ts reads what the exporter pruned). The
 * writer side (the GEMM graphs) is src/build/onnx-graph.ts. Field numbers are onnx.proto's.
 */

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
