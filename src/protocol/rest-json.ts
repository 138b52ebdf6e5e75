import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { MemberRef, ServiceModel, Shape } from '../model/service-model.js';
import { readCredentials, type Credentials } from './auth.js';
import type { Authenticator, Caller } from './authenticator.js';
import { AwsError, internalFailure, serializationError } from './errors.js';
import { readBody, sendRaw, type ServerRequest, type ServerResponse } from './http-exchange.js';
import type { RequestHandler } from '../transport/listener.js';

/**
 * The REST-JSON protocol (Kinesis Video Streams and its media APIs, and any later REST service):
 * the operation is found by method and path as the model's `http` traits say (`requestUri` with
 * `{Label}` and greedy `{Label+}` segments and literal query parts); its input is gathered from
 * the labels, query string, headers and JSON body as each member's `location` says; the output is
 * written back the same way, a streaming blob payload piped as it comes; errors carry
 * `x-amzn-ErrorType` and a JSON body with the exception's message member.
 */

/** botocore member traits that place a member outside the JSON body. */
interface LocatedRef extends MemberRef {
  location?: 'uri' | 'querystring' | 'header' | 'headers' | 'statusCode';
  locationName?: string;
}

interface RestShape extends Shape {
  payload?: string;
  streaming?: boolean;
  timestampFormat?: 'iso8601' | 'rfc822' | 'unixTimestamp';
  error?: { httpStatusCode?: number; senderFault?: boolean };
  fault?: boolean;
}

interface RestOperation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: MemberRef;
  output?: MemberRef;
}

export interface RestJsonModel {
  metadata: { apiVersion: string; endpointPrefix: string; signingName?: string };
  operations: Record<string, RestOperation>;
  shapes: Record<string, RestShape>;
}

export interface RestRequestContext {
  requestId: string;
  account: string;
  region: string;
  credentials: Credentials;
  log: Logger;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** The model the operation belongs to (a service may serve several, e.g. Video's three). */
  model: RestJsonModel;
}

export interface RestJsonService {
  /** The models whose operations this service answers; their paths must not collide. */
  models: readonly RestJsonModel[];
  authenticator: Authenticator;
  /**
   * Checks the gathered input against the model (types, required, lengths, patterns) and returns
   * it typed; a streaming payload member is added after this check.
   */
  parseInput(model: RestJsonModel, operation: string, input: Record<string, unknown>): Record<string, unknown>;
  invoke(operation: string, input: Record<string, unknown>, context: RestRequestContext): Promise<Record<string, unknown> | undefined>;
  /** The suffix AWS appends to the error type header, e.g. `:https://kinesisvideo.amazonaws.com/doc/2017-09-30/`. */
  errorTypeSuffix?: string;
}

export interface RestJsonOptions {
  bodyIdleTimeoutMs: number;
}

interface Route {
  model: RestJsonModel;
  operation: RestOperation;
  method: string;
  pattern: RegExp;
  labels: string[];
  /** Literal query parameters the path requires (`?uploads`, `?x-id=GetObject`). */
  literalQuery: [string, string | undefined][];
  /** Literal characters, to try the most specific route first. */
  specificity: number;
}

export const JSON_CONTENT_TYPE = 'application/json';
const NO_CONTENT = Buffer.alloc(0);

/** Compiles the `http` traits of every operation into routes, most specific first. */
export function compileRoutes(models: readonly RestJsonModel[]): Route[] {
  const routes: Route[] = [];
  for (const model of models) {
    for (const operation of Object.values(model.operations)) {
      const [path, query = ''] = operation.http.requestUri.split('?');
      const labels: string[] = [];
      let source = '';
      let literal = 0;
      for (const part of path.split(/(\{[^}]+\})/)) {
        const label = /^\{([^}+]+)(\+?)\}$/.exec(part);
        if (label) {
          labels.push(label[1]);
          source += label[2] ? '(.+)' : '([^/]+)';
        } else {
          source += part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          literal += part.length;
        }
      }
      const literalQuery = query
        .split('&')
        .filter(Boolean)
        .map((pair) => {
          const eq = pair.indexOf('=');
          return (eq === -1 ? [pair, undefined] : [pair.slice(0, eq), pair.slice(eq + 1)]) as [string, string | undefined];
        });
      routes.push({
        model,
        operation,
        method: operation.http.method,
        pattern: new RegExp(`^${source}$`),
        labels,
        literalQuery,
        specificity: literal * 10 + literalQuery.length,
      });
    }
  }
  return routes.sort((a, b) => b.specificity - a.specificity);
}

/** The route for a method and URL, or undefined. */
export function matchRoute(routes: Route[], method: string, url: URL): { route: Route; labels: Record<string, string> } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(url.pathname);
    if (!match) continue;
    if (!route.literalQuery.every(([key, value]) => url.searchParams.has(key) && (value === undefined || url.searchParams.get(key) === value))) continue;
    const labels: Record<string, string> = {};
    route.labels.forEach((name, i) => {
      labels[name] = decodeURIComponent(match[i + 1]);
    });
    return { route, labels };
  }
  return undefined;
}

export function createRestJsonHandler(service: RestJsonService, log: Logger, options: RestJsonOptions): RequestHandler {
  const routes = compileRoutes(service.models);
  return (req, res) => {
    handle(service, routes, log, options, req, res).catch((err) => {
      log.error({ err }, 'unhandled error while answering a REST request');
      if (!res.headersSent) sendRaw(res, 500, undefined, '');
      else res.end();
    });
  };
}

async function handle(service: RestJsonService, routes: Route[], log: Logger, options: RestJsonOptions, req: ServerRequest, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  res.setHeader('x-amzn-RequestId', requestId);
  const url = new URL(req.url ?? '/', 'http://localhost');
  const found = matchRoute(routes, req.method ?? 'GET', url);
  if (!found) {
    req.resume();
    return sendError(res, new AwsError('UnknownOperationException', undefined, 404), service, undefined);
  }
  const { route, labels } = found;
  const model = route.model;
  const inputShape = route.operation.input ? model.shapes[route.operation.input.shape] : undefined;
  const payloadName = inputShape?.payload;
  const payloadShape = payloadName ? model.shapes[inputShape!.members![payloadName].shape] : undefined;
  const streamingPayload = payloadShape?.type === 'blob' && payloadShape.streaming === true;

  let controller: AbortController | undefined;
  const started = performance.now();
  let named: string | undefined;
  res.on('close', () => {
    if (!res.writableEnded) controller?.abort();
    // The request's one line at debug (issue 18 §6): service, operation, stream, status, duration.
    if (log.isLevelEnabled('debug')) {
      log.debug({ requestId, service: model.metadata.endpointPrefix, operation: route.operation.name, stream: named, status: res.statusCode, durationMs: Math.round((performance.now() - started) * 1000) / 1000 }, 'request');
    }
  });
  try {
    // A streaming payload (PutMedia-style uploads) is handed on unread; anything else is read whole.
    const body = streamingPayload ? NO_CONTENT : await readBody(req, options.bodyIdleTimeoutMs);
    if (body === undefined) return sendError(res, new AwsError('SerializationException', 'Request body is too large', 413), service, model);
    const query = url.search ? url.searchParams : new URLSearchParams();
    const credentials = readCredentials(req.headers as Record<string, string | string[] | undefined>, query);
    const caller: Caller = await service.authenticator.authenticate(req, body, credentials);
    const gathered = inputShape ? gatherInput(model, inputShape, labels, url.searchParams, req.headers, body, payloadName) : {};
    const input = service.parseInput(model, route.operation.name, gathered);
    if (streamingPayload) input[payloadName!] = req;
    const context: RestRequestContext = {
      requestId,
      ...caller,
      credentials,
      log,
      model,
      get signal() {
        controller ??= new AbortController();
        if (res.destroyed && !res.writableEnded) controller.abort();
        return controller.signal;
      },
    };
    named = [input.StreamName, input.DeliveryStreamName, input.ApplicationName, input.FunctionName, input.Bucket].find((v): v is string => typeof v === 'string');
    const output = await service.invoke(route.operation.name, input, context);
    await sendOutput(res, model, route.operation, output ?? {});
  } catch (err) {
    if (!streamingPayload) req.resume();
    if (err instanceof AwsError) return sendError(res, err, service, model);
    log.warn({ err, requestId, operation: route.operation.name }, 'internal failure');
    return sendError(res, internalFailure(), service, model);
  }
}

/**
 * The input as one JSON-like object, members named as in the model: labels and query and header
 * values converted to their shapes' JSON types, so that one validator checks them all.
 */
function gatherInput(
  model: RestJsonModel,
  shape: RestShape,
  labels: Record<string, string>,
  query: URLSearchParams,
  headers: ServerRequest['headers'],
  body: Buffer,
  payloadName: string | undefined,
): Record<string, unknown> {
  let input: Record<string, unknown> = {};
  const members = shape.members as Record<string, LocatedRef> | undefined;
  if (payloadName) {
    const payloadShape = model.shapes[members![payloadName].shape];
    if (payloadShape.type === 'blob') input[payloadName] = body.toString('base64');
    else if (body.length) input[payloadName] = parseJsonObject(body);
  } else if (body.length) {
    input = parseJsonObject(body);
  }
  for (const [name, ref] of Object.entries(members ?? {})) {
    const memberShape = model.shapes[ref.shape];
    switch (ref.location) {
      case 'uri': {
        const value = labels[ref.locationName ?? name];
        if (value !== undefined) input[name] = fromText(memberShape, value, 'uri');
        break;
      }
      case 'querystring': {
        const key = ref.locationName ?? name;
        if (memberShape.type === 'list') {
          const values = query.getAll(key);
          if (values.length) input[name] = values.map((v) => fromText(model.shapes[memberShape.member!.shape], v, 'querystring'));
        } else if (memberShape.type === 'map') {
          input[name] = Object.fromEntries(query);
        } else if (query.has(key)) {
          input[name] = fromText(memberShape, query.get(key)!, 'querystring');
        }
        break;
      }
      case 'header': {
        const raw = headers[(ref.locationName ?? name).toLowerCase()];
        if (raw !== undefined) input[name] = fromText(memberShape, Array.isArray(raw) ? raw.join(',') : raw, 'header');
        break;
      }
      case 'headers': {
        const prefix = (ref.locationName ?? '').toLowerCase();
        const map: Record<string, string> = {};
        for (const [key, value] of Object.entries(headers)) {
          if (key.startsWith(prefix) && typeof value === 'string') map[key.slice(prefix.length)] = value;
        }
        if (Object.keys(map).length) input[name] = map;
        break;
      }
      default:
        break;
    }
  }
  return input;
}

function parseJsonObject(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw serializationError();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw serializationError();
  return parsed as Record<string, unknown>;
}

/** A label, query or header value as the JSON value its shape takes in a body. */
function fromText(shape: RestShape, text: string, location: 'uri' | 'querystring' | 'header'): unknown {
  switch (shape.type) {
    case 'integer':
    case 'long': {
      const n = Number(text);
      if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) throw serializationError(`Cannot convert '${text}' to a number`);
      return n;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw serializationError(`Cannot convert '${text}' to a boolean`);
      return text === 'true';
    case 'timestamp': {
      // Headers default to HTTP dates, labels and query strings to ISO 8601 (smithy's defaults).
      const format = shape.timestampFormat ?? (location === 'header' ? 'rfc822' : 'iso8601');
      const ms = format === 'unixTimestamp' ? Number(text) * 1000 : Date.parse(text);
      if (!Number.isFinite(ms)) throw serializationError(`Cannot convert '${text}' to a timestamp`);
      return ms / 1000;
    }
    case 'blob':
      return location === 'header' ? text : Buffer.from(text).toString('base64');
    default:
      return text;
  }
}

/** Headers, status code and body of an output, as its members' locations say. */
async function sendOutput(res: ServerResponse, model: RestJsonModel, operation: RestOperation, output: Record<string, unknown>): Promise<void> {
  const shape = operation.output ? model.shapes[operation.output.shape] : undefined;
  let status = operation.http.responseCode ?? 200;
  const body: Record<string, unknown> = {};
  let payload: unknown;
  const members = (shape?.members ?? {}) as Record<string, LocatedRef>;
  for (const [name, value] of Object.entries(output)) {
    if (value === undefined) continue;
    const ref = members[name];
    if (name === shape?.payload) {
      payload = value;
      continue;
    }
    switch (ref?.location) {
      case 'header':
        res.setHeader(ref.locationName ?? name, headerText(model.shapes[ref.shape], value));
        break;
      case 'headers':
        for (const [key, text] of Object.entries(value as Record<string, string>)) res.setHeader(`${ref.locationName ?? ''}${key}`, text);
        break;
      case 'statusCode':
        status = Number(value);
        break;
      default:
        body[name] = value;
    }
  }
  if (shape?.payload) {
    const payloadShape = model.shapes[members[shape.payload].shape];
    if (payload instanceof Readable) {
      if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/octet-stream');
      res.writeHead(status);
      // A live stream (GetMedia NOW) may have nothing to send yet: the client must get its headers now.
      (res as { flushHeaders?: () => void }).flushHeaders?.();
      payload.on('error', () => res.destroy());
      payload.pipe(res as NodeJS.WritableStream);
      return;
    }
    if (payloadShape.type === 'blob') {
      const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(String(payload ?? ''));
      return sendRaw(res, status, res.hasHeader('Content-Type') ? undefined : 'application/octet-stream', bytes);
    }
    return sendRaw(res, status, JSON_CONTENT_TYPE, payload === undefined ? '{}' : JSON.stringify(toJson(payload)));
  }
  sendRaw(res, status, JSON_CONTENT_TYPE, JSON.stringify(toJson(body)));
}

function headerText(shape: RestShape, value: unknown): string {
  if (value instanceof Date) return shape.timestampFormat === 'unixTimestamp' ? String(value.getTime() / 1000) : value.toUTCString();
  return String(value);
}

/** Buffers as base64 and Dates as epoch seconds, the REST-JSON body forms. */
function toJson(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toJson);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return value;
}

/**
 * `x-amzn-ErrorType: <Code>[<suffix>]` and a JSON body with the exception's message member as
 * the model spells it (`Message` for Video's exceptions, `message` otherwise).
 */
function sendError(res: ServerResponse, error: AwsError, service: RestJsonService, model: RestJsonModel | undefined): void {
  if (res.headersSent) return void res.end();
  const shape = model?.shapes[error.type];
  const status = shape?.error?.httpStatusCode ?? error.status;
  const messageKey = shape?.members && 'Message' in shape.members ? 'Message' : 'message';
  res.setHeader('x-amzn-ErrorType', `${error.type}${service.errorTypeSuffix ?? ''}`);
  const body: Record<string, string> = error.hasMessage ? { [messageKey]: error.message } : {};
  // Services whose exceptions carry a `Type` member (Lambda) say whose fault it was.
  if (shape?.members && 'Type' in shape.members) body.Type = shape.fault ? 'Service' : 'User';
  sendRaw(res, status, JSON_CONTENT_TYPE, JSON.stringify(body));
}
