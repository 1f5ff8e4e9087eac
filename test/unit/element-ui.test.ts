/** The element's pure UI logic: strings and translations, grouping by page, the shortcut, recent searches, the highlight link. */
import { describe, expect, it, vi } from 'vitest';
import { ANNOUNCE_MS, Announcer } from '../../src/element/announcer';
import { displayOrder, groupByPage } from '../../src/element/groups';
import { MAX_RECENT, MAX_RECENT_CHARS, RecentSearches, type StorageLike } from '../../src/element/recent';
import { isSearchShortcut, shortcutLabel, type KeyPress } from '../../src/element/shortcut';
import { ENGLISH, TRANSLATIONS, fill, isRightToLeft, meaningOnlyLine, noResultsLine, parseStrings, resolveStrings, resultsAnnouncement } from '../../src/element/strings';
import { HIGHLIGHT_PARAM, MAX_HIGHLIGHT_CHARS, highlightQuery, withHighlight } from '../../src/highlight/link';
import { highlightRanges } from '../../src/search/excerpt';
import { DocumentSearch, type DocumentHit } from '../../src/search/document-search';
import { DEFAULT_FUSION } from '../../src/search/fusion';
import { ECHO_CHARS } from '../../src/search/truncate';
import type { SearchHit } from '../../src/worker/protocol';

describe('strings', () => {
  it('ships at least 10 translations, each with the same {names} as English and its own text', () => {
    const languages = Object.keys(TRANSLATIONS).filter((lang) => lang !== 'en');
    expect(languages.length).toBeGreaterThanOrEqual(10);
    for (const lang of languages) {
      const strings = resolveStrings(lang);
      for (const key of Object.keys(ENGLISH) as Array<keyof typeof ENGLISH>) {
        const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        expect(names(strings[key]), `${lang}.${key}`).toEqual(names(ENGLISH[key]));
      }
      expect(strings.noResults, lang).not.toBe(ENGLISH.noResults);
    }
  });

  it('picks the translation by the primary subtag, English when none, and applies overrides last', () => {
    expect(resolveStrings('de-AT').trigger).toBe('Suchen');
    expect(resolveStrings('FR').close).toBe('Fermer');
    expect(resolveStrings('xx').trigger).toBe('Search');
    expect(resolveStrings('').trigger).toBe('Search');
    expect(resolveStrings('de', { trigger: 'Finden' }).trigger).toBe('Finden');
  });

  it('knows right-to-left languages', () => {
    expect(isRightToLeft('ar')).toBe(true);
    expect(isRightToLeft('he-IL')).toBe(true);
    expect(isRightToLeft('en')).toBe(false);
  });

  it('parses overrides from JSON or an object and names what is wrong', () => {
    expect(parseStrings('{"trigger":"Find"}')).toEqual({ trigger: 'Find' });
    expect(parseStrings({ close: 'X' })).toEqual({ close: 'X' });
    expect(parseStrings(undefined)).toEqual({});
    expect(() => parseStrings('{oops')).toThrow(/strings: not JSON/);
    expect(() => parseStrings('[1]')).toThrow(/expected a JSON object/);
    expect(() => parseStrings('{"nope":"x"}')).toThrow(/unknown key "nope"/);
    expect(() => parseStrings('{"close":3}')).toThrow(/strings.close: expected a string/);
  });

  it('fills templates; the announcement says the count and the first title, or what found nothing', () => {
    expect(fill('{a} of {b} {c}', { a: 1, b: 'x' })).toBe('1 of x {c}');
    expect(resultsAnnouncement(ENGLISH, ' zebra ', [])).toBe('No results for “zebra”');
    expect(resultsAnnouncement(ENGLISH, 'q', [{ title: 'Tea' }])).toBe('1 result. First: Tea');
    expect(resultsAnnouncement(ENGLISH, 'q', [{ title: 'Tea' }, { title: 'Coffee' }, { title: 'Milk' }])).toBe('3 results. First: Tea');
    expect(resultsAnnouncement(resolveStrings('de'), 'q', [{ title: 'Tee' }, { title: 'Kaffee' }])).toBe('2 Ergebnisse. Erstes: Tee');
    // Results no document holds the words of say so first.
    expect(resultsAnnouncement(ENGLISH, ' espresso ', [{ title: 'Coffee' }, { title: 'Tea' }], true)).toBe('No exact matches for “espresso”. Closest in meaning: 2 results. First: Coffee');
    expect(resultsAnnouncement(ENGLISH, 'espresso', [], true)).toBe('No results for “espresso”');
    expect(meaningOnlyLine(resolveStrings('fr'), 'café')).toBe('Aucune correspondance exacte pour « café ». Les plus proches par le sens :');
  });

  it('echoes at most ECHO_CHARS characters of a query or title, whole code points, with an ellipsis', () => {
    const pasted = 'qzx '.repeat(2_500);
    const line = noResultsLine(ENGLISH, pasted);
    expect(line).toBe(`No results for “${'qzx '.repeat(25).trimEnd()}…”`);
    expect(resultsAnnouncement(ENGLISH, pasted, [])).toBe(line);
    const title = '😀'.repeat(ECHO_CHARS + 1);
    expect(resultsAnnouncement(ENGLISH, 'q', [{ title }])).toBe(`1 result. First: ${'😀'.repeat(ECHO_CHARS)}…`);
    expect(noResultsLine(ENGLISH, 'x'.repeat(ECHO_CHARS))).toBe(`No results for “${'x'.repeat(ECHO_CHARS)}”`);
    expect(meaningOnlyLine(ENGLISH, pasted)).toBe(`No exact matches for “${'qzx '.repeat(25).trimEnd()}…”. Closest in meaning:`);
  });
});

describe('Announcer', () => {
  it('speaks once the stages and keys settle, never the same text twice in a row; a keystroke drops what waited; clearing lets a text be said again', () => {
    vi.useFakeTimers();
    try {
      const said: string[] = [];
      const announcer = new Announcer((text) => said.push(text));
      // Two stages per keystroke, 20 ms apart, keys 150 ms apart: nothing said while typing.
      for (const count of [1, 2, 3]) {
        announcer.later(`${count} results`);
        vi.advanceTimersByTime(20);
        announcer.later(`${count + 5} results`);
        vi.advanceTimersByTime(130);
      }
      expect(said).toEqual([]);
      vi.advanceTimersByTime(ANNOUNCE_MS);
      expect(said).toEqual(['8 results']);
      announcer.later('8 results'); // the same results for the next query: nothing new to say
      vi.advanceTimersByTime(ANNOUNCE_MS);
      expect(said).toEqual(['8 results']);
      announcer.later('2 results');
      announcer.cancel(); // a key typed: the query it was about is gone
      vi.advanceTimersByTime(ANNOUNCE_MS);
      expect(said).toEqual(['8 results']);
      announcer.clear();
      announcer.later('8 results');
      vi.advanceTimersByTime(ANNOUNCE_MS);
      expect(said).toEqual(['8 results', '', '8 results']);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('groupByPage', () => {
  const hit = (id: number, page: string | undefined, url: string, path: string[] = []): SearchHit => ({
    id,
    title: path.at(-1) ?? `t${id}`,
    url,
    excerpt: '',
    score: 1 / (id + 1),
    ...(page === undefined ? {} : { pageTitle: page, headingPath: path }),
  });

  it('orders groups by their best section, keeps rank order inside, and numbers options in display order', () => {
    const hits = [hit(0, 'A', '/a.html#x', ['A', 'Usage', 'X']), hit(1, 'B', '/b.html#y', ['B', 'Y']), hit(2, 'A', '/a.html#z', ['A', 'Z'])];
    const groups = groupByPage(hits);
    expect(groups.map((g) => g.title)).toEqual(['A', 'B']);
    expect(groups[0]!.hits.map((e) => [e.hit.id, e.rank, e.option])).toEqual([
      [0, 0, 0],
      [2, 2, 1],
    ]);
    expect(groups[1]!.hits[0]!.option).toBe(2);
    expect(displayOrder(groups).map((e) => e.hit.id)).toEqual([0, 2, 1]);
    // The breadcrumb: between the page title and the section's own title.
    expect(groups[0]!.hits[0]!.trail).toEqual(['Usage']);
    expect(groups[0]!.hits[1]!.trail).toEqual([]);
  });

  it('keeps hits that name no page apart, even when they share a page URL', () => {
    const groups = groupByPage([hit(0, undefined, 'http://x/#a'), hit(1, undefined, 'http://x/#b')]);
    expect(groups.map((g) => g.hits.length)).toEqual([1, 1]);
  });

  it('returns nothing for nothing', () => {
    expect(groupByPage([])).toEqual([]);
  });
});

describe('shortcut', () => {
  const press = (over: Partial<KeyPress>): KeyPress => ({ key: 'k', ctrlKey: false, metaKey: false, altKey: false, defaultPrevented: false, inTextField: false, ...over });

  it('Ctrl/Cmd+K from anywhere, "/" only outside text fields', () => {
    expect(isSearchShortcut(press({ ctrlKey: true }))).toBe(true);
    expect(isSearchShortcut(press({ metaKey: true, key: 'K' }))).toBe(true);
    expect(isSearchShortcut(press({ ctrlKey: true, inTextField: true }))).toBe(true);
    expect(isSearchShortcut(press({ key: '/' }))).toBe(true);
    expect(isSearchShortcut(press({ key: '/', inTextField: true }))).toBe(false);
  });

  it('ignores plain letters, Alt chords and keys a page already handled', () => {
    expect(isSearchShortcut(press({}))).toBe(false);
    expect(isSearchShortcut(press({ ctrlKey: true, altKey: true }))).toBe(false);
    expect(isSearchShortcut(press({ key: '/', defaultPrevented: true }))).toBe(false);
    expect(isSearchShortcut(press({ key: '/', ctrlKey: true }))).toBe(false);
  });

  it('labels the shortcut per platform', () => {
    expect(shortcutLabel('MacIntel')).toBe('⌘K');
    expect(shortcutLabel('Linux x86_64')).toBe('Ctrl K');
  });
});

describe('RecentSearches', () => {
  function memory(): StorageLike & { data: Map<string, string> } {
    const data = new Map<string, string>();
    return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v), removeItem: (k) => void data.delete(k) };
  }

  it('keeps the newest first, without repeats, at most MAX_RECENT, per scope', () => {
    const storage = memory();
    const recent = new RecentSearches(storage, '/a');
    for (let i = 0; i < MAX_RECENT + 2; i++) recent.add(`q${i}`);
    recent.add('Q3');
    expect(recent.list()).toEqual(['Q3', 'q6', 'q5', 'q4', 'q2']);
    expect(new RecentSearches(storage, '/b').list()).toEqual([]);
    recent.add('   ');
    expect(recent.list()).toHaveLength(MAX_RECENT);
  });

  it('clears', () => {
    const recent = new RecentSearches(memory(), 's');
    recent.add('x');
    recent.clear();
    expect(recent.list()).toEqual([]);
  });

  it('reads garbled or foreign entries as empty and survives a storage that throws', () => {
    const storage = memory();
    storage.data.set('sgpt-search:recent:s', '{not json');
    expect(new RecentSearches(storage, 's').list()).toEqual([]);
    storage.data.set('sgpt-search:recent:s', JSON.stringify(['ok', 3, null, '', 'x'.repeat(MAX_RECENT_CHARS + 1)]));
    expect(new RecentSearches(storage, 's').list()).toEqual(['ok']);
    expect(new RecentSearches(storage, 's').add('y'.repeat(MAX_RECENT_CHARS + 1))).toEqual(['ok']); // not kept either
    const refusing: StorageLike = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    const recent = new RecentSearches(refusing, 's');
    expect(recent.add('x')).toEqual([]);
    expect(() => recent.clear()).not.toThrow();
    expect(new RecentSearches(null, 's').list()).toEqual([]);
  });
});

describe('highlight link', () => {
  it('adds the query before the fragment and reads it back', () => {
    const href = withHighlight('https://x.org/guide/a.html#usage', 'read a file');
    expect(href).toBe(`https://x.org/guide/a.html?${HIGHLIGHT_PARAM}=read+a+file#usage`);
    expect(highlightQuery(new URL(href).search)).toBe('read a file');
    expect(withHighlight('https://x.org/a?b=1', ' ')).toBe('https://x.org/a?b=1');
    expect(highlightQuery('?other=1')).toBeNull();
    expect(highlightQuery(`?${HIGHLIGHT_PARAM}=%20`)).toBeNull();
    // A link may carry anything: the script reads a bounded query; a page on disk gets none (the module cannot load there).
    expect(highlightQuery(`?${HIGHLIGHT_PARAM}=${'files+'.repeat(9000)}`)).toHaveLength(MAX_HIGHLIGHT_CHARS);
    expect(withHighlight('file:///site/guide/a.html#usage', 'read a file')).toBe('file:///site/guide/a.html#usage');
    // The cut falls between code points: an emoji across the limit is left out whole, not halved into U+FFFD.
    const long = `${'a'.repeat(MAX_HIGHLIGHT_CHARS - 1)}😀 more`;
    expect(highlightQuery(new URL(withHighlight('https://x.org/a', long)).search)).toBe('a'.repeat(MAX_HIGHLIGHT_CHARS - 1));
    expect(highlightQuery(`?${HIGHLIGHT_PARAM}=${encodeURIComponent(long)}`)).toBe('a'.repeat(MAX_HIGHLIGHT_CHARS - 1));
  });

  it('the page marks what the result list marked: a finished last word as a word, a partly typed one as a prefix', () => {
    const page = 'Pass --with-milk for dairy support; milky or milking is another matter.';
    // What the highlight script marks for a link's query (markQuery: highlightRanges of each text node).
    const onPage = (query: string) => highlightRanges(page, highlightQuery(new URL(withHighlight('https://x.org/a.html', query)).search)!);
    const marked = (ranges: Array<[number, number]>) => ranges.map(([start, end]) => page.slice(start, end));
    for (const query of ['dairy milk ', 'dairy milk', 'dairy mil', '  dairy   milk  ']) expect(marked(onPage(query)), JSON.stringify(query)).toEqual(marked(highlightRanges(page, query)));
    expect(marked(onPage('dairy milk '))).toEqual(['milk', 'dairy', 'milking']); // the stem, not "milky"
    expect(marked(onPage('dairy mil'))).toEqual(['milk', 'dairy', 'milky', 'milking']);
    // The closing space counts within the limit: words of 199 characters keep it; words that fill
    // the limit may end in a cut word, which stays a prefix.
    const words = (length: number) => `${'x'.repeat(length - 5)} milk`;
    expect(highlightQuery(new URL(withHighlight('https://x.org/a', `${words(MAX_HIGHLIGHT_CHARS - 1)} `)).search)).toBe(`${words(MAX_HIGHLIGHT_CHARS - 1)} `);
    expect(highlightQuery(new URL(withHighlight('https://x.org/a', `${words(MAX_HIGHLIGHT_CHARS + 1)} `)).search)).toBe(words(MAX_HIGHLIGHT_CHARS + 1).slice(0, MAX_HIGHLIGHT_CHARS));
  });

  it('a result carries the query as its marks read it: the fused ranking reads a last word the index holds as that word', async () => {
    const page = 'Pass --with-milk for dairy support; milky or milking is another matter.';
    const search = new DocumentSearch([{ id: 'install', title: 'Install', text: page }]);
    // What the list marked, and what the page marks for the link the element makes from the hit.
    const marked = (hit: DocumentHit) => hit.highlights.map(([start, end]) => hit.excerpt.slice(start, end));
    const onPage = (hit: DocumentHit) => highlightRanges(hit.excerpt, highlightQuery(new URL(withHighlight('https://x.org/a.html', hit.highlightQuery)).search)!);
    const [typing] = search.keywordSearch('dairy milk', 5);
    const [fused] = await search.fusedSearch('dairy milk', [], DEFAULT_FUSION, 5);
    const [partial] = await search.fusedSearch('dairy mil', [], DEFAULT_FUSION, 5);
    expect(marked(typing!)).toEqual(['milk', 'dairy', 'milky', 'milking']); // as you type: "milk" may still become "milky"
    expect(marked(fused!)).toEqual(['milk', 'dairy', 'milking']); // "milk" is a word of the index: the word, stemmed
    expect(fused!.highlightQuery).toBe('dairy milk ');
    expect(marked(partial!)).toEqual(['milk', 'dairy', 'milky', 'milking']); // "mil" matches nothing whole: a prefix
    for (const hit of [typing!, fused!, partial!]) expect(onPage(hit), hit.highlightQuery).toEqual(hit.highlights);
    // Letters: "a" is a stop word, never marked; "I" is a word the index keeps (and ranks by), marked as one.
    const letters = new DocumentSearch([{ id: 'io', title: 'IO', text: 'Use a file: %i counts I/O calls, and a is not marked.' }]);
    const [io] = await letters.fusedSearch('how do I read a', [], DEFAULT_FUSION, 5);
    expect(marked(io!)).toEqual(['i', 'I']);
  });
});
