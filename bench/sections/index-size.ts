/**
 * The size of the Python 3.11 docs index (Debian python3.11-doc, scripts/fetch-python-docs.sh),
 * built by `sgpt-search index` with the real model, against the same index as format versions 4
 * and 5 wrote it (test/older-formats: the same sections and vectors, rewritten), in the same run:
 * bytes on disk and bytes on the wire from a static server that gzips every response (as
 * test/e2e/static-server's gzip option, a stock server's compression; files gzipped already cost a
 * few bytes more), in all and per kind of file.
 *
 *   SGPT_BENCH_CACHE_DIR=<dir> npm run bench -- index-size     # vectors from a kept embedding cache
 *
 * Without SGPT_BENCH_CACHE_DIR the build embeds all 15,021 sections (tens of minutes here); with
 * the cache index-build fills, a minute.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSiteIndex } from '../../src/build/site-build';
import { asVersion4, asVersion5, readIndexDir, type IndexFiles } from '../../test/older-formats';
import type { BenchContext, BenchRow } from '../types';
import { PYTHON_DOCS_EXCLUDE, pythonDocsSite } from '../python-docs';

const SECTION = 'index-size';

/** A file's kind: its name without the number and the hash ("text-12.<hash16>.json.dfl" is "text-N .json.dfl"). */
function kind(name: string): string {
  return name.replace(/-\d+(-\d+)?(?=\.)/, '-N').replace(/\.[0-9a-f]{16}\./, ' .');
}

interface Size {
  files: number;
  disk: number;
  wire: number;
}

function sizes(files: IndexFiles): Map<string, Size> {
  const out = new Map<string, Size>();
  for (const [name, bytes] of files) {
    const entry = out.get(kind(name)) ?? { files: 0, disk: 0, wire: 0 };
    entry.files++;
    entry.disk += bytes.length;
    entry.wire += gzipSync(bytes).length;
    out.set(kind(name), entry);
  }
  return out;
}

function total(by: Map<string, Size>): Size {
  return [...by.values()].reduce((a, s) => ({ files: a.files + s.files, disk: a.disk + s.disk, wire: a.wire + s.wire }), { files: 0, disk: 0, wire: 0 });
}

export async function run(ctx: BenchContext = {}): Promise<BenchRow[]> {
  const log = ctx.log ?? (() => undefined);
  const docs = pythonDocsSite();
  const site = ctx.quick ? join(docs, 'tutorial') : docs;
  const work = await mkdtemp(join(tmpdir(), 'sgpt-bench-size-'));
  try {
    const out = join(work, 'sgpt');
    const cacheDir = process.env.SGPT_BENCH_CACHE_DIR ?? join(work, 'cache');
    log(`${SECTION}: index of ${site} (cache ${cacheDir})`);
    const built = await buildSiteIndex({ site, out, model: ctx.model, exclude: PYTHON_DOCS_EXCLUDE, cacheDir });
    const v6 = await readIndexDir(out);
    const [now, v5, v4] = [sizes(v6), sizes(await asVersion5(v6)), sizes(await asVersion4(v6))];
    const sections = built.built.sections;
    const kb = (n: number) => n / 1024;
    const [t6, t5, t4] = [total(now), total(v5), total(v4)];
    const note = `${sections} sections, ${built.built.vectors} vectors in ${built.built.shards} shards; ${t6.files} files (version 5: ${t5.files}, version 4: ${t4.files}); version 5, same index: ${kb(t5.disk).toFixed(0)} KB on disk, ${kb(t5.wire).toFixed(0)} KB on the wire`;
    const rows: BenchRow[] = [
      { section: SECTION, name: 'index bytes on disk', value: kb(t6.disk), unit: 'KB', baseline: { name: 'format version 4 (same index)', value: kb(t4.disk) }, note: `${(t6.disk / sections).toFixed(0)} B per section (version 4: ${(t4.disk / sections).toFixed(0)} B); ${note}` },
      { section: SECTION, name: 'index bytes on the wire (static server gzipping every response)', value: kb(t6.wire), unit: 'KB', baseline: { name: 'format version 4 (same index)', value: kb(t4.wire) }, note: `version 5: ${kb(t5.wire).toFixed(0)} KB` },
    ];
    // Per kind: what the index is made of, against version 4's files of that kind (absent there: no baseline).
    for (const [name, size] of [...now].sort((a, b) => b[1].disk - a[1].disk)) {
      const old = v4.get(name) ?? v4.get(name.replace('.bin.gzip', '.bin'));
      const before = v5.get(name) ?? v5.get(name.replace('.bin.gzip', '.bin')) ?? v5.get(name.replace('.json.dfl', '.json.gzip'));
      rows.push({
        section: SECTION,
        name: `  ${name} (${size.files} files), on disk`,
        value: kb(size.disk),
        unit: 'KB',
        ...(old ? { baseline: { name: 'format version 4', value: kb(old.disk) } } : {}),
        note: `wire ${kb(size.wire).toFixed(0)} KB${before ? `; version 5: ${kb(before.disk).toFixed(0)} KB in ${before.files} files` : ''}`,
      });
    }
    const gone = [...v5.keys()].filter((name) => !now.has(name) && !now.has(name.replace('.bin', '.bin.gzip')) && !now.has(name.replace('.json.gzip', '.json.dfl')));
    for (const name of gone) rows.push({ section: SECTION, name: `  ${name}, on disk (version 5 only)`, value: kb(v5.get(name)!.disk), unit: 'KB', note: 'not written by version 6' });
    return rows;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
