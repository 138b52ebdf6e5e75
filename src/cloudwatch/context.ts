import type { Logger } from 'pino';
import type { MetricStore } from './domain/metric-store.js';

/** What CloudWatch operations work with: below the service and the domain, so imports run one way. */
export interface CloudWatchContext {
  account: string;
  region: string;
  requestId: string;
  metrics: MetricStore;
  log: Logger;
  /** Epoch ms: the clock timestamps are checked against (tests drive it). */
  now(): number;
}

/** One file per operation under `operations/`, named as the API names it. */
export type Operation = (input: any, context: CloudWatchContext) => Promise<Record<string, unknown> | undefined>;
