import { describe, expect, it } from 'vitest';
import { logProb, positionsToKeep, scoreRows } from '../../src/rerank/score';

const LN3 = Math.log(3);

describe('rerank scoring', () => {
  it('log_softmax picks the token: [ln 3, 0] gives ln(3/4) and ln(1/4)', () => {
    const logits = new Float32Array([LN3, 0]);
    expect(logProb(logits, 0, 2, 0)).toBeCloseTo(Math.log(0.75), 6);
    expect(logProb(logits, 0, 2, 1)).toBeCloseTo(Math.log(0.25), 6);
  });

  it('is stable for huge logits', () => {
    expect(logProb(new Float32Array([1000, 1000]), 0, 2, 1)).toBeCloseTo(-Math.LN2, 6);
    expect(logProb(new Float32Array([-1000, -1000, -1000]), 0, 3, 2)).toBeCloseTo(-Math.log(3), 6);
  });

  it('sums only the query positions of each row and never reads padding', () => {
    const vocab = 2;
    const seqLen = 3;
    // row 0: length 3, query [1, 0] read at positions 1 and 2; position 0 is prompt (not summed).
    // row 1: length 2 (one right pad), query [0] read at position 1; the pad holds NaN.
    const logits = new Float32Array([
      50, -50, /* pos 1 */ 0, 0, /* pos 2 */ LN3, 0,
      7, 7, /* pos 1 */ 0, LN3, /* pad */ NaN, NaN,
    ]);
    const [a, b] = scoreRows(logits, seqLen, vocab, [
      { length: 3, query: [1, 0] },
      { length: 2, query: [0] },
    ]);
    expect(a).toBeCloseTo(-Math.LN2 + Math.log(0.75), 6); // ln(3/8)
    expect(b).toBeCloseTo(Math.log(0.25), 6);
  });

  it('rejects shapes and ids that do not match', () => {
    const logits = new Float32Array(6);
    expect(() => scoreRows(logits, 3, 2, [{ length: 3, query: [2] }])).toThrow(/outside the vocabulary/);
    expect(() => scoreRows(logits, 3, 2, [{ length: 1, query: [0, 1] }])).toThrow(/do not fit/);
    expect(() => scoreRows(logits, 2, 2, [{ length: 2, query: [0] }])).toThrow(/expected 1x2x2/);
  });
});

describe('scoring from the last kept positions only', () => {
  it('reads the same values when the model returns only the needed tail', () => {
    // seqLen 4; row 0 length 4 query [1] (position 3), row 1 length 3 query [0, 1] (positions 1, 2).
    const rows = [
      { length: 4, query: [1] },
      { length: 3, query: [0, 1] },
    ];
    expect(positionsToKeep(4, rows)).toBe(3); // row 1 needs positions 1..3 of 4
    const kept = new Float32Array([
      /* row 0, positions 1..3 */ 9, 9, 9, 9, 0, LN3,
      /* row 1, positions 1..3 */ LN3, 0, 0, 0, NaN, NaN,
    ]);
    const [a, b] = scoreRows(kept, 4, 2, rows, 3);
    expect(a).toBeCloseTo(Math.log(0.75), 6);
    expect(b).toBeCloseTo(Math.log(0.75) - Math.LN2, 6);
  });

  it('rejects a tail too short for a row', () => {
    expect(() => scoreRows(new Float32Array(4), 4, 2, [{ length: 3, query: [0, 1] }], 2)).toThrow(/last 2 kept/);
  });
});
