import { describe, expect, it } from 'vitest';
import type { Page } from '../../src/extract/html';
import { embeddingTexts, type PageSource } from '../../src/index/page-source';

const page = (n: number): Page => ({ url: `/p${n}`, title: `Page ${n}`, sections: [{ anchor: '', headingPath: [], text: `text ${n}` }] }) as unknown as Page;

/** A source that counts the passes still open (a spilled file's handle each). */
function countingSource(count: number): PageSource & { open: number } {
  const source = {
    open: 0,
    async *pages() {
      source.open++;
      try {
        for (let i = 0; i < count; i++) yield page(i);
      } finally {
        source.open--;
      }
    },
  };
  return source;
}

describe('embeddingTexts', () => {
  it('reads the sections asked for in one pass, a new pass for one behind it, and close ends the pass left open', async () => {
    const source = countingSource(5);
    const texts = embeddingTexts(source);
    const [a, b] = await texts([1, 3]);
    expect(a).toContain('text 1');
    expect(b).toContain('text 3');
    expect(source.open).toBe(1); // stopped at section 3, its pass (file) still open
    expect((await texts([0]))[0]).toContain('text 0'); // behind: the old pass ended, a new one began
    expect(source.open).toBe(1);
    await texts.close();
    expect(source.open).toBe(0);
  });
});
