/**
 * A loaded model ready to index sites, kept between builds (the Vite dev server rebuilds on every
 * change). Node only: the model ref hashes the model folder.
 */
import { Embedder } from '../embed/embedder';
import { documentSessions } from '../embed/node-sessions';
import type { Mode } from '../embed/sgpt-settings';
import type { Page } from '../extract/html';
import type { ModelRef } from './format';
import { modelRef } from './model-ref';
import { buildIndex, type BuildOptions, type BuiltIndex } from './writer';

export class SiteIndexer {
  private constructor(
    private readonly embedder: Embedder,
    readonly model: ModelRef,
  ) {}

  /** `source`: a model folder, URL or hub id (the CLI's modelSource resolves the default). */
  static async load(source: string, mode?: Mode): Promise<SiteIndexer> {
    const embedder = await Embedder.load(source, { ...documentSessions(), ...(mode ? { settings: { mode } } : {}) });
    try {
      return new SiteIndexer(embedder, await modelRef(source, embedder));
    } catch (error) {
      await embedder.dispose();
      throw error;
    }
  }

  /** `modelUrl`: where the build ships the model, relative to the manifest (manifest model.url). */
  build(pages: readonly Page[], { modelUrl, ...options }: Omit<BuildOptions, 'model'> & { modelUrl?: string } = {}): Promise<BuiltIndex> {
    return buildIndex(pages, this.embedder, { ...options, model: modelUrl === undefined ? this.model : { ...this.model, url: modelUrl } });
  }

  dispose(): Promise<void> {
    return this.embedder.dispose();
  }
}
