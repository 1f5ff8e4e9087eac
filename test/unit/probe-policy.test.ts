import { describe, expect, it } from 'vitest';
import { defaultProbe } from '../../src/index/writer';

describe('defaultProbe', () => {
  it('reads an eighth of the shards, at least 3 and at most 8, never more than there are', () => {
    expect([1, 2, 3, 7, 24, 25, 39, 62, 64, 65, 110, 324].map(defaultProbe)).toEqual([1, 2, 3, 3, 3, 4, 5, 8, 8, 8, 8, 8]);
  });
});
