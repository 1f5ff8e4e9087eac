import { describe, expect, it } from 'vitest';
import { padBatch, planBatches } from '../../src/embed/batch';

describe('planBatches', () => {
  it('sorts longest first, ties by original index, and cuts at the batch size', () => {
    expect(planBatches([3, 9, 1, 9, 4], 2)).toEqual([[1, 3], [4, 0], [2]]);
  });
  it('one batch when everything fits; none for no input', () => {
    expect(planBatches([2, 5, 3], 16)).toEqual([[1, 2, 0]]);
    expect(planBatches([], 4)).toEqual([]);
  });
  it('keeps every index exactly once', () => {
    const lengths = Array.from({ length: 37 }, (_, i) => (i * 7919) % 13);
    const flat = planBatches(lengths, 5).flat();
    expect([...flat].sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
  });
  it('sorting minimises padding compared with input order', () => {
    const lengths = [1, 10, 1, 10];
    const padded = (batches: number[][]) =>
      batches.reduce((sum, b) => sum + b.length * Math.max(...b.map((i) => lengths[i]!)), 0);
    expect(padded(planBatches(lengths, 2))).toBe(22);
    expect(padded([[0, 1], [2, 3]])).toBe(40);
  });
  it('caps padded tokens per batch; a sequence longer than the cap goes alone', () => {
    expect(planBatches([10, 3, 4, 30, 5], 16, 12)).toEqual([[3], [0], [4, 2], [1]]);
    expect(planBatches([2, 2, 2, 2], 16, 4)).toEqual([[0, 1], [2, 3]]);
    expect(() => planBatches([1], 4, 0)).toThrow(/tokens per batch/);
  });
  it('rejects a batch size below 1', () => {
    expect(() => planBatches([1], 0)).toThrow(/batch size/);
  });
});

describe('padBatch', () => {
  it('right-pads with the pad id and masks the padding', () => {
    const batch = padBatch([[5, 6, 7], [8]], 50256);
    expect(batch.rows).toBe(2);
    expect(batch.seqLen).toBe(3);
    expect([...batch.inputIds]).toEqual([5, 6, 7, 8, 50256, 50256]);
    expect([...batch.attentionMask]).toEqual([1, 1, 1, 1, 0, 0]);
  });
  it('no padding when all rows are equal', () => {
    const batch = padBatch([[1, 2], [3, 4]], 0);
    expect([...batch.attentionMask]).toEqual([1, 1, 1, 1]);
  });
});
