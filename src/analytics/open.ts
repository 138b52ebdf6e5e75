import type { Config } from '../config.js';
import type { Kinesis } from '../kinesis/context.js';
import type { ObjectStore } from '../objects/object-store.js';
import type { Store } from '../store/store.js';
import type { Analytics } from './context.js';
import { Applications } from './domain/applications.js';
import { CodeStore } from './domain/code.js';
import { OperationsLog } from './domain/operations-log.js';
import { UnavailableRunner } from './domain/runner.js';
import { Snapshots } from './domain/snapshots.js';

export type { Analytics } from './context.js';

/** The Analytics domain over the store and the object store; `wake` is set once the lifecycle sweep runs. */
export function createAnalytics({ config, store, objects, kinesis }: { config: Config; store: Store; objects: ObjectStore; kinesis?: Kinesis }): Analytics {
  return {
    config,
    store,
    objects,
    kinesis,
    applications: new Applications(store.meta),
    operations: new OperationsLog(store.meta),
    snapshots: new Snapshots(store.meta),
    code: new CodeStore(store.meta, objects),
    runner: new UnavailableRunner(),
    wake: () => {},
    now: () => Date.now(),
  };
}
