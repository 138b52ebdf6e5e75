import type { Logger } from 'pino';
import type { Lease, Leases } from '../leases/leases.js';
import type { Analytics } from './context.js';
import { SplitRunner } from './flink-rest/split-runner.js';
import { startFlinkJobWatch } from './flink-rest/watch.js';
import { Lifecycle } from './lifecycle.js';
import { startJobHost } from './runtime/host.js';
import { FlinkSqlRunner } from './runtime/runner.js';

/** How often the holder of the lease looks for due transitions when nothing wakes it. */
export const LIFECYCLE_SWEEP_INTERVAL_MS = 250;
export const LIFECYCLE_LEASE = 'analytics/lifecycle';

/**
 * Completes pending transitions (STARTING → RUNNING/READY, STOPPING → READY, DELETING → gone, …)
 * on one node at a time under a work lease, as Firehose's lifecycle sweep does: the node that
 * takes a request wakes its own sweep at once; another node's sweep sees the pending transition
 * in the store within LIFECYCLE_SWEEP_INTERVAL_MS. A transition's end is a compare-and-set, so a
 * sweep that lost its lease mid-way cannot settle it twice.
 */
export function startAnalyticsLifecycle(analytics: Analytics, log: Logger, leases: Leases): { wake(): void; stop(): Promise<void> } {
  const lifecycle = new Lifecycle(analytics, log);
  // Every node hosts jobs: one lease per running application (runtime/host.ts).
  const host = startJobHost({ store: analytics.store, kinesis: analytics.kinesis, firehose: analytics.firehose, objects: analytics.objects, log, metrics: analytics.metrics }, leases);
  const own = analytics.runner instanceof SplitRunner ? analytics.runner.own : analytics.runner;
  if (own instanceof FlinkSqlRunner) own.wakeHost = host.wake;
  // With --flink-rest: the holder of each JAR application's lease watches its job on the cluster.
  const flinkWatch = analytics.runner instanceof SplitRunner ? startFlinkJobWatch(analytics, analytics.runner.flink, leases, log) : undefined;
  let wakeUp: (() => void) | undefined;
  leases.register(LIFECYCLE_LEASE, async ({ signal }: Lease) => {
    while (!signal.aborted) {
      // Not awaited: a slow start must not hold up other applications' transitions.
      void lifecycle.sweep().catch((err) => log.warn({ err }, 'Analytics lifecycle sweep failed'));
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wakeUp = undefined;
          resolve();
        };
        const timer = setTimeout(done, LIFECYCLE_SWEEP_INTERVAL_MS).unref();
        signal.addEventListener('abort', done, { once: true });
        wakeUp = done;
      });
    }
  });
  return {
    wake: () => wakeUp?.(),
    stop: async () => {
      await host.stop();
      await flinkWatch?.stop();
      await leases.unregister(LIFECYCLE_LEASE);
    },
  };
}
