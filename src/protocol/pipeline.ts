import { randomUUID } from 'node:crypto';
import { constants as http2constants } from 'node:http2';
import type { Logger } from 'pino';
import { readCredentials, type Credentials } from './auth.js';
import { CONTENT_TYPE, decodeBody, encodeBody, type Encoding } from './codec.js';
import { AwsError, internalFailure, serializationError, unknownOperation } from './errors.js';
import {
  DISCARD_LIMIT_BYTES,
  drain,
  extendedRequestId,
  readBody,
  sendRaw,
  type ServerRequest,
  type ServerResponse,
} from './http-exchange.js';
import type { RequestHandler } from '../transport/listener.js';

/**
 * The JSON protocols (JSON 1.1 and CBOR 1.1): one POST with an X-Amz-Target in, one AWS-shaped
 * response out, with the checks in the order AWS applies them (KINESIS-SPEC §1.6). Every service
 * that AWS serves this way (Kinesis, Firehose, Analytics, Glue, …) plugs in below it, found by its
 * target prefix.
 */
export type { ServerRequest, ServerResponse };

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
  /** e.g. `Kinesis_20131202`; a service that AWS has served under several versions lists each. */
  targetPrefix: string | readonly string[];
  hasOperation(name: string): boolean;
  /** Validates and runs an operation; undefined means an empty 200 body. */
  invoke(operation: string, body: Record<string, unknown>, context: RequestContext): Promise<unknown>;
  /** Verifies signatures when credentials are configured; resolves to the caller's account. */
  authenticate(request: ServerRequest, body: Buffer, credentials: Credentials): Promise<{ account: string; region: string }>;
}

const NO_QUERY = new URLSearchParams();

const CORS_EXPOSE = 'x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date';
const CORS_MAX_AGE = '172800';
const ACCESS_DENIED_XML =
  '<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n';

export interface PipelineOptions {
  /** A request whose body stalls (no bytes arrive) this long is dropped: slow-body clients hold no resources. */
  bodyIdleTimeoutMs: number;
}

/**
 * `services` by target prefix. A request whose prefix none of them has is answered as the first
 * service answers unknown operations (UnknownOperationException), as AWS's endpoints do.
 */
export function createPipeline(services: Service[], log: Logger, options: PipelineOptions): RequestHandler {
  const byPrefix = new Map<string, Service>();
  for (const service of services) {
    for (const prefix of typeof service.targetPrefix === 'string' ? [service.targetPrefix] : service.targetPrefix) {
      if (byPrefix.has(prefix)) throw new Error(`two services claim the target prefix ${prefix}`);
      byPrefix.set(prefix, service);
    }
  }
  return (req, res) => {
    handle(byPrefix, log, options, req, res).catch((err) => {
      log.error({ err }, 'unhandled error while answering a request');
      if (!res.headersSent) sendRaw(res, 500, undefined, '');
      else res.end();
    });
  };
}

async function handle(services: Map<string, Service>, log: Logger, options: PipelineOptions, req: ServerRequest, res: ServerResponse): Promise<void> {
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
  const service = services.get(targetService);
  const knownOperation = service !== undefined && service.hasOperation(operation);
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
  const served = service!;

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
    const caller = await served.authenticate(req, body, credentials);
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
    const result = await served.invoke(operation, decoded as Record<string, unknown>, context);
    log.debug({ requestId, service: targetService, operation, account: caller.account }, 'request');
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

