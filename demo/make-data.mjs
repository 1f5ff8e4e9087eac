#!/usr/bin/env node
// Builds demo/data/python-docs.json: ~300 sections of the Python 3.11 documentation as
// [{id, title, text, url}] for the <sgpt-search> demo.
//
//   node demo/make-data.mjs [/work/shared/data/python-docs/sections.jsonl.gz]
//
// Sections come from the tutorial, the language reference and a set of commonly used library
// modules. The source's `_id`s ("page#n") number sections; they are not HTML anchors, so every
// url points at its page. Long texts are cut at a sentence end to keep the page light.
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const source = process.argv[2] ?? '/work/shared/data/python-docs/sections.jsonl.gz';
const out = join(dirname(fileURLToPath(import.meta.url)), 'data', 'python-docs.json');

const LIBRARY = [
  'library/functions', 'library/stdtypes', 'library/exceptions', 'library/string', 'library/re',
  'library/datetime', 'library/collections', 'library/itertools', 'library/functools',
  'library/pathlib', 'library/os', 'library/json', 'library/csv', 'library/logging',
  'library/subprocess', 'library/unittest', 'library/typing', 'library/dataclasses',
  'library/random', 'library/math', 'library/sqlite3', 'library/argparse', 'library/asyncio-task',
];
// At most this many sections from one page, so that no page dominates.
const PER_PAGE = { tutorial: 10, reference: 6, library: 7 };
const MAX_TEXT = 1500;

/** Cut at the last sentence end before `max` characters (or the last space). */
function clip(text, max) {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const stop = head.lastIndexOf('. ');
  return stop > max / 2 ? head.slice(0, stop + 1) : `${head.slice(0, head.lastIndexOf(' '))} …`;
}

const sections = gunzipSync(readFileSync(source))
  .toString('utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));

const taken = new Map();
const picked = sections.filter((s) => {
  if (s.text.trim().length < 80) return false; // headings with no body say nothing on their own
  const top = s.page.split('/')[0];
  if (!(top in PER_PAGE) || (top === 'library' && !LIBRARY.includes(s.page))) return false;
  taken.set(s.page, (taken.get(s.page) ?? 0) + 1);
  return taken.get(s.page) <= PER_PAGE[top];
});

const documents = picked.map((s) => ({
  id: s._id,
  title: s.heading_path.split(' > ').join(' › ').replaceAll(' --- ', ' — '),
  text: clip(s.text.replace(/\s+/g, ' ').trim(), MAX_TEXT),
  url: `https://docs.python.org/3.11/${s.page}.html`,
}));
writeFileSync(out, `${JSON.stringify(documents, null, 0).replaceAll('},{', '},\n{')}\n`);
const pages = new Set(picked.map((s) => s.page.split('/')[0]));
console.log(`${documents.length} sections (${[...pages].join(', ')}) -> ${out}`);
