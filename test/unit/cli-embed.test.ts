// The real CLI (bin/sgpt-search.js through tsx) with text on stdin.
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkWindows } from '../../src/embed/chunk';
import { Embedder } from '../../src/embed/embedder';
import { defaultModelSource } from '../../src/build/default-model';
import { cosine } from '../support';

const BIN = path.resolve('bin/sgpt-search.js');
const TINY = path.resolve('test/fixtures/models/tiny-gpt2');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], stdin: string | Buffer = '', cwd = process.cwd()): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

// The CLI's default model (sgpt-nano when it ships, else tiny-gpt2), loaded through the library.
let embedder: Embedder;
beforeAll(async () => {
  embedder = await Embedder.load(defaultModelSource());
});
afterAll(() => embedder.dispose());

describe('sgpt-search embed', () => {
  it('prints one vector per line, equal to the library; a long line gives its window vectors', async () => {
    const long = ' x'.repeat(700);
    // run from another folder: the default model is found relative to the package
    const run = await cli(['embed', '--role', 'document'], `Hello world\nsecond line\n${long}\n`, tmpdir());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines).toHaveLength(3);
    const expected = await embedder.embed(['Hello world', 'second line', long], 'document');
    const dims = embedder.dims;
    const row = (r: number) => expected.vectors.subarray(r * dims, (r + 1) * dims);
    expect(lines[0]).toHaveLength(dims);
    expect(cosine(lines[0], row(0))).toBeGreaterThan(0.999999);
    expect(cosine(lines[1], row(1))).toBeGreaterThan(0.999999);
    expect(lines[2]).toHaveLength(chunkWindows(700, 298).length);
    lines[2].forEach((vector: number[], i: number) => {
      expect(vector).toHaveLength(dims);
      expect(cosine(vector, row(2 + i))).toBeGreaterThan(0.999999);
    });
  });

  it('honours --model, --mode and --max-length; an empty symmetric line is an error with exit 1', async () => {
    const ok = await cli(['embed', '--model', TINY, '--role', 'query', '--mode', 'symmetric', '--max-length', '4'], ' a b c d e\n');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toHaveLength(chunkWindows(5, 4).length);
    const empty = await cli(['embed', '--role', 'query', '--mode', 'symmetric'], 'fine\n\n');
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/INPUT_INVALID: text 1 is empty/);
  });

  it('a missing model folder exits 1 with MODEL_NOT_FOUND on stderr', async () => {
    const run = await cli(['embed', '--role', 'query', '--model', path.join(tmpdir(), 'no-such-model-dir')], 'x\n');
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/MODEL_NOT_FOUND: .*no-such-model-dir.*config\.json/);
  });

  it('usage errors exit 2; --help exits 0', async () => {
    const [none, unknown, badFlag, help, embedHelp] = await Promise.all([
      cli([]),
      cli(['frobnicate']),
      cli(['embed', '--bogus']),
      cli(['--help']),
      cli(['embed', '--help']),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/usage: sgpt-search <command>/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"[\s\S]*embed/);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/--bogus/);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/commands:[\s\S]*embed/);
    expect(embedHelp.code).toBe(0);
    expect(embedHelp.stdout).toMatch(/one JSON line per input line[\s\S]*--role <role>/);
  });

  it('drops a UTF-8 byte order mark; refuses UTF-16 and bytes that are not UTF-8, naming the line', async () => {
    const embed = (stdin: Buffer) => cli(['embed', '--role', 'document', '--model', TINY], stdin);
    const [plain, bom, latin1, utf16, utf16Bare, lateNul] = await Promise.all([
      embed(Buffer.from('hello world\nsecond line\n')),
      embed(Buffer.from('\uFEFFhello world\nsecond line\n')),
      embed(Buffer.concat([Buffer.from('hello world\n'), Buffer.from('café crème\n', 'latin1')])),
      embed(Buffer.from('\uFEFFhello world\n', 'utf16le')),
      embed(Buffer.from('hello world\n', 'utf16le')),
      embed(Buffer.from(`${'hello world\n'.repeat(1000)}a\u0000b\n`)), // past the 8 KB a page is looked at in
    ]);
    expect(plain.code).toBe(0);
    expect(bom.code).toBe(0);
    expect(bom.stdout).toBe(plain.stdout);
    for (const [run, message] of [
      [latin1, 'INPUT_INVALID: stdin:2: not valid UTF-8'],
      [utf16, 'INPUT_INVALID: stdin: UTF-16 (it starts with a UTF-16 byte order mark)'],
      [utf16Bare, 'INPUT_INVALID: stdin:1: NUL bytes'],
      [lateNul, 'INPUT_INVALID: stdin:1001: NUL bytes'],
    ] as const) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(message);
    }
  });

  it('stops quietly with status 0 when the reader of its output goes away (`| head -1`)', async () => {
    // 300 lines of 64 numbers: ~400 kB, far more than a pipe holds, so the CLI is still writing
    // when the reader closes after its first chunk.
    const texts = Array.from({ length: 300 }, (_, i) => `line ${i} about teapots`).join('\n');
    const run = await new Promise<Run>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'embed', '--role', 'document', '--model', TINY], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.once('data', (d) => {
        stdout += d;
        child.stdout.destroy();
      });
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(texts);
    });
    expect(run.stdout).toMatch(/^\[-?\d/);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('a bad --role exits 1 naming the flag', async () => {
    const run = await cli(['embed', '--role', 'passage'], 'x\n');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--role must be query or document, got "passage"/);
  });
});
