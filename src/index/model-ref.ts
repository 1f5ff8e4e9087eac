/**
 * The model an index is built or queried with, as the manifest records it (Node edge: hashes the
 * model folder's files). The hash covers config.json (SGPT settings included) and the ONNX weights,
 * so re-exported weights or changed brackets invalidate reused vectors and fail the model check.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mode } from '../embed/sgpt-settings';
import { modelContentHash, modelName, type ModelRef } from './format';

async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** modelContentHash over config.json and onnx/*.onnx of a local model folder; '' for a hub id or URL. */
export async function modelFolderHash(source: string): Promise<string> {
  try {
    if (!(await stat(source)).isDirectory()) return '';
  } catch {
    return '';
  }
  const onnx = (await readdir(join(source, 'onnx')).catch(() => [] as string[])).filter((n) => n.endsWith('.onnx'));
  const digests = new Map<string, string>();
  for (const name of ['config.json', ...onnx.map((n) => `onnx/${n}`)]) digests.set(name, await fileDigest(join(source, name)));
  return modelContentHash(digests);
}

export async function modelRef(source: string, model: { dims: number; settings: { mode: Mode } }): Promise<ModelRef> {
  return { id: modelName(source), hash: await modelFolderHash(source), dims: model.dims, mode: model.settings.mode };
}
