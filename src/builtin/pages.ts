import { BUILTIN_PREFIX } from '../protocol/router.js';
import { drain, sendRaw, type ServerRequest, type ServerResponse } from '../protocol/http-exchange.js';
import type { RequestHandler } from '../transport/listener.js';

/**
 * Millrace's own pages under `/_millrace/` (health now; the console, metrics and their JSON API
 * join them): each page is a path below the prefix and a function that answers it. Pages are read
 * by people and health checks, never by AWS clients, so they answer plain JSON, text or HTML.
 */
export type Page = (req: ServerRequest, res: ServerResponse, url: URL) => void | Promise<void>;

export function createBuiltinPages(pages: ReadonlyMap<string, Page>, onError: (err: unknown) => void): RequestHandler {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const page = pages.get(url.pathname.slice(BUILTIN_PREFIX.length) || '/');
    if (!page) {
      void drain(req).then(() => sendJson(res, 404, { message: `no page ${url.pathname}` }));
      return;
    }
    Promise.resolve()
      .then(() => page(req, res, url))
      .catch((err) => {
        onError(err);
        if (!res.headersSent) sendJson(res, 500, { message: 'internal error' });
        else res.end();
      });
  };
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.setHeader('Cache-Control', 'no-store');
  sendRaw(res, status, 'application/json', JSON.stringify(value));
}

export function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.setHeader('Cache-Control', 'no-store');
  sendRaw(res, status, 'text/html; charset=utf-8', html);
}
