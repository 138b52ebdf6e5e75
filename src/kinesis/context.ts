import type { Config } from '../config.js';
import type { RequestContext } from '../protocol/pipeline.js';
import type { Store } from '../store/store.js';
import type { Streams } from './domain/streams.js';
import type { KinesisMetrics } from '../metrics/kinesis-metrics.js';

/**
 * What Kinesis operations and the domain work with. Its own module, below both the service that
 * composes the domain and the domain itself, so that imports run one way.
 */

/** The configuration and the domain over the store. */
export interface Kinesis {
  config: Config;
  store: Store;
  streams: Streams;
  /** Counters for AWS/Kinesis and Prometheus (metrics/kinesis-metrics.ts), when metrics are on. */
  metrics?: KinesisMetrics;
}

export interface KinesisContext extends RequestContext {
  kinesis: Kinesis;
  /** The operation being served: the `kinesis:{Action}` that resource policies grant (§1.7). */
  operation: string;
}

/** One file per operation under `operations/`, named as the API names it, default-exporting this. */
export type Operation = (input: any, context: KinesisContext) => Promise<unknown>;
