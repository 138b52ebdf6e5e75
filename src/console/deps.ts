import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Kinesis } from '../kinesis/context.js';
import type { Firehose } from '../firehose/context.js';
import type { DeliveryEngine } from '../firehose/delivery/engine.js';
import type { ObjectStore } from '../objects/object-store.js';
import type { Analytics } from '../analytics/context.js';
import type { VideoContext } from '../video/context.js';

/** What the console reads and acts through: the same domain objects the operations use. */
export interface ConsoleDeps {
  config: Config;
  kinesis: Kinesis;
  firehose: Firehose;
  delivery: DeliveryEngine;
  objects: ObjectStore;
  /** Kinesis Data Analytics, when served. */
  analytics?: Analytics;
  /** Kinesis Video Streams, when served. */
  video?: VideoContext;
  log: Logger;
  /** `http://host:port` as the server listens. */
  endpoint: () => string;
  /** Signing names served on the endpoint. */
  services: () => string[];
}
