/**
 * A filter key's lists, for facet counts: the section lists of a key's consecutive values in one
 * file, so counting a query's facets reads a key's few files instead of one file per value (a key
 * with thousands of values, such as a tag per page, would otherwise cost thousands of requests).
 * Filtered queries still read only the asked values' own files (src/index/filters).
 *
 * A file (magic "SGK1", format 1) holds a varint value count, then per value, in the filter
 * table's order, its section list as a value file holds it (count, ascending ids as varint gaps).
 * The table lists a key's files with the first value each holds (format.ts, KeyListRef); a file
 * ends where the next begins.
 */
import { SgptError } from '../errors';
import { ByteReader, ByteWriter, readMagic, writeMagic } from '../search/varint';
import { readSectionIds, writeSectionIds } from './format';

const MAGIC = [0x53, 0x47, 0x4b, 0x31]; // "SGK1"

/** About this many bytes (before gzip) per file: one file for most keys, a few for a tag-like key. */
export const KEY_LIST_BYTES = 64 * 1024;

/** A key's value lists (in table order) packed into files of about `fileBytes`, each with its first value. */
export function encodeKeyLists(lists: ReadonlyArray<readonly number[]>, fileBytes = KEY_LIST_BYTES): Array<{ first: number; bytes: Uint8Array }> {
  const bodies = lists.map((sections) => {
    const out = new ByteWriter();
    writeSectionIds(out, sections);
    return out.finish();
  });
  const files: Array<{ first: number; bytes: Uint8Array }> = [];
  let first = 0;
  let size = 0;
  const flush = (end: number) => {
    if (end === first) return;
    const out = new ByteWriter();
    writeMagic(out, MAGIC, 1);
    out.varint(end - first);
    for (const body of bodies.slice(first, end)) out.bytes(body);
    files.push({ first, bytes: out.finish() });
    first = end;
    size = 0;
  };
  bodies.forEach((body, v) => {
    size += body.length;
    if (size >= fileBytes) flush(v + 1);
  });
  flush(bodies.length);
  return files;
}

/**
 * Reads one file of a key's lists: `counts` are the section counts the table gives the values it
 * should hold; each list is checked against its count and the index's sections (INDEX_INVALID).
 */
export function decodeKeyList(name: string, bytes: Uint8Array, counts: readonly number[], sectionCount: number): Uint32Array[] {
  const input = new ByteReader(bytes, name);
  readMagic(input, bytes, MAGIC, 1, name, 'filter key list');
  const n = input.count();
  if (n !== counts.length) throw new SgptError('INDEX_INVALID', `${name}: holds ${n} values, the filter table says ${counts.length}`);
  const lists = counts.map((count) => readSectionIds(input, name, count, sectionCount));
  if (!input.done) throw new SgptError('INDEX_INVALID', `${name}: trailing bytes after the last list`);
  return lists;
}
