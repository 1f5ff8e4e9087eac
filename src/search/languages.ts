/**
 * The keyword analysis of each language a page may be written in (its `lang`): Snowball stemmers
 * and stop words for the major European languages (the maintained @orama/stemmers and
 * @orama/stopwords packages), and word segmentation for Chinese, Japanese, Korean and Thai with
 * `Intl.Segmenter`, which Node and the browsers both ship (the same ICU word rules at build and at
 * query time; test/e2e/languages.spec.ts checks them against each other). English keeps the
 * analyzer's Lucene-style Porter analysis.
 *
 * A language's stemmer and stop words are loaded (dynamic import: the browser fetches only the
 * languages its index has) before the sync analysis runs: `loadLanguages` first, then `language`.
 */
import { SgptError } from '../errors';

export interface Language {
  /** Primary subtag, lowercased: 'de', 'ja'. '' stands for English, the default analysis. */
  code: string;
  /** Stems one lowercased word; null: words stay as they are. */
  stem: ((word: string) => string) | null;
  stopWords: ReadonlySet<string>;
  /** Words come from Intl.Segmenter (scripts that do not separate words with spaces). */
  segmented: boolean;
}

type Module = Promise<[{ stemmer: (word: string) => string }, { stopwords: string[] }]>;

/** Literal imports, so that bundlers split each language into its own chunk. */
const SNOWBALL: Record<string, () => Module> = {
  da: () => Promise.all([import('@orama/stemmers/danish'), import('@orama/stopwords/danish')]),
  de: () => Promise.all([import('@orama/stemmers/german'), import('@orama/stopwords/german')]),
  es: () => Promise.all([import('@orama/stemmers/spanish'), import('@orama/stopwords/spanish')]),
  fi: () => Promise.all([import('@orama/stemmers/finnish'), import('@orama/stopwords/finnish')]),
  fr: () => Promise.all([import('@orama/stemmers/french'), import('@orama/stopwords/french')]),
  it: () => Promise.all([import('@orama/stemmers/italian'), import('@orama/stopwords/italian')]),
  nl: () => Promise.all([import('@orama/stemmers/dutch'), import('@orama/stopwords/dutch')]),
  no: () => Promise.all([import('@orama/stemmers/norwegian'), import('@orama/stopwords/norwegian')]),
  pt: () => Promise.all([import('@orama/stemmers/portuguese'), import('@orama/stopwords/portuguese')]),
  ru: () => Promise.all([import('@orama/stemmers/russian'), import('@orama/stopwords/russian')]),
  sv: () => Promise.all([import('@orama/stemmers/swedish'), import('@orama/stopwords/swedish')]),
};
/** Norwegian Bokmål and Nynorsk share Snowball's Norwegian stemmer. */
const ALIASES: Record<string, string> = { nb: 'no', nn: 'no' };
const SEGMENTED = new Set(['zh', 'ja', 'ko', 'th']);

/** English, and every language without an analysis here: the analyzer's defaults. */
export const DEFAULT_LANGUAGE = '';

const loaded = new Map<string, Language>([[DEFAULT_LANGUAGE, { code: DEFAULT_LANGUAGE, stem: null, stopWords: new Set(), segmented: false }]]);
for (const code of SEGMENTED) loaded.set(code, { code, stem: null, stopWords: new Set(), segmented: true });

/**
 * The analysis code of a `lang` value: its primary subtag when this module analyses that
 * language ('de-CH' → 'de', 'zh-Hant' → 'zh'), else DEFAULT_LANGUAGE (English, and languages
 * without a stemmer here, which then get English stop words and no stemming of non-ASCII words).
 */
export function languageCode(lang: string | null | undefined): string {
  const primary = (lang ?? '').trim().toLowerCase().split(/[-_]/)[0] ?? '';
  const code = ALIASES[primary] ?? primary;
  return code in SNOWBALL || SEGMENTED.has(code) ? code : DEFAULT_LANGUAGE;
}

/** Makes the analyses of `codes` (from languageCode) available to `language`. */
export async function loadLanguages(codes: Iterable<string>): Promise<void> {
  await Promise.all(
    [...new Set(codes)].map(async (code) => {
      if (loaded.has(code)) return;
      const load = SNOWBALL[code];
      if (!load) throw new SgptError('INPUT_INVALID', `no keyword analysis for language ${JSON.stringify(code)}`);
      const [{ stemmer }, { stopwords }] = await load();
      loaded.set(code, { code, stem: stemmer, stopWords: new Set(stopwords), segmented: false });
    }),
  );
}

/** Whether every one of `codes` is ready for `language` (English and the segmented languages always are). */
export function languagesLoaded(codes: Iterable<string>): boolean {
  return [...codes].every((code) => loaded.has(code));
}

/** A loaded language's analysis (loadLanguages first). */
export function language(code: string): Language {
  const found = loaded.get(code);
  if (!found) throw new SgptError('INTERNAL', `language ${JSON.stringify(code)} is used before loadLanguages loaded it`);
  return found;
}

const segmenters = new Map<string, Intl.Segmenter>();

/** The words of `text` in a segmented language with their offsets, as Intl.Segmenter finds them. */
export function* wordSegments(text: string, code: string): Generator<{ word: string; index: number }> {
  let segmenter = segmenters.get(code);
  if (!segmenter) segmenters.set(code, (segmenter = new Intl.Segmenter(code, { granularity: 'word' })));
  for (const part of segmenter.segment(text)) if (part.isWordLike) yield { word: part.segment, index: part.index };
}

/** The words of `text` in a segmented language. */
export function segmentWords(text: string, code: string): string[] {
  return Array.from(wordSegments(text, code), (s) => s.word);
}
