/**
 * A model's SGPT settings: the one place that knows the "sgpt" key of config.json.
 *
 *   "sgpt": { "mode": "asymmetric", "pooling": "weightedmean", "pad_token_id": 50256,
 *             "query_brackets": [58, 60], "document_brackets": [90, 92],
 *             "max_length": { "query": 300, "document": 300 } }
 *
 * max_length counts every token the model sees, brackets included.
 */
import { SgptError } from '../errors';

export type Mode = 'symmetric' | 'asymmetric';
export type Role = 'query' | 'document';

export interface SgptSettings {
  mode: Mode;
  padTokenId: number;
  queryBrackets: [number, number];
  documentBrackets: [number, number];
  maxLength: { query: number; document: number };
}

/** What a caller may override (CLI flags, element attributes). A number sets both roles. */
export interface SgptOverrides {
  mode?: Mode;
  maxLength?: number | { query?: number; document?: number };
}

export const DEFAULT_PAD_TOKEN_ID = 50256;
export const DEFAULT_QUERY_BRACKETS: [number, number] = [58, 60];
export const DEFAULT_DOCUMENT_BRACKETS: [number, number] = [90, 92];
/** The reference code's limits: 75 for the NLI (symmetric) models, 300 for MS MARCO (asymmetric). */
export const DEFAULT_MAX_LENGTH: Record<Mode, number> = { symmetric: 75, asymmetric: 300 };

export const MODES: readonly Mode[] = ['symmetric', 'asymmetric'];

/** The one check of a mode value (config.json, CLI flags, worker messages, manifests). */
export function isMode(value: unknown): value is Mode {
  return typeof value === 'string' && (MODES as readonly string[]).includes(value);
}

type Issue = (message: string) => SgptError;

const invalidModel: Issue = (message) => new SgptError('MODEL_INVALID', `config.json: ${message}`);
const invalidInput: Issue = (message) => new SgptError('INPUT_INVALID', message);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tokenId(value: unknown, what: string, fail: Issue): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw fail(`${what} must be a non-negative integer token id, got ${JSON.stringify(value)}`);
  }
  return value;
}

function bracketPair(value: unknown, what: string, fallback: [number, number]): [number, number] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || value.length !== 2) {
    throw invalidModel(`sgpt.${what} must be a pair of token ids like [58, 60], got ${JSON.stringify(value)}`);
  }
  return [tokenId(value[0], `sgpt.${what}[0]`, invalidModel), tokenId(value[1], `sgpt.${what}[1]`, invalidModel)];
}

function mode(value: unknown, what: string, fail: Issue): Mode {
  if (!isMode(value)) {
    throw fail(`${what} must be "symmetric" or "asymmetric", got ${JSON.stringify(value)}`);
  }
  return value as Mode;
}

function length(value: unknown, what: string, fail: Issue): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw fail(`${what} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Accepts a number (both roles) or { query?, document? }; missing roles keep `base`. */
function lengths(
  value: unknown,
  what: string,
  fail: Issue,
  base: { query: number; document: number },
): { query: number; document: number } {
  if (value === undefined) return { ...base };
  if (typeof value === 'number') {
    const both = length(value, what, fail);
    return { query: both, document: both };
  }
  if (!isRecord(value)) {
    throw fail(`${what} must be a number or { "query": n, "document": n }, got ${JSON.stringify(value)}`);
  }
  return {
    query: value.query === undefined ? base.query : length(value.query, `${what}.query`, fail),
    document: value.document === undefined ? base.document : length(value.document, `${what}.document`, fail),
  };
}

/** The model's position limit, if its config states one (GPT-2: n_positions, GPT-Neo: max_position_embeddings). */
function positionLimit(config: Record<string, unknown>): number | undefined {
  const value = config.n_positions ?? config.max_position_embeddings;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

/**
 * Read the SGPT settings from a parsed config.json, applying defaults and then overrides.
 * A malformed "sgpt" key is MODEL_INVALID; a bad override is INPUT_INVALID.
 */
export function readSgptSettings(config: unknown, overrides: SgptOverrides = {}): SgptSettings {
  if (!isRecord(config)) throw invalidModel('expected a JSON object');
  const raw = config.sgpt ?? {};
  if (!isRecord(raw)) throw invalidModel(`"sgpt" must be an object, got ${JSON.stringify(raw)}`);
  if (raw.pooling !== undefined && raw.pooling !== 'weightedmean') {
    throw invalidModel(`sgpt.pooling ${JSON.stringify(raw.pooling)} is not supported (only "weightedmean")`);
  }

  const configMode = raw.mode === undefined ? 'symmetric' : mode(raw.mode, 'sgpt.mode', invalidModel);
  const chosenMode = overrides.mode === undefined ? configMode : mode(overrides.mode, 'mode', invalidInput);
  const defaultLength = DEFAULT_MAX_LENGTH[chosenMode];
  const fromConfig = lengths(raw.max_length, 'sgpt.max_length', invalidModel, {
    query: defaultLength,
    document: defaultLength,
  });
  const maxLength = lengths(overrides.maxLength, 'maxLength', invalidInput, fromConfig);

  const settings: SgptSettings = {
    mode: chosenMode,
    padTokenId: raw.pad_token_id === undefined ? DEFAULT_PAD_TOKEN_ID : tokenId(raw.pad_token_id, 'sgpt.pad_token_id', invalidModel),
    queryBrackets: bracketPair(raw.query_brackets, 'query_brackets', DEFAULT_QUERY_BRACKETS),
    documentBrackets: bracketPair(raw.document_brackets, 'document_brackets', DEFAULT_DOCUMENT_BRACKETS),
    maxLength,
  };

  const vocab = typeof config.vocab_size === 'number' ? config.vocab_size : undefined;
  if (vocab !== undefined) {
    const ids = [settings.padTokenId, ...settings.queryBrackets, ...settings.documentBrackets];
    const outside = ids.find((id) => id >= vocab);
    if (outside !== undefined) throw invalidModel(`sgpt token id ${outside} is outside the vocabulary (vocab_size ${vocab})`);
  }

  const limit = positionLimit(config);
  const minimum = settings.mode === 'asymmetric' ? 3 : 1; // room for the brackets plus one text token
  for (const [role, texts] of [['query', 'queries'], ['document', 'documents']] as const) {
    const value = settings.maxLength[role];
    const given = overrides.maxLength;
    const fromOverride = typeof given === 'number' || (isRecord(given) && given[role] !== undefined);
    const fail = fromOverride ? invalidInput : invalidModel;
    if (limit !== undefined && value > limit) {
      throw fail(`max length ${value} for ${texts} exceeds the model's ${limit} positions`);
    }
    if (value < minimum) {
      throw fail(`max length ${value} for ${texts} leaves no room for text in ${settings.mode} mode (minimum ${minimum})`);
    }
  }
  return settings;
}
