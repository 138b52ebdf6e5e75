import type { RequestObserver } from '../protocol/pipeline.js';

/**
 * Requests by service, operation and outcome, with their durations as a histogram
 * (`millrace_requests_total`, `millrace_request_duration_seconds`; CONSOLE-SPEC §2.3). Counted in
 * place in typed arrays found through two look-ups by strings the request already has.
 */

/**
 * Upper bounds of the duration buckets, in seconds: 0.25 ms … 2.5 s (§2.3: prom-client's default
 * buckets start at 5 ms, too coarse for 2 ms puts).
 */
export const DURATION_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export const OUTCOMES = ['success', 'throttled', 'client_error', 'server_error'] as const;

/** Error types that mean "slow down" rather than "wrong request". */
const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'LimitExceededException', 'ThrottlingException', 'KMSThrottlingException', 'ServiceUnavailableException']);

/** The label of requests to no known service or operation: made-up names never become labels. */
export const UNKNOWN = 'unknown';

export class OperationRequests {
  /** By OUTCOMES index. */
  readonly outcomes = new Float64Array(OUTCOMES.length);
  /** Per bucket (not cumulative); the last one counts durations above every bound. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);
  sumSeconds = 0;
  count = 0;

  constructor(
    readonly service: string,
    readonly operation: string,
  ) {}

  observe(status: number, errorType: string | undefined, seconds: number): void {
    const outcome = status < 400 ? 0 : status >= 500 ? 3 : errorType !== undefined && THROTTLING.has(errorType) ? 1 : 2;
    this.outcomes[outcome]++;
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]) bucket++;
    this.buckets[bucket]++;
    this.sumSeconds += seconds;
    this.count++;
  }
}

export class RequestMetrics implements RequestObserver {
  readonly services = new Map<string, Map<string, OperationRequests>>();

  answered(service: string | undefined, operation: string | undefined, status: number, errorType: string | undefined, durationMs: number): void {
    this.operation(service ?? UNKNOWN, operation ?? UNKNOWN).observe(status, errorType, durationMs / 1000);
  }

  /** For services outside the JSON pipeline (CloudWatch): the same counters. */
  operation(service: string, operation: string): OperationRequests {
    let operations = this.services.get(service);
    if (!operations) this.services.set(service, (operations = new Map()));
    let counters = operations.get(operation);
    if (!counters) operations.set(operation, (counters = new OperationRequests(serviceLabel(service), operation)));
    return counters;
  }
}

/** Target prefixes as people name the services (once per service, never per request): `Kinesis_20131202` → `kinesis`, `AWSGlue` → `glue`. */
export const serviceLabel = (prefix: string) => prefix.replace(/_\d+$/, '').replace(/^AWS(?=[A-Z])/, '').toLowerCase();
