/** Checks on CLI flag values, shared by every command: one wording per kind of mistake. */
import { isMode, type Mode } from '../embed/sgpt-settings';
import { MAX_COUNT, SgptError } from '../errors';

/** A number that passes `check` (described by `what` in the error), or undefined when the flag is absent. */
export function numberFlag(value: string | undefined, flag: string, check: (n: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  // Plain decimal notation only: Number() would also take " 5", "0x10" and "" (as 5, 16 and 0).
  const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || !check(n)) throw new SgptError('INPUT_INVALID', `${flag} must be ${what}, got ${JSON.stringify(value)}`);
  return n;
}

/** An integer in [min (default 1), MAX_COUNT], or undefined when the flag is absent. */
export function integerFlag(value: string | undefined, flag: string, min = 1): number | undefined {
  return numberFlag(value, flag, (n) => Number.isInteger(n) && n >= min && n <= MAX_COUNT, `an integer from ${min} to ${MAX_COUNT}`);
}

export function modeFlag(value: string | undefined): Mode | undefined {
  if (value !== undefined && !isMode(value)) {
    throw new SgptError('INPUT_INVALID', `--mode must be symmetric or asymmetric, got ${JSON.stringify(value)}`);
  }
  return value;
}
