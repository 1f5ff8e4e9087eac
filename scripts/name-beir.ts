/**
 * Navigational docs queries in BEIR layout, from a set scripts/faq-beir.ts built: each page whose
 * title is "name — what it is" (Sphinx's module pages: "json — JSON encoder and decoder") under
 * `--under` gives its name as a query ("json") and its top section as the one relevant document,
 * over the same site's sections as they are (titles kept: the exact-title boost reads them). What a
 * reader types to go to a module's page (README "Ranking hints", the exact-title boost).
 *
 *   tsx scripts/name-beir.ts <faq-beir set> --out <dir> [--under /library/]
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { SectionRecord } from '../src/eval/site-corpus';
import { isPageTop } from '../src/search/texts';

const NAMED = /^([\w.]+) [—–] /u;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, under: { type: 'string', default: '/library/' } } });
  const [source] = positionals;
  if (source === undefined || values.out === undefined) throw new Error('usage: tsx scripts/name-beir.ts <faq-beir set> --out <dir> [--under /library/]');
  const records = (await readFile(join(source, 'corpus.jsonl'), 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as SectionRecord);
  const queries: Array<{ _id: string; text: string }> = [];
  const qrels: string[] = [];
  const seen = new Set<string>();
  for (const record of records) {
    const name = NAMED.exec(record.title)?.[1];
    if (name === undefined || !isPageTop(record.heading_path) || !record.url.startsWith(values.under!) || seen.has(name)) continue;
    seen.add(name);
    const id = `n${queries.length}`;
    queries.push({ _id: id, text: name });
    qrels.push(`${id}\t${record._id}\t1`);
  }
  await mkdir(join(values.out, 'qrels'), { recursive: true });
  await copyFile(join(source, 'corpus.jsonl'), join(values.out, 'corpus.jsonl'));
  await writeFile(join(values.out, 'queries.jsonl'), queries.map((q) => `${JSON.stringify(q)}\n`).join(''));
  await writeFile(join(values.out, 'qrels', 'test.tsv'), ['query-id\tcorpus-id\tscore', ...qrels, ''].join('\n'));
  process.stdout.write(`${values.out}: ${queries.length} names of ${records.length} sections\n`);
}

await main();
