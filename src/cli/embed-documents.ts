/**
 * `sgpt-search embed --documents <file>`: a documents file for `<sgpt-search src>` with each
 * document's vector, so a site ships them precomputed and the browser embeds only the query
 * (format: src/worker/document-vectors). The vectors are the browser's own: the same Embedder on
 * the same text (title and body), role document.
 */
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Embedder } from '../embed/embedder';
import { SgptError } from '../errors';
import { utf8Input } from '../extract/encoding';
import { modelName } from '../index/format';
import { modelFolderHash } from '../index/model-ref';
import { documentFile, parseDocumentFile } from '../worker/document-vectors';
import { documentText } from '../worker/documents';

/** Read `input` (either documents form), embed every document, write the file with vectors to `out` (atomically) or return its text. */
export async function embedDocuments(embedder: Embedder, source: string, input: string, options: { out?: string; batchSize?: number } = {}): Promise<string> {
  if (options.out !== undefined) await checkOutFile(options.out);
  const hash = await modelFolderHash(source);
  if (hash === '') {
    throw new SgptError('INPUT_INVALID', `--documents needs a local model folder (got ${JSON.stringify(source)}): the browser checks shipped vectors against the model's content hash`);
  }
  let json: unknown;
  try {
    json = JSON.parse(utf8Input(await readFile(input), input));
  } catch (error) {
    if (error instanceof SgptError) throw error;
    throw new SgptError('DOCUMENTS_INVALID', `could not read the documents file ${input}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const { documents } = parseDocumentFile(json);
  const out = await embedder.embed(documents.map(documentText), 'document', options.batchSize ? { batchSize: options.batchSize } : {});
  const rows = documents.map((_, i) => {
    const mine: number[] = [];
    for (let r = 0; r < out.rows; r++) if (out.owner[r] === i) mine.push(r);
    return out.vectors.slice(mine[0]! * out.dims, (mine.at(-1)! + 1) * out.dims);
  });
  const text = `${JSON.stringify(documentFile({ id: modelName(source), hash, dims: embedder.dims, mode: embedder.settings.mode }, documents, rows))}\n`;
  if (options.out !== undefined) {
    const temp = `${options.out}.${process.pid}.tmp`;
    try {
      await writeFile(temp, text);
      await rename(temp, options.out);
    } catch (error) {
      await rm(temp, { force: true });
      throw new SgptError('INPUT_INVALID', `cannot write --out ${options.out}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return text;
}

/** Refuse an --out that cannot be the file written (a folder, or in a folder that does not exist) before any embedding. */
async function checkOutFile(out: string): Promise<void> {
  if ((await stat(out).catch(() => null))?.isDirectory()) throw new SgptError('INPUT_INVALID', `--out ${out} is a folder: give the path of the file to write`);
  const folder = dirname(resolve(out));
  if (!(await stat(folder).catch(() => null))?.isDirectory()) throw new SgptError('INPUT_INVALID', `--out ${out}: the folder ${folder} does not exist`);
}
