/**
 * Hostile-input probe (issue 11): a few hundred inputs against the CLI, the index reader and the
 * indexer, each classified as ok (accepted, correct), clear (refused with a coded SgptError, or
 * read with a warning), crash (any other exception or a stack trace), hang (past 60 s), wrong
 * (accepted, but a link leaves the site, a loader is asked for a path, or a bad page is indexed
 * without a word) or lost (a file that is not the build's own disappeared).
 *
 *   npx tsx bench/hostile-probe.ts            # prints the table; exits 1 unless the last four are 0
 *
 * The element's share (XSS, CSP, keyword search after model failures) is in test/e2e/hostile.spec.ts.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSiteIndex } from '../src/build/site-build';
import { main } from '../src/cli/main';
import { querySiteIndex } from '../src/build/site-query';
import { SgptError } from '../src/errors';
import { encodeJson, fileContent, fileRefFor, gzip, type FileRef } from '../src/index/format';
import type { FileLoader } from '../src/index/reader';
import { SiteSearch } from '../src/index/site-search';

type Outcome = 'ok' | 'clear' | 'crash' | 'hang' | 'wrong' | 'lost';
const tally: Record<string, Record<Outcome, number>> = {};
const notes: string[] = [];
const ROOT = resolve(import.meta.dirname, '..');
const SITE = join(ROOT, 'test/fixtures/site');
const TINY = join(ROOT, 'test/fixtures/models/tiny-gpt2');
const CLI = join(ROOT, 'bin/sgpt-search.js');
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

async function probe(group: string, name: string, run: () => Promise<Outcome>): Promise<void> {
  const row = (tally[group] ??= { ok: 0, clear: 0, crash: 0, hang: 0, wrong: 0, lost: 0 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    run().catch((error: unknown): Outcome => (error instanceof SgptError ? 'clear' : 'crash')),
    new Promise<Outcome>((done) => (timer = setTimeout(() => done('hang'), 60_000))),
  ]);
  clearTimeout(timer);
  row[outcome]++;
  if (outcome !== 'ok' && outcome !== 'clear') notes.push(`${group} / ${name}: ${outcome}`);
}

/** The CLI in-process: exit status and what it wrote to stderr. */
async function cli(argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const write = process.stderr.write.bind(process.stderr);
  const out = process.stdout.write.bind(process.stdout);
  process.stderr.write = ((chunk: string) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return { code: await main(argv), err };
  } finally {
    process.stderr.write = write;
    process.stdout.write = out;
  }
}

function cliOutcome({ code, err }: { code: number; err: string }, expectOk: boolean): Outcome {
  if (/\n\s+at /.test(err)) return 'crash';
  if (code === 0) return expectOk ? 'ok' : 'wrong';
  return /[A-Z_]+: /.test(err) || code === 2 ? 'clear' : 'crash';
}

const work = await mkdtemp(join(tmpdir(), 'sgpt-probe-'));
const index = join(work, 'index');
await buildSiteIndex({ site: SITE, out: index, model: TINY, shards: 2 });

// --- A. CLI flags ---------------------------------------------------------------------------
const numbers = ['0', '-1', '1e9', 'abc', '', '1.5', 'Infinity', 'NaN', '0x10', ' 5', '1000001', '3'];
for (const flag of ['--limit', '--probe']) {
  for (const value of numbers) {
    await probe('CLI flags', `query ${flag} ${JSON.stringify(value)}`, async () => cliOutcome(await cli(['query', '--index', index, flag, value, '--keyword-only', 'kettle']), value === '3'));
  }
}
for (const [flag, value] of [['--weight', '-0.1'], ['--weight', '2'], ['--weight', 'NaN'], ['--mode', 'sideways'], ['--fusion', 'max'], ['--shards', '0'], ['--shards', '1e12'], ['--probe', '-3'], ['--batch', '1e9'], ['--exclude', '']] as const) {
  await probe('CLI flags', `index ${flag} ${value}`, async () => cliOutcome(await cli(['index', SITE, '--out', join(work, 'flags'), '--model', TINY, '--no-runtime', '--no-model', flag, value]), flag === '--exclude'));
}
for (const argv of [['query'], ['query', '--index', join(work, 'nope'), 'x'], ['query', '--index', join(SITE, 'index.html'), 'x'], ['index'], ['index', join(work, 'nope'), '--out', join(work, 'o1')], ['index', join(SITE, 'index.html'), '--out', join(work, 'o2')], ['bogus'], ['query', '--nope']]) {
  await probe('CLI flags', argv.join(' '), async () => cliOutcome(await cli(argv), false));
}

// --- B. Forged indexes through the reader -----------------------------------------------------
const manifestText = await readFile(join(index, 'manifest.json'), 'utf8');
const files = new Map<string, Uint8Array>();
for (const name of await readdir(index)) if (name !== 'manifest.json' && !name.startsWith('.')) files.set(name, new Uint8Array(await readFile(join(index, name))));

async function readIndex(manifest: string, extra: Map<string, Uint8Array>): Promise<Outcome> {
  const asked: string[] = [];
  const load: FileLoader = async (name) => {
    asked.push(name);
    if (name === 'manifest.json') return new TextEncoder().encode(manifest);
    const bytes = extra.get(name) ?? files.get(name);
    if (!bytes) throw new SgptError('INDEX_INVALID', `${name}: missing`);
    return bytes;
  };
  try {
    const search = await SiteSearch.open(load);
    const hits = [...(await search.keywordSearch('kettle water install', 10)), ...(await search.semanticSearch('kettle', new Float32Array(search.manifest.model.dims).fill(0.1), { limit: 10 }))];
    const offSite = hits.some((hit) => !new URL(hit.url.replace(/^\/+/, ''), 'https://site.example/p/').href.startsWith('https://site.example/p/'));
    return offSite || asked.some((name) => !PLAIN.test(name)) ? 'wrong' : 'ok';
  } finally {
    if (asked.some((name) => !PLAIN.test(name))) notes.push(`asked for ${asked.filter((name) => !PLAIN.test(name)).join(', ')}`);
  }
}

const hostile: unknown[] = [-1, 1e300, 2 ** 53, '', '../manifest.json', '/etc/passwd', '../../../../dev/zero', 'https://evil.example/x', '//evil.example/', 'javascript:alert(1)', 'model/../../', null, {}, [], true];
const manifestJson = JSON.parse(manifestText);
const paths: string[][] = [];
const walk = (value: unknown, path: string[]) => {
  if (path.length > 0) paths.push(path);
  if (value !== null && typeof value === 'object') for (const [key, inner] of Object.entries(value)) walk(inner, [...path, key]);
};
walk(manifestJson, []);
for (const path of paths.filter((p) => !['built', 'sha256'].includes(p.at(-1)!)).slice(0, 14)) {
  for (const value of hostile) {
    await probe('forged manifest', `${path.join('.')} = ${JSON.stringify(value)}`, async () => {
      const json = JSON.parse(manifestText);
      let target = json;
      for (const key of path.slice(0, -1)) target = target[key];
      target[path.at(-1)!] = value;
      return readIndex(JSON.stringify(json), new Map());
    });
  }
}

/** A manifest-listed file with its content changed by `mutate`, re-hashed so that it passes verification. */
async function forged(field: 'sections' | 'keyword' | 'hashes' | 'centroids', mutate: (content: Uint8Array) => Uint8Array): Promise<Outcome> {
  const ref = manifestJson[field] as FileRef;
  const gz = ref.name.endsWith('.gzip');
  const content = mutate(await fileContent(ref.name, files.get(ref.name)!));
  const bytes = gz ? await gzip(content) : content;
  const stem = ref.name.slice(0, ref.name.indexOf('.'));
  const next = await fileRefFor(stem, ref.name.slice(ref.name.indexOf('.', stem.length + 1) + 1), bytes);
  const json = JSON.parse(manifestText);
  json[field] = next;
  return readIndex(JSON.stringify(json), new Map([[next.name, bytes]]));
}
let seed = 11;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
for (const field of ['sections', 'keyword', 'hashes', 'centroids'] as const) {
  for (let i = 0; i < 25; i++) {
    await probe('forged index files', `${field} mutation ${i}`, () =>
      forged(field, (content) => {
        const out = content.slice();
        const kind = i % 4;
        const at = Math.floor(random() * out.length);
        if (kind === 0) out[at]! ^= 1 << Math.floor(random() * 8);
        if (kind === 1) return out.subarray(0, at);
        if (kind === 2) for (let k = 0; k < 8; k++) out[(at + k) % out.length] = 0xff;
        if (kind === 3) return Uint8Array.from([...out.subarray(0, at), ...Array.from({ length: 5 }, () => Math.floor(random() * 256)), ...out.subarray(at)]);
        return out;
      }),
    );
  }
}
// Forged section table and bucket urls.
for (const url of ['https://evil.example/x.html', '//evil.example/x', 'javascript:alert(1)', '/a\\b.html', '/a b.html', '/x?y', '/x#y', '/ok.html']) {
  await probe('forged index files', `bucket url ${url}`, async () => {
    const tableRef = manifestJson.sections as FileRef;
    const table = JSON.parse(new TextDecoder().decode(await fileContent(tableRef.name, files.get(tableRef.name)!)));
    const bucket = JSON.parse(new TextDecoder().decode(await fileContent(table.buckets[0].name, files.get(table.buckets[0].name)!)));
    bucket.pages[0].url = url;
    const bucketBytes = await gzip(encodeJson(bucket));
    const bucketRef = await fileRefFor('sections-0', 'json.gzip', bucketBytes);
    table.buckets[0] = { ...table.buckets[0], name: bucketRef.name, bytes: bucketRef.bytes };
    const tableBytes = await gzip(encodeJson(table));
    const nextTable = await fileRefFor('sections', 'json.gzip', tableBytes);
    const json = JSON.parse(manifestText);
    json.sections = nextTable;
    return readIndex(JSON.stringify(json), new Map([[bucketRef.name, bucketBytes], [nextTable.name, tableBytes]]));
  });
}

// --- C. Hostile pages --------------------------------------------------------------------------
const pages: Array<[string, string | Uint8Array, RegExp | null]> = [
  ['https:\\\\evil.example\\b.html', '<h1>Evil name</h1><p>teapot</p>', null],
  ['a?b#c.html', '<h1>Query name</h1><p>teapot</p>', null],
  ['%2e%2e.html', '<h1>Dots</h1><p>teapot</p>', null],
  ['sp ace.html', '<h1>Space</h1><p>teapot</p>', null],
  ['ünï.html', '<h1>Unicode</h1><p>teapot</p>', null],
  ['xss.html', '<h1 id="x&quot;><script>alert(1)</script>">XSS <img src=x onerror=alert(1)></h1><p>teapot &lt;script&gt;</p>', null],
  ['anchor.html', '<h1 id="javascript:alert(1)">Anchor</h1><p>teapot</p>', null],
  ['deep.html', `<h1>Deep</h1>${'<div>'.repeat(5000)}teapot${'</div>'.repeat(5000)}`, /nested deeper/],
  ['deeper.html', `<h1>Deeper</h1>${'<span><b>'.repeat(20000)}teapot`, /nested deeper/],
  ['binary.html', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 3]), /binary/],
  ['latin1.html', Buffer.from('<h1>Café</h1><p>teapot crème</p>', 'latin1'), /windows-1252/],
  ['declared.html', Buffer.from('<meta charset="iso-8859-1"><h1>Déclaré</h1><p>teapot</p>', 'latin1'), null],
  ['empty.html', '', null],
  ['scripts.html', '<script>teapot()</script><style>p{}</style>', null],
  ['huge-title.html', `<title>${'t'.repeat(200000)}</title><h1>${'teapot '.repeat(20000)}</h1>`, null],
  ['long.html', `<h1>Long</h1><p>${'teapot water kettle '.repeat(20000)}</p>`, null],
  ['huge.html', `<h1>Huge</h1><p>${'x'.repeat(33 * 1024 * 1024)}</p>`, /skipped, \d+ bytes/],
];
const site = join(work, 'site');
await cp(SITE, site, { recursive: true });
for (const [name, content] of pages) await writeFile(join(site, name), content);
await writeFile(join(work, 'outside.html'), '<h1>Outside</h1><p>teapot secret</p>');
await symlink(join(work, 'outside.html'), join(site, 'link-out.html'));
await symlink(join(site, 'faq.html'), join(site, 'link-in.html'));
await symlink(join(site, 'nowhere.html'), join(site, 'link-dangling.html'));
await mkdir(join(site, 'loop'));
await symlink(site, join(site, 'loop', 'again'));
const warnings: string[] = [];
let built: Outcome = 'ok';
try {
  await buildSiteIndex({ site, out: join(site, 'sgpt'), model: TINY, onWarning: (m) => warnings.push(m) });
} catch (error) {
  built = error instanceof SgptError ? 'clear' : 'crash';
  notes.push(`hostile site build: ${String(error)}`);
}
const sections = built === 'ok' ? await querySiteIndex({ index: join(site, 'sgpt'), query: 'teapot', limit: 200, keywordOnly: true }) : [];
for (const [name, , warning] of [...pages, ['link-out.html', '', /link out of the site/] as const, ['link-in.html', '', null] as const, ['link-dangling.html', '', /link to nothing/] as const]) {
  await probe('hostile pages', name, async () => {
    if (built !== 'ok') return built;
    const warned = warnings.some((w) => w.startsWith(`${name}:`) && (warning === null || warning.test(w)));
    if (warning !== null && !warned) return 'wrong';
    const offSite = sections.some((hit) => !new URL(hit.url.replace(/^\/+/, ''), 'https://site.example/p/').href.startsWith('https://site.example/p/'));
    if (offSite) return 'wrong';
    if (name === 'binary.html' || name === 'link-out.html') return sections.some((hit) => hit.url.includes(name.replace('.html', ''))) ? 'wrong' : 'clear';
    return warning === null ? 'ok' : 'clear';
  });
}

// --- D. Output folders: nothing that is not the build's own is deleted ------------------------
async function userFiles(dir: string): Promise<string[]> {
  const list = ['model/weights.bin', 'model/tiny-gpt2/config.json', 'chunks/app-1234abcd.js', 'ort/custom.wasm', 'vectors-0.0123456789abcdef.bin', 'owned.0123456789abcdef.json.gzip', 'sgpt-search.js.bak', 'notes.txt'];
  for (const file of list) {
    await mkdir(join(dir, file, '..'), { recursive: true });
    await writeFile(join(dir, file), `user ${file}`);
  }
  return list;
}
async function lostAny(dir: string, list: string[]): Promise<boolean> {
  for (const file of list) if (!existsSync(join(dir, file))) return true;
  return false;
}
const outCases: Array<[string, (d: string) => Promise<{ site: string; out: string }>]> = [
  ['project folder', async (d) => ({ site: SITE, out: d })],
  ['out = site', async (d) => (await cp(SITE, d, { recursive: true }), { site: d, out: d })],
  ['out = parent of site', async (d) => (await cp(SITE, join(d, 'site'), { recursive: true }), { site: join(d, 'site'), out: d })],
  ['out inside site', async (d) => (await cp(SITE, d, { recursive: true }), { site: d, out: join(d, 'sgpt') })],
  ['out is a file', async (d) => (await writeFile(join(d, 'f'), 'x'), { site: SITE, out: join(d, 'f') })],
];
for (const [name, setup] of outCases) {
  for (const model of [TINY, undefined]) {
    await probe('output folders', `${name} (${model ? 'tiny' : 'default'} model)`, async () => {
      const d = await mkdtemp(join(work, 'out-'));
      const list = await userFiles(d);
      const { site: s, out } = await setup(d);
      let outcome: Outcome = 'ok';
      for (let i = 0; i < 2; i++) {
        try {
          await buildSiteIndex({ site: s, out, model, runtime: true, shipModel: true, webgpu: false });
        } catch (error) {
          outcome = error instanceof SgptError ? 'clear' : 'crash';
        }
      }
      return (await lostAny(d, list)) ? 'lost' : outcome;
    });
  }
}
for (const forgedPath of ['../victim.txt', '/etc/hostname', 'model/../../victim.txt', 'link/victim.txt', 'notes.txt']) {
  await probe('output folders', `forged ownership list names ${forgedPath}`, async () => {
    const d = await mkdtemp(join(work, 'own-'));
    const out = join(d, 'out');
    await buildSiteIndex({ site: SITE, out, model: TINY });
    await writeFile(join(d, 'victim.txt'), 'victim');
    await mkdir(join(d, 'elsewhere'));
    await writeFile(join(d, 'elsewhere', 'victim.txt'), 'victim');
    await symlink(join(d, 'elsewhere'), join(out, 'link'));
    await writeFile(join(out, 'notes.txt'), 'user');
    const list = encodeJson([forgedPath]);
    const bytes = await gzip(list);
    const ref = await fileRefFor('owned', 'json.gzip', bytes);
    await writeFile(join(out, ref.name), bytes);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    manifest.owned = ref;
    await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest));
    await buildSiteIndex({ site: SITE, out, model: TINY });
    // notes.txt was listed as owned by the (forged) previous build: removing it is what the list says.
    const kept = existsSync(join(d, 'victim.txt')) && existsSync(join(d, 'elsewhere', 'victim.txt'));
    return kept ? 'ok' : 'lost';
  });
}

// --- E. index killed at random points -----------------------------------------------------------
const killed = join(work, 'killed');
await buildSiteIndex({ site: SITE, out: killed, model: TINY, runtime: true, shipModel: true, webgpu: false });
for (let run = 0; run < 16; run++) {
  await probe('interrupted index', `run ${run}`, async () => {
    const model = run % 2 === 0 ? [] : ['--model', TINY];
    const child = spawn(process.execPath, [CLI, 'index', SITE, '--out', killed, '--no-webgpu', ...model], { stdio: 'ignore' });
    const exit = new Promise((done) => child.on('exit', done));
    setTimeout(() => child.kill('SIGKILL'), 200 + Math.floor(random() * 3500));
    await exit;
    const hits = await querySiteIndex({ index: killed, query: 'install the kettle', limit: 3 });
    if (!hits[0]?.semantic) return 'wrong';
    const manifest = JSON.parse(await readFile(join(killed, 'manifest.json'), 'utf8'));
    for (const file of ['config.json', 'tokenizer.json', 'onnx/model.onnx']) if (!existsSync(join(killed, manifest.model.url, file))) return 'lost';
    return 'ok';
  });
}

await rm(work, { recursive: true, force: true });
const columns: Outcome[] = ['ok', 'clear', 'crash', 'hang', 'wrong', 'lost'];
const total = { ok: 0, clear: 0, crash: 0, hang: 0, wrong: 0, lost: 0 } as Record<Outcome, number>;
console.log(`| group | tried | ${columns.join(' | ')} |\n|---|---|${columns.map(() => '---').join('|')}|`);
for (const [group, row] of Object.entries(tally)) {
  for (const c of columns) total[c] += row[c];
  console.log(`| ${group} | ${columns.reduce((s, c) => s + row[c], 0)} | ${columns.map((c) => row[c]).join(' | ')} |`);
}
console.log(`| **all** | ${columns.reduce((s, c) => s + total[c], 0)} | ${columns.map((c) => total[c]).join(' | ')} |`);
for (const note of notes) console.log(`- ${note}`);
process.exit(total.crash + total.hang + total.wrong + total.lost === 0 ? 0 : 1);
