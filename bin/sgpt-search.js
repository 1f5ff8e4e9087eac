#!/usr/bin/env node
// The CLI, compiled to dist/lib by `npm run build` (run by `prepare` in a checkout, shipped in the package).

// Every command writes to stdout; when its reader goes away (`sgpt-search query … | head -1`), the
// rest of the output has no one to read it: stop at once, quietly, with status 0 as most Node CLIs
// do (Node ignores SIGPIPE, and a 141 would fail `set -o pipefail` scripts that want the first lines).
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  process.stderr.write(`sgpt-search: cannot write the output: ${error.message}\n`);
  process.exit(1);
});
const { main } = await import('../dist/lib/cli/main.js').catch((error) => {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/lib/cli/main.js')) throw error;
  process.stderr.write(`sgpt-search: INTERNAL: the compiled CLI is missing (${error.message}): run \`npm run build\` in this checkout\n`);
  process.exit(1);
});
process.exitCode = await main(process.argv.slice(2));
