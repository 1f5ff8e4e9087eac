/**
 * Vectors that travel with in-page documents: the one place that knows their file format and the
 * keys they are kept under. Pure (Web Crypto only), so the element, the CLI and tests share it.
 *
 * A documents file (`<sgpt-search src>`) is either a JSON array of `{id, title, text, url}`, or
 * what `sgpt-search embed --documents` writes, the same documents with their vectors and the model
 * that made them:
 *
 *   { "model": { "id": "sgpt-nano", "hash": "<sha256>", "dims": 384, "mode": "asymmetric" },
 *     "documents": [ { "id", "title", "text", "url", "vector": [ ... ] } ] }
 *
 * `vector` holds one row of `dims` numbers per model window of the document (a long document has
 * several, concatenated). Vectors are used only when the loaded model has the same id, hash, dims
 * and mode; otherwise the documents are embedded in the browser as if none were shipped.
 */
import type { Mode } from '../embed/sgpt-settings';
import { SgptError } from '../errors';
import { modelName, sha256Hex } from '../index/format';
import { documentText, validateDocuments } from './documents';
import type { LoadResult, SearchDocument } from './protocol';

/** The model a set of vectors came from. */
export interface ModelStamp {
  /** The model's folder name, e.g. "sgpt-nano". */
  id: string;
  /** modelContentHash of its config.json and ONNX weights. */
  hash: string;
  dims: number;
  mode: Mode;
}

export interface DocumentFile {
  /** The documents, without their vectors. */
  documents: SearchDocument[];
  /** Shipped vectors aligned with `documents` (null: none for that one), and their model. */
  shipped: { model: ModelStamp; vectors: Array<Float32Array | null> } | null;
}

function invalid(message: string): SgptError {
  return new SgptError('DOCUMENTS_INVALID', message);
}

function parseStamp(value: unknown): ModelStamp {
  const stamp = value as Partial<ModelStamp> | null;
  if (
    typeof stamp !== 'object' || stamp === null ||
    typeof stamp.id !== 'string' || stamp.id === '' ||
    typeof stamp.hash !== 'string' || !/^[0-9a-f]{64}$/.test(stamp.hash) ||
    !Number.isInteger(stamp.dims) || (stamp.dims as number) < 1 ||
    (stamp.mode !== 'symmetric' && stamp.mode !== 'asymmetric')
  ) {
    throw invalid('the documents file\'s "model" must be {id, hash (64 hex digits), dims, mode}, as `sgpt-search embed --documents` writes it');
  }
  return { id: stamp.id, hash: stamp.hash, dims: stamp.dims as number, mode: stamp.mode };
}

function parseVector(value: unknown, dims: number, index: number): Float32Array | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.length === 0 || value.length % dims !== 0 || !value.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw invalid(`document ${index}: "vector" must be finite numbers, a whole number of rows of ${dims} (the model's dims)`);
  }
  return Float32Array.from(value as number[]);
}

/** Read a documents file (either form); throws DOCUMENTS_INVALID naming what is wrong. */
export function parseDocumentFile(value: unknown): DocumentFile {
  const wrapped = typeof value === 'object' && value !== null && !Array.isArray(value);
  const list = wrapped ? (value as { documents?: unknown }).documents : value;
  if (wrapped && !Array.isArray(list)) throw invalid('a documents file that is an object needs a "documents" array (and its "model")');
  validateDocuments(list);
  const raw = list as Array<SearchDocument & { vector?: unknown }>;
  const documents = raw.map(({ vector: _vector, ...doc }) => doc);
  if (!wrapped) return { documents, shipped: null };
  const model = parseStamp((value as { model?: unknown }).model);
  const vectors = raw.map((doc, i) => parseVector(doc.vector, model.dims, i));
  return { documents, shipped: vectors.some((v) => v !== null) ? { model, vectors } : null };
}

/** Why vectors from `stamp` cannot be used with the loaded model, or null when they can. */
export function stampMismatch(stamp: ModelStamp, loaded: Pick<LoadResult, 'modelId' | 'hash' | 'dims' | 'mode'>): string | null {
  const problems: string[] = [];
  if (stamp.id !== modelName(loaded.modelId)) problems.push(`model ${JSON.stringify(stamp.id)} vs ${JSON.stringify(modelName(loaded.modelId))}`);
  if (stamp.dims !== loaded.dims) problems.push(`${stamp.dims} vs ${loaded.dims} dimensions`);
  if (stamp.mode !== loaded.mode) problems.push(`mode ${stamp.mode} vs ${loaded.mode}`);
  if (loaded.hash === '') problems.push('the loaded model\'s hash is unknown');
  else if (stamp.hash !== loaded.hash) problems.push(`model hash ${stamp.hash.slice(0, 12)}… vs ${loaded.hash.slice(0, 12)}…`);
  return problems.length === 0 ? null : problems.join(', ');
}

/**
 * The key vectors of one model are kept under: its name, content hash, mode and dims. Null when
 * the hash is unknown (nothing is kept: vectors of an unidentified model could be stale).
 */
export function modelKey(loaded: Pick<LoadResult, 'modelId' | 'hash' | 'dims' | 'mode'>): string | null {
  return loaded.hash === '' ? null : `${modelName(loaded.modelId)}@${loaded.hash}/${loaded.mode}/${loaded.dims}`;
}

/** sha256 of exactly what the model reads of a document (title and text): an edit changes it, an id or url change does not. */
export function contentHash(doc: SearchDocument): Promise<string> {
  return sha256Hex(documentText(doc));
}

/** The documents file `sgpt-search embed --documents` writes: each document with its rows, concatenated. */
export function documentFile(model: ModelStamp, documents: readonly SearchDocument[], rows: ReadonlyArray<Float32Array>): { model: ModelStamp; documents: Array<SearchDocument & { vector: number[] }> } {
  // Six decimals (5e-7 absolute on unit vectors: cosines move by ~1e-6, far inside the parity tolerance) keep the file small.
  return { model, documents: documents.map((doc, i) => ({ ...doc, vector: Array.from(rows[i]!, (x) => Math.round(x * 1e6) / 1e6) })) };
}
