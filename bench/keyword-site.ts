/**
 * What the keyword benches share: an index of a real site built by the real writer with constant
 * vectors in place of the model (they read only keyword, section, typo and filter files; a real
 * embedding pass would add minutes without changing a byte of those), and a cold page's loader
 * that counts the bytes and files it reads (what the browser's fetches return: the files are
 * gzip streams already).
 */
import type { Embeddings } from '../src/embed/types';
import type { Page } from '../src/extract/html';
import { buildIndex, type BuiltIndex, type DocumentEmbedder } from '../src/index/writer';
import type { FileLoader } from '../src/index/reader';

/** Unit vectors, all equal: the vector files exist (the format needs them) but nothing here reads them. */
const constantEmbedder: DocumentEmbedder = {
  dims: 8,
  async embed(texts: string[]): Promise<Embeddings> {
    const vectors = new Float32Array(texts.length * 8);
    for (let r = 0; r < texts.length; r++) vectors[r * 8] = 1;
    return { vectors, dims: 8, rows: texts.length, owner: Int32Array.from(texts, (_, i) => i) };
  },
};

/** The pages' index, every file in memory by name. */
export async function keywordSite(pages: Page[]): Promise<{ built: BuiltIndex; files: Map<string, Uint8Array> }> {
  const built = await buildIndex(pages, constantEmbedder, { model: { id: 'constant', hash: '', dims: 8, mode: 'asymmetric' }, shards: 1 });
  return { built, files: new Map(built.files.map((f) => [f.name, f.bytes])) };
}

/** A cold page's file loader over `files` (`rewrite` may change a file as served), with the bytes and files read so far. */
export function countingLoader(files: ReadonlyMap<string, Uint8Array>, rewrite: (name: string, bytes: Uint8Array) => Uint8Array = (_, b) => b): { load: FileLoader; read: { bytes: number; files: number } } {
  const read = { bytes: 0, files: 0 };
  const load: FileLoader = async (name) => {
    const file = files.get(name);
    if (!file) throw new Error(`no file ${name}`);
    const served = rewrite(name, file);
    read.bytes += served.length;
    read.files++;
    return served;
  };
  return { load, read };
}
