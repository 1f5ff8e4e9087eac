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
