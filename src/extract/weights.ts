/**
 * Ranking hints a site gives its sections: weights (`data-sgpt-weight`, a record's `weight`),
 * which multiply a section's keyword score, and aliases (`data-sgpt-keywords`,
 * `<meta name="sgpt-keywords">`), which match like its title words. One place owns what a valid
 * weight is, for the HTML, the records and the keyword index that stores them.
 */
import { SgptError } from '../errors';

/** Most a weight may be: beyond it one section would drown every other hit. */
export const MAX_WEIGHT = 100;

/** Whether `weight` is one a section may carry: finite, > 0, ≤ MAX_WEIGHT. */
export function isWeight(weight: unknown): weight is number {
  return typeof weight === 'number' && Number.isFinite(weight) && weight > 0 && weight <= MAX_WEIGHT;
}

/** `value` as a weight (a JSON value: a record's); `where` names it in the INPUT_INVALID error. */
export function checkWeight(value: unknown, where: string): number {
  if (isWeight(value)) return value;
  throw new SgptError('INPUT_INVALID', `${where}: weight ${JSON.stringify(value)} must be a number > 0 and ≤ ${MAX_WEIGHT} (1 is the default; 2 doubles a section's keyword score)`);
}

/** An attribute's text ("1.5") as a weight; `where` names it in the INPUT_INVALID error. */
export function parseWeight(text: string, where: string): number {
  return /^\s*(\d+\.?\d*|\.\d+)\s*$/.test(text) ? checkWeight(Number(text), where) : checkWeight(text, where);
}

/** The aliases of a comma-separated list ("venv, virtualenv"), trimmed, empty ones dropped. */
export function parseKeywords(value: string): string[] {
  return value.split(',').map((word) => word.replace(/\s+/g, ' ').trim()).filter((word) => word !== '');
}
