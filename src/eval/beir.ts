/**
 * Reads a BEIR-layout data set (Node only):
 *   corpus.jsonl[.gz]   lines {"_id", "title"?, "text"}; a site's section may also carry where it
 *                       sits, its ranking hints, its page's language and its link, as scripts/faq-beir.ts
 *                       writes them ("page_title", "heading_path", "keywords", "weight", "lang", "url"), so
 *                       that the product reads it as the site index does
 *   queries.jsonl[.gz]  lines {"_id", "text"}
 *   qrels/<split>.tsv   header "query-id<TAB>corpus-id<TAB>score", then one judgement a line
 * Problems are INPUT_INVALID errors that name the file and line.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { SgptError } from '../errors';
import { checkWeight } from '../extract/weights';
import { documentEmbeddingText, embeddingText, sectionPath } from '../search/texts';
import type { Qrels } from './metrics';

export interface BeirDoc {
  id: string;
  title: string;
  text: string;
  /** A site section's page title and heading path (src/extract's): the model reads them before its text, as in a site index. */
  place?: { pageTitle: string; headingPath: string[] };
  /** A site section's aliases and keyword weight (src/extract/weights). */
  keywords?: string[];
  weight?: number;
  /** A site section's page language (`<html lang>`): it picks the keyword analysis, and whether the dense list is fused (src/search/ranking). */
  lang?: string;
  /** A site section's link ("page#anchor"): scoring by page (./scoring) reads its page from it. */
  url?: string;
}

export interface BeirQuery {
  id: string;
  text: string;
}

export interface BeirDataset {
  dir: string;
  split: string;
  corpus: BeirDoc[];
  /** The queries judged in the split, in queries-file order. */
  queries: BeirQuery[];
  qrels: Qrels;
  /** Judgements naming documents that are not in the corpus (kept: they still count as relevant). */
  unknownDocs: number;
}

export interface BeirLoadOptions {
  /** qrels file name without .tsv (default "test"). */
  split?: string;
}

const invalid = (message: string) => new SgptError('INPUT_INVALID', message);

/** `name`, else `name.gz`, in `dir`. */
function findFile(dir: string, name: string): string {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) if (existsSync(candidate)) return candidate;
  throw invalid(`BEIR data set ${dir}: missing ${name} (or ${name}.gz)`);
}

async function* lines(path: string): AsyncGenerator<{ line: string; number: number }> {
  let stream: Readable = createReadStream(path);
  if (path.endsWith('.gz')) stream = stream.pipe(createGunzip());
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  let number = 0;
  try {
    for await (const line of reader) {
      number++;
      if (line.trim() !== '') yield { line, number };
    }
  } catch (error) {
    throw invalid(`${path}: cannot read after line ${number}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function field(record: Record<string, unknown>, name: string, where: string, required: boolean): string {
  const value = record[name];
  if (value === undefined && !required) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && name === '_id') return String(value);
  throw invalid(`${where}: "${name}" must be a string, got ${JSON.stringify(value)}`);
}

/** A list of strings, or absent. */
function strings(record: Record<string, unknown>, name: string, where: string): string[] | undefined {
  const value = record[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw invalid(`${where}: "${name}" must be a list of strings, got ${JSON.stringify(value)}`);
}

/** A site section's extra fields (see the top of this file), checked. */
function sectionFields(record: Record<string, unknown>, where: string): Pick<BeirDoc, 'place' | 'keywords' | 'weight' | 'lang' | 'url'> {
  const headingPath = strings(record, 'heading_path', where);
  const keywords = strings(record, 'keywords', where);
  if (headingPath === undefined && record.page_title !== undefined) throw invalid(`${where}: "page_title" needs "heading_path"`);
  if (headingPath !== undefined && record.page_title === undefined) throw invalid(`${where}: "heading_path" needs "page_title"`);
  return {
    ...(headingPath === undefined ? {} : { place: { pageTitle: field(record, 'page_title', where, true), headingPath } }),
    ...(keywords === undefined ? {} : { keywords }),
    ...(record.weight === undefined ? {} : { weight: checkWeight(record.weight, where) }),
    ...(record.lang === undefined ? {} : { lang: field(record, 'lang', where, true) }),
    ...(record.url === undefined ? {} : { url: field(record, 'url', where, true) }),
  };
}

async function readJsonl<T>(path: string, make: (record: Record<string, unknown>, where: string) => T & { id: string }): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  for await (const { line, number } of lines(path)) {
    const where = `${path} line ${number}`;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (error) {
      throw invalid(`${where}: not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) throw invalid(`${where}: expected a JSON object`);
    const item = make(record as Record<string, unknown>, where);
    if (seen.has(item.id)) throw invalid(`${where}: duplicate _id ${JSON.stringify(item.id)}`);
    seen.add(item.id);
    out.push(item);
  }
  return out;
}

async function readQrels(path: string): Promise<Map<string, Map<string, number>>> {
  const qrels = new Map<string, Map<string, number>>();
  let header = true;
  for await (const { line, number } of lines(path)) {
    const where = `${path} line ${number}`;
    const cells = line.split('\t').map((cell) => cell.trim());
    if (header) {
      header = false;
      if (cells[0] !== 'query-id') throw invalid(`${where}: expected the header "query-id<TAB>corpus-id<TAB>score", got ${JSON.stringify(line)}`);
      continue;
    }
    const [query, doc, raw] = cells;
    if (cells.length !== 3 || !query || !doc) throw invalid(`${where}: expected "query-id<TAB>corpus-id<TAB>score", got ${JSON.stringify(line)}`);
    const score = Number(raw);
    if (!Number.isInteger(score)) throw invalid(`${where}: score must be an integer, got ${JSON.stringify(raw)}`);
    let judgements = qrels.get(query);
    if (judgements === undefined) qrels.set(query, (judgements = new Map()));
    judgements.set(doc, score);
  }
  if (header) throw invalid(`${path}: empty (expected a header line and judgements)`);
  return qrels;
}

export async function loadBeir(dir: string, options: BeirLoadOptions = {}): Promise<BeirDataset> {
  const split = options.split ?? 'test';
  if (!existsSync(dir)) throw invalid(`BEIR data set folder ${dir} does not exist`);
  const qrelsPath = join(dir, 'qrels', `${split}.tsv`);
  if (!existsSync(qrelsPath)) throw invalid(`BEIR data set ${dir}: missing qrels/${split}.tsv`);
  const [corpus, allQueries, qrels] = await Promise.all([
    readJsonl<BeirDoc>(findFile(dir, 'corpus.jsonl'), (record, where) => ({
      id: field(record, '_id', where, true),
      title: field(record, 'title', where, false),
      text: field(record, 'text', where, true),
      ...sectionFields(record, where),
    })),
    readJsonl<BeirQuery>(findFile(dir, 'queries.jsonl'), (record, where) => {
      const text = field(record, 'text', where, true);
      // Scored, an empty query would add a row of zeros (or chance) to every method's mean.
      if (text.trim() === '') throw invalid(`${where}: the query "text" is empty: give the words to search for, or leave the query out`);
      return { id: field(record, '_id', where, true), text };
    }),
    readQrels(qrelsPath),
  ]);
  const queryIds = new Set(allQueries.map((query) => query.id));
  const missing = [...qrels.keys()].filter((id) => !queryIds.has(id));
  if (missing.length > 0) {
    throw invalid(`${qrelsPath}: ${missing.length} judged query id(s) are not in queries.jsonl, e.g. ${JSON.stringify(missing[0])}`);
  }
  // Scores would be zeros that look like results: refuse a set with nothing to find.
  const relevant = [...qrels.values()].flatMap((judgements) => [...judgements].filter(([, score]) => score > 0).map(([doc]) => doc));
  if (relevant.length === 0) throw invalid(`${qrelsPath}: no query has a relevant document (a score above 0)`);
  const docIds = new Set(corpus.map((doc) => doc.id));
  let unknownDocs = 0;
  for (const judgements of qrels.values()) for (const doc of judgements.keys()) if (!docIds.has(doc)) unknownDocs++;
  const found = relevant.find((doc) => docIds.has(doc));
  if (found === undefined) throw invalid(`${qrelsPath}: none of the ${relevant.length} relevant documents is in corpus.jsonl (${corpus.length} documents), e.g. ${JSON.stringify(relevant[0])}`);
  return { dir, split, corpus, queries: allQueries.filter((query) => qrels.has(query.id)), qrels, unknownDocs };
}

/**
 * What the baselines (bm25, dense, their fixed-weight fusions) read of a document: title and text
 * joined, as BEIR does; a site section's title is where it sits (page › headings).
 */
export function documentText(doc: BeirDoc): string {
  const title = doc.place ? sectionPath(doc.place.pageTitle, doc.place.headingPath) : doc.title;
  return title ? `${title} ${doc.text}` : doc.text;
}

/** What the product's model reads of a document: a site section's place and text, as the site index embeds it; else a one-section page's. */
export function productEmbeddingText(doc: BeirDoc): string {
  return doc.place ? embeddingText(doc.place.pageTitle, doc.place.headingPath, doc.text) : documentEmbeddingText(doc);
}
