/**
 * SGPT-CE prompt assembly (../shared/design/SGPT.md §2, the team's notes, not in this repo), token for token as the reference code
 * (Muennighoff/sgpt, crossencoder/beir/sgptce.py) builds it:
 *
 *   context = tokenize(template with the document formatted in)   -- ONE string, so BPE sees the
 *                                                                     quote marks next to the text
 *   query   = tokenize(query)                                        -- separately, no closing quote
 *   I       = number of tokens of the instruction alone (the template up to "{doc}")
 *   full    = context[:I] + (context[I:] + query)[-(maxLength + 1 - I):]
 *   input   = full minus its last token (the last query token is only ever predicted)
 *
 * So an over-long pair keeps the instruction and loses the *earliest document tokens*; the query
 * is never cut (a query that cannot fit is an error, not a silent truncation).
 */
import { SgptError } from '../errors';

export type PromptKind = 'asymmetric' | 'symmetric';

const DOC = '{doc}';

/** The reference prompt "G" (asymmetric) and its question variant (symmetric). */
export const PROMPTS: Record<PromptKind, string> = {
  asymmetric: `Documents are searched to find matches with the same content.\nThe document "${DOC}" is a good search result for "`,
  symmetric: `Questions are searched to find matches with the same content.\nThe question "${DOC}" is a good search result for "`,
};

export type Tokenize = (text: string) => number[];

/** Token ids of one (query, document) pair before fitting to the model's window. */
export interface EncodedPair {
  /** The whole prompt with the document formatted in. */
  context: number[];
  /** Leading tokens of `context` that are the instruction (never truncated). */
  instructionLength: number;
  /** Tokens after the document in the template (closing quote and "is a good search result for"). */
  suffixLength: number;
  query: number[];
}

/** One model input: `ids` predict `query` at positions ids.length - query.length .. ids.length - 1. */
export interface RerankInput {
  ids: number[];
  query: number[];
}

/** Split a template at its single "{doc}" placeholder. */
export function splitTemplate(template: string): { instruction: string; suffix: string } {
  const at = template.indexOf(DOC);
  if (at < 0 || template.indexOf(DOC, at + 1) >= 0) {
    throw new SgptError('INPUT_INVALID', `a rerank prompt needs exactly one ${DOC} placeholder, got ${JSON.stringify(template)}`);
  }
  return { instruction: template.slice(0, at), suffix: template.slice(at + DOC.length) };
}

/** Tokenise a pair the way the reference does (see the module comment). */
export function encodePair(tokenize: Tokenize, template: string, document: string, query: string): EncodedPair {
  const { instruction, suffix } = splitTemplate(template);
  const queryIds = tokenize(query);
  if (queryIds.length === 0) throw new SgptError('INPUT_INVALID', 'cannot rerank for an empty query');
  return {
    // String concatenation, not String.replace: a document containing "$&" must stay literal.
    context: tokenize(instruction + document + suffix),
    instructionLength: tokenize(instruction).length,
    suffixLength: tokenize(suffix).length,
    query: queryIds,
  };
}

/**
 * Fit a pair into `maxLength` model positions (the input is at most maxLength tokens).
 * Cuts the document from the left exactly like the reference; throws if even an empty document
 * would not leave room for the query.
 */
export function fitToWindow(pair: EncodedPair, maxLength: number): RerankInput {
  const { context, instructionLength: head, suffixLength, query } = pair;
  const room = maxLength + 1 - head; // tokens kept after the instruction, counting the dropped last one
  if (query.length + suffixLength > room) {
    throw new SgptError(
      'INPUT_INVALID',
      `query of ${query.length} tokens is too long to rerank: the model's ${maxLength} positions leave ` +
        `${Math.max(0, room - suffixLength)} after the prompt; shorten the query`,
    );
  }
  const tail = [...context.slice(head), ...query];
  const full = [...context.slice(0, head), ...tail.slice(Math.max(0, tail.length - room))];
  return { ids: full.slice(0, -1), query };
}
