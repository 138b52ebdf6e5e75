import type { Config } from '../config.js';
import type { Kinesis } from '../kinesis/context.js';
import type { RequestContext } from '../protocol/pipeline.js';
import type { Store } from '../store/store.js';
import type { DeliveryStreams } from './domain/delivery-streams.js';
import type { PutThroughput } from './domain/throughput.js';

/** What Firehose operations work with: below the service and the domain, so imports run one way. */
export interface Firehose {
  config: Config;
  store: Store;
  streams: DeliveryStreams;
  /** The Kinesis domain, to check a KinesisStreamAsSource stream's source exists. */
  kinesis: Kinesis;
  throughput: PutThroughput;
}

export interface FirehoseContext extends RequestContext {
  firehose: Firehose;
  operation: string;
}

/** One file per operation under `operations/`, named as the API names it, default-exporting this. */
export type Operation = (input: any, context: FirehoseContext) => Promise<unknown>;
