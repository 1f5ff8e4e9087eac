/**
 * Results grouped by page for display: each page's title once, its sections below in rank order,
 * the groups ordered by their best section. `order` is the display order of the hits, which the
 * keyboard walks (option n is order[n]); `rank` keeps each hit's place in the ranked list.
 */
import { pageOfUrl } from '../search/texts';
import type { SearchHit } from '../worker/protocol';

export interface GroupedHit {
  hit: SearchHit;
  /** 0-based place in the ranked list. */
  rank: number;
  /** 0-based place in the display order (the option index). */
  option: number;
  /** The heading path between the page title and the section's own title (breadcrumb). */
  trail: string[];
}

export interface PageGroup {
  /** Stable key of the page (its URL without the fragment and its title), or the hit's own id when it names no page. */
  key: string;
  title: string;
  hits: GroupedHit[];
}

/** Only site-index sections name their page; a page's own documents (src) each stand alone, even under one URL. */
function pageKey(hit: SearchHit): string {
  if (hit.pageTitle === undefined) return `id:${String(hit.id)}`;
  return `page:${pageOfUrl(hit.url ?? '')}\n${hit.pageTitle}`;
}

/** The headings between the page and the section: the path less the page title at its head and the section title at its end. */
function trailOf(hit: SearchHit, pageTitle: string): string[] {
  const path = [...(hit.headingPath ?? [])];
  if (path[0] === pageTitle) path.shift();
  if (path.at(-1) === hit.title) path.pop();
  return path;
}

export function groupByPage(hits: readonly SearchHit[]): PageGroup[] {
  const groups = new Map<string, PageGroup>();
  hits.forEach((hit, rank) => {
    const key = pageKey(hit);
    let group = groups.get(key);
    if (group === undefined) {
      group = { key, title: hit.pageTitle ?? hit.title, hits: [] };
      groups.set(key, group);
    }
    group.hits.push({ hit, rank, option: -1, trail: trailOf(hit, group.title) });
  });
  // Map keeps insertion order: the page of the best section first.
  const ordered = [...groups.values()];
  let option = 0;
  for (const group of ordered) for (const entry of group.hits) entry.option = option++;
  return ordered;
}

/** The hits in display order (what option n shows). */
export function displayOrder(groups: readonly PageGroup[]): GroupedHit[] {
  return groups.flatMap((group) => group.hits);
}
