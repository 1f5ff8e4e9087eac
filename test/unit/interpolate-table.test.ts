// model/nano2/interpolate.py (WiSE-FT between the shipped token table and a trained one) is
// Python; its math has numpy unit tests, run here so `npm test` covers them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';

describe('model/nano2/interpolate.py', () => {
  it.skipIf(!existsSync(PYTHON))('passes its numpy unit tests', async () => {
    const { stderr } = await promisify(execFile)(PYTHON, ['-m', 'unittest', 'model/nano2/test_interpolate.py']);
    expect(stderr).toMatch(/Ran \d+ tests[\s\S]*\nOK\s*$/);
  });
});
