"""Sections, links and API entries from the HTML documentation in Debian packages.

Packages are fetched with `apt-get download` and extracted with `dpkg-deb -x` under DEBS
(/work/debs/<pkg>/root, outside every repository). FAQ pages are never read (evaluation data),
nor python-django-doc (the unseen evaluation site), nor the five dev sites whose FAQs are the
development question sets (EVALUATION_SITES). One generic HTML walker covers the generators
(DocBook for PostgreSQL, SQLite's own pages, rustdoc + mdBook, Node's doc tool, Sphinx, Erlang's):
headings start sections, <dt>/<dd> pairs are API or term entries, <a href> with text are links.
"""
import glob
import html
import os
import re
import subprocess
from html.parser import HTMLParser
from urllib.parse import unquote

DEBS = os.environ.get('NANO2_DEBS', '/work/debs')

# package -> (licence as read from its copyright file, html roots, path filter)
PACKAGES = {
    'postgresql-doc-15': 'PostgreSQL licence (BSD-like)',
    'sqlite3-doc': 'public domain',
    'rust-doc': 'MIT or Apache-2.0',
    'nodejs-doc': 'MIT',
    'sphinx-doc': 'BSD-2-clause',
    # issue 9's "ten times the documentation": Sphinx sites of Python libraries (none of them a dev
    # or held-out evaluation site), Erlang/OTP's and CMake's manuals; each the licence of `Files: *`
    'python-scipy-doc': 'BSD-3-clause',
    'python-sklearn-doc': 'BSD-3-clause',
    'python-pandas-doc': 'BSD-3-clause',
    'python-sympy-doc': 'BSD-3-clause',
    'python-statsmodels-doc': 'BSD-3-clause',
    'python-astropy-doc': 'BSD-3-clause',
    'python-dask-doc': 'BSD-3-clause',
    'python-xarray-doc': 'Apache-2.0',
    'python-h5py-doc': 'BSD-3-clause',
    'python-mpmath-doc': 'BSD-3-clause',
    'python-pytest-doc': 'MIT',
    'python-tornado-doc': 'Apache-2.0',
    'python-ipython-doc': 'BSD-3-clause',
    'python-kombu-doc': 'BSD-3-clause',
    'python-flask-doc': 'BSD-3-clause',
    'python-werkzeug-doc': 'BSD-3-clause',
    'python-jinja2-doc': 'BSD-3-clause',
    'python-requests-doc': 'Apache-2.0',
    'python-cryptography-doc': 'Apache-2.0',
    'python-bs4-doc': 'MIT',
    'python-setuptools-doc': 'MIT',
    'python-pygments-doc': 'BSD-2-clause',
    'erlang-doc': 'Apache-2.0',
    'cmake-doc': 'BSD-3-clause (cmake-data\'s copyright file: cmake-doc links its doc folder there)',
}
SPHINX_LIBS = [p for p in PACKAGES if p.startswith('python-')]
# how the product is evaluated: a site never seen (Django) and the dev sites' questions
EVALUATION_SITES = {'python-django-doc', 'python-aiohttp-doc', 'python-celery-doc', 'python-scrapy-doc',
                    'python-sqlalchemy-doc', 'python-lxml-doc'}
assert not EVALUATION_SITES & set(PACKAGES)
ROOTS = {
    'postgresql-doc-15': ['usr/share/doc/postgresql-doc-15/html'],
    'sqlite3-doc': ['usr/share/doc/sqlite3'],
    'rust-doc': ['usr/share/doc/rust-doc/html/' + d for d in
                 ('book', 'reference', 'rust-by-example', 'nomicon', 'edition-guide', 'std', 'rustc',
                  'rustdoc', 'proc_macro', 'embedded-book')],
    'nodejs-doc': ['usr/share/doc/nodejs/api'],
    'sphinx-doc': ['usr/share/doc/sphinx-doc/html'],
    **{p: [f'usr/share/doc/{p}/html'] for p in SPHINX_LIBS},
    'erlang-doc': ['usr/share/doc/erlang-doc'],
    'cmake-doc': ['usr/share/doc/cmake-data/html'],
}
# rustdoc: the intrinsics (std/arch) are tens of thousands of near-identical pages; the
# "all items" index and source listings carry no prose
SKIP_PATH = re.compile(r'faq|/std/arch/|/all\.html$|/src/|/_sources/|/_modules/|/genindex|/search\.html$'
                       r'|/py-modindex|/releaselog/|/print\.html$|/implementors/|/sidebar-items'
                       r'|/rust-by-example/print|/404\.html$|/index-\d|/bookindex'
                       r'|/_static/|/_images/|/_downloads/|/lib/wx-|/lib/jinterface-', re.I)
# a FAQ page under another name is still a FAQ page
FAQ_TITLE = re.compile(r'\bFAQs?\b|frequently asked', re.I)
SKIP_TAGS = {'script', 'style', 'head', 'nav', 'header', 'footer', 'noscript', 'svg', 'button', 'form', 'select'}
SKIP_CLASSES = {'sidebar', 'sphinxsidebar', 'related', 'navheader', 'navfooter', 'sidebar-elems',
                'rustdoc-breadcrumbs', 'src', 'srclink', 'rightside', 'since', 'headerlink', 'mark',
                'toc', 'toctree-wrapper', 'nav-chapters', 'menu-bar', 'notable-traits', 'sub',
                'out-of-band', 'footer', 'api_stability', 'api_metadata', 'anchor', 'sidetoc',
                'tooltip', 'search-form', 'mobile-topbar', 'nav-wrapper', 'hidden'}
SKIP_IDS = {'column2', 'toc', 'sidebar', 'gtoc', 'apicontent-nav', 'mdbook-help-container',
            'menu-bar', 'sidebar-toggle-anchor', 'search-wrapper', 'sidebar-scrollbox'}
# rustdoc sections that repeat the same impls on every type page
SKIP_SECTION_IDS = {'trait-implementations', 'synthetic-implementations', 'blanket-implementations',
                    'implementors', 'synthetic-implementors', 'foreign-impls'}
VOID = {'br', 'img', 'hr', 'input', 'meta', 'link', 'wbr', 'col', 'area', 'source', 'base', 'embed', 'param', 'track'}
BLOCK = {'p', 'div', 'li', 'pre', 'dd', 'dt', 'tr', 'td', 'th', 'table', 'section', 'blockquote', 'ul', 'ol', 'dl',
         'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'details', 'summary'}
HEADINGS = {'h1': 1, 'h2': 2, 'h3': 3, 'h4': 4, 'h5': 5}
BAD_LINK_TEXT = re.compile(r'^(here|this|link|source|src|next|prev|previous|up|home|top|\W*|\d+|[ivx]+\.?|'
                           r'chapter \d+.*|run|section [\d.]+|\[?src\]?|read more|more|see|permalink|§|¶|#)$', re.I)


def fetch(pkg):
    """apt-get download + dpkg-deb -x into DEBS/<pkg>/root (skipped when already there)."""
    d = os.path.join(DEBS, pkg)
    root = os.path.join(d, 'root')
    if not os.path.isdir(root):
        os.makedirs(d, exist_ok=True)
        if not glob.glob(os.path.join(d, '*.deb')):
            subprocess.run(['apt-get', 'download', pkg], cwd=d, check=True)
        subprocess.run(['dpkg-deb', '-x', sorted(glob.glob(os.path.join(d, '*.deb')))[-1], root], check=True)
    deb = sorted(glob.glob(os.path.join(d, '*.deb')))[-1]
    version = subprocess.run(['dpkg-deb', '-f', deb, 'Version'], capture_output=True, text=True).stdout.strip()
    return root, version


class Page(HTMLParser):
    def __init__(self, path):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.stack = []  # (tag, skip, kind)
        self.skip = 0
        self.title = ''
        self.in_title = False
        self.sections = []  # dict(level, heading, ids, parts, api)
        self.cur = None
        self.pending_ids = []
        self.heading = None  # list of text parts while inside a heading
        self.heading_code = False
        self.dt = None
        self.dd = None
        self.terms = []  # (dt text, dd text, section index)
        self.link = None  # [href, parts]
        self.links = []  # (text, href, section index)
        self.skip_section = False
        self.new_section(0, '', [])

    def new_section(self, level, heading, ids, api=False):
        self.cur = {'level': level, 'heading': heading, 'ids': list(ids), 'parts': [], 'api': api}
        self.sections.append(self.cur)

    def emit(self, text):
        if self.skip or self.skip_section:
            return
        if self.heading is not None:
            self.heading.append(text)
            return
        if self.pending_ids:
            self.cur['ids'] += self.pending_ids
            self.pending_ids = []
        self.cur['parts'].append(text)
        if self.dt is not None:
            self.dt.append(text)
        if self.dd is not None:
            self.dd.append(text)
        if self.link is not None:
            self.link[1].append(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'title':
            self.in_title = True
        if tag in VOID:
            if a.get('id') and not self.skip:
                self.pending_ids.append(a['id'])
            return
        classes = set((a.get('class') or '').split())
        skip = tag in SKIP_TAGS or bool(classes & SKIP_CLASSES) or a.get('id') in SKIP_IDS or a.get('aria-hidden') == 'true'
        self.stack.append((tag, skip))
        if skip:
            self.skip += 1
            return
        if self.skip:
            return
        if a.get('id'):
            self.pending_ids.append(a['id'])
        if tag in BLOCK:
            self.emit('\n')
        if tag in HEADINGS:
            self.heading = []
            self.heading_code = 'code-header' in classes
        elif tag == 'dt':
            self.dt = []
            self.dt_sig = 'sig' in classes
        elif tag == 'dd':
            self.dd = []
        elif tag == 'a' and a.get('href') and self.heading is None:
            self.link = [a['href'], []]

    def handle_endtag(self, tag):
        if tag == 'title':
            self.in_title = False
        if tag in VOID or not any(t == tag for t, _ in self.stack):
            return
        while self.stack:
            t, skip = self.stack.pop()
            if skip:
                self.skip -= 1
            elif not self.skip:
                self.end_block(t)
            if t == tag:
                break

    def end_block(self, tag):
        if tag in HEADINGS and self.heading is not None:
            text = clean(''.join(self.heading))
            ids, self.pending_ids = self.pending_ids, []
            self.heading = None
            level = HEADINGS[tag]
            if level <= 2:
                self.skip_section = any(i in SKIP_SECTION_IDS for i in ids)
            if text and not self.skip_section:
                self.new_section(level, text, ids, api=self.heading_code)
        elif tag == 'dt' and self.dt is not None:
            self.dt_text, self.dt = clean(''.join(self.dt)), None
        elif tag == 'dd' and self.dd is not None:
            if getattr(self, 'dt_text', ''):
                self.terms.append((self.dt_text, clean(''.join(self.dd)), len(self.sections) - 1, self.dt_sig))
            self.dd, self.dt_text = None, ''
        elif tag == 'a' and self.link is not None:
            self.links.append((clean(''.join(self.link[1])), self.link[0], len(self.sections) - 1))
            self.link = None
        if tag in BLOCK:
            self.emit('\n')

    def handle_data(self, data):
        if self.in_title:
            self.title += data
            return
        self.emit(data)


def clean(s):
    return re.sub(r'\s+', ' ', s.replace('\u00b6', '').replace('\u00a7', '')).strip()


def section_text(sec):
    paras = [re.sub(r'[ \t\r\f\v]+', ' ', p).strip() for p in ''.join(sec['parts']).split('\n')]
    return '\n'.join(p for p in paras if p)


def pages(pkg, root):
    for base in ROOTS[pkg]:
        for dirpath, dirs, files in os.walk(os.path.join(root, base)):
            dirs.sort()
            for f in sorted(files):
                p = os.path.join(dirpath, f)
                if f.endswith('.html') and not SKIP_PATH.search(p) and os.path.getsize(p) < 3_000_000:
                    yield p


def parse(path):
    pg = Page(path)
    with open(path, encoding='utf-8', errors='replace') as f:
        pg.feed(f.read())
    pg.close()
    return pg


def page_title(pg):
    t = clean(html.unescape(pg.title))
    t = re.split(r'\s+[-\u2014|:]\s+(?=(PostgreSQL|Rust|Node|Sphinx|SQLite|The Rust))', t)[0]
    # Sphinx's "<page> — <project> <version> documentation" (or "Manual")
    t = re.sub(r'\s+[\u2014|]\s+[^\u2014|]*\b(documentation|manual)\b[^\u2014|]*$', '', t, flags=re.I)
    return t.replace(' - Rust', '').strip()


def extract(pkg):
    """Yield page records: {page, title, sections: [{heading, path, text, api}], terms, links}."""
    root, version = fetch(pkg)
    for path in pages(pkg, root):
        try:
            pg = parse(path)
        except Exception:  # a malformed page: skip it, do not stop the build
            continue
        rel = os.path.relpath(path, root)
        title = page_title(pg)
        if FAQ_TITLE.search(title):
            continue
        stack, out, idmap = [], [], {}
        for i, sec in enumerate(pg.sections):
            text = section_text(sec)
            if sec['level']:
                while stack and stack[-1][0] >= sec['level']:
                    stack.pop()
                stack.append((sec['level'], sec['heading']))
            hp = [h for _, h in stack]
            if hp and hp[0] != title and title:
                hp = [title] + hp
            elif not hp:
                hp = [title]
            out.append({'heading': sec['heading'], 'path': ' > '.join(hp), 'text': text, 'api': sec['api']})
            for x in sec['ids']:
                idmap[x] = i
        yield {'page': rel, 'title': title, 'sections': out, 'ids': idmap, 'terms': pg.terms,
               'links': [(t, resolve(path, root, h), s) for t, h, s in pg.links if t and not BAD_LINK_TEXT.match(t)]}


def resolve(path, root, href):
    if re.match(r'^[a-z]+:', href):
        return None
    target, _, frag = href.partition('#')
    target = os.path.normpath(os.path.join(os.path.dirname(path), unquote(target))) if target else path
    return os.path.relpath(target, root), unquote(frag)


if __name__ == '__main__':
    import sys
    import time
    pkg = sys.argv[1]
    t = time.time()
    n = chars = links = terms = secs = 0
    for rec in extract(pkg):
        n += 1
        secs += len(rec['sections'])
        chars += sum(len(s['text']) for s in rec['sections'])
        links += len(rec['links'])
        terms += len(rec['terms'])
        if n <= 2 or (len(sys.argv) > 2 and sys.argv[2] in rec['page']):
            print(rec['page'], '|', rec['title'])
            for s in rec['sections'][:6]:
                print('  ', s['api'], s['path'], '::', s['text'][:150].replace('\n', ' / '))
            print('  links', rec['links'][:5])
            print('  terms', rec['terms'][:3])
    print(pkg, 'pages', n, 'sections', secs, 'chars', chars, 'links', links, 'terms', terms, 'sec', round(time.time() - t))
