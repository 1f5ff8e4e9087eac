/**
 * Every visible string and ARIA label of <sgpt-search>, its shipped translations, and the lookup:
 * the page's `lang` picks a translation, the `strings` attribute/property (JSON) overrides any key.
 * Templates name their values in braces: {query}, {count}, {results}, {title}, {loaded}, {total}, {done}.
 */
import { SgptError } from '../errors';
import { echoed } from '../search/truncate';

export interface Strings {
  placeholder: string;
  inputLabel: string;
  resultsLabel: string;
  trigger: string;
  dialogLabel: string;
  close: string;
  noResults: string;
  noResultsHint: string;
  meaningOnly: string;
  resultsOne: string;
  resultsMany: string;
  resultsFirst: string;
  recentTitle: string;
  recentClear: string;
  loadingModel: string;
  loadingModelBytes: string;
  preparing: string;
}

export const ENGLISH: Strings = {
  placeholder: 'Search',
  inputLabel: 'Search',
  resultsLabel: 'Search results',
  trigger: 'Search',
  dialogLabel: 'Search this site',
  close: 'Close',
  noResults: 'No results for “{query}”',
  noResultsHint: 'Try fewer or different words.',
  meaningOnly: 'No exact matches for “{query}”. Closest in meaning:',
  resultsOne: '1 result',
  resultsMany: '{count} results',
  resultsFirst: '{results}. First: {title}',
  recentTitle: 'Recent searches',
  recentClear: 'Clear recent searches',
  loadingModel: 'Loading the search model…',
  loadingModelBytes: 'Loading the search model… {loaded} / {total} MB',
  preparing: 'Preparing documents… {done} / {total}',
};

/** Shipped translations by primary language subtag, each complete (the type says so). */
export const TRANSLATIONS: Readonly<Record<string, Strings>> = {
  en: ENGLISH,
  de: { placeholder: 'Suchen', inputLabel: 'Suchen', resultsLabel: 'Suchergebnisse', trigger: 'Suchen', dialogLabel: 'Diese Website durchsuchen', close: 'Schließen', noResults: 'Keine Ergebnisse für „{query}“', noResultsHint: 'Versuchen Sie weniger oder andere Wörter.', meaningOnly: 'Keine genauen Treffer für „{query}“. Inhaltlich am nächsten:', resultsOne: '1 Ergebnis', resultsMany: '{count} Ergebnisse', resultsFirst: '{results}. Erstes: {title}', recentTitle: 'Letzte Suchen', recentClear: 'Letzte Suchen löschen', loadingModel: 'Suchmodell wird geladen…', loadingModelBytes: 'Suchmodell wird geladen… {loaded} / {total} MB', preparing: 'Dokumente werden vorbereitet… {done} / {total}' },
  fr: { placeholder: 'Rechercher', inputLabel: 'Rechercher', resultsLabel: 'Résultats de recherche', trigger: 'Rechercher', dialogLabel: 'Rechercher sur ce site', close: 'Fermer', noResults: 'Aucun résultat pour « {query} »', noResultsHint: 'Essayez avec moins de mots ou d’autres mots.', meaningOnly: 'Aucune correspondance exacte pour « {query} ». Les plus proches par le sens :', resultsOne: '1 résultat', resultsMany: '{count} résultats', resultsFirst: '{results}. Premier : {title}', recentTitle: 'Recherches récentes', recentClear: 'Effacer les recherches récentes', loadingModel: 'Chargement du modèle de recherche…', loadingModelBytes: 'Chargement du modèle de recherche… {loaded} / {total} Mo', preparing: 'Préparation des documents… {done} / {total}' },
  es: { placeholder: 'Buscar', inputLabel: 'Buscar', resultsLabel: 'Resultados de búsqueda', trigger: 'Buscar', dialogLabel: 'Buscar en este sitio', close: 'Cerrar', noResults: 'Sin resultados para «{query}»', noResultsHint: 'Pruebe con menos palabras o con otras.', meaningOnly: 'No hay coincidencias exactas para «{query}». Lo más cercano en significado:', resultsOne: '1 resultado', resultsMany: '{count} resultados', resultsFirst: '{results}. Primero: {title}', recentTitle: 'Búsquedas recientes', recentClear: 'Borrar búsquedas recientes', loadingModel: 'Cargando el modelo de búsqueda…', loadingModelBytes: 'Cargando el modelo de búsqueda… {loaded} / {total} MB', preparing: 'Preparando los documentos… {done} / {total}' },
  it: { placeholder: 'Cerca', inputLabel: 'Cerca', resultsLabel: 'Risultati della ricerca', trigger: 'Cerca', dialogLabel: 'Cerca in questo sito', close: 'Chiudi', noResults: 'Nessun risultato per «{query}»', noResultsHint: 'Prova con meno parole o parole diverse.', meaningOnly: 'Nessuna corrispondenza esatta per «{query}». I più vicini per significato:', resultsOne: '1 risultato', resultsMany: '{count} risultati', resultsFirst: '{results}. Primo: {title}', recentTitle: 'Ricerche recenti', recentClear: 'Cancella le ricerche recenti', loadingModel: 'Caricamento del modello di ricerca…', loadingModelBytes: 'Caricamento del modello di ricerca… {loaded} / {total} MB', preparing: 'Preparazione dei documenti… {done} / {total}' },
  pt: { placeholder: 'Pesquisar', inputLabel: 'Pesquisar', resultsLabel: 'Resultados da pesquisa', trigger: 'Pesquisar', dialogLabel: 'Pesquisar neste site', close: 'Fechar', noResults: 'Nenhum resultado para “{query}”', noResultsHint: 'Tente menos palavras ou palavras diferentes.', meaningOnly: 'Nenhuma correspondência exata para “{query}”. Os mais próximos no sentido:', resultsOne: '1 resultado', resultsMany: '{count} resultados', resultsFirst: '{results}. Primeiro: {title}', recentTitle: 'Pesquisas recentes', recentClear: 'Limpar pesquisas recentes', loadingModel: 'Carregando o modelo de pesquisa…', loadingModelBytes: 'Carregando o modelo de pesquisa… {loaded} / {total} MB', preparing: 'Preparando os documentos… {done} / {total}' },
  nl: { placeholder: 'Zoeken', inputLabel: 'Zoeken', resultsLabel: 'Zoekresultaten', trigger: 'Zoeken', dialogLabel: 'Doorzoek deze site', close: 'Sluiten', noResults: 'Geen resultaten voor ‘{query}’', noResultsHint: 'Probeer minder of andere woorden.', meaningOnly: 'Geen exacte overeenkomsten voor ‘{query}’. Het dichtst bij in betekenis:', resultsOne: '1 resultaat', resultsMany: '{count} resultaten', resultsFirst: '{results}. Eerste: {title}', recentTitle: 'Recente zoekopdrachten', recentClear: 'Recente zoekopdrachten wissen', loadingModel: 'Zoekmodel wordt geladen…', loadingModelBytes: 'Zoekmodel wordt geladen… {loaded} / {total} MB', preparing: 'Documenten worden voorbereid… {done} / {total}' },
  ru: { placeholder: 'Поиск', inputLabel: 'Поиск', resultsLabel: 'Результаты поиска', trigger: 'Поиск', dialogLabel: 'Поиск по сайту', close: 'Закрыть', noResults: 'По запросу «{query}» ничего не найдено', noResultsHint: 'Попробуйте меньше слов или другие слова.', meaningOnly: 'Точных совпадений для «{query}» нет. Ближайшие по смыслу:', resultsOne: 'Результатов: 1', resultsMany: 'Результатов: {count}', resultsFirst: '{results}. Первый: {title}', recentTitle: 'Недавние запросы', recentClear: 'Очистить недавние запросы', loadingModel: 'Загрузка поисковой модели…', loadingModelBytes: 'Загрузка поисковой модели… {loaded} / {total} МБ', preparing: 'Подготовка документов… {done} / {total}' },
  ja: { placeholder: '検索', inputLabel: '検索', resultsLabel: '検索結果', trigger: '検索', dialogLabel: 'このサイトを検索', close: '閉じる', noResults: '「{query}」の検索結果はありません', noResultsHint: '語を減らすか、別の語をお試しください。', meaningOnly: '「{query}」に完全に一致する結果はありません。意味が近い結果:', resultsOne: '1 件', resultsMany: '{count} 件', resultsFirst: '{results}。最初の結果: {title}', recentTitle: '最近の検索', recentClear: '最近の検索を消去', loadingModel: '検索モデルを読み込み中…', loadingModelBytes: '検索モデルを読み込み中… {loaded} / {total} MB', preparing: 'ドキュメントを準備中… {done} / {total}' },
  zh: { placeholder: '搜索', inputLabel: '搜索', resultsLabel: '搜索结果', trigger: '搜索', dialogLabel: '搜索本站', close: '关闭', noResults: '没有找到“{query}”的结果', noResultsHint: '请尝试减少或更换关键词。', meaningOnly: '没有与“{query}”完全匹配的结果。含义最接近的结果：', resultsOne: '1 个结果', resultsMany: '{count} 个结果', resultsFirst: '{results}。第一个: {title}', recentTitle: '最近搜索', recentClear: '清除最近搜索', loadingModel: '正在加载搜索模型…', loadingModelBytes: '正在加载搜索模型… {loaded} / {total} MB', preparing: '正在准备文档… {done} / {total}' },
  ar: { placeholder: 'بحث', inputLabel: 'بحث', resultsLabel: 'نتائج البحث', trigger: 'بحث', dialogLabel: 'البحث في هذا الموقع', close: 'إغلاق', noResults: 'لا نتائج لـ «{query}»', noResultsHint: 'جرّب كلمات أقل أو كلمات مختلفة.', meaningOnly: 'لا توجد نتائج مطابقة تمامًا لـ «{query}». الأقرب في المعنى:', resultsOne: 'نتيجة واحدة', resultsMany: 'عدد النتائج: {count}', resultsFirst: '{results}. الأولى: {title}', recentTitle: 'عمليات البحث الأخيرة', recentClear: 'مسح عمليات البحث الأخيرة', loadingModel: 'جارٍ تحميل نموذج البحث…', loadingModelBytes: 'جارٍ تحميل نموذج البحث… {loaded} / {total} ميغابايت', preparing: 'جارٍ تجهيز المستندات… {done} / {total}' },
  he: { placeholder: 'חיפוש', inputLabel: 'חיפוש', resultsLabel: 'תוצאות חיפוש', trigger: 'חיפוש', dialogLabel: 'חיפוש באתר', close: 'סגירה', noResults: 'אין תוצאות עבור „{query}”', noResultsHint: 'נסו פחות מילים או מילים אחרות.', meaningOnly: 'אין התאמות מדויקות עבור „{query}”. הקרובות ביותר במשמעות:', resultsOne: 'תוצאה אחת', resultsMany: '{count} תוצאות', resultsFirst: '{results}. הראשונה: {title}', recentTitle: 'חיפושים אחרונים', recentClear: 'ניקוי חיפושים אחרונים', loadingModel: 'טוען את מודל החיפוש…', loadingModelBytes: 'טוען את מודל החיפוש… {loaded} / {total} MB', preparing: 'מכין מסמכים… {done} / {total}' },
};

/** Languages written right to left (primary subtags), for a page that sets `lang` but not `dir`. */
const RTL = new Set(['ar', 'he', 'fa', 'ur', 'yi', 'ps', 'dv', 'ku', 'sd', 'ug']);

function primary(lang: string): string {
  return lang.trim().toLowerCase().split(/[-_]/)[0] ?? '';
}

export function isRightToLeft(lang: string): boolean {
  return RTL.has(primary(lang));
}

/** The strings for a page language (BCP 47, e.g. "de-AT"), English where there is no translation, then the overrides. */
export function resolveStrings(lang: string, overrides: Partial<Strings> = {}): Strings {
  return { ...ENGLISH, ...(TRANSLATIONS[primary(lang)] ?? {}), ...overrides };
}

/**
 * The `strings` attribute's JSON (or the property's object) checked: an object whose keys are
 * known string names and whose values are strings. Anything else is a clear INPUT_INVALID.
 */
export function parseStrings(value: unknown): Partial<Strings> {
  let data = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value);
    } catch (error) {
      throw new SgptError('INPUT_INVALID', `strings: not JSON (${error instanceof Error ? error.message : String(error)})`);
    }
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new SgptError('INPUT_INVALID', 'strings: expected a JSON object of string names to text');
  const out: Partial<Strings> = {};
  for (const [key, text] of Object.entries(data)) {
    if (!(key in ENGLISH)) throw new SgptError('INPUT_INVALID', `strings: unknown key "${key}" (known: ${Object.keys(ENGLISH).join(', ')})`);
    if (typeof text !== 'string') throw new SgptError('INPUT_INVALID', `strings.${key}: expected a string, got ${typeof text}`);
    out[key as keyof Strings] = text;
  }
  return out;
}

/** A template with its {names} filled in; a name without a value stays as written. */
export function fill(template: string, values: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));
}

/** "No results for “…”", the query trimmed and clipped. */
export function noResultsLine(strings: Strings, query: string): string {
  return fill(strings.noResults, { query: echoed(query.trim()) });
}

/** "No exact matches for “…”. Closest in meaning:", above results no document holds the words of, the query trimmed and clipped. */
export function meaningOnlyLine(strings: Strings, query: string): string {
  return fill(strings.meaningOnly, { query: echoed(query.trim()) });
}

/**
 * What the live region says of a search: how many results and the first one's title (`hits` in
 * display order), after the meaning-only line when no document holds the query's words
 * (`meaningOnly`); or the no-results line.
 */
export function resultsAnnouncement(strings: Strings, query: string, hits: ReadonlyArray<{ title: string }>, meaningOnly = false): string {
  const first = hits[0];
  if (first === undefined) return noResultsLine(strings, query);
  const results = hits.length === 1 ? strings.resultsOne : fill(strings.resultsMany, { count: hits.length });
  const said = fill(strings.resultsFirst, { results, title: echoed(first.title) });
  return meaningOnly ? `${meaningOnlyLine(strings, query)} ${said}` : said;
}
