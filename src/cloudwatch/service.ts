import { gunzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { readCredentials } from '../protocol/auth.js';
import type { Authenticator } from '../protocol/authenticator.js';
import { decodeBody } from '../protocol/codec.js';
import { AwsError } from '../protocol/errors.js';
import { readBody, type ServerRequest, type ServerResponse } from '../protocol/http-exchange.js';
import type { HttpService } from '../protocol/router.js';
import type { RequestHandler } from '../transport/listener.js';
import { UNKNOWN, type RequestMetrics } from '../metrics/request-metrics.js';
import type { CloudWatchContext, Operation } from './context.js';
import type { MetricStore } from './domain/metric-store.js';
import { CloudWatchError, internalServiceFault, invalidAction, requestTooLarge, serializationError } from './errors.js';
import { MAX_PUT_BYTES } from './limits.js';
import { readInput, type Protocol } from './protocol/input.js';
import { CLOUDWATCH_MODEL, SIGNING_NAME, TARGET_PREFIX } from './protocol/model.js';
import { cborError, cborOf, jsonError, jsonOf, queryErrorHeader, xmlError, xmlOf } from './protocol/output.js';
import GetMetricData from './operations/GetMetricData.js';
import GetMetricStatistics from './operations/GetMetricStatistics.js';
import ListMetrics from './operations/ListMetrics.js';
import PutMetricData from './operations/PutMetricData.js';

/**
 * CloudWatch metrics on Millrace's endpoint (CONSOLE-SPEC §2.4): PutMetricData (what KCL, KPL and
 * applications publish), ListMetrics, GetMetricStatistics and GetMetricData, over the three
 * protocols current clients use — JSON 1.0 (boto3, AWS CLI v1, the JS SDK), RPC v2 CBOR (Go and
 * Java SDK v2, so KCL) and the query protocol (AWS CLI v2). The other operations of the model
 * (alarms, dashboards, …) are answered as unknown actions.
 */
const OPERATIONS: Record<string, Operation> = { PutMetricData, ListMetrics, GetMetricStatistics, GetMetricData };

/** RPC v2 CBOR's request path: `/service/{service}/operation/{operation}`. */
const CBOR_PATH = `/service/${TARGET_PREFIX}/operation/`;
const CONTENT_TYPES: Record<Protocol, string> = { json: 'application/x-amz-json-1.0', cbor: 'application/cbor', query: 'text/xml' };

export interface CloudWatchService extends HttpService {
  /** Requests whose X-Amz-Target starts so are CloudWatch's (JSON 1.0). */
  readonly targetPrefix: string;
}

export interface CloudWatchOptions {
  metrics: MetricStore;
  authenticator: Authenticator;
  log: Logger;
  bodyIdleTimeoutMs: number;
  now?: () => number;
  /** Runs before a read (ListMetrics, Get*): publishes this node's own metrics, so a read sees every put before it. */
  beforeRead?: () => Promise<void>;
  /** Counts requests beside the JSON pipeline's (`millrace_requests_total{service="cloudwatch"}`). */
  requests?: RequestMetrics;
}

export function createCloudWatchService(options: CloudWatchOptions): CloudWatchService {
  const handle: RequestHandler = (req, res) => {
    serve(req, res, options).catch((err) => {
      options.log.error({ err }, 'CloudWatch request failed');
      if (!res.headersSent) {
        res.writeHead(500);
        res.end();
      }
    });
  };
  return {
    signingNames: [SIGNING_NAME],
    targetPrefix: `${TARGET_PREFIX}.`,
    // RPC v2 CBOR clients always sign; an unsigned request on that path is still CloudWatch's to refuse.
    claimsAnonymous: (req) => (req.url ?? '').startsWith(CBOR_PATH),
    handle,
  };
}

/** Which protocol a request speaks, and the operation it names (query: read from the form later). */
function protocolOf(req: ServerRequest): { protocol: Protocol; operation?: string } {
  const url = req.url ?? '/';
  if (url.startsWith(CBOR_PATH)) return { protocol: 'cbor', operation: url.slice(CBOR_PATH.length).split('?')[0] };
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string' && target.startsWith(`${TARGET_PREFIX}.`)) return { protocol: 'json', operation: target.slice(TARGET_PREFIX.length + 1) };
  return { protocol: 'query' };
}

async function serve(req: ServerRequest, res: ServerResponse, options: CloudWatchOptions): Promise<void> {
  const requestId = randomUUID();
  const started = performance.now();
  const { protocol, operation: named } = protocolOf(req);
  let operation = named ?? '';
  const reply = (status: number, body: Buffer | string, extra: Record<string, string> = {}) => {
    res.setHeader('x-amzn-RequestId', requestId);
    if (protocol === 'cbor') res.setHeader('smithy-protocol', 'rpc-v2-cbor');
    for (const [name, value] of Object.entries(extra)) res.setHeader(name, value);
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    if (bytes.length > 0 || protocol !== 'cbor') res.setHeader('Content-Type', CONTENT_TYPES[protocol]);
    res.setHeader('Content-Length', bytes.length);
    res.writeHead(status);
    res.end(bytes);
    const known = OPERATIONS[operation] !== undefined;
    options.requests?.operation('cloudwatch', known ? operation : UNKNOWN).observe(status, status >= 400 ? errorCode : undefined, (performance.now() - started) / 1000);
    options.log.debug({ requestId, service: 'CloudWatch', operation, protocol, status, durationMs: Math.round((performance.now() - started) * 1000) / 1000 }, 'request');
  };
  let errorCode: string | undefined;
  const fail = (error: CloudWatchError) => {
    errorCode = error.shape;
    const extra = { 'x-amzn-query-error': queryErrorHeader(error) };
    if (protocol === 'query') return reply(error.status, xmlError(error, requestId));
    if (protocol === 'cbor') return reply(error.status, cborError(error), extra);
    return reply(error.status, jsonError(error), { ...extra, 'x-amzn-ErrorType': error.shape });
  };
  try {
    let body = await readBody(req, options.bodyIdleTimeoutMs);
    if (body === undefined) return fail(requestTooLarge(Number(req.headers['content-length']), MAX_PUT_BYTES));
    // botocore gzips PutMetricData bodies from 10 KiB (§2.4.2).
    if (String(req.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
      try {
        body = gunzipSync(body, { maxOutputLength: MAX_PUT_BYTES + 1 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return fail(requestTooLarge(MAX_PUT_BYTES + 1, MAX_PUT_BYTES));
        return fail(serializationError());
      }
    }
    if (body.length > MAX_PUT_BYTES) return fail(requestTooLarge(body.length, MAX_PUT_BYTES));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const credentials = readCredentials(req.headers as Record<string, string | string[] | undefined>, url.searchParams);
    const caller = await options.authenticator.authenticate(req, body, credentials);

    let raw: unknown;
    if (protocol === 'query') {
      const form = new URLSearchParams(body.length ? body.toString('utf8') : url.search);
      operation = form.get('Action') ?? '';
      raw = form;
    } else {
      try {
        raw = body.length === 0 ? {} : protocol === 'json' ? JSON.parse(body.toString('utf8')) : decodeBody('cbor', body);
      } catch {
        return fail(serializationError());
      }
    }
    const run = OPERATIONS[operation];
    if (!run || !CLOUDWATCH_MODEL.operations[operation]) return fail(invalidAction(operation));
    const input = readInput(operation, raw, protocol);
    if (operation !== 'PutMetricData') await options.beforeRead?.();
    const context: CloudWatchContext = {
      account: caller.account,
      region: caller.region,
      requestId,
      metrics: options.metrics,
      log: options.log,
      now: options.now ?? Date.now,
    };
    const result = await run(input, context);
    if (protocol === 'query') return reply(200, xmlOf(operation, result, requestId));
    if (protocol === 'cbor') return reply(200, result === undefined ? Buffer.alloc(0) : cborOf(result));
    return reply(200, result === undefined ? '{}' : jsonOf(result));
  } catch (err) {
    if (err instanceof CloudWatchError) return fail(err);
    // Signature and credential errors keep their own code and status.
    if (err instanceof AwsError) return fail(new CloudWatchError(err.type, err.type, err.message, err.status));
    options.log.warn({ err, requestId, operation }, 'CloudWatch request failed');
    return fail(internalServiceFault());
  }
}
