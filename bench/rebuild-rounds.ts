/**
 * Rebuilds against the keyword-only pass over the same pages, in interleaved rounds (keyword pass,
 * then each rebuild, each round), so load on a shared machine hits all alike. Wall and CPU time
 * (user + system of this process) of each; the ratios are the rows the bench reports.
 *
 * Each round: the keyword-only pass; an unchanged rebuild with the page extraction cache, as the
 * CLI's rebuild runs by default (`pageCache`, filled by the first build); the same without any
 * cache (`--no-cache`: every page parsed again); and, when `touch` is given, a rebuild with the
 * page cache after `touch` changed some pages' bytes.
 */
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildSiteIndex } from '../src/build/site-build';
import { excluder, extractSite, listHtmlFiles } from '../src/extract/site';
import { indexFile, writeKeyword, writeSections, type AddFile } from '../src/index/writer';
import { keywordEntry } from '../src/search/texts';

/** Builds a file's name and bytes as the index writer does, without keeping it. */
const discard: AddFile = async (...file) => (await indexFile(...file)).ref;

export interface Timed {
  wall: number;
  cpu: number;
}

export async function timed(fn: () => Promise<unknown>): Promise<Timed> {
  const [wall, cpu] = [performance.now(), process.cpuUsage()];
  await fn();
  const used = process.cpuUsage(cpu);
  return { wall: (performance.now() - wall) / 1000, cpu: (used.user + used.system) / 1e6 };
}

/** The keyword-only pass: extraction, the keyword index and the section files (gzipped, hashed), no vectors, no model. */
export function keywordPass(site: string, out: string, exclude: string[] = []): Promise<Timed> {
  return timed(async () => {
    const pages = await extractSite(site, { exclude, skipDirs: [out] });
    await writeKeyword(pages.flatMap((p) => p.sections.map((s) => keywordEntry(s, s.headingPath))), discard);
    await writeSections(pages, 240, discard);
  });
}

/**
 * Changes the bytes of every `every`-th page of `site` that `exclude` keeps (from the `round`-th on), not its
 * text: an HTML comment appended, as a site generator's rebuild that stamps its pages does. Returns
 * how many pages of how many.
 */
export async function touchPages(site: string, exclude: string[], every: number, round: number): Promise<{ touched: number; pages: number }> {
  const excluded = excluder(exclude);
  const files = (await listHtmlFiles(site)).filter((file) => !excluded(file));
  const picked = files.filter((_, i) => i % every === round % every);
  for (const file of picked) await appendFile(join(site, file), `\n<!-- touched in round ${round} -->\n`);
  return { touched: picked.length, pages: files.length };
}

export interface Round {
  keyword: Timed;
  /** Unchanged rebuild with the page cache. */
  rebuild: Timed;
  /** Unchanged rebuild without any cache. */
  uncached: Timed;
  /** Rebuild with the page cache after `touch` (when given). */
  touched?: Timed & { pages: number };
  reused: number;
  sections: number;
}

export interface RoundOptions {
  exclude?: string[];
  model?: string;
  rounds: number;
  /** The cache folder of the first build (its pages/ holds the page cache). */
  pageCache: string;
  /** Changes some pages' bytes before the round's last rebuild; returns how many. */
  touch?: (round: number) => Promise<number>;
  log?: (message: string) => void;
}

/** `rounds` interleaved keyword passes and rebuilds of the index in `out` (built before, with `pageCache`). */
export async function rebuildRounds(site: string, out: string, options: RoundOptions): Promise<Round[]> {
  const rounds: Round[] = [];
  const base = { site, out, model: options.model, exclude: options.exclude };
  for (let i = 0; i < options.rounds; i++) {
    options.log?.(`  round ${i + 1} of ${options.rounds}: keyword-only pass, unchanged rebuilds with and without the page cache${options.touch ? ', a rebuild after touching pages' : ''}`);
    const keyword = await keywordPass(site, out, options.exclude);
    let summary: Awaited<ReturnType<typeof buildSiteIndex>> | undefined;
    const rebuild = await timed(async () => (summary = await buildSiteIndex({ ...base, pageCache: options.pageCache })));
    const uncached = await timed(() => buildSiteIndex(base));
    let touched: Round['touched'];
    if (options.touch) {
      const pages = await options.touch(i);
      touched = { ...(await timed(() => buildSiteIndex({ ...base, pageCache: options.pageCache }))), pages };
    }
    rounds.push({ keyword, rebuild, uncached, ...(touched === undefined ? {} : { touched }), reused: summary!.built.reused, sections: summary!.built.sections });
  }
  return rounds;
}
