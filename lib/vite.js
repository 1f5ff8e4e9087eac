// `sgpt-search/vite` for plain-JS Vite configs: Node does not load TypeScript from node_modules,
// so the plugin's source is loaded through tsx (as bin/sgpt-search.js does), without a global hook.
import { tsImport } from 'tsx/esm/api';

const { default: sgptSearch } = await tsImport('../src/vite/plugin.ts', import.meta.url);
export default sgptSearch;
