/**
 * Keyword-style docs queries in BEIR layout, from a set scripts/faq-beir.ts built: each section's
 * own heading is a query and that section its one relevant document, over the same site's
 * sections with every record's title, heading path and page title left out (as the held-out docs
 * pairs' documents). Two kinds of query come out: a heading proper ("Manual routing"), whose words
 * must then be found in the text, and an API or glossary entry's term (a `<dt>`, which the
 * extractor reads as the start of its section's text: "sqlalchemy.orm.undefer"), which still opens
 * its text — about half of each dev site's set. What a reader types into a docs search box that is
 * not a question, on a site of one's choosing (README "Evaluation", footnote ⁴).
 *
 *   tsx scripts/heading-beir.ts <faq-beir set> --out <dir> [--queries 300]
 *
 * A heading is taken when it is its site's only section of that title (case aside), not its
 * page's title, on no FAQ page nor generated source page (`/_modules/`), and its text has 20 or
 * more words; of those, the `--queries` whose ids hash lowest (SHA-256: the same set on every run).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { SectionRecord } from '../src/eval/site-corpus';

/** Site chrome that some generators give a heading of its own. */
const CHROME = /^(Last update|Source code for|Table of Contents|Navigation|Contents|Previous topic|Next topic|This Page|Quick search)/i;
const MIN_WORDS = 20;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, queries: { type: 'string', default: '300' } } });
  const [source] = positionals;
  const count = Number(values.queries);
  if (source === undefined || values.out === undefined || !Number.isInteger(count) || count < 1) {
    throw new Error('usage: tsx scripts/heading-beir.ts <faq-beir set> --out <dir> [--queries N]');
  }
  const records = (await readFile(join(source, 'corpus.jsonl'), 'utf8')).split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as SectionRecord);
  const titles = new Map<string, number>();
  for (const record of records) {
    const title = record.title.trim().toLowerCase();
    titles.set(title, (titles.get(title) ?? 0) + 1);
  }
  const hash = (id: string) => createHash('sha256').update(id).digest('hex');
  const chosen = records
    .filter((r) => {
      const title = r.title.trim();
      return title !== '' && title !== r.page_title && titles.get(title.toLowerCase()) === 1 && !CHROME.test(title) && !r.url.startsWith('/_modules/') && !r.url.toLowerCase().includes('/faq') && r.text.split(/\s+/).filter(Boolean).length >= MIN_WORDS;
    })
    .sort((a, b) => (hash(a._id) < hash(b._id) ? -1 : 1))
    .slice(0, count);
  await mkdir(join(values.out, 'qrels'), { recursive: true });
  await writeFile(join(values.out, 'corpus.jsonl'), records.map((r) => `${JSON.stringify({ ...r, title: '', heading_path: [], page_title: '' })}\n`).join(''));
  await writeFile(join(values.out, 'queries.jsonl'), chosen.map((r, i) => `${JSON.stringify({ _id: `q${i}`, text: r.title.trim() })}\n`).join(''));
  await writeFile(join(values.out, 'qrels', 'test.tsv'), `query-id\tcorpus-id\tscore\n${chosen.map((r, i) => `q${i}\t${r._id}\t1\n`).join('')}`);
  console.log(`${values.out}: ${chosen.length} headings of ${records.length} sections`);
}

await main();
