import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { isFlinkRuntime, SNAPSHOT_QUOTA } from '../../domain/application.js';
import { flinkOnly, snapshotExists, snapshotQuota, snapshotsDisabled, wrongStatus } from '../../errors.js';
import { runnable } from '../../lifecycle.js';

/**
 * Snapshots a RUNNING Flink application's state through the runner: CREATING, then READY, or
 * FAILED when the runner cannot save it.
 */
export default async function CreateApplicationSnapshot(input: { ApplicationName: string; SnapshotName: string }, context: AnalyticsContext) {
  const { analytics } = context;
  const app = await findApplication(context, input.ApplicationName);
  if (!isFlinkRuntime(app.config.runtime)) throw flinkOnly(context.operation);
  if (app.config.snapshotsEnabled !== true) throw snapshotsDisabled(app.name);
  if (app.status !== 'RUNNING') throw wrongStatus(app.name, app.status, context.operation);
  if ((await analytics.snapshots.list(app)).length >= SNAPSHOT_QUOTA) throw snapshotQuota(SNAPSHOT_QUOTA);
  const snapshot = {
    name: input.SnapshotName,
    status: 'CREATING' as const,
    versionId: app.versionId,
    createMillis: analytics.now(),
    runtime: app.config.runtime,
    encryption: app.config.encryption,
  };
  if (!(await analytics.snapshots.create(app, snapshot))) throw snapshotExists(app.name, input.SnapshotName);
  try {
    const ref = await analytics.runner.snapshot(runnable(analytics, app), input.SnapshotName);
    await analytics.snapshots.set(app, { ...snapshot, status: 'READY', state: ref.state });
  } catch (err) {
    context.log.warn({ err, application: app.name, snapshot: input.SnapshotName }, 'Analytics snapshot failed');
    await analytics.snapshots.set(app, { ...snapshot, status: 'FAILED' });
  }
  return {};
}
