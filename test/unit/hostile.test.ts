/**
 * Issue 11, one test per problem found by hostile use of the CLI and the index reader (the
 * browser's share is in test/e2e/hostile.spec.ts, the random inputs in test/unit/fuzz.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { indexCommand } from '../../src/cli/index-command';
import { querySiteIndex } from '../../src/build/site-query';
import { excluder, extractSite, listHtmlFiles } from '../../src/extract/site';
import { queryCommand } from '../../src/cli/query-command';
import { encodeJson, fileRefFor, gzip } from '../../src/index/format';
import { fsLoader, openIndexDir, readIndexFile } from '../../src/index/node-files';
import { OutputDir } from '../../src/index/output-dir';
import { decodeHead, encodeHead } from '../../src/search/bm25';
import { SiteSearch } from '../../src/index/site-search';
import { sgptRejection } from '../support';

const SITE = resolve(import.meta.dirname, '../fixtures/site');
const TINY = resolve(import.meta.dirname, '../../test/fixtures/models/tiny-gpt2');

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'sgpt-hostile-'));
});
afterEach(() => rm(work, { recursive: true, force: true }));

async function put(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
}

async function copySite(): Promise<string> {
  const site = join(work, 'site');
  await cp(SITE, site, { recursive: true });
  return site;
}

describe('1. index writes only what it owns', () => {
  it('refuses an --out that is the site or holds it, before touching anything', async () => {
    const site = await copySite();
    await put(join(site, 'model/index.html'), '<h1>Model railways</h1><p>Our own model pages.</p>');
    for (const out of [site, work]) {
      const error = await sgptRejection(buildSiteIndex({ site, out, model: TINY, runtime: true, shipModel: true }));
      expect(error.code).toBe('INPUT_INVALID');
      expect(error.message).toMatch(/is the site folder or holds it/);
    }
    expect(await readFile(join(site, 'model/index.html'), 'utf8')).toContain('Model railways');
    expect(existsSync(join(site, 'manifest.json'))).toBe(false);
  });

  it("keeps a project's own model/ and chunks/ files, build after build, and the site's model/ pages", async () => {
    const site = await copySite();
    await put(join(site, 'model/index.html'), '<h1>Model railways</h1><p>Our own model pages.</p>');
    const project = join(work, 'project');
    await put(join(project, 'model/weights.bin'), 'the project’s');
    await put(join(project, 'chunks/app-1234abcd.js'), 'the project’s, shaped like a runtime chunk');
    await put(join(project, 'vectors-0.0123456789abcdef.bin'), 'the project’s, shaped like an index file');
    for (const model of [undefined, TINY, undefined]) {
      await buildSiteIndex({ site, out: project, model, runtime: true, shipModel: true, webgpu: false });
      await buildSiteIndex({ site, out: join(site, 'sgpt'), model, runtime: true, shipModel: true, webgpu: false });
    }
    expect(await readFile(join(project, 'model/weights.bin'), 'utf8')).toBe('the project’s');
    expect(await readdir(join(project, 'chunks'))).toContain('app-1234abcd.js');
    expect(existsSync(join(project, 'vectors-0.0123456789abcdef.bin'))).toBe(true);
    expect(await readFile(join(site, 'model/index.html'), 'utf8')).toContain('Model railways');
    // The page is indexed; the index's own folder is not.
    const hits = await querySiteIndex({ index: join(site, 'sgpt'), query: 'model railways', limit: 20, keywordOnly: true });
    expect(hits[0]!.url).toBe('/model/');
    expect(hits.some((hit) => hit.url.startsWith('/sgpt/'))).toBe(false);
    // Only the last model is shipped: the earlier ones were the builds' own and went.
    expect((await readdir(join(project, 'model'))).length).toBe(2);
  });
});

describe('1b. index replaces no file of anyone else in --out (audit)', () => {
  it("refuses a web app's manifest.json and its own sgpt-search.js, replacing neither", async () => {
    const pub = join(work, 'pub');
    await put(join(pub, 'manifest.json'), '{"name":"My PWA"}');
    await put(join(pub, 'sgpt-search.js'), 'mine');
    let error = await sgptRejection(buildSiteIndex({ site: SITE, out: pub, model: TINY, runtime: true, webgpu: false }));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toMatch(/manifest\.json is not an sgpt-search index manifest/);
    await rm(join(pub, 'manifest.json'));
    error = await sgptRejection(buildSiteIndex({ site: SITE, out: pub, model: TINY, runtime: true, webgpu: false }));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain(`${join(pub, 'sgpt-search.js')} is not a file of the sgpt-search index there`);
    expect(await readdir(pub)).toEqual(['sgpt-search.js']); // nothing written, the staging folder and the lock gone
    expect(await readFile(join(pub, 'sgpt-search.js'), 'utf8')).toBe('mine');
  });

  it("builds records alone into the records file's own folder, and refuses an --out above it or the filesystem root", async () => {
    const records = join(work, 'data/idx/records.jsonl');
    await put(records, JSON.stringify({ url: '/a', title: 'A', text: 'a kettle' }));
    for (const out of [join(work, 'data'), '/']) {
      const error = await sgptRejection(buildSiteIndex({ records, out, model: TINY }));
      expect(error.code).toBe('INPUT_INVALID');
      expect(error.message).toMatch(/holds the records file's folder|is the filesystem root/);
    }
    expect(await readdir(join(work, 'data'))).toEqual(['idx']);
    await buildSiteIndex({ records, out: join(work, 'data/idx'), model: TINY }); // as before: the records file is not the index's, so it stays
    expect(await readFile(records, 'utf8')).toContain('a kettle');
    const hits = await querySiteIndex({ index: join(work, 'data/idx'), query: 'kettle', limit: 3, keywordOnly: true });
    expect(hits[0]!.url).toBe('/a');
  });

  it('Ctrl-C (SIGINT) during `index` stops the build, leaving --out as it was, and exits 130; a second one exits at once', async () => {
    const out = join(work, 'stopped');
    const open = OutputDir.open.bind(OutputDir);
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const opened = vi.spyOn(OutputDir, 'open').mockImplementation(async (dir) => {
      const dirOpened = await open(dir);
      process.emit('SIGINT', 'SIGINT'); // with the lock taken and the staging folder made
      return dirOpened;
    });
    try {
      expect(await indexCommand([SITE, '--out', out, '--model', TINY, '--no-runtime', '--no-model', '--no-cache'])).toBe(130);
      expect(existsSync(out)).toBe(false); // the build made it: gone, with the lock and the staging folder
      expect(exit).not.toHaveBeenCalled();
      opened.mockImplementation(async (dir) => {
        const dirOpened = await open(dir);
        process.emit('SIGINT', 'SIGINT');
        process.emit('SIGINT', 'SIGINT');
        return dirOpened;
      });
      await indexCommand([SITE, '--out', out, '--model', TINY, '--no-runtime', '--no-model', '--no-cache']);
      expect(exit).toHaveBeenCalledWith(130);
    } finally {
      opened.mockRestore();
      exit.mockRestore();
    }
    expect(process.listeners('SIGINT')).toEqual([]);
  });

  it('Ctrl-C during the commit says the commit finishes, and it does: the new index, exit 0', async () => {
    const out = join(work, 'committed');
    const commit = OutputDir.prototype.commit;
    const committing = vi.spyOn(OutputDir.prototype, 'commit').mockImplementation(function (this: OutputDir, built) {
      process.emit('SIGINT', 'SIGINT');
      return commit.call(this, built);
    });
    const said: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(((text: string) => said.push(text) > 0) as never);
    try {
      expect(await indexCommand([SITE, '--out', out, '--model', TINY, '--no-runtime', '--no-model', '--no-cache'])).toBe(0);
    } finally {
      stderr.mockRestore();
      committing.mockRestore();
    }
    expect(said.join('')).toMatch(/the new index is being put in place: finishing that, then stopping/);
    expect(said.join('')).not.toMatch(/leaving --out as it was/);
    expect(existsSync(join(out, 'manifest.json'))).toBe(true);
    expect(process.listeners('SIGINT')).toEqual([]);
  });

  it('never writes through a link in --out to a folder outside it', async () => {
    const out = join(work, 'so');
    const victim = join(work, 'victim');
    await mkdir(out);
    await mkdir(victim);
    await symlink(victim, join(out, 'ort'));
    const error = await sgptRejection(buildSiteIndex({ site: SITE, out, model: TINY, runtime: true, webgpu: false }));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toContain(`${join(out, 'ort')} is a link to ${victim}`);
    expect(await readdir(victim)).toEqual([]);
    expect(await readdir(out)).toEqual(['ort']);
  });

  it('two builds into one --out: the second fails at once, the first builds', async () => {
    const out = join(work, 'out');
    const results = await Promise.allSettled([0, 1].map(() => buildSiteIndex({ site: SITE, out, model: TINY })));
    const failed = results.filter((result) => result.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect((failed[0] as PromiseRejectedResult).reason.message).toMatch(/another sgpt-search build \(pid \d+\) is writing/);
    const hits = await querySiteIndex({ index: out, query: 'install the kettle', limit: 3, keywordOnly: true });
    expect(hits.length).toBeGreaterThan(0);
    expect((await readdir(out)).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('a failed build (empty site, broken model) leaves --out as it found it', async () => {
    const empty = join(work, 'empty-site');
    await mkdir(empty);
    const broken = join(work, 'broken-model');
    await put(join(broken, 'config.json'), '{"model_type":"nothing"}');
    for (const run of [{ site: empty, model: TINY }, { site: SITE, model: broken }]) {
      const made = join(work, 'made');
      await expect(buildSiteIndex({ ...run, out: made })).rejects.toThrow();
      expect(existsSync(made)).toBe(false);
      const there = join(work, 'there');
      await mkdir(there, { recursive: true });
      await expect(buildSiteIndex({ ...run, out: there })).rejects.toThrow();
      expect(await readdir(there)).toEqual([]);
    }
    await buildSiteIndex({ site: SITE, out: join(work, 'there'), model: TINY }); // no lock left behind
  });
});

describe('3. a rebuild repairs a damaged index', () => {
  it('rebuilds what is missing instead of asking for the command that just failed', async () => {
    const out = join(work, 'out');
    await buildSiteIndex({ site: SITE, out, model: TINY, runtime: true, shipModel: true, webgpu: false });
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    const damaged = [manifest.shards[0].name, manifest.hashes.name, `${manifest.model.url}onnx/model.onnx`, 'sgpt-search.js'];
    for (const file of damaged) await rm(join(out, file));
    const summary = await buildSiteIndex({ site: SITE, out, model: TINY, runtime: true, shipModel: true, webgpu: false });
    expect(summary.built.embedded).toBe(14); // the vectors were gone: embedded again
    for (const file of damaged) expect(existsSync(join(out, file)), file).toBe(true);
    const hits = await querySiteIndex({ index: out, query: 'install the kettle', limit: 3 });
    expect(hits[0]!.semantic).toBe(true);
  });
});

/** The built index in `dir` with the keyword head's chunk list changed by `edit`. */
async function forgeHead(dir: string, edit: (chunks: Array<{ first: string; file: string; bytes: number }>) => void): Promise<void> {
  const reader = await openIndexDir(dir);
  const head = decodeHead(reader.keywordHead, 'head');
  edit(head.chunks);
  const bytes = await gzip(encodeHead(head));
  const ref = await fileRefFor('keyword', 'bm25.gzip', bytes);
  await writeFile(join(dir, ref.name), bytes);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  manifest.keyword = ref;
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

describe('4. names inside index files are checked before use', () => {
  it('refuses a keyword chunk named outside the index folder, reading nothing there', async () => {
    const out = join(work, 'out');
    await buildSiteIndex({ site: SITE, out, model: TINY });
    await put(join(work, 'secret.0123456789abcdef.bm25.gzip'), 'not for the index');
    for (const name of ['../secret.0123456789abcdef.bm25.gzip', '../../../../../../dev/zero', '/etc/passwd', 'https://evil.example/terms.0123456789abcdef.bm25']) {
      await forgeHead(out, (chunks) => (chunks[0]!.file = name));
      const error = await sgptRejection(SiteSearch.open(fsLoader(out)));
      expect(error.code, name).toBe('INDEX_INVALID');
      expect(error.message).toContain('is not a plain file name');
    }
    // The loaders refuse such a name too, whoever asks.
    expect((await sgptRejection(fsLoader(out)('../../../../../../dev/zero'))).code).toBe('INDEX_INVALID');
  });
});

describe('5. page urls are encoded paths from the site root', () => {
  it('percent-encodes file names at build time, so no name becomes a host, a query or a fragment', async () => {
    const site = join(work, 'site');
    const names = ['https:\\\\evil.example\\b.html', 'a?b#c.html', '%2e%2e.html', 'java script:x.html'];
    for (const name of names) await put(join(site, name), `<h1>Odd name</h1><p>teapot ${name}</p>`);
    const out = join(site, 'sgpt');
    await buildSiteIndex({ site, out, model: TINY });
    const hits = await querySiteIndex({ index: out, query: 'teapot', limit: 10, keywordOnly: true });
    expect(hits).toHaveLength(names.length);
    const root = new URL('https://docs.example/prefix/sgpt/../');
    for (const hit of hits) {
      const url = new URL(hit.url.slice(1), root);
      expect(url.origin).toBe('https://docs.example');
      expect(url.search + url.hash).toBe('');
      expect(names).toContain(decodeURIComponent(url.pathname.slice('/prefix/'.length)));
    }
  });

  it('refuses a bucket whose page url is absolute, protocol-relative or scriptable', async () => {
    const out = join(work, 'out');
    await buildSiteIndex({ site: SITE, out, model: TINY });
    const reader = await openIndexDir(out);
    const ref = reader.sectionTable.buckets[0]!;
    const bucket = JSON.parse(new TextDecoder().decode(await reader.chunk(ref)));
    for (const url of ['https://evil.example/x.html', '//evil.example/x.html', 'javascript:alert(1)', '/a\\b.html', '/a b.html']) {
      bucket.pages[0].url = url;
      const bytes = await gzip(encodeJson(bucket));
      const forged = await fileRefFor('sections-0', 'json.gzip', bytes);
      await writeFile(join(out, forged.name), bytes);
      const table = await gzip(encodeJson({ buckets: reader.sectionTable.buckets.map((b, i) => ({ name: i === 0 ? forged.name : b.name, bytes: i === 0 ? forged.bytes : b.bytes, count: b.count })) }));
      const tableRef = await fileRefFor('sections', 'json.gzip', table);
      await writeFile(join(out, tableRef.name), table);
      const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
      manifest.sections = tableRef;
      await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest));
      const error = await sgptRejection((await openIndexDir(out)).allSections());
      expect(error.code, url).toBe('INDEX_INVALID');
      expect(error.message).toMatch(/is not a percent-encoded path from the site root/);
    }
  });
});

describe('8. lesser: bounded, warned, never a stack trace', () => {
  it('indexes deep nesting, binary, badly encoded and linked pages with warnings', async () => {
    const site = await copySite();
    await put(join(site, 'deep.html'), `<h1>Deep</h1>${'<div>'.repeat(5000)}buried teapot words${'</div>'.repeat(5000)}`);
    await put(join(site, 'binary.html'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3]));
    await put(join(site, 'latin1.html'), Buffer.from('<h1>Café crème</h1><p>espresso</p>', 'latin1'));
    await put(join(site, 'utf16.html'), Buffer.from('\uFEFF<h1>Wide</h1><p>kettle</p>', 'utf16le'));
    await put(join(work, 'outside.html'), '<h1>Outside</h1><p>not the site</p>');
    await symlink(join(site, 'faq.html'), join(site, 'faq-link.html'));
    await symlink(join(work, 'outside.html'), join(site, 'outside.html'));
    const warnings: string[] = [];
    await buildSiteIndex({ site, out: join(site, 'sgpt'), model: TINY, onWarning: (m) => warnings.push(m) });
    expect(warnings.join('\n')).toMatch(/deep\.html: elements nested deeper than 256/);
    expect(warnings.join('\n')).toMatch(/binary\.html: skipped, binary data/);
    expect(warnings.join('\n')).toMatch(/latin1\.html: not valid UTF-8 and declares no charset: read as windows-1252/);
    expect(warnings.join('\n')).toMatch(/utf16\.html: skipped, UTF-16 \(a UTF-16 byte order mark\): save it as UTF-8/);
    expect(warnings.join('\n')).toMatch(/outside\.html: skipped, a link out of the site/);
    const index = join(site, 'sgpt');
    expect((await querySiteIndex({ index, query: 'buried teapot', limit: 1, keywordOnly: true }))[0]!.url).toBe('/deep.html');
    expect((await querySiteIndex({ index, query: 'café crème', limit: 1, keywordOnly: true }))[0]!.title).toBe('Café crème');
    const urls = (await (await openIndexDir(index)).allSections()).map((s) => s.url);
    expect(urls).toContain('/faq-link.html');
    expect(urls).not.toContain('/outside.html');
    expect(urls).not.toContain('/binary.html');
  });

  it('refuses --out naming a file and an absurd --limit with a coded error', async () => {
    await put(join(work, 'a-file'), 'x');
    const error = await sgptRejection(indexCommand([SITE, '--out', join(work, 'a-file'), '--model', TINY, '--no-runtime', '--no-model']));
    expect(error.code).toBe('INPUT_INVALID');
    expect(error.message).toMatch(/cannot be a folder/);
    const out = join(work, 'out');
    await buildSiteIndex({ site: SITE, out, model: TINY });
    const limit = await sgptRejection(queryCommand(['--index', out, '--limit', '1e9', 'kettle']));
    expect(limit.code).toBe('INPUT_INVALID');
    expect(limit.message).toMatch(/--limit must be an integer from 1 to 1000000/);
    // Number() would have read these as 16 and 5.
    for (const value of ['0x10', ' 5']) expect((await sgptRejection(queryCommand(['--index', out, '--limit', value, 'kettle']))).code).toBe('INPUT_INVALID');
    // A forged manifest cannot ask for a vector of 10^300 dimensions.
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    manifest.model.dims = 1e300;
    await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest));
    expect((await sgptRejection(openIndexDir(out))).message).toMatch(/model.dims must be from 1 to 65536/);
  });

  it('says that an empty query text is empty, not that the query is missing', async () => {
    for (const text of ['', ' \t']) {
      const error = await sgptRejection(queryCommand(['--index', join(work, 'no-index'), text]));
      expect(error.code).toBe('INPUT_INVALID');
      expect(error.message).toBe('the query text is empty: give the words to search for');
    }
    expect((await sgptRejection(queryCommand(['kettle']))).message).toMatch(/^give --index and one query text/);
  });
});

describe('9. the site folder as found: --out inside it, odd names, folder links, empty excludes', () => {
  it('keeps the root page with an empty --exclude (an empty shell variable)', async () => {
    const pages = await extractSite(SITE, { exclude: [''] });
    expect(pages.map((page) => page.url)).toContain('/');
    expect(excluder(['', 'faq.html'])('index.html')).toBe(false);
    expect(excluder(['', 'faq.html'])('faq.html')).toBe(true);
  });

  it('skips a page whose name is not UTF-8, or that went between listing and reading, with a warning; the rest is indexed', async () => {
    const site = await copySite();
    await writeFile(Buffer.concat([Buffer.from(`${site}/bad`), Buffer.from([0xff]), Buffer.from('name.html')]), '<h1>Bad name</h1><p>kettle</p>');
    await mkdir(Buffer.concat([Buffer.from(`${site}/dir`), Buffer.from([0xfe])]));
    const warnings: string[] = [];
    const summary = await buildSiteIndex({ site, out: join(work, 'out'), model: TINY, onWarning: (m) => warnings.push(m) });
    expect(summary.built.pages).toBe(4);
    expect(warnings).toContain('bad\uFFFDname.html: skipped, cannot be read (its name is not valid UTF-8: rename it)');
    expect(warnings).toContain('dir\uFFFD/: skipped, a folder that cannot be read (its name is not valid UTF-8: rename it)');
    // A page removed once the site is listed (the template is found after the listing, before the reads).
    const seen: string[] = [];
    const pages = await extractSite(site, { onWarning: (m) => seen.push(m), onTemplate: () => void rmSync(join(site, 'faq.html')) });
    expect(pages.map((page) => page.url)).toEqual(['/guide/generators.html', '/guide/install.html', '/']);
    expect(seen).toContain('faq.html: skipped, cannot be read (it was removed while the site was read)');
  });

  it('warns once per link to a folder, inside the site or out of it, naming it and why', async () => {
    const site = await copySite();
    await mkdir(join(work, 'elsewhere'));
    await put(join(work, 'elsewhere/page.html'), '<h1>Elsewhere</h1>');
    await symlink('guide', join(site, 'latest'));
    await symlink(join(work, 'elsewhere'), join(site, 'external'));
    await symlink(join(site, 'faq.html'), join(site, 'faq-link.txt')); // a link to a file that is no page: nothing to say
    const warnings: string[] = [];
    const files = await listHtmlFiles(site, [], (m) => warnings.push(m));
    expect(files).toEqual(['faq.html', 'guide/generators.html', 'guide/install.html', 'index.html']);
    expect(warnings).toEqual([
      'external: skipped, a link out of the site: links to folders are not followed',
      'latest: skipped, a link to a folder (/guide): links to folders are not followed',
    ]);
  });
  it('skips a folder named through a link as the real folder (real paths, as --out is checked)', async () => {
    const site = await copySite();
    await symlink(site, join(work, 'link-to-site'));
    expect(await listHtmlFiles(site, [join(work, 'link-to-site', 'guide')])).toEqual(['faq.html', 'index.html']);
  });

  it('refuses an --out inside the site that holds its pages, naming them; an empty or index-only folder builds', async () => {
    const site = await copySite();
    await symlink(site, join(work, 'link-to-site'));
    for (const out of [join(site, 'guide'), join(work, 'link-to-site', 'guide')]) {
      const error = await sgptRejection(buildSiteIndex({ site, out, model: TINY }));
      expect(error.code, out).toBe('INPUT_INVALID');
      expect(error.message).toMatch(/holds 2 pages of the site \(guide\/generators\.html, guide\/install\.html\).*choose another folder/);
    }
    expect(existsSync(join(site, 'guide/manifest.json'))).toBe(false);
    // Pages the build leaves out anyway are not lost.
    await buildSiteIndex({ site, out: join(site, 'guide'), exclude: ['guide/**'], model: TINY });
    const out = join(site, 'sgpt');
    await mkdir(out);
    for (let build = 0; build < 2; build++) expect((await buildSiteIndex({ site, out, model: TINY })).built.pages, `build ${build}`).toBe(4);
  });

});

describe('10. an index file that never ends or blocks (audit)', () => {
  it('refuses a device or a FIFO as an index file at once, naming it, and reads no more of a file than the manifest gives', async () => {
    const out = join(work, 'out');
    await buildSiteIndex({ site: SITE, out, model: TINY, runtime: false, shipModel: false });
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    // A file the manifest lists, as a link to /dev/zero: a query grew to 4.7 GB reading it.
    const shard = manifest.shards[0].name as string;
    await rm(join(out, shard));
    await symlink('/dev/zero', join(out, shard));
    const zero = await sgptRejection(queryCommand(['--index', out, '--model', TINY, 'kettle']));
    expect(zero.code).toBe('INDEX_INVALID');
    expect(zero.message).toMatch(/is a device, not a regular file/);
    // manifest.json as a FIFO: opening it waited for a writer forever, deaf to SIGTERM.
    await rm(join(out, 'manifest.json'));
    execFileSync('mkfifo', [join(out, 'manifest.json')]);
    const fifo = await sgptRejection(queryCommand(['--index', out, '--model', TINY, 'kettle']));
    expect(fifo.code).toBe('INDEX_INVALID');
    expect(fifo.message).toMatch(/manifest\.json: is a FIFO, not a regular file/);
    // ... and a build into that folder refuses it as not its own manifest, without hanging.
    expect((await sgptRejection(indexCommand([SITE, '--out', out, '--model', TINY, '--no-runtime', '--no-model']))).code).toBe('INPUT_INVALID');
    // A file longer than expected is read to one byte past its length, which the length check refuses.
    await put(join(work, 'long'), 'x'.repeat(1 << 20));
    expect((await readIndexFile(join(work, 'long'), 10)).byteLength).toBe(11);
    expect((await readIndexFile(join(work, 'long'))).byteLength).toBe(1 << 20);
  }, 20_000);
});
