/**
 * Several sites in one search, in Chromium: a docs site and its blog, each indexed alone in Node
 * with the real default model and served under its own prefix, searched by one element
 * (`index="/docs-site/sgpt/manifest.json /blog-site/sgpt/manifest.json"`). Keyword and fused
 * results rank across both on one scale — the same ranking the Node API gives for the two folders —
 * and link into each site under its own prefix; an index built with another model is refused,
 * naming both manifests.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildSiteIndex } from '../../src/build/site-build';
import { SiteIndex } from '../../src/build/site-query';
import { test, expect, events, waitForResults } from './fixtures';
import { routeSite } from './site-route';

let root: string;
const dir = (name: string) => join(root, name);

const page = (title: string, ...sections: Array<[string, string]>) =>
  `<!doctype html><html lang="en"><head><title>${title}</title></head><body><main><h1>${title}</h1>${sections
    .map(([h, p]) => `<h2 id="${h.toLowerCase().replace(/\W+/g, '-')}">${h}</h2><p>${p}</p>`)
    .join('')}</main></body></html>`;

const DOCS: Record<string, string> = {
  'guide/files.html': page('Reading and writing files', ['Reading a file', 'Open a file with open() and read it line by line in a for loop; each line keeps its newline.'], ['Writing', 'Write text to a file with write(); close it or use a with block.']),
  'guide/json.html': page('JSON', ['Encoding', 'The json module turns Python objects into JSON text with dumps().'], ['Decoding', 'loads() parses JSON text back into dictionaries and lists.']),
  'guide/generators.html': page('Generators', ['Yield', 'A generator function yields values one at a time, lazily.']),
};
const BLOG: Record<string, string> = {
  'posts/big-files.html': page('Processing big log files', ['Line by line', 'We read our 40 GB log file line by line instead of loading it whole into memory.']),
  'posts/release.html': page('Release 2.0', ['What is new', 'Faster startup, a new theme and better search.']),
  // A long section whose opening lines lack its last word: its excerpt at the match shows it.
  'posts/history.html': page('Our history', ['Beginnings', `${'The team met in a small office above a bakery and argued about tabs and spaces. '.repeat(5)}Then came the zeppelin.`]),
};

async function site(name: string, pages: Record<string, string>, model?: string): Promise<void> {
  for (const [path, html] of Object.entries(pages)) {
    await mkdir(join(dir(name), dirname(path)), { recursive: true });
    await writeFile(join(dir(name), path), html);
  }
  await buildSiteIndex({ site: dir(name), out: join(dir(name), 'sgpt'), ...(model ? { model } : {}) });
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  root = await mkdtemp(join(tmpdir(), 'sgpt-merged-e2e-'));
  await site('docs', DOCS);
  await site('blog', BLOG);
  await site('tiny', BLOG, 'test/fixtures/models/tiny-gpt2');
});

test.afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

const paths = (results: unknown) => (results as Array<{ url: string }>).map((h) => new URL(h.url).pathname + new URL(h.url).hash);

/** The Node API's ranking of the two folders, as the page's paths (/d/… for the docs, /b/… for the blog). */
async function nodeRanking(query: string, keywordOnly: boolean): Promise<string[]> {
  const index = await SiteIndex.open([join(dir('docs'), 'sgpt'), join(dir('blog'), 'sgpt')]);
  try {
    return (await index.query(query, { limit: 6, keywordOnly })).map((hit) => `/${hit.site === 0 ? 'docs-site' : 'blog-site'}${hit.url}`);
  } finally {
    await index.dispose();
  }
}

test('ranks across two merged sites on one scale, each hit linking into its own site', async ({ page: tab }) => {
  test.setTimeout(240_000);
  const blog = await routeSite(tab, '/blog-site/', dir('blog'));
  const docs = await routeSite(tab, '/docs-site/', dir('docs'), { index: '/docs-site/sgpt/manifest.json /blog-site/sgpt/manifest.json', attributes: 'limit="6"' });
  await tab.goto('/docs-site/search.html');
  const query = 'read a file line by line';
  await tab.locator('sgpt-search#search').getByRole('combobox').fill(query);

  const keyword = paths((await waitForResults(tab, 'search', query, 'keyword')).detail.results);
  expect(keyword).toEqual(await nodeRanking(query, true));
  expect(keyword.some((p) => p.startsWith('/docs-site/guide/'))).toBe(true);
  expect(keyword.some((p) => p.startsWith('/blog-site/posts/'))).toBe(true);

  const semantic = paths((await waitForResults(tab, 'search', query, 'semantic', 120_000)).detail.results);
  expect(semantic).toEqual(await nodeRanking(query, false));
  expect(semantic.slice(0, 2).sort()).toEqual(['/blog-site/posts/big-files.html#line-by-line', '/docs-site/guide/files.html#reading-a-file']);
  // Both sites' keyword indexes were read.
  for (const { served } of [docs, blog]) expect([...served.keys()].filter((p) => /^sgpt\/(manifest\.json|keyword\.)/.test(p))).toHaveLength(2);
  expect(await events(tab, 'sgpt-error', 'search')).toEqual([]);
});

test('cuts excerpts at the match from the hit\'s own index\'s text files', async ({ page: tab }) => {
  test.setTimeout(240_000);
  const blog = await routeSite(tab, '/blog-site/', dir('blog'));
  await routeSite(tab, '/docs-site/', dir('docs'), { index: '/docs-site/sgpt/manifest.json /blog-site/sgpt/manifest.json', attributes: 'limit="6"' });
  await tab.goto('/docs-site/search.html');
  await tab.locator('sgpt-search#search').getByRole('combobox').fill('zeppelin');
  const [hit] = (await waitForResults(tab, 'search', 'zeppelin', 'semantic', 120_000)).detail.results as Array<{ url: string; excerpt: string; highlights: Array<[number, number]> }>;
  expect(new URL(hit!.url).pathname).toBe('/blog-site/posts/history.html');
  expect(hit!.excerpt).toMatch(/^….*zeppelin/);
  expect(hit!.highlights.map(([a, b]) => hit!.excerpt.slice(a, b))).toEqual(['zeppelin']);
  // Its text came from the blog's own text file.
  expect([...blog.served.keys()].filter((p) => /^sgpt\/text-/.test(p))).toHaveLength(1);
});

test('an index built with another model is refused, naming both manifests', async ({ page: tab }) => {
  await routeSite(tab, '/tiny-site/', dir('tiny'));
  await routeSite(tab, '/docs-site/', dir('docs'), { index: '/docs-site/sgpt/manifest.json /tiny-site/sgpt/manifest.json' });
  await tab.goto('/docs-site/search.html');
  await tab.locator('sgpt-search#search').getByRole('combobox').fill('json');
  await expect
    .poll(async () => (await events(tab, 'sgpt-error', 'search')).at(-1)?.detail, { timeout: 60_000 })
    .toMatchObject({ code: 'INDEX_MODEL_MISMATCH', message: expect.stringMatching(/\/tiny-site\/sgpt\/manifest\.json was built with model "tiny-gpt2" .* but http:\/\/[^ ]+\/docs-site\/sgpt\/manifest\.json with "sgpt-nano"/) });
});
