/**
 * The real-generator anchor table (README, "Real documentation generators"): index the HTML that
 * documentation generators produced (Debian -doc packages unpacked with `dpkg-deb -x`) and check
 * that each section links to an anchor that exists in its page (an element `id`, or `<a name>`), or,
 * for a heading with no id, to its text (a text directive, src/extract/text-fragment.ts).
 *
 *   tsx scripts/anchor-table.ts [--debs /work/debs] [--json]
 *
 * <debs>/<package>/root is each package unpacked: `apt-get download <package>` then
 * `dpkg-deb -x <package>_*.deb <debs>/<package>/root`. A package not there is listed as missing.
 *
 * A section without an anchor links to the top of its page: it counts as resolving only when it
 * is the page's first section (text before the first heading), else as a miss. A text anchor
 * resolves when a heading of its page begins with its text, as the browser finds it.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'parse5';
import { extractSite } from '../src/extract/site';
import { isTextAnchor } from '../src/extract/text-fragment';

interface Site {
  generator: string;
  package: string;
  /** The HTML root below the package's unpacked folder. */
  root: string;
  exclude?: string[];
}

const SITES: Site[] = [
  { generator: 'Sphinx', package: 'python3.11-doc', root: 'root/usr/share/doc/python3.11/html', exclude: ['genindex*.html', 'py-modindex.html', 'search.html'] },
  { generator: 'Sphinx', package: 'sphinx-doc', root: 'root/usr/share/doc/sphinx-doc/html', exclude: ['genindex*.html', 'search.html'] },
  { generator: 'mdBook', package: 'rust-doc', root: 'root/usr/share/doc/rust-doc/html/book' },
  { generator: 'rustdoc', package: 'rust-doc', root: 'root/usr/share/doc/rust-doc/html/std/collections' },
  { generator: 'DocBook', package: 'postgresql-doc-15', root: 'root/usr/share/doc/postgresql-doc-15/html' },
  { generator: 'Node.js doc tool', package: 'nodejs-doc', root: 'root/usr/share/doc/nodejs/api' },
  { generator: 'Doxygen', package: 'libjsoncpp-doc', root: 'root/usr/share/doc/libjsoncpp-doc' },
  { generator: "SQLite's own", package: 'sqlite3-doc', root: 'root/usr/share/doc/sqlite3' },
];

type Node = { nodeName: string; attrs?: Array<{ name: string; value: string }>; childNodes?: Node[]; content?: Node };

const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);

function textOf(node: Node): string {
  return node.nodeName === '#text' ? (node as unknown as { value: string }).value : (node.childNodes ?? []).map(textOf).join('');
}

/** Every element id and every `<a name>` of a page, and its headings' texts (whitespace collapsed). */
function targets(html: string): { ids: Set<string>; headings: string[] } {
  const ids = new Set<string>();
  const headings: string[] = [];
  const stack: Node[] = [parse(html) as unknown as Node];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const attr of node.attrs ?? []) if (attr.name === 'id' || (attr.name === 'name' && node.nodeName === 'a')) ids.add(attr.value);
    if (HEADINGS.has(node.nodeName)) headings.push(textOf(node).replace(/\s+/g, ' ').trim());
    stack.push(...(node.childNodes ?? []), ...(node.content ? [node.content] : []));
  }
  return { ids, headings };
}

/** The file a page url names ('/a%20b/' → 'a b/index.html'). */
function fileOf(url: string): string {
  const path = url.split('/').map(decodeURIComponent).join('/').replace(/^\//, '');
  return path === '' || path.endsWith('/') ? `${path}index.html` : path;
}

async function measure(debs: string, site: Site) {
  const root = join(debs, site.package, site.root);
  const pages = await extractSite(root, { exclude: site.exclude });
  let sections = 0;
  let resolving = 0;
  let anchored = 0;
  let byText = 0;
  for (const page of pages) {
    const { ids, headings } = targets(await readFile(join(root, fileOf(page.url)), 'utf8'));
    page.sections.forEach((section, i) => {
      sections++;
      if (isTextAnchor(section.anchor)) {
        byText++;
        if (headings.some((heading) => heading.startsWith(section.title))) resolving++;
        return;
      }
      if (section.anchor !== '') anchored++;
      if (section.anchor === '' ? i === 0 : ids.has(section.anchor)) resolving++;
    });
  }
  return { ...site, pages: pages.length, sections, anchored, byText, resolving, percent: (100 * resolving) / Math.max(1, sections) };
}

async function main(argv: string[]): Promise<void> {
  const at = argv.indexOf('--debs');
  const debs = at >= 0 ? argv[at + 1]! : '/work/debs';
  const rows = [];
  for (const site of SITES) {
    if (!existsSync(join(debs, site.package, site.root))) {
      process.stderr.write(`${site.generator}: ${join(debs, site.package)} is missing (apt-get download ${site.package}; dpkg-deb -x …)\n`);
      continue;
    }
    process.stderr.write(`${site.generator} (${site.package}/${site.root})…\n`);
    rows.push(await measure(debs, site));
  }
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  process.stdout.write('| generator | package (folder) | pages | sections | with an anchor | by their heading\'s text | linking to an existing anchor or heading |\n|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    process.stdout.write(`| ${r.generator} | ${r.package} (\`${r.root.replace(/^root\/usr\/share\/doc\//, '')}\`) | ${r.pages} | ${r.sections} | ${r.anchored} | ${r.byText} | ${r.percent.toFixed(1)} % (${r.resolving}) |\n`);
  }
}

await main(process.argv.slice(2));
