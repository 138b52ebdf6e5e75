import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { sameCreationTime } from '../../domain/application.js';
import { snapshotNotFound, snapshotTimestampMismatch } from '../../errors.js';
import { runnable } from '../../lifecycle.js';

/** SnapshotCreationTimestamp must be the snapshot's (model: required). */
export default async function DeleteApplicationSnapshot(input: { ApplicationName: string; SnapshotName: string; SnapshotCreationTimestamp: Date }, context: AnalyticsContext) {
  const { analytics } = context;
  const app = await findApplication(context, input.ApplicationName);
  const snapshot = await analytics.snapshots.get(app, input.SnapshotName);
  if (!snapshot) throw snapshotNotFound(app.name, input.SnapshotName);
  if (!sameCreationTime(input.SnapshotCreationTimestamp, snapshot.createMillis)) throw snapshotTimestampMismatch(input.SnapshotName);
  if (snapshot.state) await analytics.runner.dropSnapshot(runnable(analytics, app), { name: snapshot.name, state: snapshot.state });
  await analytics.snapshots.delete(app, input.SnapshotName);
  return {};
}
