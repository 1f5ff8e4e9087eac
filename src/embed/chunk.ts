/**
 * Long texts become overlapping token windows instead of being truncated, so every token of a
 * document can be found. Windows have `budget` tokens and start `budget - overlap` apart; the last
 * window is aligned to the end of the text so it is full-length too.
 */
import { SgptError } from '../errors';

/** Half-open [start, end) token ranges covering 0..length. A length <= budget gives one window. */
export function chunkWindows(length: number, budget: number, overlap = defaultOverlap(budget)): Array<[number, number]> {
  if (!Number.isInteger(budget) || budget < 1) throw new SgptError('INPUT_INVALID', `chunk budget must be a positive integer, got ${budget}`);
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= budget) {
    throw new SgptError('INPUT_INVALID', `chunk overlap must be an integer in [0, ${budget - 1}] for a budget of ${budget}, got ${overlap}`);
  }
  if (length <= budget) return [[0, length]];
  const stride = budget - overlap;
  const windows: Array<[number, number]> = [];
  let start = 0;
  for (; start + budget < length; start += stride) windows.push([start, start + budget]);
  windows.push([length - budget, length]);
  return windows;
}

/** A quarter of the window: enough context that a sentence cut at one edge is whole in the neighbour. */
export function defaultOverlap(budget: number): number {
  return Math.floor(budget / 4);
}

export function chunkTokens(ids: readonly number[], budget: number, overlap?: number): number[][] {
  return chunkWindows(ids.length, budget, overlap).map(([start, end]) => ids.slice(start, end));
}
