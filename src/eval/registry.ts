/**
 * Every eval method by name. A module of its own so that methods defined elsewhere (the
 * reranker's, which builds on the hybrid runs) can import ./methods without an import cycle.
 */
import { SgptError } from '../errors';
import { rerankMethod } from './rerank-method';
import { adaptive, bm25, dense, hybrid, hybridCc, instant, oracle, productDefault, type EvalMethod } from './methods';

export const METHODS: readonly EvalMethod[] = [bm25, dense, hybrid, hybridCc, adaptive, productDefault, instant, rerankMethod, oracle];

export function findMethod(name: string): EvalMethod {
  const method = METHODS.find((candidate) => candidate.name === name);
  if (method === undefined) {
    throw new SgptError('INPUT_INVALID', `unknown eval method "${name}"; choose from ${METHODS.map((m) => m.name).join(', ')}`);
  }
  return method;
}
