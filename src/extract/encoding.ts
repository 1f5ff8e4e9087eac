/**
 * Whether bytes that should be UTF-8 text are: the one check of every text input, the pages a
 * build reads (./site decodePage: warns and falls back) and the lines `embed` reads (utf8Input:
 * refuses, as a pipe declares no charset to fall back on).
 */
import { isUtf8 } from 'node:buffer';
import { SgptError } from '../errors';

/** How bytes are not UTF-8 text: a UTF-16 byte order mark, NUL bytes (UTF-16 without one, or binary data), or other bytes UTF-8 does not allow. */
export type NotUtf8 = 'utf-16' | 'nul' | 'invalid';

/** Bytes of a page looked at for NUL bytes: text has none, and UTF-16 or binary data shows them at once. */
const NUL_WINDOW = 8192;

/** The text of UTF-8 bytes, a leading byte order mark dropped; or why they are not UTF-8 text (NUL bytes looked for in the first `nulWindow`). */
export function decodeUtf8(bytes: Uint8Array, nulWindow = NUL_WINDOW): { text: string } | { problem: NotUtf8 } {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) return { problem: 'utf-16' };
  if (bytes.subarray(0, nulWindow).includes(0)) return { problem: 'nul' };
  // TextDecoder drops a leading byte order mark (Buffer#toString would keep it as U+FEFF).
  return isUtf8(bytes) ? { text: new TextDecoder('utf-8').decode(bytes) } : { problem: 'invalid' };
}

/**
 * The text of input that must be UTF-8 (`what`: "stdin", a file's path), a byte order mark
 * dropped; otherwise INPUT_INVALID naming it and the line ("stdin:3: …", as records' errors) and how to convert it.
 */
export function utf8Input(bytes: Uint8Array, what: string): string {
  // All of it: a NUL anywhere would be embedded or stored as text nobody can see.
  const decoded = decodeUtf8(bytes, bytes.length);
  if ('text' in decoded) return decoded.text;
  if (decoded.problem === 'utf-16') {
    throw new SgptError('INPUT_INVALID', `${what}: UTF-16 (it starts with a UTF-16 byte order mark): convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8`);
  }
  const line = (at: number) => bytes.subarray(0, at).reduce((lines, byte) => lines + (byte === 0x0a ? 1 : 0), 1);
  if (decoded.problem === 'nul') {
    throw new SgptError('INPUT_INVALID', `${what}:${line(bytes.indexOf(0))}: NUL bytes, so UTF-16 (without a byte order mark) or not text: give UTF-8 text, e.g. iconv -f UTF-16LE -t UTF-8`);
  }
  // A newline byte is never part of a longer UTF-8 sequence: the first line not UTF-8 on its own holds the first bad byte.
  let start = 0;
  for (let end = bytes.indexOf(0x0a); end >= 0 && isUtf8(bytes.subarray(start, end)); end = bytes.indexOf(0x0a, start)) start = end + 1;
  throw new SgptError('INPUT_INVALID', `${what}:${line(start)}: not valid UTF-8: convert it to UTF-8, e.g. iconv -f windows-1252 -t UTF-8`);
}
