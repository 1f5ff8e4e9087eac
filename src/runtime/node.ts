/**
 * `sgpt-search/element` and `sgpt-search/runtime` under Node (their `node` export condition): a
 * server that renders the page (Astro, Next, SvelteKit) evaluates its imports, and Node has no DOM
 * to define <sgpt-search> in. The browser runtime's names, defining nothing; the browser's own
 * build of the page loads dist/runtime/sgpt-search.js.
 */
export const SgptSearch = undefined;
