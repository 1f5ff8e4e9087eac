/**
 * A site index for benchmarks that read only keyword, section and text files: built by the real
 * writer with constant vectors in place of the model (the vector files exist, nothing reads them),
 * and served from memory with every byte read counted.
 */
import type { Embeddings } from '../src/embed/types';
import { extractSite } from '../src/extract/site';
import type { FileLoader } from '../src/index/reader';
import { buildIndex, type BuiltIndex, type DocumentEmbedder } from '../src/index/writer';

/** Unit vectors, all equal. */
const constantEmbedder: DocumentEmbedder = {
  dims: 8,
  async embed(texts: string[]): Promise<Embeddings> {
    const vectors = new Float32Array(texts.length * 8);
    for (let r = 0; r < texts.length; r++) vectors[r * 8] = 1;
    return { vectors, dims: 8, rows: texts.length, owner: Int32Array.from(texts, (_, i) => i) };
  },
};

/** The index of the site's pages (less `exclude`), one shard of constant vectors. */
export async function buildConstantIndex(site: string, exclude: string[]): Promise<BuiltIndex> {
  const pages = await extractSite(site, { exclude });
  return buildIndex(pages, constantEmbedder, { model: { id: 'constant', hash: '', dims: 8, mode: 'asymmetric' }, shards: 1 });
}

/** A loader over files in memory that adds each file's bytes to `counter.bytes` as it is read. */
export function countingLoader(files: ReadonlyMap<string, Uint8Array>, counter: { bytes: number }): FileLoader {
  return async (name) => {
    const file = files.get(name);
    if (!file) throw new Error(`no file ${name}`);
    counter.bytes += file.length;
    return file;
  };
}
