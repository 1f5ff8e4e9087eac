// model/nano2's Python has unit tests of its own: interpolate.py's math (WiSE-FT between the
// shipped token table and a trained one, numpy) and docs.py / data.py's page rules and sources
// (which pages the training data may read). They run here so `npm test` covers them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';

describe('model/nano2 (Python)', () => {
  for (const module of ['test_interpolate', 'test_docs']) {
    it.skipIf(!existsSync(PYTHON))(`passes ${module}.py`, async () => {
      const { stderr } = await promisify(execFile)(PYTHON, ['-m', 'unittest', `model/nano2/${module}.py`]);
      expect(stderr).toMatch(/Ran \d+ tests[\s\S]*\nOK\s*$/);
    });
  }
});
