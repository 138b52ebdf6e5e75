import { BUILTIN_PREFIX } from '../protocol/router.js';
import { drain, readBody, sendRaw, type ServerRequest, type ServerResponse } from '../protocol/http-exchange.js';
import type { RequestHandler } from '../transport/listener.js';
import { consoleMode, requestToken, TOKEN_COOKIE, tokenMatches, WRITE_HEADER, type ConsoleMode } from './access.js';
import type { ConsoleDeps } from './deps.js';
import { merge, predictShard, putRecords, scale, split } from './api/actions.js';
import { ApiError, badParameter, errorBody, notFound } from './api/errors.js';
import { describeApplication, listApplications } from './api/analytics.js';
import { describeVideoStream, hlsSession, listVideoStreams, videoFragments } from './api/video.js';
import { deliveredObjects, describeDeliveryStream, downloadObject, listDeliveryStreams } from './api/firehose.js';
import { MAX_PARAM_CHARS, scopeOf, text } from './api/params.js';
import { TipRates } from './api/rates.js';
import { browseRecords } from './api/records.js';
import { metricList, metricSeries } from './api/metrics.js';
import { scopes, serverInfo } from './api/server-info.js';
import { describeStream, listStreams } from './api/streams.js';
import { OpenTails, startTail } from './api/tail.js';
import { StaticFiles } from './static-files.js';

/**
 * The web console (issue 18 §1–§3, CONSOLE-SPEC §1.3): the browser files under `/_millrace/`
 * and its JSON API under `/_millrace/api/v1/`. Paths it does not serve (health, metrics) go on to
 * Millrace's other built-in pages.
 */

export const API_PREFIX = `${BUILTIN_PREFIX}/api/v1/`;
const UI_PREFIX = `${BUILTIN_PREFIX}/ui/`;
/** A write's JSON body at most (a PutRecords batch of 500 records of 1 MiB as base64 would not fit; the console puts smaller ones). */
const MAX_WRITE_BODY_BYTES = 16 * 1024 * 1024;

export interface Console {
  handler: RequestHandler;
  /** Ends live tails (shutdown). */
  close(): void;
}

type Route = { method: 'GET' | 'POST'; pattern: RegExp; run: (ctx: ApiCall, ...params: string[]) => Promise<unknown> };

interface ApiCall {
  req: ServerRequest;
  res: ServerResponse;
  url: URL;
  deps: ConsoleDeps;
  mode: Extract<ConsoleMode, { served: true }>;
  body: () => Promise<Record<string, unknown>>;
}

const scope = (call: ApiCall) => scopeOf(call.url, call.deps.config);
/** Answered by the handler itself (a stream of events, a file). */
const STREAMED = Symbol('streamed');

export function createConsole(deps: ConsoleDeps, next: RequestHandler): Console {
  const mode = consoleMode(deps.config);
  const files = new StaticFiles();
  const rates = new TipRates();
  const tails = new OpenTails();
  const name = (encoded: string) => {
    const decoded = decodePath(encoded);
    if (decoded.length < 1 || decoded.length > 128) throw badParameter('a stream name is 1 to 128 characters');
    return decoded;
  };
  const routes: Route[] = [
    { method: 'GET', pattern: /^server$/, run: async (c) => serverInfo(deps, c.mode.readOnly, c.mode.token !== undefined) },
    { method: 'GET', pattern: /^scopes$/, run: async () => scopes(deps, deps.config) },
    { method: 'GET', pattern: /^streams$/, run: async (c) => listStreams(deps, scope(c), rates) },
    { method: 'GET', pattern: /^streams\/([^/]+)$/, run: async (c, n) => describeStream(deps, scope(c), name(n)) },
    { method: 'GET', pattern: /^streams\/([^/]+)\/records$/, run: async (c, n) => browseRecords(deps, scope(c), name(n), c.url) },
    {
      method: 'GET',
      pattern: /^streams\/([^/]+)\/route$/,
      run: async (c, n) => predictShard(deps, scope(c), name(n), text(c.url, 'partitionKey', 256), text(c.url, 'explicitHashKey', 64)),
    },
    {
      method: 'GET',
      pattern: /^streams\/([^/]+)\/tail$/,
      run: async (c, n) => {
        await startTail(deps, tails, scope(c), name(n), c.url, c.req, c.res);
        return STREAMED;
      },
    },
    { method: 'POST', pattern: /^streams\/([^/]+)\/records$/, run: async (c, n) => putRecords(deps, scope(c), name(n), await c.body()) },
    { method: 'POST', pattern: /^streams\/([^/]+)\/split$/, run: async (c, n) => split(deps, scope(c), name(n), await c.body()) },
    { method: 'POST', pattern: /^streams\/([^/]+)\/merge$/, run: async (c, n) => merge(deps, scope(c), name(n), await c.body()) },
    { method: 'POST', pattern: /^streams\/([^/]+)\/scale$/, run: async (c, n) => scale(deps, scope(c), name(n), await c.body()) },
    { method: 'GET', pattern: /^metrics$/, run: async (c) => metricList(deps, scope(c), c.url) },
    { method: 'GET', pattern: /^metrics\/series$/, run: async (c) => metricSeries(deps, scope(c), c.url) },
    { method: 'GET', pattern: /^firehose$/, run: async (c) => listDeliveryStreams(deps, scope(c)) },
    { method: 'GET', pattern: /^firehose\/([^/]+)$/, run: async (c, n) => describeDeliveryStream(deps, scope(c), name(n)) },
    { method: 'GET', pattern: /^firehose\/([^/]+)\/objects$/, run: async (c, n) => deliveredObjects(deps, scope(c), name(n), c.url) },
    { method: 'GET', pattern: /^analytics$/, run: async (c) => listApplications(deps, scope(c)) },
    { method: 'GET', pattern: /^analytics\/([^/]+)$/, run: async (c, n) => describeApplication(deps, scope(c), name(n)) },
    { method: 'GET', pattern: /^video$/, run: async (c) => listVideoStreams(deps, scope(c)) },
    { method: 'GET', pattern: /^video\/([^/]+)$/, run: async (c, n) => describeVideoStream(deps, scope(c), name(n)) },
    { method: 'GET', pattern: /^video\/([^/]+)\/fragments$/, run: async (c, n) => videoFragments(deps, scope(c), name(n), c.url) },
    { method: 'GET', pattern: /^video\/([^/]+)\/hls$/, run: async (c, n) => hlsSession(deps, scope(c), name(n), c.url) },
    {
      method: 'GET',
      pattern: /^objects$/,
      run: async (c) => {
        await downloadObject(deps, c.url, c.res);
        return STREAMED;
      },
    },
  ];

  const api = async (req: ServerRequest, res: ServerResponse, url: URL, served: Extract<ConsoleMode, { served: true }>) => {
    if (served.token !== undefined && !tokenMatches(served.token, requestToken(req))) {
      throw new ApiError(401, 'Unauthorized', 'the console needs its token (--console-token): send Authorization: Bearer TOKEN, or open /_millrace/?token=TOKEN');
    }
    if (url.search.length > MAX_PARAM_CHARS + 65_536) throw badParameter('the query string is too long');
    const path = url.pathname.slice(API_PREFIX.length);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const matching = routes.filter((route) => route.pattern.test(path));
    if (matching.length === 0) throw notFound(`no API ${url.pathname}`);
    const route = matching.find((r) => r.method === method);
    if (!route) throw new ApiError(405, 'MethodNotAllowed', `${url.pathname} takes ${matching.map((r) => r.method).join(', ')}`);
    if (route.method === 'POST') {
      if (served.readOnly) throw new ApiError(403, 'ReadOnly', 'the console is read-only (--console-read-only)');
      // A page of another origin can post a form or text/plain, but not this header without a preflight.
      if (req.headers[WRITE_HEADER] === undefined || !/^application\/json\b/.test(String(req.headers['content-type'] ?? ''))) {
        throw new ApiError(403, 'Forbidden', `console writes are JSON with an ${WRITE_HEADER} header`);
      }
    }
    const call: ApiCall = {
      req,
      res,
      url,
      deps,
      mode: served,
      body: async () => {
        const bytes = await readBody(req, deps.config.bodyTimeoutMs);
        if (bytes === undefined || bytes.length > MAX_WRITE_BODY_BYTES) throw new ApiError(413, 'TooLarge', `the body exceeds ${MAX_WRITE_BODY_BYTES} bytes`);
        let value: unknown;
        try {
          value = JSON.parse(bytes.toString('utf8') || '{}');
        } catch {
          throw badParameter('the body is not JSON');
        }
        if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badParameter('the body must be a JSON object');
        return value as Record<string, unknown>;
      },
    };
    const result = await route.run(call, ...route.pattern.exec(path)!.slice(1));
    if (result !== STREAMED) sendJson(res, 200, result);
  };

  const index = async (req: ServerRequest, res: ServerResponse, url: URL, served: Extract<ConsoleMode, { served: true }>) => {
    if (served.token !== undefined) {
      const given = url.searchParams.get('token') ?? undefined;
      if (given !== undefined && tokenMatches(served.token, given)) {
        // Remembered by the browser for this endpoint's console; the address bar loses the token.
        res.writeHead(303, {
          Location: `${BUILTIN_PREFIX}/`,
          'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(given)}; Path=${BUILTIN_PREFIX}/; HttpOnly; SameSite=Strict`,
          'Cache-Control': 'no-store',
        });
        res.end();
        return;
      }
      if (!tokenMatches(served.token, requestToken(req))) {
        res.setHeader('Cache-Control', 'no-store');
        sendRaw(
          res,
          401,
          'text/html; charset=utf-8',
          `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Millrace console</title></head><body>` +
            `<h1>Millrace console</h1><p>This console needs its token (<code>--console-token</code>).</p>` +
            `<form method="get"><label>Token <input name="token" type="password" autofocus></label> <button>Open</button></form></body></html>`,
        );
        return;
      }
    }
    if (!(await files.serve(req, res, 'index.html', { 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer' }))) {
      sendJson(res, 503, { error: 'NotBuilt', message: 'the console files are missing: run npm run build' });
    }
  };

  const handler: RequestHandler = (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const isIndex = path === `${BUILTIN_PREFIX}/` || path === BUILTIN_PREFIX;
    const isApi = path.startsWith(API_PREFIX) || path === API_PREFIX.slice(0, -1);
    const isUi = path.startsWith(UI_PREFIX);
    if (!isIndex && !isApi && !isUi) return next(req, res);
    if (!mode.served) {
      // The index falls back to the plain page of what is served; the API and files are absent.
      if (isIndex) return next(req, res);
      void drain(req).then(() => sendJson(res, 404, { error: 'ConsoleOff', message: mode.reason }));
      return;
    }
    const work = isApi
      ? api(req, res, url, mode)
      : isIndex
        ? index(req, res, url, mode)
        : Promise.resolve()
            .then(() => files.serve(req, res, decodePath(path.slice(UI_PREFIX.length))))
            .then((found) => {
            if (!found) sendJson(res, 404, { error: 'NotFound', message: `no file ${path}` });
          });
    work.catch((err) => {
      const answer = errorBody(err);
      if (!answer) deps.log.error({ err, path }, 'console request failed');
      if (res.headersSent) {
        res.end();
        return;
      }
      const respond = () => sendJson(res, answer?.status ?? 500, answer?.body ?? { error: 'InternalError', message: 'internal error' });
      if (req.readableEnded) respond();
      else void drain(req).then(respond);
    });
  };

  return { handler, close: () => tails.endAll() };
}

/** decodeURIComponent, with a malformed escape a bad parameter rather than a fault. */
function decodePath(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badParameter(`malformed escape in ${JSON.stringify(text.slice(0, 80))}`);
  }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.setHeader('Cache-Control', 'no-store');
  sendRaw(res, status, 'application/json', JSON.stringify(value));
}
