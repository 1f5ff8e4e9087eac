/**
 * A documentation-question set in BEIR layout, built from a docs site's FAQ pages: each FAQ
 * question becomes a query, the docs sections its answer links to are its relevant documents
 * (the first link gain 2, later ones gain 1), and the corpus is every section of the site except
 * the FAQ pages themselves and the sections pages repeat, sectioned by the same extractor as `sgpt-search index`, each record
 * read as the site index reads its section (src/eval/site-corpus: its own title for the keyword
 * index, page title and heading path for the model, the `url` the index links it by, so
 * scripts/site-eval.ts can score a site index): eval's `default` row is the site search's ranking.
 *
 *   tsx scripts/faq-beir.ts <site-root> --faq <page>[,<page>…] --out <dir> [--exclude <glob>,…] [--all-headings]
 *
 * Questions are: headings ending in "?" (Sphinx, Django, docutils FAQs), definition-list terms
 * ending in "?" (AsciiDoc: git's gitfaq) or under a "How do I…" heading (Sphinx), and bold
 * paragraphs numbered "(N)" (SQLite). With --all-headings every heading below the page title is
 * a question (SQLAlchemy's FAQ states many as sentences: "I'm getting a warning …"); a heading
 * that only groups questions has no answer of its own, so it drops out with the rule below. A
 * question whose answer links to no section of the site is dropped; links out of the site (a
 * Debian package's links into another package) count as no link. Never train on what this
 * writes: FAQ questions are for evaluation only.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parse } from 'parse5';
import type { DefaultTreeAdapterTypes as T } from 'parse5';
import { extractSite, urlOf } from '../src/extract/site';
import { contentRoot, type Page } from '../src/extract/html';
import { sectionRecord, type SectionRecord } from '../src/eval/site-corpus';
import { findCopies } from '../src/extract/copies';

type Element = T.Element;
type Node = T.ChildNode | T.Document | T.Element;

const isElement = (node: unknown): node is Element => typeof (node as Element).tagName === 'string';
const attr = (e: Element, name: string) => e.attrs.find((a) => a.name === name)?.value;
const HEADING = /^h[2-6]$/;

function text(node: Node): string {
  if (node.nodeName === '#text') return (node as T.TextNode).value;
  if (!('childNodes' in node)) return '';
  return node.childNodes.map((child) => text(child as Node)).join('');
}
const clean = (s: string) => s.replace(/¶/g, '').replace(/\s+/g, ' ').trim();

function* walk(node: Node): Generator<Element> {
  if (isElement(node)) yield node;
  if ('childNodes' in node) for (const child of node.childNodes) yield* walk(child as Node);
}

interface Question {
  text: string;
  links: string[];
}

/** The question an element asks, or null; `allHeadings`: every heading is one. */
function questionOf(e: Element, context: string, allHeadings: boolean): string | null {
  if (HEADING.test(e.tagName)) {
    const q = clean(text(e));
    return q.endsWith('?') || (allHeadings && q !== '') ? q : null;
  }
  if (e.tagName === 'dt') {
    const q = clean(text(e)).replace(/^…\s*/, '');
    if (q && /^how do i/i.test(context)) return `${context.replace(/…$/, '').trim()} ${q}`;
    return q.endsWith('?') ? q : null;
  }
  if (e.tagName === 'p' && e.childNodes.some((c) => isElement(c) && c.tagName === 'b')) {
    const q = clean(text(e));
    const numbered = /^\(\d+\)\s*(.+)$/.exec(q);
    return numbered ? numbered[1]! : null;
  }
  return null;
}

function hrefs(nodes: readonly Node[]): string[] {
  const out: string[] = [];
  for (const node of nodes) for (const e of walk(node)) if (e.tagName === 'a' && attr(e, 'href')) out.push(attr(e, 'href')!);
  return out;
}

/** Questions of a FAQ page with the links of their answers (the siblings up to the next question or heading). */
function faqQuestions(html: string, allHeadings: boolean): Question[] {
  const questions: Question[] = [];
  let context = '';
  for (const e of walk(contentRoot(parse(html)).root)) {
    if (HEADING.test(e.tagName)) context = clean(text(e));
    const q = questionOf(e, context, allHeadings);
    if (q === null) continue;
    const siblings = (e.parentNode as Element).childNodes;
    const answer: Node[] = [];
    for (let i = siblings.indexOf(e) + 1; i < siblings.length; i++) {
      const sibling = siblings[i] as Node;
      if (isElement(sibling) && (HEADING.test(sibling.tagName) || sibling.tagName === 'dt' || questionOf(sibling, context, allHeadings) !== null)) break;
      if (isElement(sibling) && sibling.tagName === 'section' && [...walk(sibling)].some((x) => HEADING.test(x.tagName) && questionOf(x, '', allHeadings) !== null)) break;
      answer.push(sibling);
    }
    questions.push({ text: q, links: hrefs(answer) });
  }
  return questions;
}

/** Every id / a@name of a page -> the anchor of the section it sits in. */
function anchorMap(html: string, page: Page): Map<string, string> {
  const anchors = new Set(page.sections.map((s) => s.anchor));
  const map = new Map<string, string>();
  let current = page.sections[0]?.anchor ?? '';
  for (const e of walk(parse(html))) {
    const id = attr(e, 'id') ?? (e.tagName === 'a' ? attr(e, 'name') : undefined);
    if (id === undefined) continue;
    if (anchors.has(id)) current = id;
    map.set(id, current);
  }
  return map;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { faq: { type: 'string' }, out: { type: 'string' }, exclude: { type: 'string' }, 'all-headings': { type: 'boolean', default: false } },
  });
  const root = positionals[0];
  if (!root || !values.faq || !values.out) throw new Error('usage: tsx scripts/faq-beir.ts <site-root> --faq <page>[,<page>…] --out <dir> [--exclude <glob>,…] [--all-headings]');
  const faqFiles = values.faq.split(',');
  const exclude = [...faqFiles, ...(values.exclude?.split(',') ?? [])];
  const pages = await extractSite(root, { exclude });
  // The corpus is what the index holds: without the sections pages repeat (src/extract/copies); a
  // link to a section left out judges the copy kept.
  const { dropped } = await findCopies(() => pages);
  const places = pages.flatMap((page) => page.sections.map((section) => ({ page, section })));
  const idAt = new Map<number, string>(); // place in the site -> corpus id
  const corpus: SectionRecord[] = [];
  for (const [place, { page, section }] of places.entries()) {
    if (dropped.has(place)) continue;
    const id = `s${corpus.length}`;
    idAt.set(place, id);
    corpus.push(sectionRecord(id, page, section));
  }
  const ids = new Map(places.map(({ page, section }, place) => [`${page.url}#${section.anchor}`, idAt.get(dropped.get(place) ?? place)!])); // url#anchor -> corpus id
  const pageOf = new Map(pages.map((page) => [page.url, page]));
  const anchorMaps = new Map<string, Map<string, string>>();
  const resolveLink = async (href: string, base: URL): Promise<string | undefined> => {
    const target = new URL(href, base);
    // resolved: a relative root would read as the URL's host (file://.cache/…)
    const rootPath = pathToFileURL(join(resolve(root), '/')).pathname;
    if (target.protocol !== 'file:' || !target.pathname.startsWith(rootPath)) return undefined;
    const url = urlOf(decodeURIComponent(target.pathname).slice(rootPath.length));
    const page = pageOf.get(url);
    if (page === undefined) return undefined;
    const fragment = decodeURIComponent(target.hash.slice(1));
    if (!anchorMaps.has(url)) anchorMaps.set(url, anchorMap(await readFile(decodeURIComponent(target.pathname), 'utf8'), page));
    // A link to the page itself judges its lead: the first section with text (a generator's header
    // section may hold only the title, e.g. AsciiDoc man pages).
    const lead = (page.sections.find((section) => section.text.trim() !== '') ?? page.sections[0]!).anchor;
    const anchor = fragment === '' ? lead : (anchorMaps.get(url)!.get(fragment) ?? lead);
    return ids.get(`${url}#${anchor}`);
  };

  const queries: Array<{ _id: string; text: string }> = [];
  const qrels: string[] = ['query-id\tcorpus-id\tscore'];
  let asked = 0;
  for (const file of faqFiles) {
    const path = join(root, file);
    const base = pathToFileURL(resolve(path));
    for (const question of faqQuestions(await readFile(path, 'utf8'), values['all-headings'])) {
      asked++;
      const relevant: string[] = [];
      for (const href of question.links) {
        if (href.startsWith('#')) continue;
        const id = await resolveLink(href, base);
        if (id !== undefined && !relevant.includes(id)) relevant.push(id);
      }
      if (relevant.length === 0) continue;
      const qid = `q${queries.length}`;
      queries.push({ _id: qid, text: question.text });
      relevant.forEach((id, i) => qrels.push(`${qid}\t${id}\t${i === 0 ? 2 : 1}`));
    }
  }
  await mkdir(join(values.out, 'qrels'), { recursive: true });
  await writeFile(join(values.out, 'corpus.jsonl'), corpus.map((d) => JSON.stringify(d)).join('\n') + '\n');
  await writeFile(join(values.out, 'queries.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n') + '\n');
  await writeFile(join(values.out, 'qrels', 'test.tsv'), qrels.join('\n') + '\n');
  process.stderr.write(`${values.out}: ${corpus.length} sections of ${pages.length} pages; ${queries.length} of ${asked} questions link to a section (${qrels.length - 1} judgements)\n`);
}

await main();
