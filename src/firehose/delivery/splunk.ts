import { randomUUID } from 'node:crypto';
import type { DestinationSecrets } from '../domain/delivery-stream.js';
import type { ProcessedRecord } from '../processing/pipeline.js';
import { exchange, joinUrl, type Exchange } from './destination-http.js';
import { destinationPart } from './http-endpoint.js';
import { defaultSleep, retryDurationMs, retryWithBackoff, type AttemptVerdict, type DeliveryAttemptContext, type DeliveryStats, type DestinationOutcome } from './retry.js';

/**
 * Splunk HTTP Event Collector (FIREHOSE-SPEC §13): the buffered records, as they are, in one POST
 * to `/services/collector/raw` or `/services/collector/event` (HECEndpointType) with
 * `Authorization: Splunk <HECToken>` on a data channel, then indexer acknowledgement polled on
 * `/services/collector/ack` until HECAcknowledgmentTimeoutInSeconds. Failures carry AWS's Splunk.*
 * codes (dg2023 monitoring-with-cloudwatch-logs "Splunk Data Delivery Errors") and are retried with
 * backoff until RetryOptions runs out. Each send restarts the acknowledgement timeout, and a timed-out
 * acknowledgement is retried like any other error while the retry window lasts [dg2023 basic-deliver].
 *
 * The body is the records' bytes concatenated, nothing added: "For data delivery to Splunk, Kinesis
 * Data Firehose concatenates the bytes that you send. If you want delimiters in your data, such as a
 * new line character, you must insert them yourself" [dg2023 basic-deliver]. For the Event endpoint
 * the records are therefore HEC events already (`{"event":…}`, usually made by a processing Lambda).
 */

export const SPLUNK_RAW_PATH = '/services/collector/raw';
export const SPLUNK_EVENT_PATH = '/services/collector/event';
export const SPLUNK_ACK_PATH = '/services/collector/ack';
/** Model default and minimum of HECAcknowledgmentTimeoutInSeconds (180–600). */
export const DEFAULT_ACK_TIMEOUT_SECONDS = 180;
/** How often acknowledgements are polled: UNVERIFIED (AWS does not say). */
export const ACK_POLL_INTERVAL_MS = 1_000;

/** AWS's Splunk.* codes and messages. */
export const SPLUNK_ERRORS = {
  ProxyWithoutStickySessions: 'If you have a proxy (ELB or other) between Firehose and the HEC node, you must enable sticky sessions to support HEC ACKs.',
  DisabledToken: 'The HEC token is disabled. Enable the token to allow data delivery to Splunk.',
  InvalidToken: 'The HEC token is invalid. Update Firehose with a valid HEC token.',
  InvalidDataFormat: 'The data is not formatted correctly. To see how to properly format data for Raw or Event HEC endpoints, see Splunk Event Data.',
  InvalidIndex: 'The HEC token or input is configured with an invalid index. Check your index configuration and try again.',
  ServerError: 'Data delivery to Splunk failed due to a server error from the HEC node. Firehose will retry sending the data if the retry duration in your Firehose is greater than 0. If all the retries fail, Firehose backs up the data to Amazon S3.',
  DisabledAck: 'Indexer acknowledgement is disabled for the HEC token. Enable indexer acknowledgement and try again.',
  AckTimeout: "Did not receive an acknowledgement from HEC before the HEC acknowledgement timeout expired. Despite the acknowledgement timeout, it's possible the data was indexed successfully in Splunk. Firehose backs up in Amazon S3 data for which the acknowledgement timeout expired.",
  MaxRetriesFailed: 'Failed to deliver data to Splunk or to receive acknowledgment. Check your HEC health and try again.',
  ConnectionTimeout: 'The connection to Splunk timed out. This might be a transient error and the request will be retried. Firehose backs up the data to Amazon S3 if all retries fail.',
  InvalidEndpoint: 'Could not connect to the HEC endpoint. Make sure that the HEC endpoint URL is valid and reachable from Firehose.',
  ConnectionClosed: 'Unable to send data to Splunk due to a connection failure. This might be a transient error. Increasing the retry duration in your Firehose configuration might guard against such transient failures.',
  SSLUnverified: 'Could not connect to the HEC endpoint. The host does not match the certificate provided by the peer. Make sure that the certificate and the host are valid.',
  SSLHandshake: 'Could not connect to the HEC endpoint. Make sure that the certificate and the host are valid.',
} as const;
type SplunkError = keyof typeof SPLUNK_ERRORS;

/**
 * Splunk HEC's documented status codes (the `code` of its JSON answer) → AWS's error. 10/11 (data
 * channel missing / invalid) happen when acknowledgements reach another node than the data: what
 * AWS calls ProxyWithoutStickySessions.
 */
const HEC_CODES: Record<number, SplunkError> = {
  1: 'DisabledToken',
  2: 'InvalidToken',
  3: 'InvalidToken',
  4: 'InvalidToken',
  5: 'InvalidDataFormat',
  6: 'InvalidDataFormat',
  7: 'InvalidIndex',
  8: 'ServerError',
  9: 'ServerError',
  10: 'ProxyWithoutStickySessions',
  11: 'ProxyWithoutStickySessions',
  12: 'InvalidDataFormat',
  13: 'InvalidDataFormat',
  14: 'DisabledAck',
  15: 'InvalidDataFormat',
};

/** One data channel per delivery stream and process, reused so acknowledgements stay on it. */
const channels = new Map<string, string>();
function channelFor(deliveryStreamArn: string): string {
  let channel = channels.get(deliveryStreamArn);
  if (!channel) {
    channel = randomUUID();
    channels.set(deliveryStreamArn, channel);
  }
  return channel;
}

/** Every Splunk error is retried while the window lasts ("Any data delivery error triggers the retry logic"); HEC's own answer goes to the log line only. */
function failure(code: SplunkError, detail?: string): AttemptVerdict<never> {
  return { ok: false, permanent: false, errorCode: `Splunk.${code}`, errorMessage: SPLUNK_ERRORS[code], ...(detail ? { logMessage: `${SPLUNK_ERRORS[code]} ${detail}` } : {}) };
}

function transportFailure(result: Extract<Exchange, { kind: 'failure' }>): AttemptVerdict<never> {
  const code: SplunkError = { connect: 'InvalidEndpoint', timeout: 'ConnectionTimeout', reset: 'ConnectionClosed', 'too-large': 'ServerError', tls: 'SSLHandshake', 'tls-host': 'SSLUnverified' }[result.failure] as SplunkError;
  return failure(code);
}

/** A HEC answer that is not a success, as AWS's error. */
function hecFailure(result: Extract<Exchange, { kind: 'response' }>): AttemptVerdict<never> {
  let answer: { text?: string; code?: number } = {};
  try {
    answer = JSON.parse(result.body.toString('utf8')) as typeof answer;
  } catch {
    // not JSON: judged by the status alone
  }
  const mapped = typeof answer.code === 'number' ? HEC_CODES[answer.code] : undefined;
  const code: SplunkError = mapped ?? (result.status === 401 || result.status === 403 ? 'InvalidToken' : result.status >= 500 ? 'ServerError' : 'InvalidDataFormat');
  return failure(code, answer.text ? `(HEC: ${result.status} ${answer.text})` : `(HEC: ${result.status})`);
}

interface SplunkSettings {
  dataUrl?: URL;
  ackUrl?: URL;
  headers: Record<string, string>;
  ackTimeoutMs: number;
  durationMs: number;
}

function splunkSettings(description: Record<string, unknown>, secrets: DestinationSecrets, channel: string): SplunkSettings {
  const settings = destinationPart(description, 'SplunkDestinationDescription');
  const token = secrets.splunkHecToken ?? (typeof settings.HECToken === 'string' ? settings.HECToken : '');
  const path = settings.HECEndpointType === 'Event' ? SPLUNK_EVENT_PATH : SPLUNK_RAW_PATH;
  const ackTimeoutMs = (typeof settings.HECAcknowledgmentTimeoutInSeconds === 'number' ? settings.HECAcknowledgmentTimeoutInSeconds : DEFAULT_ACK_TIMEOUT_SECONDS) * 1000;
  let dataUrl: URL | undefined;
  let ackUrl: URL | undefined;
  try {
    const endpoint = String(settings.HECEndpoint ?? '');
    dataUrl = joinUrl(endpoint, path);
    ackUrl = joinUrl(endpoint, SPLUNK_ACK_PATH);
    ackUrl.searchParams.set('channel', channel);
    if (dataUrl.protocol !== 'https:' && dataUrl.protocol !== 'http:') dataUrl = ackUrl = undefined;
  } catch {
    dataUrl = ackUrl = undefined;
  }
  const headers = { Authorization: `Splunk ${token}`, 'X-Splunk-Request-Channel': channel, 'Content-Type': 'application/json' };
  return { dataUrl, ackUrl, headers, ackTimeoutMs, durationMs: retryDurationMs(settings) };
}

export async function deliverToSplunk(
  records: ProcessedRecord[],
  description: Record<string, unknown>,
  secrets: DestinationSecrets,
  context: DeliveryAttemptContext,
): Promise<DestinationOutcome> {
  const now = context.now ?? Date.now;
  const sleep = context.sleep ?? defaultSleep;
  const channel = channelFor(context.deliveryStreamArn);
  let settings = splunkSettings(description, secrets, channel);
  const body = Buffer.concat(records.map((record) => record.data));
  const stats: DeliveryStats = { deliveredRecords: 0, deliveredBytes: 0, requests: 0, successfulRequests: 0 };
  if (!records.length) return { ok: true, attempts: 0, stats }; // HEC answers an empty body with "No data"

  const result = await retryWithBackoff<void>(
    async (attempt) => {
      if (attempt > 1 && context.reload) {
        const current = await context.reload();
        if (current) settings = splunkSettings(current.description, current.secrets, channel);
      }
      const { dataUrl, ackUrl, headers } = settings;
      if (!dataUrl || !ackUrl) return failure('InvalidEndpoint');
      const sent = await exchange({ url: dataUrl, headers, body, ca: context.ca, timeoutMs: context.responseTimeoutMs, signal: context.signal });
      stats.requests++;
      context.log.debug({ destination: 'Splunk', deliveryStreamArn: context.deliveryStreamArn, records: records.length, bytes: body.length, attempt, status: sent.kind === 'response' ? sent.status : sent.failure }, 'delivery attempt');
      if (sent.kind === 'failure') return transportFailure(sent);
      if (sent.status !== 200) return hecFailure(sent);
      let ackId: unknown;
      try {
        ackId = (JSON.parse(sent.body.toString('utf8')) as { ackId?: unknown }).ackId;
      } catch {
        ackId = undefined;
      }
      // AWS needs indexer acknowledgement: a success without an ackId means the token has it off.
      if (typeof ackId !== 'number') return failure('DisabledAck');
      const acceptedAt = now();
      const acknowledged = await awaitAck(ackId, ackUrl, headers, settings.ackTimeoutMs, { ...context, now, sleep });
      if (acknowledged.ok) {
        stats.successfulRequests++;
        stats.ackLatencyMs = now() - acceptedAt;
      }
      return acknowledged;
    },
    () => settings.durationMs,
    { ...context, what: 'Splunk' },
  );
  if (result.verdict.ok) return { ok: true, attempts: result.attempts, stats: { ...stats, deliveredRecords: records.length, deliveredBytes: body.length } };
  const { errorCode, errorMessage, permanent } = result.verdict;
  return { ok: false, stats, attempts: result.attempts, errorCode, errorMessage, permanent, toErrorOutput: true, attemptEndingTimestamp: result.endedAt };
}

/** Polls the ack endpoint until the ackId is acknowledged or the acknowledgement timeout passes. */
async function awaitAck(
  ackId: number,
  ackUrl: URL,
  headers: Record<string, string>,
  ackTimeoutMs: number,
  context: DeliveryAttemptContext & { now: () => number; sleep: (ms: number, signal: AbortSignal) => Promise<void> },
): Promise<AttemptVerdict<void>> {
  const deadline = context.now() + ackTimeoutMs;
  const body = Buffer.from(JSON.stringify({ acks: [ackId] }));
  for (;;) {
    const answer = await exchange({ url: ackUrl, headers, body, ca: context.ca, timeoutMs: context.responseTimeoutMs, signal: context.signal });
    if (answer.kind === 'failure') return transportFailure(answer);
    if (answer.status !== 200) return hecFailure(answer);
    let acks: Record<string, unknown> | undefined;
    try {
      acks = (JSON.parse(answer.body.toString('utf8')) as { acks?: Record<string, unknown> }).acks;
    } catch {
      acks = undefined;
    }
    if (acks?.[String(ackId)] === true) return { ok: true, value: undefined };
    // An ack timeout is retried like any error while the retry window lasts [dg2023 basic-deliver "Splunk"].
    if (context.now() + ACK_POLL_INTERVAL_MS > deadline) return failure('AckTimeout');
    await context.sleep(ACK_POLL_INTERVAL_MS, context.signal);
  }
}
