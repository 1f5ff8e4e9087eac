/**
 * Lucene-style English analysis for the keyword index: lowercase, split into words of letters,
 * digits and combining marks, drop an English possessive "'s", drop Lucene's 33 English stop
 * words, Porter-stem. Pure: the same code runs in the browser and in Node.
 *
 * Differences from Lucene's StandardTokenizer (UAX #29), on purpose: "os.path" and "don't" split
 * at the punctuation (so "path" finds "os.path"), and Porter stems only plain a–z words (it is an
 * English algorithm; it would mangle "données"). Han and Hiragana characters become one token
 * each, as Lucene does, since those scripts do not separate words with spaces. Pages in another
 * language (`options.language`, src/search/languages) get that language's stemmer and stop words,
 * or Intl.Segmenter's words for Chinese, Japanese, Korean and Thai.
 */
import { stemmer } from 'stemmer';
import { segmentWords, type Language } from './languages';

/** Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET. */
export const ENGLISH_STOP_WORDS: ReadonlySet<string> = new Set([
  'a', 'an', 'and', 'are', 'as', 'at', 'be', 'but', 'by', 'for', 'if', 'in', 'into', 'is', 'it',
  'no', 'not', 'of', 'on', 'or', 'such', 'that', 'the', 'their', 'then', 'there', 'these',
  'they', 'this', 'to', 'was', 'will', 'with',
]);

export interface AnalyzerOptions {
  /** Porter-stem plain a–z words (default true). */
  stem?: boolean;
  /** Words to drop after lowercasing (default: the language's, else ENGLISH_STOP_WORDS; pass an empty set to keep all). */
  stopWords?: ReadonlySet<string>;
  /** Another language's words, stemmer and stop words (src/search/languages); default: English as above. */
  language?: Language;
}

// One ideograph/kana per token, else a run of letters, digits and marks that are not ideographs.
const WORD = /[\p{sc=Han}\p{sc=Hiragana}]|(?:(?![\p{sc=Han}\p{sc=Hiragana}])[\p{L}\p{N}\p{M}])+/gu;
// "python's" / "python’s" -> "python" (Lucene's EnglishPossessiveFilter).
const POSSESSIVE = /(?<=[\p{L}\p{N}])['’\uFF07]s(?![\p{L}\p{N}])/gu;
const ASCII_WORD = /^[a-z]+$/;

/** Lowercased words of `text`, before stop words and stemming; `open` when the text ends inside the last one. */
function words(text: string, language?: Language): { words: string[]; open: boolean } {
  if (language?.segmented) {
    const lower = text.toLowerCase();
    const out = segmentWords(lower, language.code);
    return { words: out, open: out.length > 0 && lower.endsWith(out.at(-1)!) };
  }
  const out: string[] = [];
  let end = 0;
  // Same-length replacement, so `end` compares against the cleaned text's length.
  const cleaned = text.toLowerCase().replace(POSSESSIVE, '  ');
  for (const match of cleaned.matchAll(WORD)) {
    out.push(match[0]);
    end = match.index + match[0].length;
  }
  return { words: out, open: out.length > 0 && end === cleaned.length };
}

/** Lowercased words of `text`, before stop words and stemming. */
export function tokenize(text: string, language?: Language): string[] {
  return words(text, language).words;
}

/** Stem one lowercased word (only plain a–z words change). */
export function stem(word: string): string {
  return ASCII_WORD.test(word) ? stemmer(word) : word;
}

function normalizer(options: AnalyzerOptions): (word: string) => string | null {
  const { language } = options;
  const doStem = options.stem ?? true;
  if (language?.code) {
    const stops = options.stopWords ?? language.stopWords;
    const stemWord = doStem ? language.stem : null;
    return (word) => (stops.has(word) ? null : stemWord ? stemWord(word) : word);
  }
  const stops = options.stopWords ?? ENGLISH_STOP_WORDS;
  return (word) => (stops.has(word) ? null : doStem ? stem(word) : word);
}

/** One lowercased word's term (stemmed as `options` say), even if it is a stop word. */
export function termOf(word: string, options: AnalyzerOptions = {}): string {
  return normalizer({ ...options, stopWords: new Set() })(word)!;
}

/** The index terms of `text`, in order, duplicates kept (term frequency matters). */
export function analyze(text: string, options: AnalyzerOptions = {}): string[] {
  return analyzeWords(text, options).terms;
}

/** A text's terms and, in step, the word each came from (stop words dropped from both). */
export interface AnalyzedWords {
  terms: string[];
  /** Lowercased, before stemming: what typo correction compares. */
  words: string[];
}

/** `analyze`, keeping each term's word. */
export function analyzeWords(text: string, options: AnalyzerOptions = {}): AnalyzedWords {
  return normalizeAll(tokenize(text, options.language), normalizer(options));
}

function normalizeAll(list: readonly string[], normalize: (word: string) => string | null): AnalyzedWords {
  const out: AnalyzedWords = { terms: [], words: [] };
  for (const word of list) {
    const term = normalize(word);
    if (term === null) continue;
    out.terms.push(term);
    out.words.push(word);
  }
  return out;
}

export interface PartialQuery extends AnalyzedWords {
  /** Terms of the finished words (`words`: the words they came from). */
  terms: string[];
  /**
   * The word still being typed (lowercased, neither stemmed nor stop-listed), or null when the text
   * ends in a separator. Search-as-you-type matches it as a prefix.
   */
  prefix: string | null;
}

/** `text` with its last word closed by a space after it (if it was open): analyzePartial reads that word whole, not as a prefix. */
export function closeLastWord(text: string): string {
  return /\s$/u.test(text) ? text : `${text} `;
}

/** Analyse text that is still being typed: the last word, if the text ends inside it, is a prefix. */
export function analyzePartial(text: string, options: AnalyzerOptions = {}): PartialQuery {
  const { words: list, open } = words(text, options.language);
  const finished = open ? list.slice(0, -1) : list;
  return { ...normalizeAll(finished, normalizer(options)), prefix: open ? (list.at(-1) ?? null) : null };
}
