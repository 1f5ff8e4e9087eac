/** Plain-text excerpts for result lists: a window of the text around the query's first matching word. */

const WORD = /[\p{L}\p{N}_]{3,}/gu;

/**
 * Up to `max` characters of `text`, starting a little before the first word of `query` (3+ letters,
 * case-insensitive) found in it, else from the start; cut at word boundaries, with '…' where cut.
 */
export function makeExcerpt(text: string, query: string, max = 160): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const lower = flat.toLowerCase();
  let hit = -1;
  for (const word of query.toLowerCase().match(WORD) ?? []) {
    const at = lower.indexOf(word);
    if (at !== -1 && (hit === -1 || at < hit)) hit = at;
  }
  let start = hit <= max / 4 ? 0 : hit - Math.floor(max / 4);
  if (start > 0) {
    const space = flat.indexOf(' ', start);
    start = space === -1 || space >= hit ? start : space + 1;
  }
  let end = Math.min(flat.length, start + max);
  if (end < flat.length) {
    const space = flat.lastIndexOf(' ', end);
    if (space > start) end = space;
  }
  return `${start > 0 ? '…' : ''}${flat.slice(start, end)}${end < flat.length ? '…' : ''}`;
}
