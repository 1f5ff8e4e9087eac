/**
 * Runs the benchmark sections (bench/sections/*.ts, each exporting `run(ctx): Promise<BenchRow[]>`),
 * prints one table and writes bench/results/latest.json.
 *
 *   npm run bench [-- --quick] [-- --model <folder|url>] [-- --baseline-model <folder>] [-- --baseline-engine <checkout>] [-- <section> ...]
 *
 * Without section names every section runs but `scale` (100k sections) and `kmeans` (the Python docs' k-means and build, minutes per round in plain JS): run them by name.
 *
 * A failing section is reported and the others still run; the exit status is then 1.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchContext, BenchRow, BenchSection } from './types';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const SECTIONS = join(HERE, 'sections');
const RESULTS = join(HERE, 'results', 'latest.json');

interface Args {
  quick: boolean;
  model?: string;
  baselineModel?: string;
  baselineEngine?: string;
  only: string[];
}

export function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') args.quick = true;
    else if (arg === '--model') {
      const value = argv[++i];
      if (value === undefined) throw new Error('--model needs a value (a model folder or URL)');
      args.model = value;
    } else if (arg.startsWith('--model=')) args.model = arg.slice('--model='.length);
    else if (arg === '--baseline-model') {
      const value = argv[++i];
      if (value === undefined) throw new Error('--baseline-model needs a value (a model folder)');
      args.baselineModel = value;
    } else if (arg === '--baseline-engine') {
      const value = argv[++i];
      if (value === undefined) throw new Error('--baseline-engine needs a value (a checkout of this repository)');
      args.baselineEngine = value;
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg} (options: --quick, --model <folder|url>, --baseline-model <folder>, --baseline-engine <checkout>, section names)`);
    else args.only.push(arg.replace(/\.ts$/, ''));
  }
  return args;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : abs >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

/** Plain-text table: section, measurement, value, baseline (same run) and their ratio, note. */
export function table(rows: BenchRow[]): string {
  const header = ['section', 'measurement', 'value', 'baseline (same run)', 'ratio', 'note'];
  const body = rows.map((row) => [
    row.section,
    row.name,
    `${format(row.value)} ${row.unit}`,
    row.baseline ? `${row.baseline.name}: ${format(row.baseline.value)} ${row.unit}` : '',
    row.baseline && Number.isFinite(row.value) && Number.isFinite(row.baseline.value) && row.baseline.value !== 0
      ? `${(row.value / row.baseline.value).toFixed(2)}x`
      : '',
    row.note ?? '',
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** Sections a plain `npm run bench` leaves out (10 minutes or more on a 2-core machine): run them by name. */
const BY_NAME_ONLY = new Set(['scale', 'kmeans']);

async function sectionFiles(only: string[]): Promise<string[]> {
  const all = (await readdir(SECTIONS)).filter((f) => f.endsWith('.ts')).sort();
  if (only.length === 0) return all.filter((f) => !BY_NAME_ONLY.has(basename(f, '.ts')));
  const unknown = only.filter((name) => !all.includes(`${name}.ts`));
  if (unknown.length > 0) throw new Error(`no such bench section: ${unknown.join(', ')} (have: ${all.map((f) => basename(f, '.ts')).join(', ')})`);
  return all.filter((f) => only.includes(basename(f, '.ts')));
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const ctx: BenchContext = { quick: args.quick, log, ...(args.model === undefined ? {} : { model: args.model }), ...(args.baselineModel === undefined ? {} : { baselineModel: args.baselineModel }), ...(args.baselineEngine === undefined ? {} : { baselineEngine: args.baselineEngine }) };
  const rows: BenchRow[] = [];
  const errors: Array<{ section: string; message: string }> = [];
  const started = new Date();
  for (const file of await sectionFiles(args.only)) {
    const section = basename(file, '.ts');
    log(`== ${section}`);
    const t0 = performance.now();
    try {
      const module = (await import(pathToFileURL(join(SECTIONS, file)).href)) as { run?: BenchSection };
      if (typeof module.run !== 'function') throw new Error(`bench/sections/${file} exports no run(ctx)`);
      rows.push(...(await module.run(ctx)));
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      errors.push({ section, message: error instanceof Error ? error.message : String(error) });
      log(`!! ${section} failed: ${message}`);
    }
    log(`   ${section}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  process.stdout.write(`${table(rows)}\n`);
  for (const { section, message } of errors) process.stdout.write(`FAILED ${section}: ${message}\n`);
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
  await mkdir(join(HERE, 'results'), { recursive: true });
  await writeFile(RESULTS, `${JSON.stringify({ started: started.toISOString(), quick: args.quick, model: args.model ?? null, machine, rows, errors }, null, 2)}\n`);
  log(`wrote ${RESULTS}`);
  return errors.length === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(2);
    },
  );
}
