import { describe, expect, it } from 'vitest';
import { chunkTokens, chunkWindows, defaultOverlap } from '../../src/embed/chunk';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('chunkWindows', () => {
  it('a text within the budget is one window', () => {
    expect(chunkWindows(5, 8)).toEqual([[0, 5]]);
    expect(chunkWindows(8, 8)).toEqual([[0, 8]]);
    expect(chunkWindows(0, 8)).toEqual([[0, 0]]);
  });

  it('splits a long text into overlapping windows, the last one aligned to the end', () => {
    // budget 8, overlap 2 -> stride 6: [0,8) [6,14) then the end window [12,20)
    expect(chunkWindows(20, 8, 2)).toEqual([
      [0, 8],
      [6, 14],
      [12, 20],
    ]);
    // 9 tokens, budget 8: [0,8) and the end window [1,9)
    expect(chunkWindows(9, 8, 2)).toEqual([
      [0, 8],
      [1, 9],
    ]);
    // exact fit of the stride: [0,4) [3,7) [6,10) for stride 3
    expect(chunkWindows(10, 4, 1)).toEqual([
      [0, 4],
      [3, 7],
      [6, 10],
    ]);
  });

  it('overlap 0 gives disjoint windows except for the end alignment', () => {
    expect(chunkWindows(10, 4, 0)).toEqual([
      [0, 4],
      [4, 8],
      [6, 10],
    ]);
  });

  it('the default overlap is a quarter of the budget', () => {
    expect(defaultOverlap(298)).toBe(74);
    expect(chunkWindows(20, 8)).toEqual(chunkWindows(20, 8, 2));
  });

  it('every window is full-length, consecutive windows overlap by at least `overlap`, every token is covered', () => {
    for (const [length, budget, overlap] of [
      [1000, 298, 74],
      [77, 73, 0],
      [31, 5, 4],
      [300, 75, 18],
    ] as const) {
      const windows = chunkWindows(length, budget, overlap);
      const covered = new Uint8Array(length);
      windows.forEach(([start, end], i) => {
        expect(end - start).toBe(budget);
        covered.fill(1, start, end);
        if (i > 0) expect(windows[i - 1]![1] - start).toBeGreaterThanOrEqual(overlap);
      });
      expect(windows[0]![0]).toBe(0);
      expect(windows.at(-1)![1]).toBe(length);
      expect(covered.every((c) => c === 1)).toBe(true);
    }
  });

  it('rejects a budget below 1 and an overlap that would not advance', () => {
    expect(() => chunkWindows(10, 0)).toThrow(/budget/);
    expect(() => chunkWindows(10, 4, 4)).toThrow(/overlap/);
    expect(() => chunkWindows(10, 4, -1)).toThrow(/overlap/);
  });
});

describe('chunkTokens', () => {
  it('slices the ids by the windows', () => {
    expect(chunkTokens(range(9), 4, 1)).toEqual([
      [0, 1, 2, 3],
      [3, 4, 5, 6],
      [5, 6, 7, 8],
    ]);
    expect(chunkTokens([7, 8], 4)).toEqual([[7, 8]]);
  });
});
