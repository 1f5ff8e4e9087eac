/**
 * A built index rewritten as an older format version wrote it, the same sections and vectors: for
 * the tests that older indexes are still read, and for the bench's baselines (index bytes and bytes
 * read against version 4 in the same run). In memory: files by name, the manifest included; the
 * result holds the index's files only (what the manifest and its tables name, and `owned`).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeCentroids, decodeShard, fileRefFor, inflateWithDictionary, textDictionary, textOpening, type BucketFile } from '../src/index/format';
import { textHash } from '../src/index/writer';
import { embeddingText } from '../src/search/texts';

export type IndexFiles = Map<string, Uint8Array>;

const json = (bytes: Uint8Array): any => JSON.parse(new TextDecoder().decode(bytes));
const gzipJson = (value: unknown): Uint8Array => gzipSync(JSON.stringify(value));

/** Rewrites the index with `change`, which replaces files through `put` (new names) and drops the old ones; `owned` follows. */
async function rewrite(files: ReadonlyMap<string, Uint8Array>, change: (manifest: any, read: (name: string) => Uint8Array, put: (stem: string, ext: string, bytes: Uint8Array) => Promise<any>) => Promise<void>): Promise<IndexFiles> {
  const manifest = json(files.get('manifest.json')!);
  const read = (name: string): Uint8Array => {
    const bytes = files.get(name);
    if (!bytes) throw new Error(`no file ${name}`);
    return bytes;
  };
  const out: IndexFiles = new Map();
  const put = async (stem: string, ext: string, bytes: Uint8Array) => {
    const ref = await fileRefFor(stem, ext, bytes);
    out.set(ref.name, bytes);
    return ref;
  };
  await change(manifest, read, put);
  // Files named by the manifest itself or listed in a table are carried over unless replaced.
  const table = json(gunzipSync(out.get(manifest.sections.name) ?? read(manifest.sections.name)));
  const listed = new Set<string>([manifest.sections.name, manifest.keyword.name, manifest.hashes.name, ...(manifest.typos ? [manifest.typos.name] : []), ...(manifest.filters ? [manifest.filters.name] : []), ...(manifest.centroids ? [manifest.centroids.name] : []), ...manifest.shards.map((s: { name: string }) => s.name)]);
  for (const bucket of table.buckets) {
    listed.add(bucket.name);
    for (const text of json(gunzipSync(out.get(bucket.name) ?? read(bucket.name))).texts ?? []) if (text.name) listed.add(text.name);
  }
  for (const [name, bytes] of files) if (name !== 'manifest.json' && !out.has(name) && (listed.has(name) || !/^(vectors-|centroids\.|sections[.-]|text-|hashes\.|owned\.)/.test(name))) out.set(name, bytes);
  for (const name of [...out.keys()]) if (/^(vectors-|centroids\.|sections[.-]|text-)/.test(name) && !listed.has(name)) out.delete(name);
  if (manifest.owned) {
    const kept = (json(gunzipSync(read(manifest.owned.name))) as { path: string; sha256: string }[]).filter(({ path }) => path.includes('/') || out.has(path));
    const listed = new Map([...kept.map(({ path, sha256 }) => [path, sha256] as const), ...[...out].map(([name, bytes]) => [name, createHash('sha256').update(bytes).digest('hex')] as const)]);
    manifest.owned = await put('owned', 'json.gzip', gzipJson([...listed].sort(([a], [b]) => (a < b ? -1 : 1)).map(([path, sha256]) => ({ path, sha256 }))));
  }
  out.set('manifest.json', new TextEncoder().encode(JSON.stringify(manifest)));
  return out;
}

/** Version 7: version 8 without each section's shard list in its bucket entry. */
export function asVersion7(files: ReadonlyMap<string, Uint8Array>): Promise<IndexFiles> {
  return rewrite(files, async (manifest, read, put) => {
    manifest.version = 7;
    const table = json(gunzipSync(read(manifest.sections.name)));
    for (const [b, entry] of table.buckets.entries()) {
      const bucket = json(gunzipSync(read(entry.name))) as BucketFile;
      bucket.sections = bucket.sections.map(({ shards: _shards, ...section }) => section);
      const ref = await put(`sections-${b}`, 'json.gzip', gzipJson(bucket));
      table.buckets[b] = { name: ref.name, bytes: ref.bytes, count: entry.count };
    }
    manifest.sections = await put('sections', 'json.gzip', gzipJson(table));
  });
}

/** Version 6: version 7 with float32 centroids (SGC1): the values version 7's int8 ones decode to, so the shards' codes are unchanged. */
export async function asVersion6(files: ReadonlyMap<string, Uint8Array>): Promise<IndexFiles> {
  return rewrite(await asVersion7(files), async (manifest, read, put) => {
    manifest.version = 6;
    if (!manifest.centroids) return;
    const { dims } = manifest.model;
    const k = manifest.shards.length;
    const values = decodeCentroids('centroids', gunzipSync(read(manifest.centroids.name)), k, dims, 7);
    const v1 = new Uint8Array(12 + 4 * k * dims);
    v1.set(new TextEncoder().encode('SGC1'), 0);
    new DataView(v1.buffer).setUint32(4, k, true);
    new DataView(v1.buffer).setUint32(8, dims, true);
    v1.set(new Uint8Array(values.buffer, values.byteOffset, 4 * k * dims), 12);
    manifest.centroids = await put('centroids', 'bin.gzip', gzipSync(v1));
  });
}

/** Version 5: version 6 with whole texts in gzip text files (one per version 6 file, and for sections without one), whole heading paths, hashes.json (whole hashes), SGV2 vector files (plain codes), not gzipped. */
export async function asVersion5(files: ReadonlyMap<string, Uint8Array>): Promise<IndexFiles> {
  return rewrite(await asVersion6(files), async (manifest, read, put) => {
    manifest.version = 5;
    const { dims } = manifest.model;
    const centroids = manifest.centroids ? gunzipSync(read(manifest.centroids.name)) : null;
    for (const [i, ref] of manifest.shards.entries()) {
      // SGV2: the codes as they are, row after row.
      const centroid = centroids && decodeCentroids('centroids', centroids, manifest.shards.length, dims, 6).subarray(i * dims, (i + 1) * dims);
      const shard = decodeShard(ref.name, gunzipSync(read(ref.name)), dims, manifest.counts.sections, 6, centroid);
      const v2 = new Uint8Array(12 + 10 * shard.rows + shard.rows * dims);
      v2.set(new TextEncoder().encode('SGV2'), 0);
      new DataView(v2.buffer).setUint32(4, shard.rows, true);
      new DataView(v2.buffer).setUint32(8, dims, true);
      for (const [at, part] of [[12, shard.owner], [12 + 4 * shard.rows, shard.scales], [12 + 8 * shard.rows, shard.window!], [12 + 10 * shard.rows, shard.codes]] as const) v2.set(new Uint8Array(part.buffer, part.byteOffset, part.byteLength), at);
      manifest.shards[i] = { ...(await put(`vectors-${i}`, 'bin', v2)), rows: ref.rows };
    }
    if (centroids) manifest.centroids = await put('centroids', 'bin', centroids);
    const table = json(gunzipSync(read(manifest.sections.name)));
    let n = 0;
    const hashes: string[] = [];
    for (const [b, entry] of table.buckets.entries()) {
      const bucket = json(gunzipSync(read(entry.name))) as BucketFile;
      // Version 5 writes each section's whole heading path.
      bucket.sections = bucket.sections.map(({ up, path, ...section }) => ({ ...section, path: path ?? [...up!, section.title] }));
      const openings = bucket.sections.map((s) => textOpening(s.excerpt));
      const dictionary = textDictionary(bucket.sections.map((s) => s.excerpt));
      let at = 0;
      const texts = [];
      for (const file of bucket.texts ?? []) {
        const rests: string[] = file.name ? json(await inflateWithDictionary(file.name, read(file.name), dictionary)).texts : Array(file.count).fill('');
        const whole = rests.map((rest, i) => openings[at + i] + rest);
        whole.forEach((text, i) => hashes.push(textHash(embeddingText(bucket.pages.find((p) => p.index === bucket.sections[at + i]!.page)!.title, bucket.sections[at + i]!.path!, text))));
        at += file.count;
        const ref = await put(`text-${n++}`, 'json.gzip', gzipJson({ texts: whole }));
        texts.push({ name: ref.name, bytes: ref.bytes, count: file.count });
      }
      const ref = await put(`sections-${b}`, 'json.gzip', gzipJson({ ...bucket, texts }));
      table.buckets[b] = { name: ref.name, bytes: ref.bytes, count: entry.count };
    }
    manifest.sections = await put('sections', 'json.gzip', gzipJson(table));
    manifest.hashes = await put('hashes', 'json.gzip', gzipJson(hashes));
  });
}

/** Version 4: version 5 without text files (buckets without their lists) and SGV1 vector files (no window numbers). */
export async function asVersion4(files: ReadonlyMap<string, Uint8Array>): Promise<IndexFiles> {
  return rewrite(await asVersion5(files), async (manifest, read, put) => {
    manifest.version = 4;
    for (const [i, ref] of manifest.shards.entries()) {
      const bytes = read(ref.name);
      const rows = ref.rows as number;
      const v1 = new Uint8Array(bytes.length - 2 * rows);
      v1.set(bytes.subarray(0, 12 + 8 * rows));
      v1.set(new TextEncoder().encode('SGV1'), 0);
      v1.set(bytes.subarray(12 + 10 * rows), 12 + 8 * rows);
      manifest.shards[i] = { ...(await put(`vectors-${i}`, 'bin', v1)), rows };
    }
    const table = json(gunzipSync(read(manifest.sections.name)));
    for (const [b, entry] of table.buckets.entries()) {
      const bucket = json(gunzipSync(read(entry.name)));
      delete bucket.texts;
      const ref = await put(`sections-${b}`, 'json.gzip', gzipJson(bucket));
      table.buckets[b] = { name: ref.name, bytes: ref.bytes, count: entry.count };
    }
    manifest.sections = await put('sections', 'json.gzip', gzipJson(table));
  });
}

/** An index folder's files by name (plain files at its top: the index, not the runtime or the model). */
export async function readIndexDir(dir: string): Promise<IndexFiles> {
  const files: IndexFiles = new Map();
  for (const entry of await readdir(dir, { withFileTypes: true })) if (entry.isFile()) files.set(entry.name, new Uint8Array(await readFile(join(dir, entry.name))));
  return files;
}

/** Writes `files` into the folder (the manifest last, as a build does). */
export async function writeIndexDir(dir: string, files: ReadonlyMap<string, Uint8Array>): Promise<void> {
  for (const [name, bytes] of files) if (name !== 'manifest.json') await writeFile(join(dir, name), bytes);
  await writeFile(join(dir, 'manifest.json'), files.get('manifest.json')!);
}
