import { readFile } from 'node:fs/promises';
import { extname, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ServerRequest, ServerResponse } from '../protocol/http-exchange.js';

/**
 * The console's browser files, built into dist/console/ by `npm run build` (console/tsconfig.json
 * and console/build.mjs): served as they are, gzipped once when the browser accepts it, with an
 * ETag so that a reload asks "still the same?" and gets a bodiless 304 back. The page asks for
 * them under `ui/~BUILD/` (BUILD: a hash of the build, console/build.mjs writes it to BUILD_ID):
 * those answers may be kept for good, as a new build has new addresses.
 */
export const STATIC_ROOT = fileURLToPath(new URL('../../console/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** How long a browser may keep a file of the current build: a year, the usual "forever". */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const BUILD_PREFIX = /^~([A-Za-z0-9_-]{1,64})\//;

interface Cached {
  body: Buffer;
  /** The build the file was read from (BUILD_ID when it was read). */
  build?: string;
  gzipped: Buffer;
  /** Of the content; the gzipped answer's tag differs, as the bytes differ. */
  etag: string;
}

export class StaticFiles {
  private readonly cache = new Map<string, Promise<Cached | undefined>>();

  constructor(private readonly root = STATIC_ROOT) {}

  /** The file under the root at `path` (no `..`), or undefined. */
  private load(path: string): Promise<Cached | undefined> {
    let entry = this.cache.get(path);
    if (!entry) {
      // The build's name is read with the file, so that a file read after a rebuild is not
      // promised for good under the name of the build before.
      const build = readFile(this.root + 'BUILD_ID', 'utf8').then((id) => id.trim(), () => undefined);
      entry = Promise.all([readFile(this.root + path), build]).then(
        ([body, id]) => ({ body, build: id, gzipped: gzipSync(body, { level: 9 }), etag: createHash('sha256').update(body).digest('base64url').slice(0, 22) }),
        () => undefined,
      );
      this.cache.set(path, entry);
      // A missing file is looked for again next time (the build may be running).
      void entry.then((found) => found || this.cache.delete(path));
    }
    return entry;
  }

  /** Answers the file; false when there is none. */
  async serve(req: ServerRequest, res: ServerResponse, path: string, headers: Record<string, string> = {}): Promise<boolean> {
    const build = BUILD_PREFIX.exec(path);
    if (build) path = path.slice(build[0].length);
    const clean = normalize(path).replace(/^(\.\.(\/|$))+/, '');
    if (clean.includes('..') || clean.startsWith('/') || !TYPES[extname(clean)]) return false;
    const file = await this.load(clean);
    if (!file) return false;
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? file.gzipped : file.body;
    const etag = `"${file.etag}${gzip ? '-gz' : ''}"`;
    const common = {
      ETag: etag,
      // An address of another build (a page open across a rebuild) gets what is there now, unpromised.
      'Cache-Control': build && file.build !== undefined && build[1] === file.build ? IMMUTABLE : 'no-cache',
      Vary: 'Accept-Encoding',
      ...headers,
    };
    if (ifNoneMatch(req, etag)) {
      res.writeHead(304, common);
      res.end();
      return true;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[extname(clean)],
      'Content-Length': String(body.length),
      'X-Content-Type-Options': 'nosniff',
      ...(gzip && { 'Content-Encoding': 'gzip' }),
      ...common,
    });
    if (req.method === 'HEAD') res.end();
    else res.end(body);
    return true;
  }
}

/** Whether the request's If-None-Match names `etag` (or is `*`); weak tags compare alike (RFC 9110 §13.1.2). */
function ifNoneMatch(req: ServerRequest, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  const tags = String(header).split(',').map((t) => t.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(etag);
}
