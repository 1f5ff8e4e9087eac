import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRecords, readRecords } from '../../src/build/records';
import { buildSiteIndex } from '../../src/build/site-build';
import { SgptError } from '../../src/errors';
import { fsLoader } from '../../src/index/node-files';
import { SiteSearch } from '../../src/index/site-search';

const line = (record: unknown) => JSON.stringify(record);

describe('records', () => {
  it('turns each record into a section; records with one path are one page', () => {
    const pages = parseRecords(
      [
        line({ url: '/faq/install', title: 'Installing', text: 'Run  the\\ninstaller.' }),
        line({ url: '/faq/install#linux', title: 'On Linux', text: 'Use apt.' }),
        '',
        line({ url: '/blog/a b.html#x%20y', title: 'A post', text: 'Hello.', lang: 'de' }),
      ].join('\n'),
      'r.jsonl',
    );
    expect(pages).toEqual([
      {
        url: '/faq/install',
        title: 'Installing',
        lang: '',
        sections: [
          { url: '/faq/install', anchor: '', title: 'Installing', pageTitle: 'Installing', headingPath: ['Installing'], text: 'Run the\\ninstaller.' },
          { url: '/faq/install', anchor: 'linux', title: 'On Linux', pageTitle: 'Installing', headingPath: ['On Linux'], text: 'Use apt.' },
        ],
      },
      { url: '/blog/a%20b.html', title: 'A post', lang: 'de', sections: [{ url: '/blog/a%20b.html', anchor: 'x y', title: 'A post', pageTitle: 'A post', headingPath: ['A post'], text: 'Hello.' }] },
    ]);
  });

  it('refuses a bad line with INPUT_INVALID naming the file, the line and the field', () => {
    const bad = (text: string) => {
      try {
        parseRecords(text, 'r.jsonl');
      } catch (error) {
        expect(error).toBeInstanceOf(SgptError);
        expect((error as SgptError).code).toBe('INPUT_INVALID');
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad(`${line({ url: '/a', title: 'A', text: 'x' })}\n{oops`)).toMatch(/^r\.jsonl:2: not valid JSON/);
    expect(bad('[1]')).toMatch(/r\.jsonl:1: a record must be a JSON object/);
    expect(bad(line({ url: 'https://evil.example/a', title: 'A', text: 'x' }))).toMatch(/url "https:\/\/evil\.example\/a" must be a path from the site root/);
    expect(bad(line({ url: '//host/a', title: 'A', text: 'x' }))).toMatch(/must be a path from the site root/);
    expect(bad(line({ url: '/a?q=1', title: 'A', text: 'x' }))).toMatch(/no scheme, host or query/);
    expect(bad(line({ url: '/a%zz', title: 'A', text: 'x' }))).toMatch(/malformed %-escape/);
    expect(bad(line({ url: '/a', title: '', text: 'x' }))).toMatch(/r\.jsonl:1: "title" must be a non-empty string/);
    expect(bad(line({ url: '/a', title: 'A' }))).toMatch(/"text" must be a non-empty string/);
    expect(bad(line({ url: '/a', title: 'A', text: 'x', tittle: 'typo' }))).toMatch(/unknown field "tittle"/);
    expect(bad([line({ url: '/a#b', title: 'A', text: 'x' }), line({ url: '/a#b', title: 'B', text: 'y' })].join('\n'))).toMatch(/r\.jsonl:2: a second record for \/a#b/);
    expect(bad([line({ url: '/a', title: 'A', text: 'x', lang: 'de' }), line({ url: '/a#b', title: 'B', text: 'y' })].join('\n'))).toMatch(/"lang" "" differs from "de"/);
  });

  it("keeps a record's filters and weight on its section", () => {
    const [page] = parseRecords(line({ url: '/a', title: 'A', text: 'x', filters: { v: '1', tag: ['x', 'y'] }, weight: 2 }), 'r.jsonl');
    expect(page!.sections[0]!.filters).toEqual({ v: ['1'], tag: ['x', 'y'] });
    expect(page!.sections[0]!.weight).toBe(2);
    expect(parseRecords(line({ url: '/a', title: 'A', text: 'x', weight: 1 }), 'r.jsonl')[0]!.sections[0]).not.toHaveProperty('weight');
    for (const weight of [0, -1, '2', 101, null]) {
      expect(() => parseRecords(line({ url: '/a', title: 'A', text: 'x', weight }), 'r.jsonl')).toThrow(/r\.jsonl:1: "weight": weight .* must be a number > 0 and ≤ 100/);
    }
    expect(() => parseRecords(line({ url: '/a', title: 'A', text: 'x', filters: { v: 3 } }), 'r.jsonl')).toThrow(/r\.jsonl:1: filter "v" must be a string or an array of strings/);
    expect(() => parseRecords(line({ url: '/a', title: 'A', text: 'x', filters: 'v:1' }), 'r.jsonl')).toThrow(/"filters" must be an object/);
  });
});

describe('an index of records, alone and with a site', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sgpt-records-'));
    await writeFile(
      join(dir, 'records.jsonl'),
      [line({ url: '/changelog#v2', title: 'Version 2', text: 'Adds the zeppelin launcher and fixes the carburettor.' }), line({ url: '/changelog#v1', title: 'Version 1', text: 'First release.' })].join('\n'),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a file with a UTF-8 byte order mark; refuses one that is not UTF-8, naming the line', async () => {
    const record = line({ url: '/a', title: 'Café', text: 'crème' });
    await writeFile(join(dir, 'bom.jsonl'), `\uFEFF${record}\n`);
    expect((await readRecords(join(dir, 'bom.jsonl')))[0]!.title).toBe('Café');
    await writeFile(join(dir, 'latin1.jsonl'), Buffer.from(`${line({ url: '/b', title: 'B', text: 'x' })}\n${record}\n`, 'latin1'));
    await expect(readRecords(join(dir, 'latin1.jsonl'))).rejects.toMatchObject({ code: 'INPUT_INVALID', message: expect.stringMatching(/latin1\.jsonl:2: not valid UTF-8/) });
  });

  it('indexes records alone: searchable, linking to their url and anchor', async () => {
    const out = join(dir, 'alone');
    await buildSiteIndex({ records: join(dir, 'records.jsonl'), out, model: 'test/fixtures/models/tiny-gpt2' });
    const site = await SiteSearch.open(fsLoader(out));
    expect(site.manifest.root).toBeUndefined();
    expect((await site.keywordSearch('zeppelin', 5)).map((h) => h.url)).toEqual(['/changelog#v2']);
  });

  it('indexes records together with a site, and refuses a record at a page of the site', async () => {
    const out = join(dir, 'both');
    const summary = await buildSiteIndex({ site: 'test/fixtures/site', records: join(dir, 'records.jsonl'), out, model: 'test/fixtures/models/tiny-gpt2' });
    const site = await SiteSearch.open(fsLoader(out));
    expect((await site.keywordSearch('carburettor', 5)).map((h) => h.url)).toEqual(['/changelog#v2']);
    expect((await site.keywordSearch('generator', 5)).length).toBeGreaterThan(0);
    expect(summary.built.pages).toBeGreaterThan(1);
    await writeFile(join(dir, 'clash.jsonl'), line({ url: '/guide/generators.html', title: 'G', text: 'x' }));
    await expect(buildSiteIndex({ site: 'test/fixtures/site', records: join(dir, 'clash.jsonl'), out })).rejects.toThrow(/clash\.jsonl: records at \/guide\/generators\.html clash with the site's page there/);
    await expect(buildSiteIndex({ records: join(dir, 'missing.jsonl'), out })).rejects.toThrow(/--records .*missing\.jsonl: cannot read it \(ENOENT\)/);
    await expect(buildSiteIndex({ out })).rejects.toThrow(/give a site folder, --records, or both/);
  });
});
