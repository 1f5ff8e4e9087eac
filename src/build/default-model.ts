/**
 * Which model the CLI uses. The bundled default lives in the package's public/models and is found
 * relative to this file, not the working directory: the trained sgpt-nano when it is there,
 * else the random-weight tiny-gpt2 that keeps everything runnable.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MODELS = fileURLToPath(new URL('../../public/models/', import.meta.url));
export const DEFAULT_MODELS = ['sgpt-nano', 'tiny-gpt2'] as const;

export function defaultModelSource(): string {
  const found = DEFAULT_MODELS.map((name) => resolve(MODELS, name)).find((dir) => existsSync(resolve(dir, 'config.json')));
  return found ?? resolve(MODELS, DEFAULT_MODELS[DEFAULT_MODELS.length - 1]!);
}

/**
 * A --model value as the engine should see it: an existing folder becomes an absolute path
 * (so "models/x" is not mistaken for a hub id); URLs and hub ids pass through.
 */
export function modelSource(arg: string | undefined): string {
  if (arg === undefined) return defaultModelSource();
  return existsSync(arg) && statSync(arg).isDirectory() ? resolve(arg) : arg;
}

/** The reranker's default: the causal LM "<model>-lm" next to a model folder (tiny-gpt2 -> tiny-gpt2-lm), if it exists. */
export function defaultRerankModel(model: string): string | undefined {
  const sibling = `${model.replace(/[/\\]+$/, '')}-lm`;
  return existsSync(resolve(sibling, 'config.json')) ? sibling : undefined;
}
