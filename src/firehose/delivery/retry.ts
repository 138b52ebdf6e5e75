import type { Logger } from 'pino';
import { abortableSleep } from '../abortable-sleep.js';
import type { DestinationSecrets } from '../domain/delivery-stream.js';

/**
 * Retries of the non-S3 destinations (FIREHOSE-SPEC §12, §13, §14): exponential backoff of
 * 1 s × 2ⁿ with ±15 % jitter, each wait capped at 120 s, for as long as RetryOptions.DurationInSeconds
 * allows (counted from the end of the first failed attempt; 0 = no retry). Clock and sleep are
 * injectable so tests check the schedule without waiting.
 */

/** §12: the first wait is one second, doubled per retry. */
export const BACKOFF_BASE_MS = 1_000;
/** §12: "MAX(120sec, …)" in the guide, meaning a wait never exceeds two minutes. */
export const BACKOFF_CAP_MS = 120_000;
/** §12: ±15 % jitter on every wait. */
export const BACKOFF_JITTER = 0.15;
/**
 * RetryOptions.DurationInSeconds when the description has none. Documented for OpenSearch (300 s,
 * §13); for HTTP endpoint and Splunk the default is UNVERIFIED (§14) — the console shows 300.
 */
export const DEFAULT_RETRY_DURATION_SECONDS = 300;

/** What one destination call needs besides the records (the plan's fh-http interface). */
export interface DeliveryAttemptContext {
  deliveryStreamArn: string;
  /** Aborted when the delivery lease is lost or the server stops: the call rejects with the reason, nothing is reported as failed. */
  signal: AbortSignal;
  log: Logger;
  /** Epoch ms; Date.now unless a test drives the clock. */
  now?: () => number;
  /** Extra trusted CA (PEM) for https destinations (`--destination-ca FILE`). */
  ca?: Buffer;
  /** How the retry loop waits; a test passes one that records the delays (and moves its clock). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Per-request response timeout, 3 minutes unless a test shortens it (§12). */
  responseTimeoutMs?: number;
  /** Jitter source in [0, 1); Math.random unless a test pins it. */
  random?: () => number;
  /**
   * The stream's destination as it is now, read before each retry: §12 "configuration changes apply
   * to subsequent retries" (a URL or token fixed by UpdateDestination is used by the next attempt).
   * Undefined (or resolving to undefined) keeps the settings the call started with.
   */
  reload?: () => Promise<{ description: Record<string, unknown>; secrets: DestinationSecrets } | undefined>;
}

/**
 * Result of one destination call. `failedIndexes` and `failures[].position` are positions in the
 * `records` array the caller passed (not ingest indexes: de-aggregation gives several records one index).
 */
export type DestinationOutcome =
  | { ok: true; attempts: number; stats?: DeliveryStats }
  | {
      ok: false;
      stats?: DeliveryStats;
      /** Attempts made for the failed records (the error record's attemptsMade). */
      attempts: number;
      errorCode: string;
      /** The error record's errorMessage (for an HTTP endpoint, with the endpoint's response in it). */
      errorMessage: string;
      /** True when AWS gives up without (further) retries: 413, Splunk ack timeout, malformed documents. */
      permanent: boolean;
      /** Positions of the records that were not delivered; absent means all of them. */
      failedIndexes?: number[];
      /** Per-record detail when records failed differently (OpenSearch items, split HTTP requests). */
      failures?: RecordFailure[];
      /**
       * False when AWS does not write the failed records to the error output (HTTP 413, §12); the
       * S3 backup of AllData still holds them. True otherwise.
       */
      toErrorOutput: boolean;
      /** Epoch ms at which the last attempt ended (attemptEndingTimestamp). */
      attemptEndingTimestamp: number;
    };

/** What the call did, for the §15 counters (DeliveryToHttpEndpoint.*, DeliveryToSplunk.*, DeliveryToAmazonOpenSearchService.*). */
export interface DeliveryStats {
  /** Records and their bytes (as handed over, before any compression) that the destination took. */
  deliveredRecords: number;
  deliveredBytes: number;
  /** Requests made (retries included) and those that succeeded: the `.Success` ratio. */
  requests: number;
  successfulRequests: number;
  /** Splunk: ms from the data's acceptance to its indexer acknowledgement (DeliveryToSplunk.DataAckLatency). */
  ackLatencyMs?: number;
}

export interface RecordFailure {
  position: number;
  attempts: number;
  errorCode: string;
  errorMessage: string;
  /** OpenSearch / Elasticsearch: the document's id (esDocumentId / osDocumentId), index and type. */
  documentId?: string;
  indexName?: string;
  typeName?: string;
  toErrorOutput: boolean;
  attemptEndingTimestamp: number;
}

/** One attempt's verdict. */
export type AttemptVerdict<T> =
  | { ok: true; value: T }
  /** `logMessage`: the error as the log line puts it, when AWS words it differently from the error record. */
  | { ok: false; permanent: boolean; errorCode: string; errorMessage: string; logMessage?: string };

export interface RetryResult<T> {
  verdict: AttemptVerdict<T>;
  attempts: number;
  endedAt: number;
}

/** How retries wait unless a test passes its own (s3-destination.ts and splunk.ts wait with it too). */
export const defaultSleep = abortableSleep;

/** The wait before retry n (n = 0 before the second attempt): min(120 s, 1 s × 2ⁿ) ± 15 %. */
export function backoffDelayMs(retry: number, random: () => number = Math.random): number {
  const base = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(retry, 30));
  const jitter = (random() * 2 - 1) * BACKOFF_JITTER;
  return Math.round(base * (1 + jitter));
}

/** RetryOptions.DurationInSeconds of a destination description, in ms. */
export function retryDurationMs(description: Record<string, unknown>): number {
  const options = description.RetryOptions as { DurationInSeconds?: unknown } | undefined;
  const seconds = typeof options?.DurationInSeconds === 'number' ? options.DurationInSeconds : DEFAULT_RETRY_DURATION_SECONDS;
  return Math.max(0, seconds) * 1000;
}

/**
 * Calls `attempt` until it succeeds, fails permanently, or the next wait would end beyond
 * `durationMs` (read again after each attempt: it may have been updated) after the first attempt
 * failed. An abort rejects with the signal's reason.
 */
export async function retryWithBackoff<T>(
  attempt: (attemptNumber: number) => Promise<AttemptVerdict<T>>,
  durationMs: number | (() => number),
  context: Pick<DeliveryAttemptContext, 'signal' | 'now' | 'sleep' | 'random' | 'log'> & { what: string; deliveryStreamArn?: string },
): Promise<RetryResult<T>> {
  const window = typeof durationMs === 'function' ? durationMs : () => durationMs;
  const now = context.now ?? Date.now;
  const sleep = context.sleep ?? defaultSleep;
  let started: number | undefined;
  for (let attempts = 1; ; attempts++) {
    context.signal.throwIfAborted();
    const verdict = await attempt(attempts);
    context.signal.throwIfAborted();
    if (verdict.ok) return { verdict, attempts, endedAt: now() };
    // "If an error occurs, or the response doesn't arrive within the response timeout period,
    // Firehose starts the retry duration counter" [dg2023 basic-deliver]: the window opens at the first failure.
    started ??= now();
    const delay = backoffDelayMs(attempts - 1, context.random);
    const giveUp = verdict.permanent || now() + delay - started > window();
    const message = verdict.permanent ? 'delivery failed, not retried' : giveUp ? 'delivery failed, retries exhausted' : 'delivery attempt failed';
    context.log.warn(
      { destination: context.what, deliveryStreamArn: context.deliveryStreamArn, errorCode: verdict.errorCode, errorMessage: verdict.logMessage ?? verdict.errorMessage, attempt: attempts, retryInMs: giveUp ? undefined : delay },
      message,
    );
    if (giveUp) return { verdict, attempts, endedAt: now() };
    await sleep(delay, context.signal);
  }
}
