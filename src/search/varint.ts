/**
 * Unsigned LEB128 varints: small integers (delta-encoded doc ids, term frequencies) take one byte.
 * The writer grows its buffer; the reader throws INDEX_INVALID on truncated input.
 */
import { SgptError } from '../errors';

export class ByteWriter {
  private buffer = new Uint8Array(1024);
  private length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  /** A non-negative integer below 2^53. */
  varint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new SgptError('INTERNAL', `varint out of range: ${value}`);
    this.reserve(8);
    let rest = value;
    while (rest >= 0x80) {
      this.buffer[this.length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.length++] = rest;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  float64(value: number): void {
    this.reserve(8);
    new DataView(this.buffer.buffer).setFloat64(this.length, value, true);
    this.length += 8;
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

export class ByteReader {
  private offset = 0;
  constructor(
    private readonly data: Uint8Array,
    private readonly what: string,
  ) {}

  private truncated(): SgptError {
    return new SgptError('INDEX_INVALID', `${this.what} is truncated or corrupt (at byte ${this.offset} of ${this.data.length})`);
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.offset >= this.data.length || scale > 2 ** 49) throw this.truncated();
      const byte = this.data[this.offset++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
    }
  }

  /** A count of items that take at least one byte each: never more than the bytes left. */
  count(): number {
    const value = this.varint();
    if (value > this.data.length - this.offset) {
      throw new SgptError('INDEX_INVALID', `${this.what} is truncated or corrupt (a count of ${value} at byte ${this.offset}, with ${this.data.length - this.offset} bytes left)`);
    }
    return value;
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.data.length - this.offset;
  }

  bytes(count: number): Uint8Array {
    if (this.offset + count > this.data.length) throw this.truncated();
    const out = this.data.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  float64(): number {
    const view = this.bytes(8);
    return new DataView(view.buffer, view.byteOffset, 8).getFloat64(0, true);
  }

  get done(): boolean {
    return this.offset === this.data.length;
  }
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A string as its UTF-8 byte length and bytes. */
export function writeString(out: ByteWriter, text: string): void {
  const bytes = utf8.encode(text);
  out.varint(bytes.length);
  out.bytes(bytes);
}

/** Text from an index file: invalid UTF-8 is a corrupt file (INDEX_INVALID naming it). */
function utf8Text(bytes: Uint8Array, what: string): string {
  try {
    return fromUtf8.decode(bytes);
  } catch {
    throw new SgptError('INDEX_INVALID', `${what}: a string is not valid UTF-8 (corrupt file)`);
  }
}

export function readString(input: ByteReader, what: string): string {
  return utf8Text(input.bytes(input.count()), what);
}

/** Sorted strings front-coded: per string the bytes it shares with the previous one, then the rest. */
export function writeFrontCoded(out: ByteWriter, list: readonly string[]): void {
  let previous = new Uint8Array(0);
  for (const text of list) {
    const bytes = utf8.encode(text);
    let shared = 0;
    while (shared < bytes.length && shared < previous.length && bytes[shared] === previous[shared]) shared++;
    out.varint(shared);
    out.varint(bytes.length - shared);
    out.bytes(bytes.subarray(shared));
    previous = bytes;
  }
}

/** `count` strings written by writeFrontCoded (their order is the caller's to check). */
export function readFrontCoded(input: ByteReader, count: number, what: string): string[] {
  const out: string[] = [];
  let previous = new Uint8Array(0);
  for (let i = 0; i < count; i++) {
    const shared = input.varint();
    if (shared > previous.length) throw new SgptError('INDEX_INVALID', `${what}: string ${i} shares ${shared} bytes with a ${previous.length}-byte string`);
    const suffix = input.bytes(input.count());
    const bytes = new Uint8Array(shared + suffix.length);
    bytes.set(previous.subarray(0, shared));
    bytes.set(suffix, shared);
    out.push(utf8Text(bytes, what));
    previous = bytes;
  }
  return out;
}

/** A file's magic bytes and format version. */
export function writeMagic(out: ByteWriter, magic: readonly number[], version: number): void {
  out.bytes(Uint8Array.from(magic));
  out.varint(version);
}

/** Reads and checks what writeMagic wrote: INDEX_INVALID for other bytes, INDEX_VERSION for another version; `kind` names the format. */
export function readMagic(input: ByteReader, data: Uint8Array, magic: readonly number[], version: number, what: string, kind: string): void {
  if (data.length < 4 || magic.some((byte, i) => data[i] !== byte)) throw new SgptError('INDEX_INVALID', `${what}: not a ${kind} (bad magic bytes)`);
  input.bytes(4);
  const found = input.varint();
  if (found !== version) throw new SgptError('INDEX_VERSION', `${what}: ${kind} format version ${found} is not supported (expected ${version}); rebuild the index`);
}
