import http from 'node:http';
import { RawClient } from './raw-client.js';

/**
 * Hand-built Kinesis JSON 1.1 requests over HTTP/1.1 keep-alive, so that what is measured is the
 * server and not an SDK. The Authorization header has the SigV4 shape both servers check
 * (KINESIS-SPEC §1.7) with a fixed date and a dummy signature.
 */
const FIXED_HEADERS = {
  'Content-Type': 'application/x-amz-json-1.1',
  'X-Amz-Date': '20240101T000000Z',
  Authorization:
    'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=x',
};

/** A request encoded once and sent many times. */
export interface Prepared {
  readonly target: string;
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

export function prepare(operation: string, input: unknown): Prepared {
  const body = Buffer.from(JSON.stringify(input));
  return {
    target: operation,
    body,
    headers: { ...FIXED_HEADERS, 'X-Amz-Target': `Kinesis_20131202.${operation}`, 'Content-Length': String(body.length) },
  };
}

export interface Reply {
  status: number;
  body: Buffer;
}

/**
 * Which HTTP/1.1 client generates the load (BENCH_CLIENT): `raw` (default, bench/raw-client.ts) or
 * `node-http` (node:http with a keep-alive Agent). Both keep one socket per producer.
 */
export const CLIENT_KIND = process.env.BENCH_CLIENT === 'node-http' ? 'node-http' : 'raw';

/** One HTTP/1.1 keep-alive client per target, with at most one socket per producer. */
export class WireClient {
  private readonly agent?: http.Agent;
  private readonly raw?: RawClient;
  private readonly host: string;
  private readonly port: number;

  constructor(endpoint: string, maxSockets: number, kind: 'raw' | 'node-http' = CLIENT_KIND) {
    const url = new URL(endpoint);
    this.host = url.hostname;
    this.port = Number(url.port);
    if (kind === 'raw') this.raw = new RawClient(this.host, this.port, maxSockets);
    else this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  send(request: Prepared): Promise<Reply> {
    if (this.raw) return this.raw.send(request);
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.host, port: this.port, method: 'POST', path: '/', agent: this.agent, headers: request.headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(request.body);
    });
  }

  /** Sends and parses; any non-200 answer is an error (the benchmark expects none). */
  async call<T = Record<string, unknown>>(request: Prepared): Promise<T> {
    const reply = await this.send(request);
    if (reply.status !== 200) throw new Error(`${request.target}: HTTP ${reply.status} ${reply.body.toString().slice(0, 300)}`);
    return (reply.body.length ? JSON.parse(reply.body.toString()) : {}) as T;
  }

  close(): void {
    this.agent?.destroy();
    this.raw?.close();
  }
}

/** `call` without pre-encoding, for setup requests. */
export function once<T = Record<string, unknown>>(client: WireClient, operation: string, input: unknown): Promise<T> {
  return client.call<T>(prepare(operation, input));
}
