import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { extractPage } from '../../src/extract/html';
import { extractSite, globToRegExp, urlOf } from '../../src/extract/site';
import { isTextAnchor } from '../../src/extract/text-fragment';

const page = (body: string, head = '<title>T</title>') => `<!DOCTYPE html><html><head>${head}</head><body>${body}</body></html>`;
const brief = (html: string) => extractPage(html, '/p.html').sections.map((s) => ({ anchor: s.anchor, title: s.title, text: s.text }));

describe('extractPage', () => {
  it('splits at h1–h6 and keeps the heading path', () => {
    const { sections, title } = extractPage(
      page('<main><h1 id="a">A</h1><p>one</p><h2 id="b">B</h2><p>two</p><h3 id="c">C</h3>three<h2 id="d">D</h2>four</main>'),
      '/p.html',
    );
    expect(title).toBe('A');
    expect(sections.map((s) => [s.anchor, s.headingPath.join('/'), s.text])).toEqual([
      ['a', 'A', 'one'],
      ['b', 'A/B', 'two'],
      ['c', 'A/B/C', 'three'],
      ['d', 'A/D', 'four'],
    ]);
    expect(sections.every((s) => s.url === '/p.html' && s.pageTitle === 'A')).toBe(true);
  });

  it('takes the anchor from the enclosing <section id> when the heading has none (Sphinx)', () => {
    const html = page(
      '<div role="main"><section id="top"><span id="alias"></span><h1>Top<a class="headerlink" href="#top">¶</a></h1><p>x</p>' +
        '<section id="inner"><h2>Inner<a class="headerlink" href="#inner">¶</a></h2><p>y</p></section></section></div>',
    );
    expect(brief(html)).toEqual([
      { anchor: 'top', title: 'Top', text: 'x' },
      { anchor: 'inner', title: 'Inner', text: 'y' },
    ]);
  });

  it('does not give a heading the id of an element that another heading opens', () => {
    const html = page('<main><div id="content"><h2 id="first">First</h2><p>a</p><h2>Second</h2><p>b</p></div></main>');
    expect(brief(html).map((s) => s.anchor)).toEqual(['first', ':~:text=Second']);
  });

  it("reads an admonition's heading (DocBook's <div class=\"note\"><h3>Note</h3>) as text of the enclosing section", () => {
    const html = page('<main><div id="s1"><h2 id="s1h">Setup</h2><p>Install it.</p><div class="note"><h3 class="title">Note</h3><p>Needs root.</p></div><p>Then run.</p></div></main>');
    expect(brief(html).map((s) => [s.anchor, s.title, s.text])).toEqual([['s1h', 'Setup', 'Install it. Note Needs root. Then run.']]);
  });

  it('falls back to a headerlink or a named anchor inside the heading', () => {
    const html = page('<main><h2>Plain<a class="headerlink" href="#plain-x">¶</a></h2>p<h2><a name="old"></a>Old</h2>q<h2>None</h2>r</main>');
    expect(brief(html).map((s) => s.anchor)).toEqual(['plain-x', 'old', ':~:text=None']);
  });

  it('leaves a permalink sign out of the title wherever the link to its anchor is (Node.js: <a class="mark" href="#x">#</a>)', () => {
    const html = page(
      '<main><h3>Promise example<span><a class="mark" href="#promise-example" id="promise-example">#</a></span><a aria-hidden="true" class="legacy" id="fs_promise_example"></a></h3><p>Promises.</p>' +
        '<h3 id="h">Hash link<a class="hash-link" href="#h">§</a></h3><p>x</p><h3 id="c">C# and F#<a href="#c">C#</a></h3><p>y</p></main>',
    );
    expect(brief(html).map((s) => [s.anchor, s.title])).toEqual([['promise-example', 'Promise example'], ['h', 'Hash link'], ['c', 'C# and F#C#']]);
  });

  it("takes Doxygen's permalink and the empty anchor right before a heading", () => {
    const html = page('<main><a id="details"></a><h2 class="groupheader">Detailed Description</h2>d<h2 class="memtitle"><span class="permalink"><a href="#a5f">◆&nbsp;</a></span>asString()</h2>m</main>');
    expect(brief(html).map((s) => [s.anchor, s.title])).toEqual([['details', 'Detailed Description'], ['a5f', 'asString()']]);
  });

  it('links a heading without an anchor to the first id in its section, never an invented one', () => {
    // Doxygen: a group label, then each member's empty anchor before its title.
    const html = page(
      '<main><h1>Json::Value</h1>intro<span id="next"></span><h2 class="groupheader">Member Function Documentation</h2><a id="a35d"></a><h2 class="memtitle">asString()</h2>m' +
        '<h2>Synopsis</h2><pre>x</pre><p id="later">y</p><h2>Bare</h2>z</main>',
    );
    // The page's first section stays at the top of the page.
    // A heading with no id anywhere in its section is found by its text (./text-fragment).
    expect(brief(html).map((s) => [s.anchor, s.title])).toEqual([['', 'Json::Value'], ['a35d', 'Member Function Documentation'], ['a35d', 'asString()'], ['later', 'Synopsis'], [':~:text=Bare', 'Bare']]);
  });

  it('prefers data-sgpt-body, then <main>, role=main, <article>, <body>', () => {
    expect(brief(page('<p>chrome</p><main><p>main</p></main><div data-sgpt-body><p>marked</p></div>')).map((s) => s.text)).toEqual(['marked']);
    expect(brief(page('<p>chrome</p><article>art</article><main>main</main>')).map((s) => s.text)).toEqual(['main']);
    expect(brief(page('<p>chrome</p><div role="main">role</div><article>art</article>')).map((s) => s.text)).toEqual(['role']);
    expect(brief(page('<p>chrome</p><article>art</article>')).map((s) => s.text)).toEqual(['art']);
    expect(brief(page('<p>just the body</p>')).map((s) => s.text)).toEqual(['just the body']);
  });

  it('skips scripts, styles, nav, asides, footers, site headers, hidden and data-sgpt-ignore parts', () => {
    const html = page(
      '<header><h1>Site name</h1></header><nav>menu</nav><script>var x = 1;</script><style>p{}</style>' +
        '<h1 id="t">Title</h1><p>kept</p><aside>aside</aside><div data-sgpt-ignore>ad<h2>Ad heading</h2></div>' +
        '<p hidden>hidden</p><div role="navigation">toc</div><footer>foot</footer><noscript>ns</noscript>',
    );
    expect(brief(html)).toEqual([{ anchor: 't', title: 'Title', text: 'kept' }]);
  });

  it("takes the page's title from <title> when the only <h1> is in the site header (Node.js), not from the header, without the site's name after the first heading", () => {
    const html = page('<div id="column1"><header class="header"><h1>Node.js v18.20.4 documentation</h1></header><div id="apicontent"><h2 id="wt">Worker threads</h2><p>Threads.</p></div></div>', '<title>Worker threads | Node.js v18.20.4 Documentation</title>');
    const extracted = extractPage(html, '/worker_threads.html');
    expect(extracted.title).toBe('Worker threads');
    expect(brief(html)).toEqual([{ anchor: 'wt', title: 'Worker threads', text: 'Threads.' }]);
    const titled = (body: string, title: string) => extractPage(page(body, `<title>${title}</title>`), '/p.html').title;
    // mdBook: its <h1> is the menu bar's, the chapter's heading an <h2>.
    const mdBook = (heading: string) => `<div id="menu-bar" role="navigation"><h1 class="menu-title">The Rust Programming Language</h1></div><main><h2 id="h">${heading}</h2><p>x</p></main>`;
    expect(titled(mdBook('Installation'), 'Installation - The Rust Programming Language')).toBe('Installation');
    expect(titled(mdBook('Hello, World!'), 'Hello, World! · Book')).toBe('Hello, World!');
    expect(titled(mdBook('Traits'), 'Traits :: Book')).toBe('Traits');
    // Markdown's code marks left in <title> (Node.js's module page), the heading's <code> without them.
    expect(titled(mdBook('Modules: <code>node:module</code> API'), 'Modules: `node:module` API | Node.js v18.20.4 Documentation')).toBe('Modules: node:module API');
    // Not after the first heading, or no separator there: the whole <title>.
    expect(titled(mdBook('Installation'), 'Chapter 1 - Installation')).toBe('Chapter 1 - Installation');
    expect(titled(mdBook('Install'), 'Installation - The Rust Programming Language')).toBe('Installation - The Rust Programming Language');
    expect(titled(mdBook('Error'), 'Error-handling - Book')).toBe('Error-handling - Book');
    expect(titled('<main><p>No heading.</p></main>', 'Home | Site')).toBe('Home | Site');
    // Django: the site's <h1> above the page's, <title> the page's and the site's names.
    const django = '<div id="hd"><h1><a href="../index.html">Django 3.2.25 documentation</a></h1></div><div id="bd"><h1 id="q">Making queries</h1><p>x</p><h1 id="r">Related</h1><p>y</p></div>';
    expect(titled(django, 'Making queries | Django documentation | Django')).toBe('Making queries');
    expect(titled(django, 'Source code for x — Django 3.2.25 documentation')).toBe('Source code for x — Django 3.2.25 documentation');
  });

  it('titles a page whose content has several <h1> by <title>, unless <title> begins with the first (SQLite: "1. Introduction", "2. Concepts")', () => {
    const numbered = '<main><h1 id="introduction">1. Introduction</h1><p>Changes.</p><h1 id="concepts">2. Concepts</h1><p>Changesets.</p></main>';
    expect(extractPage(page(numbered, '<title>The Session Extension</title>'), '/s.html').title).toBe('The Session Extension');
    const named = '<main><h1 id="floats">Floating Point Objects</h1><p>PyFloatObject.</p><h1 id="pack">Pack and Unpack functions</h1><p>Packing.</p></main>';
    expect(extractPage(page(named, '<title>Floating Point Objects — Python 3.11.2 documentation</title>'), '/f.html').title).toBe('Floating Point Objects');
    expect(extractPage(page(numbered, ''), '/s.html').title).toBe('1. Introduction'); // no <title>: the first <h1>
    expect(extractPage(page('<main><h1 id="one">1. Overview</h1><p>x</p></main>', '<title>Other</title>'), '/o.html').title).toBe('1. Overview'); // one <h1>: the title
  });

  it("leaves out a page's own table of contents (named so, every link to an anchor of the page, little else) and a menu of links, not a table of contents linking to other pages", () => {
    const toc = '<details id="toc" open><summary>Table of contents</summary><ul><li><a href="#wt">Worker threads</a><ul><li><a href="#port">worker.parentPort</a></li><li><a href="#id">worker.threadId</a></li></ul></li></ul></details>';
    const body = '<h2 id="wt">Worker threads</h2><p>Threads.</p><h3 id="port">worker.parentPort</h3><p>A port.</p><h3 id="id">worker.threadId</h3><p>An id.</p>';
    expect(brief(page(`<main>${toc}${body}</main>`)).map((s) => s.title)).toEqual(['Worker threads', 'worker.parentPort', 'worker.threadId']);
    // SQLite's: a class and an id with "toc" as a part of their names.
    const fancy = '<div class="fancy_toc"><a onclick="toggle_toc()">Table Of Contents</a><div id="toc_sub"><div class="fancy-toc1"><a href="#wt">Worker threads</a></div><div class="fancy-toc2"><a href="#port">worker.parentPort</a></div><div class="fancy-toc2"><a href="#id">worker.threadId</a></div></div></div>';
    expect(brief(page(`<main>${fancy}${body}</main>`)).map((s) => s.title)).toEqual(['Worker threads', 'worker.parentPort', 'worker.threadId']);
    // docutils' `.. contents::`, captioned.
    const docutils = '<div class="contents topic" id="contents"><p class="topic-title">Contents</p><ul class="simple"><li><a class="reference internal" href="#wt">Worker threads</a></li><li><a href="#port">worker.parentPort</a></li><li><a href="#id">worker.threadId</a></li></ul></div>';
    expect(brief(page(`<main>${docutils}${body}</main>`)).map((s) => s.title)).toEqual(['Worker threads', 'worker.parentPort', 'worker.threadId']);
    // An element so named that holds more than links and a caption is content: a page's body in <div id="contents">.
    const wrapper = '<div id="contents"><h1 id="t">Threads</h1><p>Threads run JavaScript in parallel; see <a href="#a">workers</a>, <a href="#b">ports</a> and <a href="#c">channels</a> below, each with its own events and limits.</p></div>';
    expect(brief(page(`<main>${wrapper}</main>`))[0]!.text).toBe('Threads run JavaScript in parallel; see workers, ports and channels below, each with its own events and limits.');
    // Sphinx's toctree lists other pages' titles: navigation, the pages themselves indexed.
    const toctree = '<div class="toctree-wrapper compound"><p class="caption"><span class="caption-text">Table Of Contents</span></p><ul><li class="toctree-l1"><a class="reference internal" href="client.html">Client</a></li><li class="toctree-l1"><a class="reference internal" href="web.html">Server</a></li></ul></div>';
    expect(brief(page(`<main><h1 id="aiohttp">Welcome to AIOHTTP</h1><p>Asynchronous HTTP.</p>${toctree}</main>`))[0]!.text).toBe('Asynchronous HTTP.');
    // A site's menu the template misses (it holds the current page's contents, so it differs from page to page: lxml's).
    const sidemenu = '<div class="sidemenu" id="sidemenu"><div class="menutrigger">Menu</div><div class="menu"><ul><li><span class="section title">lxml</span><ul><li><a href="index.html">Introduction</a></li><li><a href="install.html">Installing lxml</a></li><li><a href="#port">worker.parentPort</a></li></ul></li></ul></div></div>';
    expect(brief(page(`<main>${sidemenu}${body}</main>`)).map((s) => s.title)).toEqual(['Worker threads', 'worker.parentPort', 'worker.threadId']);
    // Two links named as navigation are a menu too: Doxygen's breadcrumbs, Django's "« previous | up" on its first and last pages.
    const navpath = '<div id="nav-path" class="navpath"><ul><li class="navelem"><a class="el" href="dir_a.html">include</a></li><li class="navelem"><a class="el" href="dir_b.html">json</a></li></ul></div>';
    expect(brief(page(`<main><h1 id="w">writer.h File Reference</h1>${navpath}<p>Go to the source code of this file.</p></main>`))[0]!.text).toBe('Go to the source code of this file.');
    expect(brief(page('<main><h1 id="w">W</h1><div class="nav">&laquo; <a href="a.html">previous</a> | <a href="b.html">up</a></div><p>x</p></main>'))[0]!.text).toBe('x');
    // A table of contents still needs three: two links to anchors may be a sentence's.
    expect(brief(page('<main><h1 id="w">W</h1><div class="toc"><a href="#a">setup</a> <a href="#b">teardown</a></div></main>'))[0]!.text).toBe('setup teardown');
    // A "menu" that is prose with links is content (a restaurant's, say).
    const prose = '<div class="menu"><p>Our <a href="tea.html">teas</a>, <a href="cake.html">cakes</a> and <a href="soup.html">soups</a> change with the seasons and the markets, and every dish can be made without nuts on request.</p></div>';
    expect(brief(page(`<main><h1 id="m">Menu</h1>${prose}</main>`))[0]!.text).toBe('Our teas, cakes and soups change with the seasons and the markets, and every dish can be made without nuts on request.');
    // A section's page's own table of contents as DocBook writes it, its file's name before each anchor; not one that leaves the page.
    const own = '<div class="toc"><dl class="toc"><dt><a href="wt.html#port">worker.parentPort</a></dt><dt><a href="wt.html#id">worker.threadId</a></dt><dt><a href="wt.html#wt">Worker threads</a></dt></dl></div>';
    expect(brief(page(`<main>${own}${body}</main>`)).map((s) => s.title)).toEqual(['Worker threads', 'worker.parentPort', 'worker.threadId']);
    const mixed = own.replace('wt.html#id', 'other.html#id');
    expect(brief(page(`<main><h1 id="t">T</h1>${mixed}${body}</main>`))[0]!.text).toBe('worker.parentPort worker.threadId Worker threads');
    // A chapter's table of contents, linking to its pages (DocBook), is what the page holds.
    const chapter = '<div class="toc"><p>Table of Contents</p><dl class="toc"><dt><a href="install-binaries.html">16. Installation from Binaries</a></dt><dt><a href="installation.html">17. Installation from Source Code</a></dt><dt><a href="upgrading.html#x">18. Upgrading</a></dt></dl></div>';
    expect(brief(page(`<main><h1 id="admin">Server Administration</h1>${chapter}</main>`))[0]!.text).toBe('Table of Contents 16. Installation from Binaries 17. Installation from Source Code 18. Upgrading');
    // A list of a few same-page links that is not marked as contents stays (a method flowchart).
    expect(brief(page('<main><h1 id="v">View</h1><ol><li><a href="#a">setup()</a></li><li><a href="#b">dispatch()</a></li><li><a href="#c">get()</a></li></ol></main>'))[0]!.text).toBe('setup() dispatch() get()');
  });

  it('keeps an <article> header (it holds the title) but drops the permalink sign', () => {
    const html = page('<article><header><h1 id="x">Post<a class="headerlink" href="#x">¶</a></h1></header><p>body</p></article>');
    expect(brief(html)).toEqual([{ anchor: 'x', title: 'Post', text: 'body' }]);
  });

  it('decodes entities and keeps markup-looking text as text', () => {
    const [section] = extractPage(page('<main><h1 id="e">Caf&eacute; &amp; co</h1><p>&lt;b&gt;not bold&lt;/b&gt; &#8212; &#x2014;&nbsp;x</p></main>'), '/e.html').sections;
    expect(section!.title).toBe('Café & co');
    expect(section!.text).toBe('<b>not bold</b> — — x');
  });

  it('separates words at block boundaries but not inside inline markup', () => {
    expect(brief(page('<main><p>one</p><p>two</p><ul><li>th<b>re</b>e</li><li>four<br>five</li></ul></main>'))[0]!.text).toBe('one two three four five');
  });

  it('tolerates malformed HTML the way a browser does', () => {
    const html = '<title>M</title><main><h1 id=m>Malformed<h2 id=x>Unclosed <b>bold <i>mix</b></i></h2><p>para one<p>para two<table><tr><td>cell<td>cell2</table></main';
    expect(brief(html)).toEqual([
      { anchor: 'm', title: 'Malformed', text: '' },
      { anchor: 'x', title: 'Unclosed bold mix', text: 'para one para two cell cell2' },
    ]);
  });

  it("leaves out a banner: a first heading, not the page's title, with nothing under it (SQLite's C reference)", () => {
    const titles = (body: string, title = 'Obtain Aggregate Function Context') => extractPage(page(body, `<title>${title}</title>`), '/c3ref/a.html').sections.map((s) => s.title);
    const own = '<h2>Obtain Aggregate Function Context</h2><p>Implementations of aggregate SQL functions use this routine.</p>';
    expect(titles(`<h2>SQLite C Interface</h2>${own}`)).toEqual(['Obtain Aggregate Function Context']);
    // Also past text before any heading (a menu the site's template did not take).
    expect(titles(`<p>Home</p><h2>SQLite C Interface</h2>${own}`)).toEqual(['Obtain Aggregate Function Context', 'Obtain Aggregate Function Context']);
    // Not a heading with text, or aliases, of its own; not one the page's sections sit under.
    expect(titles(`<h2>SQLite C Interface</h2><p>Reference.</p>${own}`)).toEqual(['SQLite C Interface', 'Obtain Aggregate Function Context']);
    expect(titles(`<h2 data-sgpt-keywords="capi">SQLite C Interface</h2>${own}`)).toEqual(['SQLite C Interface', 'Obtain Aggregate Function Context']);
    expect(titles(`<h1>SQLite C Interface</h1>${own}`)).toEqual(['SQLite C Interface', 'Obtain Aggregate Function Context']);
    // The heading after it need not be the page's title (SQLite's "List Of Constants:" under <title>List Of SQLite Constants).
    expect(titles(`<h2>SQLite C Interface</h2>${own.replace(/Obtain/g, 'Get')}`)).toEqual(['Get Aggregate Function Context']);
    // A page whose first heading is its title keeps it, text or not (a page that opens with subsections).
    expect(titles('<h1>Guide</h1><h2>Install</h2><p>x</p>', 'Guide')).toEqual(['Guide', 'Install']);
    // Only the first heading can be a banner: an empty one further down is a section (Python's distutils.log), as is a page's only heading.
    expect(titles('<h2>distutils.dir_util</h2><p>x</p><h2>distutils.log</h2><h2>distutils.spawn</h2><p>y</p>', 'API')).toEqual(['distutils.dir_util', 'distutils.log', 'distutils.spawn']);
    expect(titles('<h2>Moved</h2>', 'Old page')).toEqual(['Moved']);
  });

  it('keeps text before the first heading under the page title, and uses <title> without an <h1>', () => {
    const { title, sections } = extractPage(page('<main><p>intro</p><h2 id="s">S</h2><p>x</p></main>', '<title>Doc &amp; Title</title>'), '/d.html');
    expect(title).toBe('Doc & Title');
    expect(sections.map((s) => [s.anchor, s.title])).toEqual([
      ['', 'Doc & Title'],
      ['s', 'S'],
    ]);
  });

  it('makes each definition-list entry with an id its own section (Sphinx API entries, glossary terms; aliases share one)', () => {
    const sig = (pre: string, name: string, args: string) =>
      `<span class="sig-prename descclassname"><span class="pre">${pre}</span></span><span class="sig-name descname"><span class="pre">${name}</span></span><span class="sig-paren">(</span>${args}<span class="sig-paren">)</span><a class="headerlink" href="#x">¶</a>`;
    const html = page(
      '<div role="main"><section id="basic"><h2>Basic Usage<a class="headerlink" href="#basic">¶</a></h2><p>Intro.</p>' +
        `<dl class="py function"><dt class="sig sig-object py" id="json.dumps">${sig('json.', 'dumps', '<em class="sig-param">obj</em>')}</dt>` +
        '<dd><p>Serialize <em>obj</em>.</p><dl class="field-list simple"><dt class="field-odd">Parameters</dt><dd>indent – pretty-print</dd></dl></dd></dl>' +
        '<p>Between.</p>' +
        `<dl class="py class"><dt class="sig sig-object py" id="json.JSONEncoder"><em class="property">class </em>${sig('json.', 'JSONEncoder', '')}</dt>` +
        `<dd><p>Encoder.</p><dl class="py method"><dt class="sig sig-object py" id="json.JSONEncoder.encode">${sig('', 'encode', 'o')}</dt><dd><p>Encode o.</p></dd></dl>` +
        '<p>Class text after the method.</p></dd></dl><p>After.</p>' +
        '<dl class="glossary"><dt id="term-generator">generator<a class="headerlink" href="#term-generator">¶</a></dt><dd>A function that yields.</dd>' +
        '<dt>no id</dt><dd>Stays in the heading section.</dd></dl>' +
        '<dl class="py data"><dt id="re.I">re.I</dt><dt id="re.IGNORECASE">re.IGNORECASE</dt><dd>Ignore case.</dd></dl></section></div>',
    );
    const sections = extractPage(html, '/json.html').sections;
    expect(sections.map((s) => ({ anchor: s.anchor, title: s.title, path: s.headingPath.join(' / '), text: s.text }))).toEqual([
      { anchor: 'basic', title: 'Basic Usage', path: 'Basic Usage', text: 'Intro. Between. After. no id Stays in the heading section.' },
      { anchor: 'json.dumps', title: 'json.dumps', path: 'Basic Usage / json.dumps', text: 'json.dumps(obj) Serialize obj. Parameters indent – pretty-print' },
      { anchor: 'json.JSONEncoder', title: 'json.JSONEncoder', path: 'Basic Usage / json.JSONEncoder', text: 'class json.JSONEncoder() Encoder. Class text after the method.' },
      { anchor: 'json.JSONEncoder.encode', title: 'JSONEncoder.encode', path: 'Basic Usage / json.JSONEncoder / JSONEncoder.encode', text: 'encode(o) Encode o.' },
      { anchor: 'term-generator', title: 'generator', path: 'Basic Usage / generator', text: 'generator A function that yields.' },
      { anchor: 're.I', title: 're.I, re.IGNORECASE', path: 'Basic Usage / re.I, re.IGNORECASE', text: 're.I re.IGNORECASE Ignore case.' },
    ]);
  });

  it("titles a member written inside its class's entry by its qualified name, an option by its names, and leaves other ids as the term shows them", () => {
    const entry = (cls: string, id: string, name: string, body = '') =>
      `<dl class="${cls}"><dt class="sig sig-object" id="${id}"><span class="sig-name descname"><span class="pre">${name}</span></span><a class="headerlink" href="#${id}">¶</a></dt><dd><p>${name} text.</p>${body}</dd></dl>`;
    const html = page(
      '<main><h1>Built-in Types</h1>' +
        // Sphinx: a method in its class's definition shows "get(key[, default])"; its id is "dict.get".
        entry('py class', 'dict', 'dict', entry('py method', 'dict.get', 'get') + '<dl class="py method"><dt id="dict.pop"><span class="sig-name">pop</span></dt><dt id="dict.popitem"><span class="sig-name">popitem</span></dt><dd>Remove.</dd></dl>') +
        // Two classes documented as one entry: a member is qualified by the one its id names.
        '<dl class="py class"><dt id="set"><span class="sig-name">set</span></dt><dt id="frozenset"><span class="sig-name">frozenset</span></dt><dd>Sets.' +
        entry('py method', 'frozenset.isdisjoint', 'isdisjoint') + '</dd></dl>' +
        entry('py exception', 'OSError', 'OSError', entry('py attribute', 'OSError.errno', 'errno') + entry('py attribute', 'strerror-x', 'strerror')) +
        // C: the id's "c." is the domain; a struct member whose term shows its struct is qualified already.
        entry('c struct', 'c.PyTypeObject', 'PyTypeObject', entry('c member', 'c.PyTypeObject.tp_name', 'tp_name')) +
        entry('c function', 'c.PyObject_GetAttr', 'PyObject_GetAttr') +
        // An option's argument follows its names as a "prefix": the option is known by its names.
        '<dl class="std cmdoption"><dt class="sig sig-object std" id="cmdoption-m"><span class="sig-name descname">-m</span><span class="sig-prename descclassname"> &lt;module-name&gt;</span></dt><dd>Run a module.</dd></dl>' +
        '<dl class="std cmdoption"><dt id="cmdoption-A"><span class="sig-name">-A</span><span class="sig-prename">, </span><span class="sig-name">--app</span><span class="sig-prename"> &lt;app&gt;</span></dt><dd>The app.</dd></dl>' +
        entry('std envvar', 'envvar-PYTHONPATH', 'PYTHONPATH') +
        '<dl class="glossary"><dt id="term-generator">generator</dt><dd><p>A function.</p></dd></dl>' +
        '</main>',
    );
    expect(extractPage(html, '/stdtypes.html').sections.map((s) => [s.anchor, s.title, s.headingPath.join(' / ')])).toEqual([
      ['', 'Built-in Types', 'Built-in Types'],
      ['dict', 'dict', 'Built-in Types / dict'],
      ['dict.get', 'dict.get', 'Built-in Types / dict / dict.get'],
      ['dict.pop', 'dict.pop, dict.popitem', 'Built-in Types / dict / dict.pop, dict.popitem'],
      ['set', 'set, frozenset', 'Built-in Types / set, frozenset'],
      ['frozenset.isdisjoint', 'frozenset.isdisjoint', 'Built-in Types / set, frozenset / frozenset.isdisjoint'],
      ['OSError', 'OSError', 'Built-in Types / OSError'],
      ['OSError.errno', 'OSError.errno', 'Built-in Types / OSError / OSError.errno'],
      ['strerror-x', 'strerror', 'Built-in Types / OSError / strerror'],
      ['c.PyTypeObject', 'PyTypeObject', 'Built-in Types / PyTypeObject'],
      ['c.PyTypeObject.tp_name', 'PyTypeObject.tp_name', 'Built-in Types / PyTypeObject / PyTypeObject.tp_name'],
      ['c.PyObject_GetAttr', 'PyObject_GetAttr', 'Built-in Types / PyObject_GetAttr'],
      ['cmdoption-m', '-m', 'Built-in Types / -m'],
      ['cmdoption-A', '-A, --app', 'Built-in Types / -A, --app'],
      ['envvar-PYTHONPATH', 'PYTHONPATH', 'Built-in Types / PYTHONPATH'],
      ['term-generator', 'generator', 'Built-in Types / generator'],
    ]);
  });

  it('leaves a "[src]" link to the source (Node.js, rustdoc: `srclink`) out of a heading\'s title', () => {
    const html = page('<div id="apicontent"><h2 id="stream">Stream<a class="srclink" href=https://github.com/nodejs/node/blob/master/lib/stream.js#L54>[src]</a><span><a class="mark" href="#stream">#</a></span></h2><p>Streams.</p></div>', '<title>Stream | Node.js v18.20.4 Documentation</title>');
    expect(brief(html)).toEqual([{ anchor: 'stream', title: 'Stream', text: 'Streams.' }]);
    expect(extractPage(html, '/stream.html').title).toBe('Stream');
  });

  it("leaves DocBook's navigation bars out: no second section titled as the page, no neighbours' titles ending the last", () => {
    const header = '<div class="navheader"><table summary="Navigation header"><tr><th colspan="5">F.2. amcheck</th></tr><tr><td><a accesskey="p" href="adminpack.html">Prev</a></td><td><a accesskey="u" href="contrib.html">Up</a></td><th>Appendix F. Additional Supplied Modules</th><td><a accesskey="h" href="index.html">Home</a></td><td><a accesskey="n" href="auth-delay.html">Next</a></td></tr></table><hr /></div>';
    const footer = '<div class="navfooter"><hr /><table summary="Navigation footer"><tr><td><a href="adminpack.html">Prev</a></td><td><a href="contrib.html">Up</a></td><td><a href="auth-delay.html">Next</a></td></tr><tr><td>F.1. adminpack</td><td><a href="index.html">Home</a></td><td>F.3. auth_delay</td></tr></table></div>';
    const html = page(`${header}<div class="sect1" id="AMCHECK"><div class="titlepage"><h2 class="title">F.2. amcheck</h2></div><p>Checks indexes.</p></div>${footer}`, '<meta name="generator" content="DocBook XSL Stylesheets V1.79.2"><title>F.2. amcheck</title>');
    expect(brief(html)).toEqual([{ anchor: 'AMCHECK', title: 'F.2. amcheck', text: 'Checks indexes.' }]);
  });

  it("leaves Sphinx's \"[source]\" link (viewcode) out of an entry's text", () => {
    const html = page(
      '<div role="main"><h1 id="api">API</h1><dl class="py function"><dt class="sig sig-object py" id="teapot.brew"><span class="sig-prename descclassname"><span class="pre">teapot.</span></span><span class="sig-name descname"><span class="pre">brew</span></span><span class="sig-paren">(</span><span class="sig-paren">)</span>' +
        '<a class="reference internal" href="_modules/teapot.html#brew"><span class="viewcode-link"><span class="pre">[source]</span></span></a><a class="headerlink" href="#teapot.brew">¶</a></dt><dd><p>Brews.</p></dd></dl></div>',
    );
    expect(brief(html).at(-1)).toEqual({ anchor: 'teapot.brew', title: 'teapot.brew', text: 'teapot.brew() Brews.' });
  });
});

describe('extractPage on rustdoc', () => {
  it("titles a member by its owner and name, \"Option::unwrap_or\", with its signature as its text's first words", () => {
    const member = (id: string, kind: string, name: string, rest: string, doc: string) =>
      `<details class="rustdoc-toggle method-toggle" open><summary><section id="${id}" class="method has-srclink"><a href="#${id}" class="anchor"></a>` +
      `<h4 class="code-header">pub fn <a href="#${id}" class="${kind}">${name}</a>${rest}</h4></section></summary><div class="docblock"><p>${doc}</p></div></details>`;
    const html = (title: string, body: string) =>
      page(`<main><section id="main-content" class="content"><h1 class="fqn"><span class="in-band">${title}</span></h1>${body}</section></main>`, '<meta name="generator" content="rustdoc"><title>T</title>');
    const option = extractPage(
      html(
        'Enum <a href="../index.html">std</a>::<wbr><a href="index.html">option</a>::<wbr><a class="enum" href="#">Option</a>',
        '<h2 id="implementations" class="small-section-header">Implementations</h2><h3 class="code-header in-band">impl&lt;T&gt; Option&lt;T&gt;</h3>' +
          member('method.unwrap_or', 'fnname', 'unwrap_or', '(self, default: T) -&gt; T', 'Returns the contained value or a default.') +
          member('method.map', 'fn', 'map', '&lt;U, F&gt;(self, f: F) -&gt; Option&lt;U&gt;', 'Maps the value.'),
      ),
      '/option/enum.Option.html',
    );
    expect(option.sections.slice(-2).map((s) => [s.anchor, s.title, s.headingPath.join(' / '), s.text])).toEqual([
      ['method.unwrap_or', 'Option::unwrap_or', 'Enum std::option::Option / Implementations / impl<T> Option<T> / Option::unwrap_or', 'pub fn unwrap_or(self, default: T) -> T Returns the contained value or a default.'],
      ['method.map', 'Option::map', 'Enum std::option::Option / Implementations / impl<T> Option<T> / Option::map', 'pub fn map<U, F>(self, f: F) -> Option<U> Maps the value.'],
    ]);
    // A primitive's page names its type last; a heading that is no member's keeps its text.
    const slice = extractPage(html('Primitive Type slice', member('method.sort', 'fnname', 'sort', '(&amp;mut self)', 'Sorts the slice.')), '/primitive.slice.html');
    expect(slice.sections.at(-1)).toMatchObject({ title: 'slice::sort', text: 'pub fn sort(&mut self) Sorts the slice.' });
    expect(option.sections.find((s) => s.title.startsWith('impl'))?.title).toBe('impl<T> Option<T>');
  });

  it("leaves out rustdoc's box beside a member's heading (\"1.0.0 · source\"), which ended every member's text", () => {
    const rightside = '<span class="rightside"><span class="since" title="Stable since Rust version 1.0.0">1.0.0</span> · <a class="srclink" href="../../src/core/option.rs.html#796-798">source</a></span>';
    const member = (id: string, doc: string) =>
      `<details class="rustdoc-toggle method-toggle" open><summary><section id="${id}" class="method has-srclink">${rightside}<a href="#${id}" class="anchor"></a>` +
      `<h4 class="code-header">pub fn <a href="#${id}" class="fnname">${id.slice(7)}</a>(self)</h4></section></summary><div class="docblock"><p>${doc}</p></div></details>`;
    const html = page(`<main><section id="main-content" class="content"><h1 class="fqn"><span class="in-band">Enum std::option::Option</span></h1>${member('method.is_some', 'True if Some.')}${member('method.is_none', 'True if None.')}</section></main>`, '<meta name="generator" content="rustdoc"><title>T</title>');
    expect(extractPage(html, '/option/enum.Option.html').sections.map((s) => s.text)).toEqual(['', 'pub fn is_some(self) True if Some.', 'pub fn is_none(self) True if None.']);
  });

  it("leaves out rustdoc's page-top box (\"1.0.0 · source · [−]\"), its toggle's caption, examples' \"Run\" and notable traits' tooltips", () => {
    const outOfBand = '<span class="out-of-band"><span class="since" title="Stable since Rust version 1.0.0">1.0.0</span> · <a class="srclink" href="../../src/core/option.rs.html#518-527">source</a> · <a id="toggle-all-docs" href="javascript:void(0)">[<span class="inner">&#x2212;</span>]</a></span>';
    const notable = '<span class="notable-traits"><span class="notable-traits-tooltip">ⓘ<span class="notable-traits-tooltiptext"><span class="docblock"><span class="notable">Notable traits for Vec&lt;u8, A&gt;</span><code class="content">impl&lt;A&gt; Write for Vec&lt;u8, A&gt;</code></span></span></span></span>';
    const html = page(
      `<main><section id="main-content" class="content"><div class="main-heading"><h1 class="fqn"><span class="in-band">Struct std::vec::Vec</span></h1>${outOfBand}</div>` +
        '<details class="rustdoc-toggle top-doc" open><summary class="hideme"><span>Expand description</span></summary><div class="docblock"><p>A growable array.</p>' +
        '<div class="example-wrap"><pre class="rust rust-example-rendered"><code>let v = Vec::new();</code></pre><a class="test-arrow" target="_blank" href="https://play.rust-lang.org/?code=x">Run</a></div></div></details>' +
        `<details class="rustdoc-toggle method-toggle" open><summary><section id="method.new" class="method has-srclink"><a href="#method.new" class="anchor"></a><h4 class="code-header">pub const fn <a href="#method.new" class="fnname">new</a>() -&gt; Vec&lt;T&gt;${notable}</h4></section></summary><div class="docblock"><p>Constructs a new, empty Vec.</p></div></details></section></main>`,
      '<meta name="generator" content="rustdoc"><title>T</title>',
    );
    expect(extractPage(html, '/vec/struct.Vec.html').sections.map((s) => s.text)).toEqual(['A growable array. let v = Vec::new();', 'pub const fn new() -> Vec<T> Constructs a new, empty Vec.']);
  });
});

describe('extractSite', () => {
  it('maps files to site URLs and applies excludes', () => {
    expect(urlOf('library/functions.html')).toBe('/library/functions.html');
    expect(urlOf('faq/index.html')).toBe('/faq/');
    expect(globToRegExp('genindex*.html').test('genindex-A.html')).toBe(true);
    expect(globToRegExp('genindex*.html').test('sub/genindex-A.html')).toBe(false);
    expect(globToRegExp('**/secret.html').test('a/b/secret.html')).toBe(true);
  });

  it('reads the fixture site: every anchor exists in its page, or its heading does', async () => {
    const root = 'test/fixtures/site';
    const pages = await extractSite(root);
    expect(pages.map((p) => p.url)).toEqual(['/faq.html', '/guide/generators.html', '/guide/install.html', '/']);
    for (const p of pages) {
      const file = p.url.endsWith('/') ? `${p.url}index.html` : p.url;
      const html = readFileSync(`${root}${file}`, 'utf8');
      for (const s of p.sections) {
        if (isTextAnchor(s.anchor)) expect(html, `${p.url}#${s.anchor}`).toMatch(new RegExp(`<h[1-6]>${s.title}</h`));
        else if (s.anchor) expect(html, `${p.url}#${s.anchor}`).toMatch(new RegExp(`(id|name)="?${s.anchor}[" >]`));
      }
    }
    const install = pages.find((p) => p.url === '/guide/install.html')!;
    expect(install.sections.map((s) => s.anchor)).toEqual(['installing-teapot', 'requirements', 'from-source', 'configure-options']);
    const generators = pages.find((p) => p.url === '/guide/generators.html')!;
    expect(generators.sections.map((s) => s.anchor)).toEqual(['', 'yield-expressions', 'send-method', ':~:text=Untitled anchorless part']);
    expect(generators.sections.map((s) => s.text).join(' ')).not.toContain('Advertisement');
    // Old inline tags (<tt>, <font>) do not part words: "<tt>coro</tt>.close()" reads "coro.close()".
    expect(generators.sections.at(-1)!.text).toContain('keep words whole: coro.close() and restart.');
    expect((await extractSite(root, { exclude: ['guide/**'] })).map((p) => p.url)).toEqual(['/faq.html', '/']);
  });
});
