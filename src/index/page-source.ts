/**
 * The pages a build indexes, read in passes a page at a time: an array, or pages spilled to a
 * temporary file (./disk-pages), so a big site's text is not all in memory at once. A pass keeps
 * what each section needs past it (its text hash, language, weight, filters), never its text.
 * No fs here.
 */
import { findCopies, pageWithout, type Copies } from '../extract/copies';
import type { Filters } from '../extract/filters';
import type { Page } from '../extract/html';
import { SgptError } from '../errors';
import { embeddingText, keywordEntry, type KeywordEntry } from '../search/texts';
import type { TextSource } from './collect-vectors';

/** Pages, in order, each time they are asked for. */
export interface PageSource {
  pages(): AsyncIterable<Page>;
}

/** What the writer takes: the pages themselves, or a source that reads them again for each pass. */
export type PageInput = readonly Page[] | PageSource;

export function pagesOf(input: PageInput): AsyncIterable<Page> | Iterable<Page> {
  return isSource(input) ? input.pages() : input;
}

function isSource(input: PageInput): input is PageSource {
  return !Array.isArray(input);
}

/**
 * The pages without the sections the site repeats (src/extract/copies: reads `input` twice), and
 * what was left out. An array stays an array; a source reads its pages again for each pass.
 */
export async function withoutCopies(input: readonly Page[]): Promise<{ pages: readonly Page[]; copies: Copies }>;
export async function withoutCopies(input: PageInput): Promise<{ pages: PageInput; copies: Copies }>;
export async function withoutCopies(input: PageInput): Promise<{ pages: PageInput; copies: Copies }> {
  const copies = await findCopies(() => pagesOf(input));
  if (copies.dropped.size === 0) return { pages: input, copies };
  if (isSource(input)) return { pages: { pages: () => keptPages(input.pages(), copies.dropped) }, copies };
  const kept: Page[] = [];
  for await (const page of keptPages(input, copies.dropped)) kept.push(page);
  return { pages: kept, copies };
}

/** Each page without the sections `dropped` names (by place in the site), pages left empty skipped. */
async function* keptPages(pages: AsyncIterable<Page> | Iterable<Page>, dropped: ReadonlyMap<number, number>): AsyncGenerator<Page> {
  let first = 0;
  for await (const page of pages) {
    const kept = pageWithout(page, first, dropped);
    first += page.sections.length;
    if (kept !== null) yield kept;
  }
}

/** What the model reads of a section: the text its hash is taken of and that is embedded. */
function sectionEmbeddingText(page: Page, section: Page['sections'][number]): string {
  return embeddingText(page.title, section.headingPath, section.text);
}

/** Every section of the pages in page order, with its page. */
export async function* sectionsOf(input: PageInput): AsyncGenerator<{ page: Page; section: Page['sections'][number] }> {
  for await (const page of pagesOf(input)) for (const section of page.sections) yield { page, section };
}

/** What a build keeps of each section (in page order) between its passes over the pages. */
export interface SectionInfo {
  pages: number;
  /** The text hash of what the model reads (`hash` of embeddingText). */
  hashes: string[];
  langs: string[];
  weights: number[];
  filters: Array<Filters | undefined>;
}

/** One pass: each section's hash (by `hash`), page language, weight and filters. */
export async function sectionInfo(input: PageInput, hash: (embedded: string) => string): Promise<SectionInfo> {
  const info: SectionInfo = { pages: 0, hashes: [], langs: [], weights: [], filters: [] };
  for await (const page of pagesOf(input)) {
    info.pages++;
    for (const section of page.sections) {
      info.hashes.push(hash(sectionEmbeddingText(page, section)));
      info.langs.push(page.lang);
      info.weights.push(section.weight ?? 1);
      info.filters.push(section.filters);
    }
  }
  if (info.hashes.length === 0) throw new SgptError('INPUT_INVALID', 'no sections found: the site has no HTML pages with text (check the folder and any data-sgpt-ignore / --exclude)');
  return info;
}

/** What the keyword index reads of each section, in page order. */
export async function* keywordTexts(input: PageInput): AsyncGenerator<KeywordEntry> {
  for await (const { section } of sectionsOf(input)) yield keywordEntry(section, section.headingPath);
}

/** A TextSource over pages read in passes; `close` ends the pass it holds open (a spilled file's handle). */
export type PageTexts = TextSource & { close(): Promise<void> };

/**
 * What the model reads of the sections asked for: one pass that goes on from where the last call
 * stopped (a build asks in ascending order), started again for a section behind it. Close it when
 * done: the pass stops wherever the last section asked for was, with its file open.
 */
export function embeddingTexts(input: PageInput): PageTexts {
  let cursor: AsyncGenerator<{ page: Page; section: Page['sections'][number] }> | null = null;
  let next = 0; // the section `cursor` yields next
  const source = async (wanted: readonly number[]) => {
    const texts: string[] = [];
    for (const s of wanted) {
      if (cursor === null || s < next) {
        await cursor?.return(undefined);
        cursor = sectionsOf(input);
        next = 0;
      }
      for (;;) {
        const { value, done } = await cursor.next();
        if (done) throw new SgptError('INTERNAL', `section ${s} asked for, the pages have ${next}`);
        if (next++ === s) {
          texts.push(sectionEmbeddingText(value.page, value.section));
          break;
        }
      }
    }
    return texts;
  };
  const close = async () => {
    await cursor?.return(undefined);
    cursor = null;
  };
  return Object.assign(source, { close });
}
