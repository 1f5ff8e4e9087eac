/** Python-docs sections' texts (the shared data set) for the throughput rooflines (Node only: reads a file). */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

const SECTIONS_FILE = '/work/shared/data/python-docs/sections.jsonl.gz';

/** `n` sections' texts from the `from`-th on, one per line (newlines inside a section become spaces). */
export function pythonSections(n: number, from = 0): string[] {
  const lines = gunzipSync(readFileSync(SECTIONS_FILE)).toString('utf8').split('\n').filter((l) => l !== '');
  return lines.slice(from, from + n).map((line) => (JSON.parse(line) as { text: string }).text.replace(/\s*\n\s*/g, ' '));
}
