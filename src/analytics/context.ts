import type { Config } from '../config.js';
import type { Firehose } from '../firehose/context.js';
import type { Kinesis } from '../kinesis/context.js';
import type { ObjectStore } from '../objects/object-store.js';
import type { RequestContext } from '../protocol/pipeline.js';
import type { Store } from '../store/store.js';
import type { AnalyticsMetrics } from '../metrics/analytics-metrics.js';
import type { ManagingApi } from './domain/application.js';
import type { Applications } from './domain/applications.js';
import type { CodeStore } from './domain/code.js';
import type { OperationsLog } from './domain/operations-log.js';
import type { ApplicationRunner } from './domain/runner.js';
import type { Snapshots } from './domain/snapshots.js';

/** What Analytics operations work with: below the service and the domain, so imports run one way. */
export interface Analytics {
  config: Config;
  store: Store;
  objects: ObjectStore;
  /** The Kinesis domain: DiscoverInputSchema samples its streams. */
  kinesis?: Kinesis;
  /** The Firehose domain: jobs' `firehose` sink tables write delivery streams. */
  firehose?: Firehose;
  applications: Applications;
  operations: OperationsLog;
  snapshots: Snapshots;
  code: CodeStore;
  /** What runs jobs (domain/runner.ts); replaced by the engine's runner when one is wired. */
  runner: ApplicationRunner;
  /** Asks this node's lifecycle sweep to look for due transitions now (background.ts). */
  wake(): void;
  now(): number;
  /** Rows and watermarks for Prometheus and AWS/KinesisAnalytics: the runner calls `report` with a job's running totals. */
  metrics?: AnalyticsMetrics;
}

export interface AnalyticsContext extends RequestContext {
  analytics: Analytics;
  /** Which API the request came through. */
  api: ManagingApi;
  operation: string;
}

/** One file per operation under `operations/v1/` or `operations/v2/`, named as the API names it. */
export type Operation = (input: any, context: AnalyticsContext) => Promise<unknown>;
