import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { DestinationSecrets } from '../domain/delivery-stream.js';
import type { ProcessedRecord } from '../processing/pipeline.js';
import { exchange, type Exchange } from './destination-http.js';
import {
  retryDurationMs,
  retryWithBackoff,
  type AttemptVerdict,
  type DeliveryAttemptContext,
  type DeliveryStats,
  type DestinationOutcome,
  type RecordFailure,
} from './retry.js';

export type { DeliveryAttemptContext, DeliveryStats, DestinationOutcome, RecordFailure } from './retry.js';

/**
 * The HTTP endpoint destination, request for request as FIREHOSE-SPEC §12 describes it: a JSON
 * POST `{requestId, timestamp, records:[{data}]}` with the X-Amz-Firehose-* headers, only a 200
 * echoing the requestId counts, 413 is final, anything else is retried with backoff until
 * RetryOptions.DurationInSeconds runs out. Deviation (§20.4): `http://` URLs are accepted besides
 * the model's `https://`, so a receiver on the loopback needs no certificate.
 */

/** §12: one request carries at most 10,000 records … */
export const MAX_RECORDS_PER_REQUEST = 10_000;
/** … and at most 64 MiB of body before compression. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1_048_576;
/** §12: the endpoint's errorMessage is at most 8,192 characters (longer ones are cut to this). */
export const MAX_ENDPOINT_ERROR_MESSAGE = 8_192;
/** Requests of one batch in flight at once: Millrace's choice (how many AWS sends at once is UNVERIFIED). */
export const REQUESTS_IN_FLIGHT = 4;
/** §12: X-Amz-Firehose-Protocol-Version. */
export const PROTOCOL_VERSION = '1.0';

/**
 * AWS's HttpEndpoint.* codes and messages (§12; dg2023 monitoring-with-cloudwatch-logs "HTTPS Endpoint
 * Data Delivery Errors" and http_troubleshooting). The error record's DestinationException text is
 * the documented record's ("Received the following response … {body}"); the log line's is the
 * troubleshooting page's ("The following response was received … 413: {body}").
 */
export const HTTP_ENDPOINT_ERRORS = {
  RequestTimeout: 'The delivery timed out before a response was received and will be retried. If this error persists, contact the AWS Firehose service team.',
  ResponseTooLarge: 'The response received from the endpoint is too large. Contact the owner of the endpoint to resolve this issue.',
  InvalidResponseFromDestination: 'The response received from the specified endpoint is invalid. Contact the owner of the endpoint to resolve the issue.',
  /** Followed by the endpoint's response body, as in the documented http-endpoint-failed error record. */
  DestinationException: 'Received the following response from the endpoint destination.',
  ConnectionFailed: 'Unable to connect to the destination endpoint. Contact the owner of the endpoint to resolve this issue.',
  ConnectionReset: 'Unable to maintain connection with the endpoint. Contact the owner of the endpoint to resolve this issue.',
  /** [dg2023 http_troubleshooting] names the code and its meaning; the message text is UNVERIFIED. */
  SSLHandshakeFailure: 'An SSL handshake could not be successfully completed with the configured endpoint. Contact the owner of the endpoint to resolve this issue.',
} as const;

const gzipAsync = promisify(gzip);

/** The destination's own description, whether given the whole DestinationDescription or just its part. */
export function destinationPart(description: Record<string, unknown>, member: string): Record<string, unknown> {
  const inner = description[member];
  return inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : description;
}

/** `{"commonAttributes":{…}}`, non-ASCII escaped so the header stays a valid header value. */
export function commonAttributesHeader(attributes: unknown): string {
  const map: Record<string, string> = {};
  if (Array.isArray(attributes)) {
    for (const attribute of attributes as Array<{ AttributeName?: unknown; AttributeValue?: unknown }>) {
      if (typeof attribute?.AttributeName === 'string') map[attribute.AttributeName] = String(attribute.AttributeValue ?? '');
    }
  }
  return JSON.stringify({ commonAttributes: map }).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Positions of `records` grouped into requests within the record and byte limits. */
export function splitIntoRequests(records: ProcessedRecord[]): number[][] {
  const requests: number[][] = [];
  let current: number[] = [];
  let bytes = 0;
  for (let position = 0; position < records.length; position++) {
    // `{"data":"…"},` around the base64 text; the envelope's few dozen bytes are left as margin.
    const size = 12 + Math.ceil(records[position]!.data.length / 3) * 4;
    if (current.length && (current.length >= MAX_RECORDS_PER_REQUEST || bytes + size > MAX_REQUEST_BODY_BYTES - 128)) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(position);
    bytes += size;
  }
  if (current.length) requests.push(current);
  return requests;
}

/** The JSON body of one request; `timestamp` is when the request was first sent (it stays the same on retries). */
export function requestBody(requestId: string, timestamp: number, records: ProcessedRecord[], positions: number[]): Buffer {
  // Written straight into one buffer of the exact size (the body is ASCII): no 64 MiB string to build and encode.
  const head = `{"requestId":"${requestId}","timestamp":${timestamp},"records":[`;
  let size = head.length + 2 + Math.max(0, positions.length - 1);
  for (const position of positions) size += 11 + Math.ceil(records[position]!.data.length / 3) * 4;
  const body = Buffer.allocUnsafe(size);
  let offset = body.write(head, 0, 'latin1');
  positions.forEach((position, i) => {
    if (i) body[offset++] = 0x2c; // ,
    offset += body.write('{"data":"', offset, 'latin1');
    offset += body.write(records[position]!.data.toString('base64'), offset, 'latin1');
    offset += body.write('"}', offset, 'latin1');
  });
  offset += body.write(']}', offset, 'latin1');
  return body.subarray(0, offset);
}

/** Fields a response body may have (§12); any other makes it "unexpected fields" [dg2023 http_troubleshooting]. */
const RESPONSE_FIELDS = new Set(['requestId', 'timestamp', 'errorMessage']);

/** Why a 200 is not a valid answer, or undefined when it is [dg2023 http_troubleshooting "Invalid Response"]. */
function invalidResponse(result: Extract<Exchange, { kind: 'response' }>, requestId: string): boolean {
  const contentType = String(result.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (contentType !== 'application/json') return true; // "No other content-type is accepted"
  // "Content-Encoding MUST NOT be used"; "Content-Length MUST be present if the response has a body" [dg2023 httpdeliveryrequestresponse].
  if (result.headers['content-encoding'] !== undefined && result.headers['content-encoding'] !== 'identity') return true;
  if (result.body.length > 0 && result.headers['content-length'] === undefined) return true;
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.body.toString('utf8'));
  } catch {
    return true;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return true;
  const fields = parsed as Record<string, unknown>;
  if (Object.keys(fields).some((key) => !RESPONSE_FIELDS.has(key))) return true;
  return fields.requestId !== requestId || typeof fields.timestamp !== 'number';
}

/** Reads the verdict of §12 from one exchange; `logMessage` is the CloudWatch Logs form of the error. */
export function httpEndpointVerdict(result: Exchange, requestId: string): AttemptVerdict<void> & { status?: number; logMessage?: string } {
  if (result.kind === 'failure') {
    const errorCode = {
      timeout: 'HttpEndpoint.RequestTimeout',
      'too-large': 'HttpEndpoint.ResponseTooLarge',
      connect: 'HttpEndpoint.ConnectionFailed',
      tls: 'HttpEndpoint.SSLHandshakeFailure',
      'tls-host': 'HttpEndpoint.SSLHandshakeFailure',
      reset: 'HttpEndpoint.ConnectionReset',
    }[result.failure];
    return { ok: false, permanent: false, errorCode, errorMessage: HTTP_ENDPOINT_ERRORS[errorCode.slice('HttpEndpoint.'.length) as keyof typeof HTTP_ENDPOINT_ERRORS] };
  }
  const { status, body } = result;
  const text = body.toString('utf8');
  if (status === 200) {
    if (!invalidResponse(result, requestId)) return { ok: true, value: undefined, status };
    return {
      ok: false,
      permanent: false,
      status,
      errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
      errorMessage: `${HTTP_ENDPOINT_ERRORS.InvalidResponseFromDestination} Response for request ${requestId} is not recognized as valid JSON or has unexpected fields. Raw response received: ${status} ${truncated(text)}`,
    };
  }
  // §12: the status must be 2xx, 4xx or 5xx; a redirect (never followed) or anything else is an invalid response.
  if (status < 200 || (status > 299 && status < 400) || status > 599) {
    return {
      ok: false,
      permanent: false,
      status,
      errorCode: 'HttpEndpoint.InvalidResponseFromDestination',
      errorMessage: `${HTTP_ENDPOINT_ERRORS.InvalidResponseFromDestination} Response for request ${requestId} is not recognized as valid JSON or has unexpected fields. Raw response received: ${status} ${truncated(text)}`,
    };
  }
  // Any other status, 2xx other than 200 included, is a destination exception [dg2023 http_troubleshooting].
  return {
    ok: false,
    permanent: status === 413,
    status,
    errorCode: 'HttpEndpoint.DestinationException',
    errorMessage: `${HTTP_ENDPOINT_ERRORS.DestinationException} ${cutEndpointMessage(text)}`,
    logMessage: `The following response was received from the endpoint destination. ${status}: ${truncated(text)}`,
  };
}

/** Logs carry "a truncated response payload" [dg2023 http_troubleshooting]; the cut is at the errorMessage bound. */
function truncated(text: string): string {
  return text.length > MAX_ENDPOINT_ERROR_MESSAGE ? text.slice(0, MAX_ENDPOINT_ERROR_MESSAGE) : text;
}

/** The endpoint's body as it goes into the error record: its errorMessage field is bounded by §12's 8,192. */
function cutEndpointMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { errorMessage?: unknown };
    if (parsed && typeof parsed.errorMessage === 'string' && parsed.errorMessage.length > MAX_ENDPOINT_ERROR_MESSAGE) {
      return JSON.stringify({ ...parsed, errorMessage: parsed.errorMessage.slice(0, MAX_ENDPOINT_ERROR_MESSAGE) });
    }
  } catch {
    // not JSON: kept as received
  }
  return text;
}

/** What one attempt needs from the description and secrets (read again on retries: §12). */
interface HttpEndpointSettings {
  url?: URL;
  gzipped: boolean;
  headers: Record<string, string>;
  durationMs: number;
}

function httpEndpointSettings(description: Record<string, unknown>, secrets: DestinationSecrets, deliveryStreamArn: string): HttpEndpointSettings {
  const settings = destinationPart(description, 'HttpEndpointDestinationDescription');
  const endpoint = settings.EndpointConfiguration as { Url?: string } | undefined;
  const requestConfiguration = (settings.RequestConfiguration ?? {}) as { ContentEncoding?: string; CommonAttributes?: unknown };
  const gzipped = requestConfiguration.ContentEncoding === 'GZIP';
  let url: URL | undefined;
  try {
    url = endpoint?.Url ? new URL(endpoint.Url) : undefined;
  } catch {
    url = undefined;
  }
  // http: is a documented deviation (§20.4): a local receiver rarely has a certificate.
  if (url && url.protocol !== 'https:' && url.protocol !== 'http:') url = undefined;
  // AWS authenticates with the access key header only; user:password in the URL is not sent as basic auth.
  if (url) url.username = url.password = '';
  const headers: Record<string, string> = {
    'X-Amz-Firehose-Protocol-Version': PROTOCOL_VERSION,
    'Content-Type': 'application/json',
    'X-Amz-Firehose-Source-Arn': deliveryStreamArn,
    'X-Amz-Firehose-Common-Attributes': commonAttributesHeader(requestConfiguration.CommonAttributes),
    ...(gzipped ? { 'Content-Encoding': 'gzip' } : {}),
    // Absent when unset (UNVERIFIED, §12).
    ...(secrets.httpEndpointAccessKey !== undefined ? { 'X-Amz-Firehose-Access-Key': secrets.httpEndpointAccessKey } : {}),
  };
  return { url, gzipped, headers, durationMs: retryDurationMs(settings) };
}

/** Sends the records (one JSON request per ≤ 64 MiB / 10,000 records), retrying per §12 until RetryOptions runs out. */
export async function deliverToHttpEndpoint(
  records: ProcessedRecord[],
  description: Record<string, unknown>,
  secrets: DestinationSecrets,
  context: DeliveryAttemptContext,
): Promise<DestinationOutcome> {
  const now = context.now ?? Date.now;
  let settings = httpEndpointSettings(description, secrets, context.deliveryStreamArn);
  const failures: RecordFailure[] = [];
  const stats: DeliveryStats = { deliveredRecords: 0, deliveredBytes: 0, requests: 0, successfulRequests: 0 };
  let maxAttempts = 0;
  let last: { errorCode: string; errorMessage: string; permanent: boolean; endedAt: number } | undefined;
  // Requests of one batch go out side by side (a bounded few), so a batch of many requests is not
  // held for one retry window per request while the endpoint is down.
  await forEachBounded(splitIntoRequests(records), REQUESTS_IN_FLIGHT, async (positions) => {
    const requestId = randomUUID();
    const timestamp = now();
    const json = requestBody(requestId, timestamp, records, positions);
    let gzippedBody: Buffer | undefined;
    const result = await retryWithBackoff<void>(
      async (attempt) => {
        if (attempt > 1 && context.reload) {
          const current = await context.reload();
          if (current) settings = httpEndpointSettings(current.description, current.secrets, context.deliveryStreamArn);
        }
        const { url, gzipped } = settings;
        if (!url) return { ok: false, permanent: false, errorCode: 'HttpEndpoint.ConnectionFailed', errorMessage: HTTP_ENDPOINT_ERRORS.ConnectionFailed };
        const body = gzipped ? (gzippedBody ??= await gzipAsync(json)) : json;
        const headers = { ...settings.headers, 'X-Amz-Firehose-Request-Id': requestId };
        const response = await exchange({ url, headers, body, ca: context.ca, timeoutMs: context.responseTimeoutMs, signal: context.signal });
        const verdict = httpEndpointVerdict(response, requestId);
        stats.requests++;
        if (verdict.ok) stats.successfulRequests++;
        context.log.debug(
          { destination: 'HttpEndpoint', deliveryStreamArn: context.deliveryStreamArn, requestId, records: positions.length, bytes: json.length, attempt, status: verdict.status, ok: verdict.ok, errorCode: verdict.ok ? undefined : verdict.errorCode },
          'delivery attempt',
        );
        return verdict;
      },
      () => settings.durationMs,
      { ...context, what: 'HttpEndpoint' },
    );
    maxAttempts = Math.max(maxAttempts, result.attempts);
    if (result.verdict.ok) {
      stats.deliveredRecords += positions.length;
      for (const position of positions) stats.deliveredBytes += records[position]!.data.length;
    } else {
      const { errorCode, errorMessage, permanent } = result.verdict;
      last = { errorCode, errorMessage, permanent, endedAt: result.endedAt };
      for (const position of positions) {
        failures.push({ position, attempts: result.attempts, errorCode, errorMessage, toErrorOutput: !is413(result.verdict), attemptEndingTimestamp: result.endedAt });
      }
    }
  });
  failures.sort((a, b) => a.position - b.position);
  if (!last) return { ok: true, attempts: maxAttempts, stats };
  return {
    ok: false,
    stats,
    attempts: Math.max(...failures.map((f) => f.attempts)),
    errorCode: last.errorCode,
    errorMessage: last.errorMessage,
    permanent: last.permanent,
    failedIndexes: failures.map((f) => f.position),
    failures,
    toErrorOutput: failures.some((f) => f.toErrorOutput),
    attemptEndingTimestamp: last.endedAt,
  };
}

/** Runs `work` over the items with at most `limit` running at once; rejects on the first rejection (an abort). */
async function forEachBounded<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** §12: a 413 is final and its batch does not go to the error output. */
function is413(verdict: AttemptVerdict<void>): boolean {
  return (verdict as { status?: number }).status === 413;
}
