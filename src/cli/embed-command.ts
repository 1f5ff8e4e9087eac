/**
 * `sgpt-search embed`: SGPT embeddings of stdin lines, one JSON line out per line in.
 */
import { parseArgs } from 'node:util';
import { Embedder } from '../embed/embedder';
import { documentSessions } from '../embed/node-sessions';
import type { Role } from '../embed/sgpt-settings';
import { SgptError } from '../errors';
import { modelSource } from '../build/default-model';
import { utf8Input } from '../extract/encoding';
import { integerFlag, modeFlag } from './flags';

export const EMBED_USAGE = `usage: sgpt-search embed --role query|document [options] < texts.txt
       sgpt-search embed --documents <docs.json> [--out <file>] [options]

Reads one text per line on stdin and prints one JSON line per input line:
  - a text within the model's max length: its vector, [0.01, -0.2, ...]
  - a longer text: the vectors of its overlapping token windows, [[...], [...], ...]
Vectors are L2-normalised SGPT weighted-mean embeddings (dot product = cosine similarity).
Asymmetric models wrap queries in [ ] and documents in { } (as token ids); symmetric ones
embed the raw text, so --role only matters in asymmetric mode.

  --role <role>        query | document (required unless --documents)
  --documents <file>   a JSON array of {id, title, text, url}: write it back with each document's
                       vector and the model's id and hash, for <sgpt-search src> to use as is
  --out <file>         where --documents writes (default: stdout)
  --model <source>     model folder, URL or hub id (default: the bundled default model)
  --mode <mode>        symmetric | asymmetric (default: the model's config.json "sgpt" key)
  --max-length <N>     tokens per sequence, brackets included (default: the model's)
  --overlap <N>        tokens shared by neighbouring windows of a long text (default: a quarter)
  --batch-size <N>     sequences per model call (default 16)
  --threads <N>        onnxruntime threads of each model session (default 1; a long input is
                       also embedded by worker threads, one per free core that N leaves)
  -h, --help           show this help`;


/** How long the model's load waits for stdin to end (a 1 MB file is read in a few ms). */
const STDIN_HEAD_START_MS = 50;

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of process.stdin) parts.push(part as Buffer);
  return utf8Input(Buffer.concat(parts), 'stdin');
}

/** Lines of stdin; a final newline does not start another (empty) text. */
export function inputLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export async function embedCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      role: { type: 'string' },
      model: { type: 'string' },
      mode: { type: 'string' },
      'max-length': { type: 'string' },
      overlap: { type: 'string' },
      'batch-size': { type: 'string' },
      threads: { type: 'string' },
      documents: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(`${EMBED_USAGE}\n`);
    return 0;
  }
  const role = values.role;
  if (values.documents === undefined && role !== 'query' && role !== 'document') {
    throw new SgptError('INPUT_INVALID', `--role must be query or document, got ${JSON.stringify(role ?? null)} (see --help)`);
  }
  const mode = modeFlag(values.mode);
  const maxLength = integerFlag(values['max-length'], '--max-length');
  const overlap = integerFlag(values.overlap, '--overlap', 0);
  const batchSize = integerFlag(values['batch-size'], '--batch-size');
  const threads = integerFlag(values.threads, '--threads');

  if (values.documents !== undefined && (maxLength !== undefined || overlap !== undefined)) {
    throw new SgptError('INPUT_INVALID', '--documents embeds as the browser does: --max-length and --overlap would make vectors the browser cannot check');
  }
  const source = modelSource(values.model);
  // Stdin gets a moment's head start: the model's load keeps the event loop busy, so stdin would
  // be read only after it, but a file or a fast pipe is read within the moment, and then worker
  // threads for a long input start beside the load (`upcoming`). A slow source is read while the
  // model loads, as before.
  const reading = values.documents !== undefined ? Promise.resolve([]) : readStdin().then(inputLines);
  let headStart: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([reading, new Promise((done) => (headStart = setTimeout(done, STDIN_HEAD_START_MS)))]).catch(() => undefined);
  clearTimeout(headStart);
  const loading = Embedder.load(source, {
    settings: { ...(mode ? { mode } : {}), ...(maxLength ? { maxLength } : {}) },
    ...documentSessions(threads),
    upcoming: reading,
  });
  loading.catch(() => undefined); // a load error is thrown below, once stdin is read
  const texts = await reading.catch(async (error: unknown) => {
    await loading.then((embedder) => embedder.dispose(), () => undefined);
    throw error;
  });
  const embedder = await loading;
  try {
    if (values.documents !== undefined) {
      const { embedDocuments } = await import('./embed-documents');
      const text = await embedDocuments(embedder, source, values.documents, { ...(values.out ? { out: values.out } : {}), ...(batchSize ? { batchSize } : {}) });
      if (values.out === undefined) process.stdout.write(text);
      return 0;
    }
    // Each text's line is made as its slice is done, while other slices are embedded (turning
    // numbers into text was a twentieth of the call, with the other threads idle); written at the end.
    const lines: string[] = new Array<string>(texts.length);
    const line = (chunks: number[][]) => JSON.stringify(chunks.length === 1 ? chunks[0] : chunks);
    await embedder.embed(texts, role as Role, {
      ...(batchSize ? { batchSize } : {}),
      ...(overlap !== undefined ? { overlap } : {}),
      onRows: ({ owner, vectors }) => {
        const { dims } = embedder;
        let chunks: number[][] = [];
        owner.forEach((text, r) => {
          chunks.push(Array.from(vectors.subarray(r * dims, (r + 1) * dims)));
          if (owner[r + 1] !== text) {
            lines[text] = line(chunks);
            chunks = [];
          }
        });
      },
    });
    process.stdout.write(lines.length > 0 ? `${lines.join('\n')}\n` : '');
  } finally {
    await embedder.dispose();
  }
  return 0;
}
