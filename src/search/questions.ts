/**
 * Questions typed into a docs search box ("how do I read a file line by line?"): what makes a query
 * one, and the words that only make it a question. Those words are rare in reference docs, so BM25
 * weighs them high and a question's keyword half found sections that say "I" or "how" (Sphinx's
 * FAQ, SQLite's, ...); the keyword search leaves them out of a question (Bm25SearchOptions.question).
 */

/** Interrogative openings of a question (English); a trailing '?' counts too. */
const QUESTION = /^(how|what|why|when|where|which|who|whom|whose|can|could|does|do|did|is|are|was|should|would|will|may|must|shall|am)\b/i;

/** Whether `query` is a question: an interrogative opening or a trailing '?'. */
export function isQuestion(query: string): boolean {
  const trimmed = query.trim();
  return QUESTION.test(trimmed) || trimmed.endsWith('?');
}

/**
 * Words that make a query a question, not what it asks about (English; Lucene's stop words, which
 * the analysis drops from every query, are not repeated). Chosen on the docs-question development
 * sets with BM25 alone (scripts/faq-sets.sh; README "Evaluation").
 */
export const QUESTION_WORDS: ReadonlySet<string> = new Set(
  'how do does did i can could should would what why when where which who whom whose my me you your we our us am have has had been being some any so than too very just also about'.split(' '),
);
