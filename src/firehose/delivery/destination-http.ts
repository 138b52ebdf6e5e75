import http from 'node:http';
import https from 'node:https';
import { createHash } from 'node:crypto';
import { rootCertificates } from 'node:tls';

/**
 * One HTTP exchange with a destination (HTTP endpoint, OpenSearch, Splunk), over keep-alive agents
 * kept per destination origin. Never follows redirects (§12), bounds the response body and the wait
 * for the response, and names what went wrong in transport terms the destinations turn into AWS's codes.
 */

/** §12 / §16: Firehose waits three minutes for a response. */
export const RESPONSE_TIMEOUT_MS = 180_000;
/** §12 / §16: the endpoint's response is at most 1 MiB, headers included [dg2023 http_troubleshooting]. */
export const MAX_RESPONSE_BYTES = 1_048_576;
/** Agents kept at once; the oldest is closed beyond this (a bound on sockets held for deleted streams). */
const MAX_AGENTS = 256;

export type TransportFailure =
  | 'timeout' // no complete response within the response timeout
  | 'too-large' // response body over the limit
  | 'connect' // could not connect (refused, unknown host, unreachable)
  | 'reset' // the connection broke after it was made
  | 'tls-host' // the certificate does not name the host
  | 'tls'; // any other TLS failure (untrusted certificate, handshake)

export type Exchange =
  | { kind: 'response'; status: number; headers: http.IncomingHttpHeaders; body: Buffer }
  | { kind: 'failure'; failure: TransportFailure; detail: string };

export interface ExchangeRequest {
  url: URL;
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  body?: Buffer;
  ca?: Buffer;
  timeoutMs?: number;
  maxResponseBytes?: number;
  signal: AbortSignal;
}

const agents = new Map<string, http.Agent>();

function agentFor(url: URL, ca: Buffer | undefined): http.Agent {
  const key = `${url.protocol}//${url.host}|${ca ? createHash('sha256').update(ca).digest('hex') : ''}`;
  let agent = agents.get(key);
  if (agent) {
    agents.delete(key); // re-inserted below: the map's order is least recently used first
  } else {
    agent =
      url.protocol === 'https:'
        ? // An extra CA adds to Node's roots rather than replacing them: public https endpoints keep working.
          new https.Agent({ keepAlive: true, ...(ca ? { ca: [...rootCertificates, ca.toString('utf8')] } : {}) })
        : new http.Agent({ keepAlive: true });
    if (agents.size >= MAX_AGENTS) {
      const [oldestKey, oldest] = agents.entries().next().value as [string, http.Agent];
      agents.delete(oldestKey);
      oldest.destroy();
    }
  }
  agents.set(key, agent);
  return agent;
}

/** Closes every kept-alive socket (server stop, tests). */
export function closeDestinationAgents(): void {
  for (const agent of agents.values()) agent.destroy();
  agents.clear();
}

const TLS_HOST_CODES = new Set(['ERR_TLS_CERT_ALTNAME_INVALID']);

function classify(error: NodeJS.ErrnoException, connected: boolean): TransportFailure {
  const code = error.code ?? '';
  if (TLS_HOST_CODES.has(code)) return 'tls-host';
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/.test(code)) return 'tls';
  // Before the connection is up (refused, unknown host, unreachable): connect; after it: reset.
  return connected ? 'reset' : 'connect';
}

/**
 * Sends one request; resolves with the response or a transport failure, rejects only on abort. A
 * kept-alive socket the server closed just as it was reused is retried once on a fresh connection
 * (the race Node's documentation describes), so it never costs a backoff or a failure line.
 */
export async function exchange(request: ExchangeRequest): Promise<Exchange> {
  const first = await exchangeOnce(request);
  if (first.result.kind === 'failure' && first.result.failure === 'reset' && first.reusedSocket && !first.gotResponse) return (await exchangeOnce(request)).result;
  return first.result;
}

function exchangeOnce(request: ExchangeRequest): Promise<{ result: Exchange; reusedSocket: boolean; gotResponse: boolean }> {
  const { url, signal } = request;
  const timeoutMs = request.timeoutMs ?? RESPONSE_TIMEOUT_MS;
  const maxBytes = request.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    let settled = false;
    let connected = false;
    let gotResponse = false;
    const finish = (result: Exchange | { abort: unknown }) => {
      if (settled) return;
      settled = clearAll();
      if ('abort' in result) reject(result.abort);
      else resolve({ result, reusedSocket: req.reusedSocket, gotResponse });
    };
    let req: http.ClientRequest;
    try {
      req = client.request(url, {
        method: request.method ?? 'POST',
        headers: { ...request.headers, ...(request.body ? { 'Content-Length': String(request.body.length) } : {}) },
        agent: agentFor(url, request.ca),
      });
    } catch (error) {
      // A header value HTTP cannot carry (a control or non-Latin-1 character in an access key or token):
      // nothing was sent, so it is a failure to connect, retried like one (an update may fix it).
      const e = error as NodeJS.ErrnoException;
      return resolve({ result: { kind: 'failure', failure: 'connect', detail: `${e.code ?? 'Error'}: ${e.message}` }, reusedSocket: false, gotResponse: false });
    }
    const timer = setTimeout(() => {
      // Never connected: the endpoint took "too long to respond to the connection request" (ConnectionFailed).
      finish({ kind: 'failure', failure: connected ? 'timeout' : 'connect', detail: `no response within ${timeoutMs} ms` });
      req.destroy();
    }, timeoutMs);
    const onAbort = () => {
      finish({ abort: signal.reason });
      req.destroy();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    function clearAll(): true {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      return true;
    }
    req.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true));
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'failure', failure: classify(error, connected), detail: `${error.code ?? 'Error'}: ${error.message}` }));
    req.on('response', (response) => {
      gotResponse = true;
      const chunks: Buffer[] = [];
      // The limit counts the headers too ("less than 1 MiB including headers").
      let size = response.rawHeaders.reduce((sum, part) => sum + Buffer.byteLength(part) + 2, 0);
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          finish({ kind: 'failure', failure: 'too-large', detail: `response over ${maxBytes} bytes` });
          response.destroy();
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => finish({ kind: 'response', status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', (error: NodeJS.ErrnoException) => finish({ kind: 'failure', failure: 'reset', detail: `${error.code ?? 'Error'}: ${error.message}` }));
      response.on('aborted', () => finish({ kind: 'failure', failure: 'reset', detail: 'the response was cut short' }));
    });
    req.end(request.body);
  });
}

/** Joins a base URL (cluster endpoint, HEC endpoint) and an API path, keeping a base path if any. */
export function joinUrl(base: string, path: string): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  return url;
}
