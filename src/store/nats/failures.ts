import { errors as coreErrors } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { AwsError, serviceUnavailable } from '../../protocol/errors.js';
import { SealedLogError } from '../store.js';

/** Every NATS request gives up after this long; the operation may retry within its deadline. */
export const REQUEST_TIMEOUT_MS = 2_000;
/**
 * An operation keeps retrying transient failures (no stream leader during an election, a lost
 * connection being re-established) for this long, then answers 503 so that the SDK retries.
 * A JetStream leader election takes a few seconds.
 */
export const OPERATION_DEADLINE_MS = 8_000;
export const RETRY_PAUSE_MS = 100;

/** JetStream API errors that mean "try again" (cluster not ready, no quorum, no leader). */
const TRANSIENT_API_CODES = new Set([
  10005, // no suitable peers for placement (a cluster whose peers are still joining, or one is down)
  10008, // JetStream system temporarily unavailable
  10023, // insufficient resources
  10074, // cluster not available / not leader
  10076, // JetStream not enabled (server restarting)
]);

/**
 * "No responders": nobody listens on the subject. For a log's subject that means its stream has
 * no leader at this moment (an election) or the stream is gone; nats.js reports it for JetStream
 * requests as JetStreamNotEnabled (not exported) with the RequestError as cause.
 */
export function isNoResponders(err: unknown): boolean {
  const request = err instanceof Error && err.name === 'JetStreamNotEnabled' ? err.cause : err;
  return request instanceof coreErrors.RequestError && request.isNoResponders();
}

export function isTransient(err: unknown): boolean {
  if (err instanceof JetStreamApiError) return TRANSIENT_API_CODES.has(err.code) || err.status === 503;
  if (isNoResponders(err)) return true;
  return (
    err instanceof coreErrors.TimeoutError ||
    err instanceof coreErrors.NoRespondersError ||
    err instanceof coreErrors.ConnectionError ||
    err instanceof coreErrors.RequestError ||
    err instanceof coreErrors.ClosedConnectionError ||
    /timeout|no responders|disconnect|503|temporarily unavailable|no suitable peers/i.test(String((err as Error)?.message))
  );
}

export const apiCode = (err: unknown) => (err instanceof JetStreamApiError ? err.code : undefined);

/** What a caller sees: our own errors pass; a cluster that cannot answer becomes a retryable 503. */
export function toAwsError(err: unknown): Error {
  if (err instanceof AwsError || err instanceof SealedLogError) return err;
  if (isTransient(err)) return serviceUnavailable(`The NATS JetStream cluster is unavailable: ${(err as Error).message}`);
  return new AwsError('InternalFailure', `NATS JetStream store failure: ${(err as Error)?.message ?? err}`, 500);
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, fails permanently, or the deadline passes (then the last
 * transient failure is reported as 503). Only for attempts that are safe to repeat.
 */
export async function withRetry<T>(attempt: () => Promise<T>, deadline = Date.now() + OPERATION_DEADLINE_MS): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransient(err) || Date.now() + RETRY_PAUSE_MS >= deadline) throw toAwsError(err);
      await pause(RETRY_PAUSE_MS);
    }
  }
}
