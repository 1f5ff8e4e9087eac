/**
 * Entry of the prebuilt browser runtime (`npm run build:runtime` → dist/runtime/sgpt-search.js):
 * defines <sgpt-search> with lit bundled, for sites without a build step of their own.
 *
 *   <script type="module" src="sgpt/sgpt-search.js"></script>
 *   <sgpt-search index="sgpt/manifest.json"></sgpt-search>
 */
import './defaults';

export * from '../element/sgpt-search';
