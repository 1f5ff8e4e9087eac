/** A build's output with no index behind it, for the output-folder tests: a manifest that parses (its index files are not there; only the ownership list matters). */
import type { Manifest } from '../src/index/format';
import { OutputDir } from '../src/index/output-dir';
import type { BuiltIndex } from '../src/index/writer';

const SHA = 'a'.repeat(64);
const ref = (stem: string) => ({ name: `${stem}.${SHA.slice(0, 16)}.bin`, bytes: 1, sha256: SHA });

export const STUB_MANIFEST: Manifest = {
  format: 'sgpt-search-index',
  version: 2,
  built: '',
  model: { id: 'm', hash: '', dims: 1, mode: 'symmetric' },
  counts: { pages: 0, sections: 0, vectors: 1 },
  fusion: { method: 'convex', semanticWeight: 0.1 },
  probe: 1,
  sections: ref('sections'),
  hashes: ref('hashes'),
  keyword: ref('keyword'),
  centroids: null,
  shards: [{ ...ref('vectors-0'), rows: 1 }],
};

export const STUB_BUILT: BuiltIndex = { manifest: STUB_MANIFEST, files: [], stats: {} as BuiltIndex['stats'] };

export const textBytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** One build into `out` putting `files` (path → text). */
export async function buildFiles(out: string, files: Record<string, string>): Promise<void> {
  const dir = await OutputDir.open(out);
  for (const [path, text] of Object.entries(files)) await dir.put(path, textBytes(text));
  await dir.commit(STUB_BUILT);
}
