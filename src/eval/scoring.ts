/**
 * What eval scores a ranking as: the documents themselves (sections of a site), or, with
 * `--by-page`, the pages they are on. The element shows a site's results grouped by page, each
 * page where its best section ranks (src/element/groups), so read by page a ranking of sections is
 * the pages it reaches, in order, and a page is as relevant as its most relevant judged section.
 * A FAQ that links a page, not a section, is judged by page for what it says; a section judged on
 * the page a reader lands on counts as found.
 */
import { SgptError } from '../errors';
import { pageOfUrl } from '../search/texts';
import type { BeirDataset } from './beir';
import type { Judgements, Qrels, Run } from './metrics';

export type ScoringUnit = 'document' | 'page';

export interface Scoring {
  unit: ScoringUnit;
  /** The judgements in this unit. */
  qrels: Qrels;
  /** A ranking of document ids in this unit, best first. */
  ranking(ids: readonly string[]): readonly string[];
}

/**
 * A ranking of documents as the pages they are on, each page once, where its first document ranks.
 *
 * @example
 * pagesOf(['a#1', 'b#1', 'a#2', 'c'], pageOfUrl) // ['a', 'b', 'c'] (ids that are urls)
 */
export function pagesOf(ids: readonly string[], page: (id: string) => string): string[] {
  return [...new Set(ids.map(page))];
}

/** Judgements by page: a page graded as its best judged document. */
export function judgementsByPage(qrels: Qrels, page: (id: string) => string): Qrels {
  return new Map(
    [...qrels].map(([query, judged]): [string, Judgements] => {
      const pages = new Map<string, number>();
      for (const [id, grade] of judged) {
        const key = page(id);
        pages.set(key, Math.max(pages.get(key) ?? 0, grade));
      }
      return [query, pages];
    }),
  );
}

/**
 * How `dataset` is scored in `unit`. By page, every corpus record must carry its "url"
 * (scripts/faq-beir.ts writes it); a judged id the corpus lacks stays a page of its own (never found).
 */
export function scoringOf(dataset: Pick<BeirDataset, 'dir' | 'corpus' | 'qrels'>, unit: ScoringUnit): Scoring {
  if (unit === 'document') return { unit, qrels: dataset.qrels, ranking: (ids) => ids };
  const pages = new Map<string, string>();
  for (const doc of dataset.corpus) {
    if (doc.url === undefined) throw new SgptError('INPUT_INVALID', `scoring by page needs each corpus record's "url"; ${dataset.dir}: record ${JSON.stringify(doc.id)} has none`);
    pages.set(doc.id, pageOfUrl(doc.url));
  }
  const page = (id: string) => pages.get(id) ?? id;
  return { unit, qrels: judgementsByPage(dataset.qrels, page), ranking: (ids) => pagesOf(ids, page) };
}

/** `run` with every ranking in `scoring`'s unit. */
export function scoredRun(run: Run, scoring: Scoring): Run {
  return new Map([...run].map(([query, ids]) => [query, scoring.ranking(ids)]));
}
