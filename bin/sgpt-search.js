#!/usr/bin/env node
// The CLI, compiled to dist/lib by `npm run build` (run by `prepare` in a checkout, shipped in the package).
const { main } = await import('../dist/lib/cli/main.js').catch((error) => {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/lib/cli/main.js')) throw error;
  process.stderr.write(`sgpt-search: INTERNAL: the compiled CLI is missing (${error.message}): run \`npm run build\` in this checkout\n`);
  process.exit(1);
});
process.exitCode = await main(process.argv.slice(2));
