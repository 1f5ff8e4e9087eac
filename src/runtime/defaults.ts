/**
 * The prebuilt runtime's defaults: the ORT files and the default model sit next to the bundle
 * (dist/runtime/ort/, and model/<name>/ where `sgpt-search index` copies the model), resolved
 * against this bundle's own URL. Imported first by the entry, so it runs before the element's
 * module defines <sgpt-search> (which may upgrade elements already in the page).
 */
import { setElementDefaults } from '../element/defaults';
import { DEFAULT_MODEL } from '../embed/default-model';

// Through a variable: a literal `new URL('…', import.meta.url)` would make Vite look for the files at build time.
const bundle = import.meta.url;
setElementDefaults({
  model: new URL(`model/${DEFAULT_MODEL}/`, bundle).href,
  ortBase: new URL('ort/', bundle).href,
});
