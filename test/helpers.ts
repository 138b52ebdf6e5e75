import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Decoder, Encoder, Tag } from 'cbor-x';
import { startMillrace, type Millrace } from '../src/server.js';
import type { Config } from '../src/config.js';
import type { Logger } from 'pino';

/** A Millrace on a free loopback port over the real embedded store in a temp directory. */
export interface TestServer extends Millrace {
  dataDir: string;
  /** The JS SDK v3 with its default HTTP/2 handler, or HTTP/1.1 with `http1`. */
  client(options?: { http1?: boolean; accessKeyId?: string; region?: string }): KinesisClient;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

/** `logger`, when given, receives the server's logs (a test reading what it logs). */
export async function startTestServer(overrides: Partial<Config> = {}, logger?: Logger): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'millrace-test-'));
  const server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent', ...overrides }, logger);
  const clients: KinesisClient[] = [];
  return Object.assign(Object.create(server) as Millrace, server, {
    dataDir,
    client(options: { http1?: boolean; accessKeyId?: string; region?: string } = {}) {
      const client = new KinesisClient({
        endpoint: server.endpoint,
        region: options.region ?? 'us-east-1',
        credentials: { accessKeyId: options.accessKeyId ?? 'AKIDEXAMPLE', secretAccessKey: 'secret' },
        requestHandler: options.http1 ? new NodeHttpHandler() : undefined,
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.destroy();
      await server.close();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The body decoded as JSON or CBOR by its content type, when it parses. */
  json?: any;
}

const cborEncoder = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true });
const cborDecoder = new Decoder({ useRecords: false, mapsAsObjects: true });

/** CBOR as the Java SDK v2 sends it: byte strings for blobs, tag 1 with integer milliseconds. */
export function javaCbor(value: unknown): Buffer {
  const convert = (v: unknown): unknown => {
    if (v instanceof Date) return new Tag(BigInt(v.getTime()), 1);
    if (Array.isArray(v)) return v.map(convert);
    if (v && typeof v === 'object' && !Buffer.isBuffer(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, convert(x)]));
    return v;
  };
  return cborEncoder.encode(convert(value));
}

/** A hand-built HTTP/1.1 request, for what SDKs cannot send. */
export function rawRequest(
  endpoint: string,
  options: { method?: string; target?: string; contentType?: string; body?: string | Buffer; headers?: Record<string, string>; path?: string },
): Promise<RawResponse> {
  const url = new URL(options.path ?? '/', endpoint);
  const headers: Record<string, string> = {
    Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abc',
    'X-Amz-Date': '20240101T000000Z',
    ...(options.contentType !== undefined ? { 'Content-Type': options.contentType } : { 'Content-Type': 'application/x-amz-json-1.1' }),
    ...(options.target !== undefined ? { 'X-Amz-Target': options.target } : {}),
    ...options.headers,
  };
  for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'POST', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const type = String(res.headers['content-type'] ?? '');
        let json: unknown;
        try {
          if (type.includes('cbor') && body.length) json = cborDecoder.decode(body);
          else if (type.includes('json') && body.length) json = JSON.parse(body.toString());
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
    });
    req.on('error', reject);
    req.end(options.body ?? '');
  });
}

/** A JSON 1.1 Kinesis call by hand: `kinesisJson(endpoint, 'CreateStream', {...})`. */
export function kinesisJson(endpoint: string, operation: string, body: unknown, headers?: Record<string, string>): Promise<RawResponse> {
  return rawRequest(endpoint, { target: `Kinesis_20131202.${operation}`, body: JSON.stringify(body), headers });
}

/** A CBOR 1.1 Kinesis call encoded as the Java SDK v2 sends it. */
export function kinesisCbor(endpoint: string, operation: string, body: unknown): Promise<RawResponse> {
  return rawRequest(endpoint, { target: `Kinesis_20131202.${operation}`, contentType: 'application/x-amz-cbor-1.1', body: javaCbor(body) });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a command runs here (python3 -c 'import boto3', aws --version); tests skip with the reason otherwise. */
export async function available(command: string, args: string[]): Promise<boolean> {
  const { spawnSync } = await import('node:child_process');
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.status === 0;
}
