/**
 * The Python 3.11 docs as the bench uses them (Node only): the built HTML site (Debian
 * python3.11-doc, fetched by scripts/fetch-python-docs.sh) with the pages every section leaves
 * out, and the shared data set's sections (../shared/data) for the throughput rooflines and
 * synthetic sites.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Generated pages with no prose of their own: the index, the module index and the search page. */
export const PYTHON_DOCS_EXCLUDE = ['genindex*.html', 'py-modindex.html', 'search.html'];

/** The site's root folder (downloaded and unpacked on first use). */
export function pythonDocsSite(): string {
  return execFileSync('bash', ['scripts/fetch-python-docs.sh'], { encoding: 'utf8' }).trim();
}

/** The shared data set's Python-docs sections, one JSON object a line, gzipped (beside the checkout). */
export const PYTHON_SECTIONS_FILE = fileURLToPath(new URL('../../shared/data/python-docs/sections.jsonl.gz', import.meta.url));

/** `n` sections' texts from the `from`-th on, one per line (newlines inside a section become spaces). */
export function pythonSections(n: number, from = 0): string[] {
  const lines = gunzipSync(readFileSync(PYTHON_SECTIONS_FILE)).toString('utf8').split('\n').filter((l) => l !== '');
  return lines.slice(from, from + n).map((line) => (JSON.parse(line) as { text: string }).text.replace(/\s*\n\s*/g, ' '));
}
