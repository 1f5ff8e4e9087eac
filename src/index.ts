/**
 * The package's public API (`import … from 'sgpt-search'`): the engine, search and errors, usable
 * in Node and the browser. The element is `sgpt-search/element`, the Vite plugin `sgpt-search/vite`.
 */
export { SgptError, isAbort, toSgptError, type ErrorCode, type SerializedError } from './errors';

// Embedding engine
export { Embedder } from './embed/embedder';
export type { Device, Dtype, EmbedOptions, Embeddings, LoadOptions } from './embed/types';
export {
  readSgptSettings,
  DEFAULT_MAX_LENGTH,
  type Mode,
  type Role,
  type SgptOverrides,
  type SgptSettings,
} from './embed/sgpt-settings';
export { weightedMeanPool } from './embed/pooling';
export { wrapIds, textBudget } from './embed/wrap';
export { chunkTokens, chunkWindows } from './embed/chunk';
export { padBatch, planBatches, type PaddedBatch } from './embed/batch';
export type { Backend } from './embed/model';

// Search
export { TopK, topK, type Scored } from './search/topk';
export { VectorStore, type DocId, type VectorHit } from './search/vector-store';
export { SiteSearch, openSiteSearch, type SiteHit } from './index/site-search';

// Reranking (SGPT-CE)
export { Reranker } from './rerank/reranker';

// Worker client (the element's engine room, usable without the element)
export { SearchClient } from './worker/client';
export type { SearchDocument, SearchHit } from './worker/protocol';
