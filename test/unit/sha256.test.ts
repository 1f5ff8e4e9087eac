/**
 * sha256Hex, the browser path's one hash, on a page without Web Crypto: `crypto.subtle` exists only
 * in secure contexts, so an intranet docs site on plain http has none. Same digests either way.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fileRefFor, sha256Hex, verifyFile } from '../../src/index/format';

afterEach(() => vi.unstubAllGlobals());

/** Deterministic bytes of every length class: empty, under a block, across the padding edge, many blocks. */
const INPUTS = [0, 3, 55, 56, 64, 1000, 300_001].map((length) => Uint8Array.from({ length }, (_, i) => (i * 2654435761) >>> 24));

describe('sha256Hex without crypto.subtle (a page on plain http)', () => {
  it('gives the same digests as with it, for bytes and text', async () => {
    const withSubtle = await Promise.all([...INPUTS.map((bytes) => sha256Hex(bytes)), sha256Hex('install the kettle ☕')]);
    vi.stubGlobal('crypto', { getRandomValues: crypto.getRandomValues.bind(crypto) });
    expect(globalThis.crypto.subtle).toBeUndefined();
    const without = await Promise.all([...INPUTS.map((bytes) => sha256Hex(bytes)), sha256Hex('install the kettle ☕')]);
    expect(without).toEqual(withSubtle);
    expect(without).toEqual([...INPUTS, Buffer.from('install the kettle ☕')].map((bytes) => createHash('sha256').update(bytes).digest('hex')));
  });

  it('verifies an index file, and refuses an altered one', async () => {
    const bytes = INPUTS.at(-1)!;
    const ref = await fileRefFor('vectors-0', 'bin', bytes);
    vi.stubGlobal('crypto', {});
    await expect(verifyFile(ref, bytes)).resolves.toBeUndefined();
    const altered = bytes.slice();
    altered[7]! ^= 1;
    await expect(verifyFile(ref, altered)).rejects.toThrow(/content hash/);
  });
});
