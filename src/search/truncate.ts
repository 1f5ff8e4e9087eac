/** Cutting text to a length in UTF-16 units, as JavaScript measures strings. */

/** The first `max` UTF-16 units of `text`, one fewer where the cut would split a surrogate pair (an emoji): never half a character. */
export function truncateUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
