import { randomBytes, randomUUID } from 'node:crypto';
import type http from 'node:http';
import type http2 from 'node:http2';
import { constants as http2constants } from 'node:http2';
import type { Logger } from 'pino';
import { readCredentials, type Credentials } from './auth.js';
import { CONTENT_TYPE, decodeBody, encodeBody, type Encoding } from './codec.js';
import { AwsError, internalFailure, serializationError, unknownOperation } from './errors.js';
import type { RequestHandler } from '../transport/listener.js';

/**
 * The protocol layer: one POST with an X-Amz-Target in, one AWS-shaped response out, with the
 * checks in the order AWS applies them (KINESIS-SPEC §1.6). Services plug in below it.
 */
export type ServerRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type ServerResponse = http.ServerResponse | http2.Http2ServerResponse;

export interface RequestContext {
  requestId: string;
  encoding: Encoding;
  account: string;
  region: string;
  credentials: Credentials;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  log: Logger;
}

/** A result that writes its own response body (SubscribeToShard's event stream). */
export abstract class StreamingResult {
  abstract readonly contentType: string;
  /** Called after the 200 head is written; must end `res` eventually. */
  abstract pipe(res: ServerResponse, context: RequestContext): void;
}

export interface Service {
  /** e.g. `Kinesis_20131202` */
  targetPrefix: string;
  hasOperation(name: string): boolean;
  /** Validates and runs an operation; undefined means an empty 200 body. */
  invoke(operation: string, body: Record<string, unknown>, context: RequestContext): Promise<unknown>;
  /** Verifies signatures when credentials are configured; resolves to the caller's account. */
  authenticate(request: ServerRequest, body: Buffer, credentials: Credentials): Promise<{ account: string; region: string }>;
}

const NO_QUERY = new URLSearchParams();

/** Decoded request bodies are bounded: 10 MiB of record data is ~14 MiB of base64 (§1.6). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Bodies declared this large are gathered into one buffer as they arrive (BodyCollector)... */
const PREALLOCATED_BODY_BYTES = 64 * 1024;
/** ...a megabyte of socket reads at a time. */
const BODY_COPY_BATCH_BYTES = 1024 * 1024;
/** How much of an oversized HTTP/2 upload is read and dropped before the stream is reset. */
const DISCARD_LIMIT_BYTES = 4 * MAX_BODY_BYTES;

const CORS_EXPOSE = 'x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date';
const CORS_MAX_AGE = '172800';
const ACCESS_DENIED_XML =
  '<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n';

/**
 * x-amz-id-2 is 72 random bytes in base64, as S3-style services send it. Random bytes come from a
 * pool refilled in one call, since a call per request showed up in profiles.
 */
const ID2_BYTES = 72;
const ID2_POOL_IDS = 512;
let id2Pool = Buffer.alloc(0);
let id2At = 0;
function extendedRequestId(): string {
  if (id2At + ID2_BYTES > id2Pool.length) {
    id2Pool = randomBytes(ID2_BYTES * ID2_POOL_IDS);
    id2At = 0;
  }
  id2At += ID2_BYTES;
  return id2Pool.toString('base64', id2At - ID2_BYTES, id2At);
}

export interface PipelineOptions {
  /** A request whose body stalls (no bytes arrive) this long is dropped: slow-body clients hold no resources. */
  bodyIdleTimeoutMs: number;
}

export function createPipeline(service: Service, log: Logger, options: PipelineOptions): RequestHandler {
  return (req, res) => {
    handle(service, log, options, req, res).catch((err) => {
      log.error({ err }, 'unhandled error while answering a request');
      if (!res.headersSent) sendRaw(res, 500, undefined, '');
      else res.end();
    });
  };
}

async function handle(service: Service, log: Logger, options: PipelineOptions, req: ServerRequest, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  res.setHeader('x-amzn-RequestId', requestId);
  const origin = req.headers.origin;
  if (origin !== undefined) {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') return preflight(req, res);
    res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSE);
  }
  res.setHeader('x-amz-id-2', extendedRequestId());

  if (req.method !== 'POST') {
    await drain(req);
    return sendRaw(res, 403, undefined, ACCESS_DENIED_XML);
  }

  let body: Buffer | undefined;
  try {
    body = await readBody(req, options.bodyIdleTimeoutMs);
  } catch {
    return; // the client went away or stalled mid-body: nobody to answer
  }
  if (body === undefined) return refuseOversized(req, res);

  const target = String(req.headers['x-amz-target'] ?? '');
  const dot = target.indexOf('.');
  const targetService = dot === -1 ? target : target.slice(0, dot);
  const operation = dot === -1 ? '' : target.slice(dot + 1);
  const knownOperation = targetService === service.targetPrefix && service.hasOperation(operation);
  const contentType = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const encoding: Encoding | 'legacy-json' | undefined =
    contentType === CONTENT_TYPE.json ? 'json' : contentType === CONTENT_TYPE.cbor ? 'cbor' : contentType === 'application/json' ? 'legacy-json' : undefined;

  if (body.length === 0) {
    const fallback: Encoding = encoding === 'json' ? 'json' : 'cbor';
    return sendError(res, fallback, knownOperation ? serializationError() : unknownOperation(), log);
  }
  if (encoding === undefined) {
    if (dot === -1) return sendRaw(res, 403, undefined, ACCESS_DENIED_XML);
    return sendRaw(res, 404, undefined, '<UnknownOperationException/>\n');
  }

  let decoded: unknown;
  try {
    decoded = decodeBody(encoding === 'cbor' ? 'cbor' : 'json', body);
  } catch {
    decoded = undefined;
  }
  const isObject = typeof decoded === 'object' && decoded !== null && !Array.isArray(decoded) && !Buffer.isBuffer(decoded);
  if (encoding === 'legacy-json') {
    if (!isObject) return sendRaw(res, 400, 'application/json', '{"Output":{"__type":"com.amazon.coral.service#SerializationException"},"Version":"1.0"}');
    return sendRaw(res, 404, 'application/json', '{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}');
  }
  if (!isObject) return sendError(res, encoding, serializationError(), log);
  if (!knownOperation) return sendError(res, encoding, unknownOperation(), log);

  // The abort signal is made only for an operation that asks for it (SubscribeToShard): an
  // AbortController per request showed up in profiles. Only a response that never finished was
  // abandoned by its client.
  let controller: AbortController | undefined;
  let abandoned = false;
  res.on('close', () => {
    if (res.writableEnded) return;
    abandoned = true;
    controller?.abort();
  });
  let context: RequestContext | undefined;
  try {
    // Only presigned requests carry a query string; SDK requests post to `/`.
    const query = req.url?.includes('?') ? new URL(req.url, 'http://localhost').searchParams : NO_QUERY;
    const credentials = readCredentials(req.headers as Record<string, string | string[] | undefined>, query);
    const caller = await service.authenticate(req, body, credentials);
    context = {
      requestId,
      encoding,
      ...caller,
      credentials,
      get signal() {
        if (!controller) {
          controller = new AbortController();
          if (abandoned) controller.abort();
        }
        return controller.signal;
      },
      log,
    };
    const result = await service.invoke(operation, decoded as Record<string, unknown>, context);
    log.debug({ requestId, operation, account: caller.account }, 'request');
    if (result instanceof StreamingResult) {
      res.writeHead(200, { 'Content-Type': result.contentType });
      return result.pipe(res, context);
    }
    const payload = result === undefined ? Buffer.alloc(0) : encodeBody(encoding, result);
    sendRaw(res, 200, CONTENT_TYPE[encoding], payload);
  } catch (err) {
    if (err instanceof AwsError) {
      log.debug({ requestId, operation, type: err.type, message: err.message }, 'request failed');
      return sendError(res, encoding, err, log);
    }
    log.warn({ err, requestId, operation }, 'internal failure');
    return sendError(res, encoding, internalFailure(), log);
  }
}

function preflight(req: ServerRequest, res: ServerResponse): void {
  const allowHeaders = req.headers['access-control-request-headers'];
  const allowMethods = req.headers['access-control-request-method'];
  if (allowHeaders) res.setHeader('Access-Control-Allow-Headers', allowHeaders);
  if (allowMethods) res.setHeader('Access-Control-Allow-Methods', allowMethods);
  res.setHeader('Access-Control-Max-Age', CORS_MAX_AGE);
  sendRaw(res, 200, undefined, '');
}

/**
 * 413 with an empty body (kinesalite's recording), keeping none of the upload. HTTP/1.1 answers at
 * once and closes the connection. HTTP/2 must let the upload finish first: Node answers DATA that
 * keeps arriving after an early response with RST_STREAM ENHANCE_YOUR_CALM, and the client would
 * see that instead of the 413. An upload that goes on past DISCARD_LIMIT_BYTES is reset.
 */
function refuseOversized(req: ServerRequest, res: ServerResponse): void {
  if (!('stream' in req)) {
    res.setHeader('Connection', 'close');
    return sendRaw(res, 413, undefined, '');
  }
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) req.stream.close(http2constants.NGHTTP2_REFUSED_STREAM);
  });
  req.on('end', () => sendRaw(res, 413, undefined, ''));
  req.resume();
}

function sendError(res: ServerResponse, encoding: Encoding, error: AwsError, log: Logger): void {
  if (res.headersSent) {
    log.warn({ type: error.type }, 'error after the response had started');
    return void res.end();
  }
  res.setHeader('x-amzn-ErrorType', error.type);
  sendRaw(res, error.status, CONTENT_TYPE[encoding], encodeBody(encoding, error.toBody()));
}

function sendRaw(res: ServerResponse, status: number, contentType: string | undefined, payload: Buffer | string): void {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (contentType) res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', bytes.length);
  res.writeHead(status);
  res.end(bytes);
}

/**
 * The whole body, or undefined when it exceeds MAX_BODY_BYTES. A body that stalls for `idleMs`
 * rejects, and its connection (HTTP/1.1) or stream (HTTP/2) is dropped.
 */
function readBody(req: ServerRequest, idleMs: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const collector = new BodyCollector(Number.isSafeInteger(declared) ? declared : -1);
    let done = false;
    const stalled = () => {
      if (done) return;
      done = true;
      reject(new Error('request body stalled'));
      if ('stream' in req) req.stream.close(http2constants.NGHTTP2_CANCEL);
      else req.socket.destroy();
    };
    const timer = setTimeout(stalled, idleMs);
    const settle = () => {
      done = true;
      clearTimeout(timer);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      timer.refresh();
      if (collector.size + chunk.length > MAX_BODY_BYTES) {
        settle();
        req.pause();
        return resolve(undefined);
      }
      collector.add(chunk);
    });
    req.on('end', () => {
      if (done) return;
      settle();
      resolve(collector.finish());
    });
    req.on('error', (err) => {
      if (done) return;
      settle();
      reject(err);
    });
    req.on('aborted', () => {
      if (done) return;
      settle();
      reject(new Error('request aborted'));
    });
  });
}

/**
 * Gathers a request body. A large declared body goes into one buffer of that size, copied in
 * batches as it arrives, so that its 64 KiB socket reads die young: kept in a list until the end,
 * a multi-megabyte body's reads outlived several scavenges, were promoted, and their memory stayed
 * in the C heap (RSS after writing 5 GB in 6.7 MB requests: 297 -> 221-233 MB). Copying each read
 * at once cost 1 MiB PutRecords about 10% in the same benchmark; a batch is the middle way.
 */
export class BodyCollector {
  size = 0;
  private body: Buffer | undefined;
  private written = 0;
  /** Reads not yet copied into `body` (with a body, `size - written` bytes of them). */
  private pending: Buffer[] = [];

  /** `declared`: the Content-Length, or -1. */
  constructor(declared: number) {
    this.body = declared >= PREALLOCATED_BODY_BYTES ? Buffer.allocUnsafe(declared) : undefined;
  }

  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.body && this.size > this.body.length) {
      // More than was declared: from here on, a list as without a declared length.
      this.copyPending();
      this.pending = [this.body.subarray(0, this.written)];
      this.body = undefined;
    }
    this.pending.push(chunk);
    if (this.body && this.size - this.written >= BODY_COPY_BATCH_BYTES) this.copyPending();
  }

  finish(): Buffer {
    if (!this.body) return this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.size);
    this.copyPending();
    return this.written === this.body.length ? this.body : this.body.subarray(0, this.written);
  }

  private copyPending(): void {
    for (const chunk of this.pending) this.written += chunk.copy(this.body!, this.written);
    this.pending = [];
  }
}

function drain(req: ServerRequest): Promise<void> {
  return new Promise((resolve) => {
    req.resume();
    req.on('end', resolve);
    req.on('error', () => resolve());
  });
}
