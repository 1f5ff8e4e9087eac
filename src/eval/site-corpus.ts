/**
 * A built site's sections as BEIR corpus records, read by `loadBeir` as the site index reads the
 * sections: the section's own title for the keyword index, its page title and heading path for
 * the model, its aliases and weight, its page's language, and the url#anchor a site hit links to. So eval's `default`
 * row over such a corpus is the site search's ranking (scripts/faq-beir.ts, test/unit/one-ranking).
 */
import type { Page, Section } from '../extract/html';
import { sectionUrl } from '../index/format';

export interface SectionRecord {
  _id: string;
  title: string;
  text: string;
  url: string;
  page_title: string;
  heading_path: string[];
  keywords?: string[];
  weight?: number;
  lang?: string;
}

/** One section as a corpus record with id `id`. */
export function sectionRecord(id: string, page: Page, section: Section): SectionRecord {
  return {
    _id: id,
    title: section.title,
    text: section.text,
    url: sectionUrl({ url: page.url, anchor: section.anchor }),
    page_title: page.title,
    heading_path: section.headingPath,
    ...(section.keywords === undefined ? {} : { keywords: section.keywords }),
    ...(section.weight === undefined ? {} : { weight: section.weight }),
    ...(page.lang === '' ? {} : { lang: page.lang }),
  };
}
