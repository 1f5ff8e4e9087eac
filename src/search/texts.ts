/**
 * What the product reads of a section or document: one place for the text policy, so the site
 * index, the in-page search and eval's `default` row rank the same text the same way.
 */

import { nameKeys } from './title-names';

/** Where a section sits: its page title, then its headings ("Page › Heading › Subheading"). */
export function sectionPath(pageTitle: string, headingPath: readonly string[]): string {
  const path = headingPath[0] === pageTitle ? [...headingPath] : [pageTitle, ...headingPath];
  return path.filter(Boolean).join(' › ');
}

/**
 * A section's page: its url without the fragment (the element groups results by it; eval scores by it).
 *
 * @example
 * pageOfUrl('/topics/settings.html#depth-priority') // '/topics/settings.html'
 */
export function pageOfUrl(url: string): string {
  const hash = url.indexOf('#');
  return hash < 0 ? url : url.slice(0, hash);
}

/** Whether a section is its page's top: its untitled start or its first heading (a path of one title at most). */
export function isPageTop(headingPath: readonly string[]): boolean {
  return headingPath.length <= 1;
}

/**
 * Whether a section stands for its page, as a search for the page's name should find it: a top
 * section titled as the page. Not a heading the page shares with its siblings (SQLite's
 * "SQLite C Interface", on 255 pages above each one's own title), nor the second of a page's
 * top-level headings when it has no <h1>.
 *
 * @example
 * isPageHead('Obtain Aggregate Function Context', 'Obtain Aggregate Function Context', ['Obtain Aggregate Function Context']) // true
 * isPageHead('SQLite C Interface', 'Obtain Aggregate Function Context', ['SQLite C Interface'])                            // false
 */
export function isPageHead(title: string, pageTitle: string, headingPath: readonly string[]): boolean {
  return isPageTop(headingPath) && title === pageTitle;
}

/** What the model reads for a section: where it sits (page, headings) and what it says. */
export function embeddingText(pageTitle: string, headingPath: readonly string[], text: string): string {
  return `${sectionPath(pageTitle, headingPath)}\n${text}`.trim();
}

/**
 * What the keyword index reads for a section or document: the title counts twice, as in a field
 * boost, and so do its aliases (`data-sgpt-keywords`, `<meta name="sgpt-keywords">`), which
 * match like title words.
 */
export function keywordText(section: { title: string; text: string; keywords?: readonly string[] }): string {
  const aliases = section.keywords?.join(' ') ?? '';
  return aliases === '' ? `${section.title} ${section.title} ${section.text}` : `${section.title} ${section.title} ${aliases} ${aliases} ${section.text}`;
}

/** What the keyword index reads for a section, and the keys its title names (src/search/title-names). */
export interface KeywordEntry {
  text: string;
  names: readonly string[];
}

/** A section's keyword text and name keys, `headingPath` where it sits (none: a document given alone, a page). */
export function keywordEntry(section: { title: string; text: string; keywords?: readonly string[] }, headingPath: readonly string[] = []): KeywordEntry {
  return { text: keywordText(section), names: nameKeys(section.title, isPageTop(headingPath)) };
}

/** What the model reads for a document given in the page: a one-section page, so the section's policy ("title\ntext"). */
export function documentEmbeddingText(doc: { title: string; text: string }): string {
  return embeddingText(doc.title, [doc.title], doc.text);
}
