/** Helpers shared by the Vitest suites. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { SgptError } from '../src/errors';

/** Cosine similarity of two vectors of any norm. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** The SgptError a promise rejects with; fails the test when it resolves or rejects with anything else. */
export async function sgptRejection(promise: Promise<unknown>): Promise<SgptError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SgptError);
    return error as SgptError;
  }
  throw new Error('expected an SgptError, but the call succeeded');
}

/** The SgptError a call throws; fails the test when it returns or throws anything else. */
export function sgptThrow(fn: () => unknown): SgptError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SgptError);
    return error as SgptError;
  }
  throw new Error('expected an SgptError, but the call returned');
}

/** Every file of an index folder by name (base64); the manifest without its build time. */
export async function indexFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    if (name.startsWith('.')) continue;
    const bytes = await readFile(join(dir, name));
    files[name] = name === 'manifest.json' ? JSON.stringify({ ...JSON.parse(bytes.toString('utf8')), built: null }) : bytes.toString('base64');
  }
  return files;
}
