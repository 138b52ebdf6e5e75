import type { Config } from '../config.js';
import type { Firehose } from '../firehose/context.js';
import type { Kinesis } from '../kinesis/context.js';
import type { ObjectStore } from '../objects/object-store.js';
import type { Store } from '../store/store.js';
import type { Analytics } from './context.js';
import { Applications } from './domain/applications.js';
import { CodeStore } from './domain/code.js';
import { OperationsLog } from './domain/operations-log.js';
import { Snapshots } from './domain/snapshots.js';
import { FlinkRestRunner } from './flink-rest/runner.js';
import { SplitRunner } from './flink-rest/split-runner.js';
import { FlinkSqlRunner } from './runtime/runner.js';

export type { Analytics } from './context.js';

/** The Analytics domain over the store and the object store; `wake` is set once the lifecycle sweep runs. */
export function createAnalytics({ config, store, objects, kinesis, firehose }: { config: Config; store: Store; objects: ObjectStore; kinesis?: Kinesis; firehose?: Firehose }): Analytics {
  return {
    config,
    store,
    objects,
    kinesis,
    firehose,
    applications: new Applications(store.meta),
    operations: new OperationsLog(store.meta),
    snapshots: new Snapshots(store.meta),
    code: new CodeStore(store.meta, objects),
    // Flink SQL jobs run on the node holding each job's lease (runtime/host.ts, started by background.ts);
    // with --flink-rest, JAR applications run on that Flink cluster.
    runner: config.flinkRest ? new SplitRunner(new FlinkSqlRunner(store.meta), new FlinkRestRunner(store.meta, config.flinkRest, config.flinkSavepointDir)) : new FlinkSqlRunner(store.meta),
    wake: () => {},
    now: () => Date.now(),
  };
}
