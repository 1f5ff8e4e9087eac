/**
 * A loaded model ready to index sites, kept between builds (the Vite dev server rebuilds on every
 * change). Node only: the model ref hashes the model folder. A merge of shard files uses one with
 * no model at all (`prebuilt`): every vector comes from the shards.
 */
import { Embedder } from '../embed/embedder';
import { documentSessions } from '../embed/node-sessions';
import type { Mode } from '../embed/sgpt-settings';
import { SgptError } from '../errors';
import { collectVectors, type CollectOptions, type TextSource, type Collected, type DocumentEmbedder } from './collect-vectors';
import type { ModelRef } from './format';
import { modelRef } from './model-ref';
import type { PageInput } from './page-source';
import { readSgptSettings } from '../embed/sgpt-settings';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildIndex, type BuildOptions, type BuiltIndex } from './writer';

type IndexEmbedder = DocumentEmbedder & { dispose(): Promise<void> };

export class SiteIndexer {
  private constructor(
    private readonly embedder: IndexEmbedder,
    readonly model: ModelRef,
  ) {}

  /**
   * `source`: a model folder, URL or hub id (the CLI's modelSource resolves the default). A local
   * folder's model ref comes from its files and the model loads only when a section needs
   * embedding: a rebuild that reuses every vector never starts onnxruntime.
   */
  static async load(source: string, mode?: Mode): Promise<SiteIndexer> {
    const options = { ...documentSessions(), ...(mode ? { settings: { mode } } : {}) };
    const config = await readLocalConfig(source);
    if (config === null) {
      const embedder = await Embedder.load(source, options);
      try {
        return new SiteIndexer(embedder, await modelRef(source, embedder));
      } catch (error) {
        await embedder.dispose();
        throw error;
      }
    }
    const dims = config.n_embd ?? config.hidden_size;
    if (typeof dims !== 'number') throw new SgptError('MODEL_INVALID', `config.json of "${source}" states no hidden size (n_embd or hidden_size)`);
    const ref = await modelRef(source, { dims, settings: readSgptSettings(config, options.settings) });
    let loading: Promise<Embedder> | null = null;
    const lazy: IndexEmbedder = {
      dims,
      embed: async (texts, role, opts) => {
        loading ??= Embedder.load(source, options);
        const embedder = await loading;
        if (embedder.dims !== dims) throw new SgptError('MODEL_INVALID', `model "${source}" computes ${embedder.dims} dims but its config.json says ${dims}`);
        return embedder.embed(texts, role, opts);
      },
      dispose: async () => {
        if (loading !== null) await (await loading.catch(() => null))?.dispose();
      },
    };
    return new SiteIndexer(lazy, ref);
  }

  /** An indexer whose vectors all come from elsewhere (merged shard files): asking it to embed is an error. */
  static prebuilt(model: ModelRef): SiteIndexer {
    const refuse = async (texts: string[]): Promise<never> => {
      throw new SgptError('INPUT_INVALID', `${texts.length} section text${texts.length === 1 ? '' : 's'} of the site (the first: ${JSON.stringify(texts[0]!.slice(0, 60))}) are in none of the shard files: the site differs from the one the shards were built from, or was read with other --exclude, --records or --keep-copies; build the shards again from this site, or merge with the shards' options`);
    };
    return new SiteIndexer({ dims: model.dims, embed: refuse, dispose: async () => undefined }, model);
  }

  /** `modelUrl`: where the build ships the model, relative to the manifest (manifest model.url). */
  build(pages: PageInput, { modelUrl, ...options }: Omit<BuildOptions, 'model'> & { modelUrl?: string } = {}): Promise<BuiltIndex> {
    return buildIndex(pages, this.embedder, { ...options, model: modelUrl === undefined ? this.model : { ...this.model, url: modelUrl } });
  }

  /** The vectors of some texts (their hashes alongside), for a shard build. */
  vectors(texts: TextSource, hashes: readonly string[], options: CollectOptions = {}): Promise<Collected> {
    return collectVectors(texts, hashes, this.embedder, options);
  }

  dispose(): Promise<void> {
    return this.embedder.dispose();
  }
}

/** config.json of a local model folder, or null for a hub id, a URL or no such folder (the loader then reports what is wrong). */
async function readLocalConfig(source: string): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await readFile(join(source, 'config.json'), 'utf8');
  } catch {
    return null;
  }
  try {
    const config = JSON.parse(text) as unknown;
    return typeof config === 'object' && config !== null ? (config as Record<string, unknown>) : null;
  } catch {
    return null; // the loader reports the broken JSON with its own words
  }
}
