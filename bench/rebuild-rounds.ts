/**
 * An unchanged rebuild against the keyword-only pass over the same pages, in interleaved rounds
 * (keyword pass, then rebuild, each round), so load on a shared machine hits both alike. Wall and
 * CPU time (user + system of this process) of each; the ratio is the row the bench reports.
 */
import { buildSiteIndex } from '../src/build/site-build';
import { extractSite } from '../src/extract/site';
import { indexFile, writeKeyword, writeSections, type AddFile } from '../src/index/writer';
import { keywordText } from '../src/search/texts';

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
    await writeKeyword(pages.flatMap((p) => p.sections.map(keywordText)), discard);
    await writeSections(pages, 240, discard);
  });
}

export interface Round {
  keyword: Timed;
  rebuild: Timed;
  reused: number;
  sections: number;
}

/** `rounds` interleaved keyword passes and unchanged rebuilds of the index in `out` (built before). */
export async function rebuildRounds(site: string, out: string, options: { exclude?: string[]; model?: string; rounds: number; log?: (message: string) => void }): Promise<Round[]> {
  const rounds: Round[] = [];
  for (let i = 0; i < options.rounds; i++) {
    options.log?.(`  round ${i + 1} of ${options.rounds}: keyword-only pass, then an unchanged rebuild`);
    const keyword = await keywordPass(site, out, options.exclude);
    let summary: Awaited<ReturnType<typeof buildSiteIndex>> | undefined;
    const rebuild = await timed(async () => (summary = await buildSiteIndex({ site, out, model: options.model, exclude: options.exclude })));
    rounds.push({ keyword, rebuild, reused: summary!.built.reused, sections: summary!.built.sections });
  }
  return rounds;
}
