/**
 * Files delivered as classic scripts, for pages opened from disk (`file:`), where Chromium refuses
 * fetch, XHR, module scripts and module workers (origin "null") but runs a plain `<script src>`:
 * the way Sphinx's searchindex.js works, one small script per index file (chunked as over HTTP).
 *
 * Format (the one owner): the file at `<path>` (relative to the index folder) is the script
 * `<folder>/offline/<path>.js`, whose whole content is
 *
 *   (self.sgptSearchFiles||(self.sgptSearchFiles={}))["<path>"]="<base64 of the bytes>";
 *
 * and `offline/files.json.js` delivers the JSON list of every path delivered so.
 */
import { SgptError } from '../errors';

export const SCRIPT_FOLDER = 'offline/';
export const REGISTRY = 'sgptSearchFiles';
/** The list of delivered paths (itself delivered as a script). */
export const FILE_LIST = 'files.json';

/** Where the script delivering `path` lives, relative to the index folder. */
export function scriptPath(path: string): string {
  return `${SCRIPT_FOLDER}${path}.js`;
}

/** The script's text for `path` (`base64`: the bytes, base64-encoded by the caller's platform). */
export function scriptText(path: string, base64: string): string {
  return `(self.${REGISTRY}||(self.${REGISTRY}={}))[${JSON.stringify(path)}]="${base64}";\n`;
}

function decodeBase64(text: string): Uint8Array {
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: (text: string) => Uint8Array }).fromBase64;
  if (fromBase64 !== undefined) return fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Reads a delivered file: its bytes, or null when its script is missing. */
export type ScriptLoader = (path: string) => Promise<Uint8Array | null>;

/**
 * A loader over `<script>` tags for the index folder `folder` (a URL ending in "/"). Each script
 * is removed once it ran, and its string dropped from the registry once decoded.
 */
export function scriptLoader(folder: URL): ScriptLoader {
  const inFlight = new Map<string, Promise<Uint8Array | null>>();
  return (path) => {
    let pending = inFlight.get(path);
    if (pending === undefined) {
      pending = new Promise<Uint8Array | null>((resolve) => {
        const script = document.createElement('script');
        script.src = new URL(scriptPath(path), folder).href;
        script.async = true;
        const done = (bytes: Uint8Array | null) => {
          script.remove();
          inFlight.delete(path);
          resolve(bytes);
        };
        script.onload = () => {
          const registry = (globalThis as Record<string, unknown>)[REGISTRY] as Record<string, string> | undefined;
          const text = registry?.[path];
          if (registry !== undefined) delete registry[path];
          done(typeof text === 'string' ? decodeBase64(text) : null);
        };
        script.onerror = () => done(null);
        document.head.append(script);
      });
      inFlight.set(path, pending);
    }
    return pending;
  };
}

/** The reader's FileLoader over scripts: a missing script is an index error that says how to fix it. */
export function scriptFileLoader(folder: URL): (name: string) => Promise<Uint8Array> {
  const load = scriptLoader(folder);
  return async (name) => {
    const bytes = await load(name);
    if (bytes === null) {
      throw new SgptError('INDEX_INVALID', `${name}: its script ${new URL(scriptPath(name), folder).href} is missing; build the index with \`sgpt-search index --offline\` to search from disk`);
    }
    return bytes;
  };
}
