/** Checks on the documents a page hands to `<sgpt-search>`; both the element and the worker run them. */
import { documentEmbeddingText } from '../search/texts';
import { SgptError } from '../errors';
import { isWeight, MAX_WEIGHT } from '../extract/weights';

/** A `lang` value: a BCP 47-shaped tag ("de", "pt-BR", "zh-Hant"). */
const LANG_TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/;
import type { SearchDocument } from './protocol';

function invalid(message: string): SgptError {
  return new SgptError('DOCUMENTS_INVALID', message);
}

/**
 * Return `value` typed as documents, or throw DOCUMENTS_INVALID naming the first offending index.
 * Ids are strings or finite numbers and unique; title and text are strings; url, if present, a
 * string; lang a language tag; weight a number > 0 and ≤ MAX_WEIGHT; keywords an array of
 * non-empty strings.
 */
export function validateDocuments(value: unknown): SearchDocument[] {
  if (!Array.isArray(value)) {
    throw invalid(`documents must be an array of {id, title, text, url}, got ${value === null ? 'null' : typeof value}`);
  }
  const seen = new Map<string | number, number>();
  value.forEach((doc: unknown, index) => {
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw invalid(`document ${index} must be an object with id, title and text`);
    }
    const { id, title, text, url, lang, weight, keywords } = doc as Record<string, unknown>;
    if (!(typeof id === 'string' && id !== '') && !(typeof id === 'number' && Number.isFinite(id))) {
      throw invalid(`document ${index} needs an id (a non-empty string or a number), got ${JSON.stringify(id) ?? 'undefined'}`);
    }
    const first = seen.get(id);
    if (first !== undefined) throw invalid(`document ${index} repeats the id ${JSON.stringify(id)} of document ${first}`);
    seen.set(id, index);
    if (typeof title !== 'string') throw invalid(`document ${index} (id ${JSON.stringify(id)}): title must be a string`);
    if (typeof text !== 'string') throw invalid(`document ${index} (id ${JSON.stringify(id)}): text must be a string`);
    const which = `document ${index} (id ${JSON.stringify(id)})`;
    if (url !== undefined && typeof url !== 'string') throw invalid(`${which}: url must be a string when given`);
    if (lang !== undefined && !(typeof lang === 'string' && LANG_TAG.test(lang))) {
      throw invalid(`${which}: lang ${JSON.stringify(lang)} is not a language tag (write e.g. "de", "pt-BR", "ja")`);
    }
    if (weight !== undefined && !isWeight(weight)) {
      throw invalid(`${which}: weight ${JSON.stringify(weight)} must be a number > 0 and ≤ ${MAX_WEIGHT} (1 is the default; 2 doubles its keyword score)`);
    }
    if (keywords !== undefined && !(Array.isArray(keywords) && keywords.every((k) => typeof k === 'string' && k.trim() !== ''))) {
      throw invalid(`${which}: keywords must be an array of non-empty strings, e.g. ["venv", "virtualenv"]`);
    }
  });
  return value as SearchDocument[];
}

/** The text the model embeds for a document: its title, then its body (the search layer's policy, src/search/texts). */
export const documentText: (doc: SearchDocument) => string = documentEmbeddingText;
