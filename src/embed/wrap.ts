/**
 * SGPT's asymmetric markers, inserted as token ids around the bare text's ids (never as strings:
 * BPE would merge a "[" into the neighbouring characters). Symmetric mode sees the raw ids.
 */
import type { Role, SgptSettings } from './sgpt-settings';

/** The brackets of a role, or null in symmetric mode. */
export function bracketsFor(settings: SgptSettings, role: Role): [number, number] | null {
  if (settings.mode === 'symmetric') return null;
  return role === 'query' ? settings.queryBrackets : settings.documentBrackets;
}

/** How many text tokens fit in one sequence of a role: max length minus the brackets. */
export function textBudget(settings: SgptSettings, role: Role): number {
  return settings.maxLength[role] - (bracketsFor(settings, role) ? 2 : 0);
}

/** The ids the model sees for one chunk of text ids. */
export function wrapIds(ids: readonly number[], settings: SgptSettings, role: Role): number[] {
  const brackets = bracketsFor(settings, role);
  return brackets ? [brackets[0], ...ids, brackets[1]] : [...ids];
}
