/**
 * Which model Node uses (the CLI, the Vite plugin, the facade). The bundled default, DEFAULT_MODEL,
 * lives in the package's public/models and is found from the package root, not the working directory.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_MODEL } from '../embed/default-model';
import { packageFile } from './package-files';

export function defaultModelSource(): string {
  return packageFile(`public/models/${DEFAULT_MODEL}`);
}

/**
 * A --model value as the engine should see it: an existing folder becomes an absolute path
 * (so "models/x" is not mistaken for a hub id); URLs and hub ids pass through.
 */
export function modelSource(arg: string | undefined): string {
  if (arg === undefined) return defaultModelSource();
  return existsSync(arg) && statSync(arg).isDirectory() ? resolve(arg) : arg;
}

/** The reranker's default: the causal LM "<model>-lm" next to a model folder (sgpt-nano -> sgpt-nano-lm), if it exists. */
export function defaultRerankModel(model: string): string | undefined {
  const sibling = `${model.replace(/[/\\]+$/, '')}-lm`;
  return existsSync(resolve(sibling, 'config.json')) ? sibling : undefined;
}
