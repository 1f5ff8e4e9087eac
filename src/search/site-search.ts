/**
 * Search over a prebuilt site index (src/index): keyword results at once from the BM25 index while
 * the model loads, then semantic results — the query vector against the nearest IVF shards —
 * fused with the keyword ranking as the manifest says (convex combination of normalised BM25
 * and cosine scores, or weighted RRF; src/search/fusion). The same code answers `sgpt-search query` in
 * Node and the `<sgpt-search index=…>` element in the browser; only the file loader and the query
 * embedder differ.
 */
import { SgptError } from '../errors';
import { checkModel, chunkRef, type QueryModel } from '../index/format';
import { dotAll } from '../index/int8';
import { IndexReader, fetchLoader, once, type FileLoader } from '../index/reader';
import { analyze, analyzePartial } from './analyzer';
import { ChunkedBm25, decodeChunk, decodeHead, type Bm25SearchOptions, type TermTable } from './bm25';
import { fuseHybrid, type FusionMethod } from './fusion';
import { TopK } from './topk';

export interface SiteHit {
  /** Index of the section in the index. */
  section: number;
  /** Site-relative page URL plus '#anchor' when the section has one. */
  url: string;
  /** Section title (plain text). */
  title: string;
  pageTitle: string;
  headingPath: string[];
  /** Plain text; render it as text, never as HTML. */
  excerpt: string;
  /** [start, end) UTF-16 offsets in `excerpt` of words that match the query. */
  highlights: Array<[number, number]>;
  /** BM25 score for keyword results; the fused score (convex or RRF, per the manifest) for semantic results. */
  score: number;
  /** True when the ranking used the query's meaning (the fused phase). */
  semantic: boolean;
}

export interface SemanticOptions {
  limit?: number;
  /** Shards to read (default: the manifest's probe). */
  probe?: number;
  /** Semantic weight in the fusion (default: the manifest's). */
  semanticWeight?: number;
  /** Fusion method (default: the manifest's). */
  fusionMethod?: FusionMethod;
}

/** Search as you type: the last word, while it is being typed, matches as a prefix. */
const KEYWORD: Bm25SearchOptions = { prefix: true };
/** Candidates each ranking contributes to the fusion, per result asked for. */
const DEPTH_PER_RESULT = 5;
const MIN_DEPTH = 50;
const WORD = /[\p{L}\p{N}\p{M}]+/gu;
/** A one-letter prefix would light up half the excerpt. */
const MIN_PREFIX = 2;

export class SiteSearch {
  private constructor(
    readonly reader: IndexReader,
    private readonly keyword: ChunkedBm25,
  ) {}

  /** Loads the manifest, the section table and the keyword head (keyword chunks, sections and vectors as queries need them). */
  static async open(load: FileLoader): Promise<SiteSearch> {
    const reader = await IndexReader.open(load);
    const name = reader.manifest.keyword.name;
    const head = decodeHead(reader.keywordHead, name);
    const docCount = head.stats.docLengths.length;
    if (docCount !== reader.manifest.counts.sections) {
      throw new SgptError('INDEX_INVALID', `${name}: indexes ${docCount} sections, the manifest says ${reader.manifest.counts.sections}`);
    }
    head.chunks.forEach((entry, i) => chunkRef(name, { name: entry.file, bytes: entry.bytes }, `chunks[${i}]`));
    const chunks = new Map<number, Promise<TermTable>>();
    const keyword = new ChunkedBm25(head, (i) =>
      once(chunks, i, async () => {
        const entry = head.chunks[i]!;
        const bytes = await reader.chunk({ name: entry.file, bytes: entry.bytes });
        return decodeChunk(bytes, entry.file, docCount, entry.first, head.chunks[i + 1]?.first ?? null);
      }),
    );
    return new SiteSearch(reader, keyword);
  }

  get manifest() {
    return this.reader.manifest;
  }

  /** Refuse a query model that is not the index's (INDEX_MODEL_MISMATCH naming both). */
  checkModel(model: QueryModel): void {
    checkModel(this.manifest.model, model);
  }

  /** BM25 over the sections, the last word as a prefix (search as you type). */
  async keywordSearch(query: string, limit = 10): Promise<SiteHit[]> {
    const ranked = (await this.keyword.search(query, limit, KEYWORD)).map((hit) => ({ section: hit.index, score: hit.score }));
    return this.hits(ranked, query, false);
  }

  /** Sections nearest the query vector in the `probe` nearest shards, best chunk per section. */
  async vectorSearch(vector: Float32Array, limit: number, probe = this.manifest.probe): Promise<Array<{ section: number; score: number }>> {
    const { dims } = this.manifest.model;
    if (vector.length !== dims) throw new SgptError('INDEX_MODEL_MISMATCH', `the query vector has ${vector.length} dims but the index's model ${this.manifest.model.id} has ${dims}`);
    const shards = await Promise.all((await this.reader.nearestShards(vector, probe)).map((i) => this.reader.shard(i)));
    const best = new Float32Array(this.manifest.counts.sections).fill(-Infinity);
    for (const shard of shards) {
      const scores = dotAll(vector, shard, dims);
      for (let r = 0; r < shard.rows; r++) {
        const section = shard.owner[r]!;
        if (scores[r]! > best[section]!) best[section] = scores[r]!;
      }
    }
    const top = new TopK(limit);
    best.forEach((score, section) => {
      if (score > -Infinity) top.push(section, score);
    });
    return top.result().map(({ index, score }) => ({ section: index, score }));
  }

  /**
   * Keyword and semantic rankings fused as the manifest says (BM25 and cosine scores of each
   * ranking's top `depth` candidates); hits are marked semantic.
   */
  async semanticSearch(query: string, vector: Float32Array, options: SemanticOptions = {}): Promise<SiteHit[]> {
    const limit = options.limit ?? 10;
    const depth = Math.max(MIN_DEPTH, limit * DEPTH_PER_RESULT);
    const keyword = (await this.keyword.search(query, depth, KEYWORD)).map((h) => ({ id: h.index, score: h.score }));
    const dense = (await this.vectorSearch(vector, depth, options.probe)).map((h) => ({ id: h.section, score: h.score }));
    const fusion = {
      method: options.fusionMethod ?? this.manifest.fusion.method,
      semanticWeight: options.semanticWeight ?? this.manifest.fusion.semanticWeight,
    };
    const fused = fuseHybrid(keyword, dense, fusion, { limit }).map((hit) => ({ section: hit.id, score: hit.score }));
    return this.hits(fused, query, true);
  }

  private async hits(ranked: Array<{ section: number; score: number }>, query: string, semantic: boolean): Promise<SiteHit[]> {
    const infos = await this.reader.sections(ranked.map((r) => r.section));
    return ranked.map(({ section, score }) => {
      const info = infos.get(section)!;
      return {
        section,
        url: info.anchor ? `${info.url}#${encodeURIComponent(info.anchor)}` : info.url,
        title: info.title,
        pageTitle: info.pageTitle,
        headingPath: info.headingPath,
        excerpt: info.excerpt,
        highlights: highlightRanges(info.excerpt, query),
        score,
        semantic,
      };
    });
  }
}

/** Open a site index over HTTP from its manifest URL. */
export async function openSiteSearch(manifestUrl: string | URL, fetchImpl?: typeof fetch): Promise<SiteSearch> {
  return SiteSearch.open(fetchLoader(manifestUrl, fetchImpl));
}

/**
 * Offsets of the words in `text` that match the query as the keyword index does (same analyzer:
 * stemmed, stop words dropped), and of words starting with a partly typed last word.
 */
export function highlightRanges(text: string, query: string): Array<[number, number]> {
  const { terms, prefix } = analyzePartial(query);
  const wanted = new Set(terms);
  const ranges: Array<[number, number]> = [];
  if (wanted.size === 0 && !prefix) return ranges;
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    const lower = word.toLowerCase();
    const term = analyze(word)[0];
    if ((term !== undefined && wanted.has(term)) || (prefix !== null && prefix.length >= MIN_PREFIX && lower.startsWith(prefix))) {
      ranges.push([match.index, match.index + word.length]);
    }
  }
  return ranges;
}
