import type { Lease, Leases } from '../../leases/leases.js';
import { runLeasedJob, type RuntimeDeps } from './job-run.js';
import { JOB_LEASE_PREFIX, RUN_PREFIX, jobLeaseName, runKeyOfLease } from './run-doc.js';

/**
 * Every node runs this: it keeps one work lease registered per run document in the store
 * (`analytics/job/<account>/<region>/<name>`), so that each application's job runs on exactly one node,
 * and on another once that node dies (leases.ts moves a lapsed lease within TAKEOVER_BOUND_MS). The job
 * itself (job-run.ts) keeps everything it needs to resume in the store.
 */

/** How often a node looks for runs started or stopped on other nodes (a local request wakes it at once). */
export const HOST_SCAN_INTERVAL_MS = 500;

export interface JobHost {
  wake(): void;
  stop(): Promise<void>;
}

export function startJobHost(deps: RuntimeDeps, leases: Leases): JobHost {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let scanning: Promise<void> | undefined;
  let again = false;
  const scan = async (): Promise<void> => {
    const runs = await deps.store.meta.list(RUN_PREFIX);
    if (stopped) return;
    await leases.reconcile(
      JOB_LEASE_PREFIX,
      runs.map((entry) => jobLeaseName(entry.key)),
      (name) => (lease: Lease) => runLeasedJob(deps, runKeyOfLease(name), lease),
    );
  };
  const loop = (): void => {
    if (stopped) return;
    if (scanning) {
      again = true;
      return;
    }
    clearTimeout(timer);
    scanning = scan()
      .catch((err) => deps.log.warn({ err }, 'Analytics job scan failed'))
      .finally(() => {
        scanning = undefined;
        if (stopped) return;
        if (again) {
          again = false;
          loop();
        } else timer = setTimeout(loop, HOST_SCAN_INTERVAL_MS).unref();
      });
  };
  loop();
  return {
    wake: loop,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await scanning;
      await leases.reconcile(JOB_LEASE_PREFIX, [], () => async () => undefined);
    },
  };
}
