import { randomUUID } from 'node:crypto';
import { constants as http2constants } from 'node:http2';
import type { Logger } from 'pino';
import { readCredentials, type Credentials } from './auth.js';
import type { Caller } from './authenticator.js';
import { CONTENT_TYPE, decodeBody, encodeBody, jsonText, type Encoding } from './codec.js';
import { AwsError, internalFailure, serializationError, unknownOperation } from './errors.js';
import {
  DISCARD_LIMIT_BYTES,
  drain,
  extendedRequestId,
  flatHeaders,
  readBody,
  sendWithHeaders,
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
  authenticate(request: ServerRequest, body: Buffer, credentials: Credentials): Caller | Promise<Caller>;
}

const NO_QUERY = new URLSearchParams();

const CORS_EXPOSE = 'x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date';
const CORS_MAX_AGE = '172800';
const ACCESS_DENIED_XML =
  '<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n';

export interface PipelineOptions {
  /** A request whose body stalls (no bytes arrive) this long is dropped: slow-body clients hold no resources. */
  bodyIdleTimeoutMs: number;
  /** Told of every answered request (metrics/request-metrics.ts); must not allocate. */
  observer?: RequestObserver;
}

/**
 * Sees each request once it is answered: its service and operation (`undefined` for a target
 * no service has, so that made-up names never become metric labels), status, error type and
 * duration.
 */
export interface RequestObserver {
  answered(service: string | undefined, operation: string | undefined, status: number, errorType: string | undefined, durationMs: number): void;
}

/**
 * `services` by target prefix. A request whose prefix none of them has is answered as the first
 * service answers unknown operations (UnknownOperationException), as AWS's endpoints do.
 *
 * The request log (README "Logs"): at `debug`, one line per request with its service, operation,
 * stream, status, duration and bytes in and out; a 5xx answer's line is at `warn` whatever the
 * level, with the request id. Below debug a request builds nothing for the log: one comparison of
 * the logger's numeric level per request says whether debug is on.
 */
export function createPipeline(services: Service[], log: Logger, options: PipelineOptions): RequestHandler {
  const byPrefix = new Map<string, Service>();
  for (const service of services) {
    for (const prefix of typeof service.targetPrefix === 'string' ? [service.targetPrefix] : service.targetPrefix) {
      if (byPrefix.has(prefix)) throw new Error(`two services claim the target prefix ${prefix}`);
      byPrefix.set(prefix, service);
    }
  }
  const debugLevel = log.levels.values.debug ?? DEBUG_LEVEL;
  const pipeline: Pipeline = {
    services: byPrefix,
    targets: new Map(),
    log,
    options,
    observer: options.observer,
    get debug() {
      return log.levelVal <= debugLevel;
    },
  };
  return (req, res) => {
    const exchange = new Exchange(pipeline, req, res);
    handle(exchange).catch((err) => exchange.unhandled(err));
  };
}

interface Pipeline {
  services: Map<string, Service>;
  /** resolveTarget's table. */
  targets: Map<string, ResolvedTarget>;
  log: Logger;
  options: PipelineOptions;
  observer: RequestObserver | undefined;
  /** Whether requests are logged one line each: the logger's level as it is now (tests change it). */
  readonly debug: boolean;
}

/** pino's numeric value of `debug`. */
const DEBUG_LEVEL = 20;

/**
 * One request and its answer: the headers every answer carries, gathered as one flat list for
 * writeHead (http-exchange.ts sendWithHeaders), and what the request log says about it.
 */
class Exchange {
  readonly requestId = randomUUID();
  /** The headers of every answer: `[name, value, …]`. */
  readonly headers: string[];
  /** performance.now() at the start, when requests are logged. */
  readonly started: number;
  /** Whether requests are logged one line each, read once per request (pino's level is a getter). */
  readonly debug: boolean;
  service = '';
  operation = '';
  stream: string | undefined;
  bytesIn = 0;
  /** Whether the target names a service and an operation it has. */
  known = false;
  /** Set when an answer was written (or the request dropped). */
  answered = false;

  constructor(
    readonly pipeline: Pipeline,
    readonly req: ServerRequest,
    readonly res: ServerResponse,
  ) {
    this.debug = pipeline.debug;
    this.started = pipeline.observer !== undefined || this.debug ? performance.now() : 0;
    this.headers = ['x-amzn-RequestId', this.requestId];
    if (req.headers.origin !== undefined) {
      this.headers.push('Access-Control-Allow-Origin', '*');
      // A preflight answer carries neither (§1.4).
      if (req.method === 'OPTIONS') return;
      this.headers.push('Access-Control-Expose-Headers', CORS_EXPOSE);
    }
    this.headers.push('x-amz-id-2', extendedRequestId());
  }

  /** Writes a whole answer and logs it. */
  send(status: number, contentType: string | undefined, payload: Buffer | string, errorType?: string, err?: unknown): void {
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const headers = this.headers;
    if (errorType !== undefined) headers.push('x-amzn-ErrorType', errorType);
    if (contentType !== undefined) headers.push('Content-Type', contentType);
    sendWithHeaders(this.res, status, headers, bytes);
    this.logged(status, bytes.length, errorType, err);
  }

  /** A 200 answer whose body is ASCII text (a self-encoding answer's JSON_TEXT). */
  sendText(contentType: string, text: string): void {
    const headers = this.headers;
    headers.push('Content-Type', contentType);
    sendWithHeaders(this.res, 200, headers, text);
    this.logged(200, text.length);
  }

  sendError(encoding: Encoding, error: AwsError, err?: unknown): void {
    if (this.res.headersSent) {
      this.pipeline.log.warn({ requestId: this.requestId, type: error.type }, 'error after the response had started');
      this.answered = true;
      return void this.res.end();
    }
    this.send(error.status, CONTENT_TYPE[encoding], encodeBody(encoding, error.toBody()), error.type, err);
  }

  /** The request's one log line: at debug, or at warn for a 5xx answer. */
  logged(status: number, bytesOut: number, errorType?: string, err?: unknown): void {
    this.answered = true;
    const { log, observer } = this.pipeline;
    const debug = this.debug;
    if (observer !== undefined) {
      observer.answered(this.known ? this.service : undefined, this.known ? this.operation : undefined, status, errorType, performance.now() - this.started);
    }
    if (status < 500 && !debug) return;
    const line = {
      requestId: this.requestId,
      service: this.service,
      operation: this.operation,
      stream: this.stream,
      status,
      errorType,
      durationMs: debug ? Math.round((performance.now() - this.started) * 1000) / 1000 : undefined,
      bytesIn: this.bytesIn,
      bytesOut,
      err,
    };
    if (status >= 500) log.warn(line, 'request failed');
    else log.debug(line, 'request');
  }

  /** A failure outside every expected path: a 500 if nothing was written yet, logged either way. */
  unhandled(err: unknown): void {
    if (this.answered) return void this.pipeline.log.error({ err, requestId: this.requestId }, 'unhandled error after the answer');
    if (!this.res.headersSent) return this.send(500, undefined, '', undefined, err);
    this.res.end();
    this.logged(500, 0, undefined, err);
  }
}

/** The stream (or delivery stream) a request names, for the request log; only looked for at debug. */
function streamOf(body: Record<string, unknown>): string | undefined {
  for (const member of ['StreamName', 'DeliveryStreamName']) if (typeof body[member] === 'string') return body[member] as string;
  for (const member of ['StreamARN', 'ConsumerARN', 'ResourceARN', 'DeliveryStreamARN']) {
    const arn = body[member];
    const match = typeof arn === 'string' ? /:(?:stream|deliverystream)\/([^/]+)/.exec(arn) : null;
    if (match) return match[1];
  }
  return undefined;
}

/**
 * What an operation sees of its request. A class rather than an object literal with a getter: the
 * abort signal is made only for an operation that asks for it (SubscribeToShard; an
 * AbortController and a close listener per request showed up in profiles).
 */
class PipelineContext implements RequestContext {
  private controller: AbortController | undefined;

  constructor(
    readonly requestId: string,
    readonly encoding: Encoding,
    readonly account: string,
    readonly region: string,
    readonly credentials: Credentials,
    readonly log: Logger,
    private readonly res: ServerResponse,
  ) {}

  /** Aborted when the client goes away before its answer is finished. */
  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = (this.controller = new AbortController());
      const res = this.res;
      const gone = () => !res.writableEnded && ('stream' in res ? res.stream.destroyed : res.destroyed);
      if (gone()) controller.abort();
      else res.once('close', () => gone() && controller.abort());
    }
    return this.controller.signal;
  }
}

async function handle(exchange: Exchange): Promise<void> {
  const { req, res, pipeline } = exchange;
  const { log } = pipeline;
  if (req.headers.origin !== undefined && req.method === 'OPTIONS') return preflight(exchange);

  if (req.method !== 'POST') {
    await drain(req);
    return exchange.send(403, undefined, ACCESS_DENIED_XML);
  }

  let body: Buffer | undefined;
  try {
    body = await readBody(req, pipeline.options.bodyIdleTimeoutMs);
  } catch {
    exchange.answered = true;
    return; // the client went away or stalled mid-body: nobody to answer
  }
  if (body === undefined) return refuseOversized(exchange);
  exchange.bytesIn = body.length;

  const { targetService, operation, service, known: knownOperation, dot } = resolveTarget(pipeline, String(req.headers['x-amz-target'] ?? ''));
  exchange.service = targetService;
  exchange.operation = operation;
  exchange.known = knownOperation;
  const encoding = encodingOf(req.headers['content-type']);

  if (body.length === 0) {
    const fallback: Encoding = encoding === 'json' ? 'json' : 'cbor';
    return exchange.sendError(fallback, knownOperation ? serializationError() : unknownOperation());
  }
  if (encoding === undefined) {
    if (dot === -1) return exchange.send(403, undefined, ACCESS_DENIED_XML);
    return exchange.send(404, undefined, '<UnknownOperationException/>\n');
  }

  let decoded: unknown;
  try {
    decoded = decodeBody(encoding === 'cbor' ? 'cbor' : 'json', body);
  } catch {
    decoded = undefined;
  }
  const isObject = typeof decoded === 'object' && decoded !== null && !Array.isArray(decoded) && !Buffer.isBuffer(decoded);
  if (encoding === 'legacy-json') {
    if (!isObject) return exchange.send(400, 'application/json', '{"Output":{"__type":"com.amazon.coral.service#SerializationException"},"Version":"1.0"}');
    return exchange.send(404, 'application/json', '{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}');
  }
  if (!isObject) return exchange.sendError(encoding, serializationError());
  if (!knownOperation) return exchange.sendError(encoding, unknownOperation());
  const served = service!;
  if (exchange.debug) exchange.stream = streamOf(decoded as Record<string, unknown>);

  try {
    // Only presigned requests carry a query string; SDK requests post to `/`.
    const query = req.url?.includes('?') ? new URL(req.url, 'http://localhost').searchParams : NO_QUERY;
    const credentials = readCredentials(req.headers as Record<string, string | string[] | undefined>, query);
    const authenticated = served.authenticate(req, body, credentials);
    const caller = authenticated instanceof Promise ? await authenticated : authenticated;
    const context = new PipelineContext(exchange.requestId, encoding, caller.account, caller.region, credentials, log, res);
    const result = await served.invoke(operation, decoded as Record<string, unknown>, context);
    if (result instanceof StreamingResult) {
      const headers = exchange.headers;
      headers.push('Content-Type', result.contentType);
      res.writeHead(200, flatHeaders(headers));
      exchange.logged(200, 0);
      return result.pipe(res, context);
    }
    const text = encoding === 'json' ? jsonText(result) : undefined;
    if (text !== undefined) return exchange.sendText(CONTENT_TYPE.json, text);
    exchange.send(200, CONTENT_TYPE[encoding], result === undefined ? EMPTY : encodeBody(encoding, result));
  } catch (err) {
    if (err instanceof AwsError) return exchange.sendError(encoding, err);
    return exchange.sendError(encoding, internalFailure(), err);
  }
}

const EMPTY = Buffer.alloc(0);

/** What an X-Amz-Target names: `Prefix.Operation`, split at the first dot. */
interface ResolvedTarget {
  targetService: string;
  operation: string;
  service: Service | undefined;
  /** Whether the service has the operation. */
  known: boolean;
  /** Where the dot is, -1 without one. */
  dot: number;
}

/**
 * Targets that name a known operation, resolved once each: a request then costs one look-up by
 * its header instead of two slices and two look-ups by them. Only known targets are kept, so the
 * table is bounded by the services' operations whatever clients send.
 */
function resolveTarget(pipeline: Pipeline, target: string): ResolvedTarget {
  const cached = pipeline.targets.get(target);
  if (cached !== undefined) return cached;
  const dot = target.indexOf('.');
  const targetService = dot === -1 ? target : target.slice(0, dot);
  const operation = dot === -1 ? '' : target.slice(dot + 1);
  const service = pipeline.services.get(targetService);
  const resolved: ResolvedTarget = { targetService, operation, service, known: service !== undefined && service.hasOperation(operation), dot };
  if (resolved.known) pipeline.targets.set(target, resolved);
  return resolved;
}

/** The body's encoding by Content-Type; `legacy-json` is plain application/json (§1.6 step 5). */
function encodingOf(header: string | string[] | undefined): Encoding | 'legacy-json' | undefined {
  if (header === CONTENT_TYPE.json) return 'json';
  const contentType = String(header ?? '').split(';')[0].trim().toLowerCase();
  return contentType === CONTENT_TYPE.json ? 'json' : contentType === CONTENT_TYPE.cbor ? 'cbor' : contentType === 'application/json' ? 'legacy-json' : undefined;
}

function preflight(exchange: Exchange): void {
  const { req, headers } = exchange;
  const allowHeaders = req.headers['access-control-request-headers'];
  const allowMethods = req.headers['access-control-request-method'];
  if (allowHeaders) headers.push('Access-Control-Allow-Headers', String(allowHeaders));
  if (allowMethods) headers.push('Access-Control-Allow-Methods', String(allowMethods));
  headers.push('Access-Control-Max-Age', CORS_MAX_AGE);
  exchange.send(200, undefined, '');
}

/**
 * 413 with an empty body (kinesalite's recording), keeping none of the upload. HTTP/1.1 answers at
 * once and closes the connection. HTTP/2 must let the upload finish first: Node answers DATA that
 * keeps arriving after an early response with RST_STREAM ENHANCE_YOUR_CALM, and the client would
 * see that instead of the 413. An upload that goes on past DISCARD_LIMIT_BYTES is reset.
 */
function refuseOversized(exchange: Exchange): void {
  const { req } = exchange;
  if (!('stream' in req)) {
    exchange.headers.push('Connection', 'close');
    return exchange.send(413, undefined, '');
  }
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) req.stream.close(http2constants.NGHTTP2_REFUSED_STREAM);
  });
  req.on('end', () => exchange.send(413, undefined, ''));
  req.resume();
}
