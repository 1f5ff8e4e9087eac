/** Links to headings without an id: the text directive an anchor stores, writes and reads back. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { anchorFragment, isTextAnchor, shownUrl, textAnchor, textDirective } from '../../src/extract/text-fragment';
import { sectionUrl } from '../../src/index/format';

describe('text fragments', () => {
  it('writes an id as a fragment and a heading as a text directive, its delimiters encoded', () => {
    expect(anchorFragment('')).toBe('');
    expect(anchorFragment('json.dumps')).toBe('#json.dumps');
    expect(anchorFragment('a b')).toBe('#a%20b');
    expect(anchorFragment(textAnchor('Unpacking'))).toBe('#:~:text=Unpacking');
    expect(anchorFragment(textAnchor('Built-in Types, & more'))).toBe('#:~:text=Built%2Din%20Types%2C%20%26%20more');
    expect(sectionUrl({ url: '/download.html', anchor: textAnchor('2.0 The OS Interface Layer') })).toBe('/download.html#:~:text=2.0%20The%20OS%20Interface%20Layer');
    expect(sectionUrl({ url: '/p.html', anchor: '' })).toBe('/p.html');
  });

  it('finds a long heading by its first and last four words', () => {
    const heading = 'How To Corrupt An SQLite Database File Through Bugs In The Operating System Or Hardware Layer';
    expect(heading.length).toBeGreaterThan(80);
    expect(anchorFragment(textAnchor(heading))).toBe('#:~:text=How%20To%20Corrupt%20An,System%20Or%20Hardware%20Layer');
  });

  it('reads back the start of the first text directive, wherever the fragment puts it', () => {
    expect(textDirective('https://x/p.html#:~:text=Built%2Din%20Types')).toBe('Built-in Types');
    expect(textDirective('https://x/p.html?q=1#top:~:text=prefix-,Start,End,-suffix')).toBe('Start');
    expect(textDirective('https://x/p.html#:~:other=1&text=Here')).toBe('Here');
    expect(textDirective('https://x/p.html#intro')).toBeNull();
    expect(textDirective('https://x/p.html')).toBeNull();
    expect(textDirective('https://x/p.html#:~:text=%E2')).toBeNull();
  });

  it('round-trips any heading: the directive it writes reads back as the heading (or its first words)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 120 }).filter((s) => s.trim() !== '' && !/^\s|\s$/.test(s)), (heading) => {
        const fragment = anchorFragment(textAnchor(heading));
        const read = textDirective(`https://x/p.html${fragment}`);
        if (heading.length <= 80 || heading.split(/\s+/).filter(Boolean).length <= 8) expect(read).toBe(heading);
        else expect(read).toBe(heading.split(/\s+/).filter(Boolean).slice(0, 4).join(' '));
        expect(isTextAnchor(textAnchor(heading))).toBe(true);
      }),
    );
  });

  it('shows a result url without its directive', () => {
    expect(shownUrl('/download.html#:~:text=Unpacking')).toBe('/download.html');
    expect(shownUrl('https://x/a.html#json.dumps')).toBe('https://x/a.html#json.dumps');
  });
});
