import type { Logger } from 'pino';
import type { Lease, Leases } from '../../leases/leases.js';
import type { Analytics } from '../context.js';
import { FlinkUnreachableError, TERMINAL_STATES } from './client.js';
import { FLINK_RUN_PREFIX, summarize, type FlinkRunDoc, type FlinkRestRunner } from './runner.js';
import { pause } from '../../leases/pause.js';

/**
 * Watches each JAR application's job on the Flink cluster from the node holding the application's work
 * lease (`analytics/flink-job/<account>/<region>/<name>`, one node at a time, moving on failover as the
 * Flink SQL jobs' leases do). Flink restarts a failing job by its own restart strategy, and the
 * application stays RUNNING meanwhile, as on AWS; once the job has ended for good (FAILED, CANCELED or
 * FINISHED, or gone from the cluster) with no stop asked, nothing runs, so the application goes back to
 * READY (never RUNNING with nothing running) and the log says why, with Flink's exception.
 */

/** How often the lease holder asks Flink how a running job is. */
export const FLINK_WATCH_INTERVAL_MS = 500;
/** How often a node looks for JAR runs started on other nodes (a local start wakes it at once). */
export const FLINK_WATCH_SCAN_MS = 500;
export const FLINK_JOB_LEASE_PREFIX = 'analytics/flink-job/';
const leaseOf = (runKey: string) => FLINK_JOB_LEASE_PREFIX + runKey.slice(FLINK_RUN_PREFIX.length);
const runKeyOf = (lease: string) => FLINK_RUN_PREFIX + lease.slice(FLINK_JOB_LEASE_PREFIX.length);


export function startFlinkJobWatch(analytics: Analytics, runner: FlinkRestRunner, leases: Leases, log: Logger): { wake(): void; stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> | undefined;
  const scan = async () => {
    const runs = await analytics.store.meta.list(FLINK_RUN_PREFIX);
    if (stopped) return;
    await leases.reconcile(
      FLINK_JOB_LEASE_PREFIX,
      runs.map((entry) => leaseOf(entry.key)),
      (name) => (lease: Lease) => watchJob(analytics, runner, runKeyOf(name), lease, log),
    );
  };
  const loop = () => {
    if (stopped || scanning) return;
    clearTimeout(timer);
    scanning = scan()
      .catch((err) => log.warn({ err }, 'Flink job scan failed'))
      .finally(() => {
        scanning = undefined;
        if (!stopped) timer = setTimeout(loop, FLINK_WATCH_SCAN_MS).unref();
      });
  };
  loop();
  return {
    wake: loop,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await scanning;
      await leases.reconcile(FLINK_JOB_LEASE_PREFIX, [], () => async () => undefined);
    },
  };
}

async function watchJob(analytics: Analytics, runner: FlinkRestRunner, key: string, lease: Lease, log: Logger): Promise<void> {
  let unreachable = false;
  while (!lease.signal.aborted) {
    const run = (await analytics.store.meta.get<FlinkRunDoc>(key))?.value;
    if (!run) return;
    if (run.desired === 'RUNNING' && run.phase === 'RUNNING') {
      try {
        const state = await runner.client.jobState(run.jobId);
        if (unreachable) log.info({ application: run.app.name }, 'The Flink cluster answers again');
        unreachable = false;
        if (state === undefined || TERMINAL_STATES.has(state)) await ended(analytics, runner, run, state, log);
      } catch (err) {
        // Not knowing is not knowing it ended: the application stays as it is until Flink answers.
        if (!unreachable) log.warn({ application: run.app.name, error: (err as Error).message }, 'Cannot ask Flink how the job is');
        unreachable = err instanceof FlinkUnreachableError;
      }
    }
    await pause(FLINK_WATCH_INTERVAL_MS, lease.signal);
  }
}

/** The job ended with no stop asked: the run is over and the application READY again. */
async function ended(analytics: Analytics, runner: FlinkRestRunner, run: FlinkRunDoc, state: string | undefined, log: Logger): Promise<void> {
  // First claim the end (a stop asked meanwhile wins, and then the end is the stop's).
  if (!(await runner.update(run, (d) => (d.desired === 'RUNNING' ? { ...d, desired: 'STOPPED' } : undefined)))) return;
  const failure = state === 'FAILED' ? await runner.client.failure(run.jobId).catch(() => undefined) : undefined;
  await runner.end(run, 'forget');
  const { account, region, name, createMillis } = run.app;
  await analytics.applications
    .update(
      account,
      region,
      name,
      (doc) => {
        if (doc.createMillis !== createMillis || doc.status !== 'RUNNING' || doc.pending) return doc;
        doc.status = 'READY';
        return doc;
      },
      () => new Error('gone'),
    )
    .catch(() => undefined);
  log.warn(
    { application: name, job: run.jobId, state: state ?? 'unknown to the cluster', error: failure ? summarize(failure) : undefined },
    'The Flink job of a running application ended; the application is READY',
  );
}
