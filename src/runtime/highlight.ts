/**
 * Entry of the opt-in highlight script (`npm run build:runtime` → dist/runtime/sgpt-highlight.js):
 * a page that includes it marks the words of the search that led there.
 *
 *   <script type="module" src="sgpt/sgpt-highlight.js"></script>
 */
import { highlightOnArrival } from '../highlight/highlight';

// Nothing to mark without a page: a server rendering one evaluates its imports too.
if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => void highlightOnArrival(), { once: true });
  else void highlightOnArrival();
}
