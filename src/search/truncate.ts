/** Cutting text to a length: in UTF-16 units, as JavaScript measures strings; in characters, for text said back to the reader. */

/** The first `max` UTF-16 units of `text`, one fewer where the cut would split a surrogate pair (an emoji): never half a character. */
export function truncateUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/**
 * The most characters of a query (or a title) said back, by the element's lines and live region
 * and the CLI's notes: a pasted page is not read aloud, or shown whole.
 */
export const ECHO_CHARS = 100;

/** `text` cut to ECHO_CHARS characters (whole code points) with an ellipsis. */
export function echoed(text: string): string {
  const chars = [...text];
  return chars.length <= ECHO_CHARS ? text : `${chars.slice(0, ECHO_CHARS).join('').trimEnd()}…`;
}
