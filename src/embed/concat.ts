/** Typed arrays end to end (pure; the engine's rows, the keyword index's postings, protobuf bytes). */
export function concatArrays<T extends Uint8Array | Uint32Array | Int32Array | Float32Array>(parts: readonly T[], Type: new (length: number) => T): T {
  const out = new Type(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
