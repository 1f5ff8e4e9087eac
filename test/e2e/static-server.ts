/**
 * A plain node:http static file server (no Vite, no COOP/COEP) for a built site folder under a
 * path prefix, as a user's own server would serve it; optional extra headers (e.g. a CSP), and
 * optionally gzip like a stock server's compression: chunked, no Content-Length, Range ignored.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

export interface StaticServer {
  origin: string;
  /** Paths asked for, in order, and those outside the prefix (answered 404). */
  requested: string[];
  /** Every request: method, path, when it arrived (epoch ms), and the bytes of the body sent (after compression). */
  log: Array<{ method: string; path: string; at: number; bytes: number }>;
  outsidePrefix: string[];
  close(): Promise<void>;
}

/** `gzip`: compress like a stock server; `etag`: send an ETag (the body's sha1) and answer a matching If-None-Match with 304. */
export async function serveFolder(dir: string, prefix: string, headers: Record<string, string> = {}, options: { gzip?: boolean; etag?: boolean } = {}): Promise<StaticServer> {
  const requested: string[] = [];
  const outsidePrefix: string[] = [];
  const log: StaticServer['log'] = [];
  const zippedFiles = new Map<string, Buffer>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requested.push(path);
    const entry = { method: req.method ?? 'GET', path, at: Date.now(), bytes: 0 };
    log.push(entry);
    if (!path.startsWith(prefix)) {
      outsidePrefix.push(path);
      res.writeHead(404).end();
      return;
    }
    const file = normalize(join(dir, path.slice(prefix.length), path.endsWith('/') ? 'index.html' : ''));
    if (!file.startsWith(dir)) return void res.writeHead(404).end();
    readFile(file).then(
      (body) => {
        const type = TYPES[extname(file)] ?? 'application/octet-stream';
        if (options.etag) {
          const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
          if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { ETag: etag, ...headers }).end();
          res.setHeader('ETag', etag);
        }
        if (options.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
          const zipped = zippedFiles.get(file) ?? gzipSync(body);
          zippedFiles.set(file, zipped);
          entry.bytes = req.method === 'HEAD' ? 0 : zipped.length;
          res.writeHead(200, { 'Content-Type': type, 'Content-Encoding': 'gzip', 'Transfer-Encoding': 'chunked', ...headers }).end(req.method === 'HEAD' ? undefined : zipped);
          return;
        }
        entry.bytes = req.method === 'HEAD' ? 0 : body.length;
        res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, ...headers }).end(req.method === 'HEAD' ? undefined : body);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    requested,
    outsidePrefix,
    log,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

/**
 * The fixture site (test/fixtures/site) copied into `work`/site and indexed by the real CLI (with
 * exactly `flags`) into its sgpt/ folder; each of `pages` is the home page with that snippet (the
 * two tags) at the top of its body; `indexed`: more pages of the site, by name, written before it
 * is indexed. Returns the site folder and the CLI's summary (its stderr).
 */
export async function indexFixtureSite(work: string, pages: Record<string, string>, flags: string[], indexed: Record<string, string> = {}): Promise<{ site: string; summary: string }> {
  const root = resolve(import.meta.dirname, '../..');
  const site = join(work, 'site');
  await cp(join(root, 'test/fixtures/site'), site, { recursive: true });
  for (const [name, html] of Object.entries(indexed)) await writeFile(join(site, name), html);
  const { stderr } = await promisify(execFile)(process.execPath, [join(root, 'bin/sgpt-search.js'), 'index', site, '--out', join(site, 'sgpt'), ...flags]);
  const home = await readFile(join(site, 'index.html'), 'utf8');
  for (const [name, snippet] of Object.entries(pages)) await writeFile(join(site, name), home.replace('<body>', `<body>\n${snippet}`));
  return { site, summary: stderr };
}

/** indexFixtureSite without the WebGPU runtime (most tests need no 27 MB copy); `flags`: more for the CLI (e.g. --offline). Returns the site folder. */
export async function buildFixtureSite(work: string, pages: Record<string, string>, flags: string[] = [], indexed: Record<string, string> = {}): Promise<string> {
  return (await indexFixtureSite(work, pages, ['--no-webgpu', ...flags], indexed)).site;
}
