/**
 * `sgpt-search <command> [options]`: a thin dispatcher. Each command lives in
 * `./<name>-command.ts` and is imported only when used, so `--help` stays instant.
 * Exit status: 0 ok, 1 an SgptError (message on stderr), 2 a usage error.
 */
import { SgptError } from '../errors';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  embed: {
    summary: 'print SGPT embeddings of stdin lines as JSON',
    load: async () => (await import('./embed-command')).embedCommand,
  },
  index: {
    summary: 'extract, embed and index a built site',
    load: async () => (await import('./index-command')).indexCommand,
  },
  merge: {
    summary: 'join the shard files of `index --shard i/N` into one index',
    load: async () => (await import('./merge-command')).mergeCommand,
  },
  query: {
    summary: 'search a site index',
    load: async () => (await import('./query-command')).queryCommand,
  },
  eval: {
    summary: 'score retrieval methods (bm25, dense, hybrid, rerank) on a BEIR data set',
    load: async () => (await import('./eval-command')).evalCommand,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  ${name.padEnd(width)}  ${summary}`);
  return `usage: sgpt-search <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun \`sgpt-search <command> --help\` for a command's options.`;
}

/** parseArgs' own errors (unknown option, an option without its value) are usage errors (2); a missing or bad argument is INPUT_INVALID (1, README). */
function isUsageError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? process.stderr : process.stdout).write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    process.stderr.write(`sgpt-search: unknown command ${JSON.stringify(name)}\n${usage()}\n`);
    return 2;
  }
  try {
    return await (await command.load())(rest);
  } catch (error) {
    if (isUsageError(error)) {
      process.stderr.write(`sgpt-search ${name}: ${error.message}\nRun \`sgpt-search ${name} --help\` for its options.\n`);
      return 2;
    }
    // An SgptError is a person-facing message; anything else is a bug, so show its stack.
    const message =
      error instanceof SgptError ? `${error.code}: ${error.message}` : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`sgpt-search ${name}: ${message}\n`);
    return 1;
  }
}
