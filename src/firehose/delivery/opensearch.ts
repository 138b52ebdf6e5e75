import { createHash } from 'node:crypto';
import type { ProcessedRecord } from '../processing/pipeline.js';
import { exchange, joinUrl, type Exchange } from './destination-http.js';
import { destinationPart } from './http-endpoint.js';
import { retryDurationMs, retryWithBackoff, type DeliveryAttemptContext, type DeliveryStats, type DestinationOutcome, type RecordFailure } from './retry.js';

/**
 * OpenSearch Service, Elasticsearch and OpenSearch Serverless (FIREHOSE-SPEC §13): each attempt is
 * one `_bulk` request naming every document's index explicitly (IndexName + rotation suffix on the
 * record's UTC arrival time), with a document id that stays the same on every retry and redelivery;
 * documents the cluster refuses are retried (only those) until RetryOptions runs out, then come back
 * with the cluster's own status and error, as AWS writes them to `AmazonOpenSearchService_failed/`.
 * The bulk action is `index` (UNVERIFIED: AWS does not say; `index` makes a retried id overwrite).
 *
 * The cluster is the URL in ClusterEndpoint (or CollectionEndpoint); a DomainARN alone names no
 * reachable host here. Requests are not SigV4-signed (Millrace has no IAM to sign with); credentials
 * written into the URL (`https://user:password@host:9200`) are sent as HTTP basic auth.
 */

export type OpenSearchKind = 'Elasticsearch' | 'Amazonopensearchservice' | 'AmazonOpenSearchServerless';

const DESCRIPTION_MEMBER: Record<OpenSearchKind, string> = {
  Elasticsearch: 'ElasticsearchDestinationDescription',
  Amazonopensearchservice: 'AmazonopensearchserviceDestinationDescription',
  AmazonOpenSearchServerless: 'AmazonOpenSearchServerlessDestinationDescription',
};

/**
 * A refused document or request carries the cluster's HTTP status as errorCode and its error as
 * errorMessage [dg2023 basic-deliver: "http error code returned by …", "error message returned by …"].
 * Failures without an HTTP answer (connection, timeout, unreadable response) get these prefixed
 * codes: UNVERIFIED, AWS documents none for them; the names follow its other destinations.
 */
const CODE_PREFIX: Record<OpenSearchKind, string> = { Elasticsearch: 'ES', Amazonopensearchservice: 'OS', AmazonOpenSearchServerless: 'AOSS' };

export const OPENSEARCH_ERROR_MESSAGES = {
  ConnectionFailed: 'Unable to connect to the cluster endpoint. Make sure that the endpoint is valid and reachable.',
  RequestTimeout: 'The delivery timed out before a response was received and will be retried.',
  ConnectionReset: 'Unable to maintain connection with the cluster endpoint.',
  ResponseTooLarge: 'The response received from the cluster is too large.',
  InvalidResponse: 'The response received from the cluster is not a bulk response.',
  NoEndpoint: 'The destination has no ClusterEndpoint: Millrace delivers only to a cluster URL (a DomainARN names no reachable host).',
  /** §13: records must be single-line JSON; one with a line break would corrupt the bulk body. */
  MalformedDocument: 'The record is not a single-line JSON document.',
} as const;

/** The bulk response of OpenSearch / Elasticsearch can be far larger than the HTTP endpoint's 1 MiB (one item per document). */
const MAX_BULK_RESPONSE_BYTES = 256 * 1_048_576;

/** UTC calendar fields of an instant. */
function utc(epochMs: number) {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return { d, yyyy: String(d.getUTCFullYear()), MM: pad(d.getUTCMonth() + 1), dd: pad(d.getUTCDate()), HH: pad(d.getUTCHours()), pad };
}

/**
 * Week of the year for OneWeek: weeks start on Sunday and the days before the year's first Sunday
 * are week 00 (C's `%U`). This reproduces AWS's documented example (2016-02-25 → `-w08`); counting
 * the partial first week as week 1 would give w09.
 */
export function usWeekOfYear(epochMs: number): number {
  const d = new Date(epochMs);
  const startOfYear = Date.UTC(d.getUTCFullYear(), 0, 1);
  const dayOfYear = Math.floor((Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - startOfYear) / 86_400_000);
  return Math.floor((dayOfYear + 7 - d.getUTCDay()) / 7);
}

/** §13: IndexName plus the rotation suffix, on UTC arrival time. OneDay when unset (the documented default). */
export function rotatedIndexName(indexName: string, rotation: string | undefined, arrivalMs: number): string {
  const t = utc(arrivalMs);
  switch (rotation ?? 'OneDay') {
    case 'NoRotation':
      return indexName;
    case 'OneHour':
      return `${indexName}-${t.yyyy}-${t.MM}-${t.dd}-${t.HH}`;
    case 'OneWeek':
      return `${indexName}-${t.yyyy}-w${t.pad(usWeekOfYear(arrivalMs))}`;
    case 'OneMonth':
      return `${indexName}-${t.yyyy}-${t.MM}`;
    default:
      return `${indexName}-${t.yyyy}-${t.MM}-${t.dd}`;
  }
}

/**
 * FIREHOSE_DEFAULT document ids: derived from the stream and the record's origin (its Kinesis
 * shard and sequence number, or its ingest-log index; for records de-aggregated from one, their
 * order), so a retry or a redelivery after a restart overwrites the same document instead of adding a copy. AWS's own id format is UNVERIFIED;
 * these are 20 URL-safe characters like OpenSearch's generated ids.
 */
export function documentIds(records: ProcessedRecord[], deliveryStreamArn: string): string[] {
  const seen = new Map<number, number>();
  return records.map((record) => {
    const occurrence = seen.get(record.index) ?? 0;
    seen.set(record.index, occurrence + 1);
    const origin = record.source ? `${record.source.shardId}/${record.source.sequenceNumber}/${record.source.subsequenceNumber ?? 0}` : `${record.index}`;
    // The arrival time and the bytes too: two different records never share an id even if a caller's
    // indexes were only positions within a batch (ids would then still be stable across retries).
    return createHash('sha256').update(`${deliveryStreamArn}\n${origin}\n${occurrence}\n${record.arrival}\n`).update(record.data).digest('base64url').slice(0, 20);
  });
}

interface Document {
  position: number;
  index: string;
  id?: string;
  type?: string;
  /** The record's JSON without a trailing line break. */
  source: Buffer;
  lastError?: { errorCode: string; errorMessage: string };
}

/** The record without trailing whitespace; undefined when it still holds a line break (or is empty). */
function singleLine(data: Buffer): Buffer | undefined {
  let end = data.length;
  while (end > 0 && (data[end - 1] === 0x0a || data[end - 1] === 0x0d || data[end - 1] === 0x20 || data[end - 1] === 0x09)) end--;
  if (end === 0) return undefined;
  const trimmed = data.subarray(0, end);
  return trimmed.includes(0x0a) || trimmed.includes(0x0d) ? undefined : trimmed;
}

export function bulkBody(documents: Document[]): Buffer {
  const parts: Buffer[] = [];
  for (const document of documents) {
    const action: Record<string, string> = { _index: document.index };
    if (document.type !== undefined) action._type = document.type;
    if (document.id !== undefined) action._id = document.id;
    parts.push(Buffer.from(`${JSON.stringify({ index: action })}\n`), document.source, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

interface BulkItem {
  status?: number;
  error?: { type?: string; reason?: string } | string;
}

/** Outcome of one bulk exchange: the positions (in `documents`) that failed, each with its error, or a request-level error. */
function readBulkResponse(
  result: Exchange,
  documents: Document[],
  prefix: string,
): { requestError?: { errorCode: string; errorMessage: string }; itemErrors: Map<number, { errorCode: string; errorMessage: string }> } {
  const itemErrors = new Map<number, { errorCode: string; errorMessage: string }>();
  if (result.kind === 'failure') {
    const code = { connect: 'ConnectionFailed', tls: 'ConnectionFailed', 'tls-host': 'ConnectionFailed', timeout: 'RequestTimeout', reset: 'ConnectionReset', 'too-large': 'ResponseTooLarge' }[result.failure] as keyof typeof OPENSEARCH_ERROR_MESSAGES;
    return { requestError: { errorCode: `${prefix}.${code}`, errorMessage: `${OPENSEARCH_ERROR_MESSAGES[code]} (${result.detail})` }, itemErrors };
  }
  let parsed: { errors?: boolean; items?: Array<Record<string, BulkItem>>; error?: { type?: string; reason?: string } | string } | undefined;
  try {
    parsed = JSON.parse(result.body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (result.status < 200 || result.status > 299) {
    // "errorCode: (http error code returned by OpenSearch Service)", "errorMessage: (error message returned by …)".
    const error = parsed?.error;
    const errorMessage = error !== undefined ? (typeof error === 'string' ? error : JSON.stringify(error)) : result.body.toString('utf8').slice(0, 8_192);
    return { requestError: { errorCode: String(result.status), errorMessage }, itemErrors };
  }
  if (!parsed || !Array.isArray(parsed.items) || parsed.items.length !== documents.length) {
    return { requestError: { errorCode: `${prefix}.InvalidResponse`, errorMessage: OPENSEARCH_ERROR_MESSAGES.InvalidResponse }, itemErrors };
  }
  parsed.items.forEach((entry, i) => {
    const item = entry && typeof entry === 'object' ? Object.values(entry)[0] : undefined;
    const status = item?.status ?? 0;
    if (status >= 200 && status <= 299) return;
    const error = item?.error;
    itemErrors.set(i, { errorCode: String(status), errorMessage: error === undefined ? '' : typeof error === 'string' ? error : JSON.stringify(error) });
  });
  return { itemErrors };
}

function bulkUrl(endpoint: string | undefined): URL | undefined {
  try {
    const url = endpoint ? joinUrl(endpoint, '/_bulk') : undefined;
    return url && (url.protocol === 'https:' || url.protocol === 'http:') ? url : undefined;
  } catch {
    return undefined;
  }
}

export async function deliverToOpenSearch(
  records: ProcessedRecord[],
  description: Record<string, unknown>,
  kind: OpenSearchKind,
  context: DeliveryAttemptContext,
): Promise<DestinationOutcome> {
  const settings = destinationPart(description, DESCRIPTION_MEMBER[kind]);
  const prefix = CODE_PREFIX[kind];
  const now = context.now ?? Date.now;
  const serverless = kind === 'AmazonOpenSearchServerless';
  const endpoint = (serverless ? settings.CollectionEndpoint : settings.ClusterEndpoint) as string | undefined;
  const indexName = String(settings.IndexName ?? '');
  const rotation = serverless ? 'NoRotation' : (settings.IndexRotationPeriod as string | undefined);
  const typeName = !serverless && typeof settings.TypeName === 'string' && settings.TypeName !== '' ? settings.TypeName : undefined;
  const idFormat = (settings.DocumentIdOptions as { DefaultDocumentIdFormat?: string } | undefined)?.DefaultDocumentIdFormat ?? 'FIREHOSE_DEFAULT';
  const ids = !serverless && idFormat === 'FIREHOSE_DEFAULT' ? documentIds(records, context.deliveryStreamArn) : undefined;

  const failures: RecordFailure[] = [];
  let pending: Document[] = [];
  records.forEach((record, position) => {
    const index = rotatedIndexName(indexName, rotation, record.arrival);
    const source = singleLine(record.data);
    if (!source) {
      failures.push({ position, attempts: 1, errorCode: `${prefix}.MalformedDocument`, errorMessage: OPENSEARCH_ERROR_MESSAGES.MalformedDocument, documentId: ids?.[position], indexName: index, typeName, toErrorOutput: true, attemptEndingTimestamp: now() });
      return;
    }
    pending.push({ position, index, id: ids?.[position], type: typeName, source });
  });

  let url = bulkUrl(endpoint);
  let durationMs = retryDurationMs(settings);
  let attemptsMade = 0;
  let endedAt = now();
  const stats: DeliveryStats = { deliveredRecords: 0, deliveredBytes: 0, requests: 0, successfulRequests: 0 };
  if (pending.length) {
    const result = await retryWithBackoff<void>(
      async (attempt) => {
        attemptsMade = attempt;
        if (attempt > 1 && context.reload) {
          // §12/§13: a changed endpoint or retry window applies to the next retry; documents keep their index and id.
          const current = await context.reload();
          if (current) {
            const latest = destinationPart(current.description, DESCRIPTION_MEMBER[kind]);
            url = bulkUrl((serverless ? latest.CollectionEndpoint : latest.ClusterEndpoint) as string | undefined);
            durationMs = retryDurationMs(latest);
          }
        }
        if (!url) {
          for (const document of pending) document.lastError = { errorCode: `${prefix}.ConnectionFailed`, errorMessage: OPENSEARCH_ERROR_MESSAGES.NoEndpoint };
          return { ok: false, permanent: false, errorCode: `${prefix}.ConnectionFailed`, errorMessage: OPENSEARCH_ERROR_MESSAGES.NoEndpoint };
        }
        const body = bulkBody(pending);
        const response = await exchange({
          url,
          headers: { 'Content-Type': 'application/x-ndjson' },
          body,
          ca: context.ca,
          timeoutMs: context.responseTimeoutMs,
          maxResponseBytes: MAX_BULK_RESPONSE_BYTES,
          signal: context.signal,
        });
        const { requestError, itemErrors } = readBulkResponse(response, pending, prefix);
        stats.requests++;
        if (!requestError && itemErrors.size === 0) stats.successfulRequests++;
        context.log.debug({ destination: kind, documents: pending.length, bytes: body.length, attempt, status: response.kind === 'response' ? response.status : response.failure, failed: requestError ? pending.length : itemErrors.size }, 'delivery attempt');
        if (requestError) {
          for (const document of pending) document.lastError = requestError;
          return { ok: false, permanent: false, ...requestError };
        }
        const stillFailing: Document[] = [];
        pending.forEach((document, i) => {
          const error = itemErrors.get(i);
          if (error) {
            document.lastError = error;
            stillFailing.push(document);
          } else {
            stats.deliveredRecords++;
            stats.deliveredBytes += records[document.position]!.data.length;
          }
        });
        pending = stillFailing;
        if (!pending.length) return { ok: true, value: undefined };
        const first = pending[0]!.lastError!;
        return { ok: false, permanent: false, errorCode: first.errorCode, errorMessage: `${pending.length} documents failed; first: ${first.errorMessage}` };
      },
      () => durationMs,
      { ...context, what: kind },
    );
    endedAt = result.endedAt;
  }
  for (const document of pending) {
    failures.push({
      position: document.position,
      attempts: attemptsMade,
      errorCode: document.lastError!.errorCode,
      errorMessage: document.lastError!.errorMessage,
      documentId: document.id,
      indexName: document.index,
      typeName: document.type,
      toErrorOutput: true,
      attemptEndingTimestamp: endedAt,
    });
  }
  if (!failures.length) return { ok: true, attempts: attemptsMade, stats };
  failures.sort((a, b) => a.position - b.position);
  const last = failures[failures.length - 1]!;
  return {
    ok: false,
    stats,
    attempts: Math.max(...failures.map((f) => f.attempts)),
    errorCode: last.errorCode,
    errorMessage: last.errorMessage,
    permanent: pending.length === 0,
    failedIndexes: failures.map((f) => f.position),
    failures,
    toErrorOutput: true,
    attemptEndingTimestamp: endedAt,
  };
}
