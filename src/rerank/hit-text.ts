/**
 * The reranking policy every path shares (the CLI's `query --rerank`, the facade, eval, the
 * element), so one index and one query rerank the same everywhere.
 */

/** How many of the top results SGPT-CE reorders unless told otherwise. */
export const DEFAULT_RERANK_K = 10;

/** What the causal LM reads of a search hit: its title, then its excerpt on the next line. */
export function hitText(hit: { title: string; excerpt: string }): string {
  return hit.excerpt === '' ? hit.title : `${hit.title}\n${hit.excerpt}`;
}
