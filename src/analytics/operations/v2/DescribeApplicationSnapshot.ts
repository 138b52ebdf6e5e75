import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { snapshotDetails } from '../../domain/describe.js';
import { snapshotNotFound } from '../../errors.js';

export default async function DescribeApplicationSnapshot(input: { ApplicationName: string; SnapshotName: string }, context: AnalyticsContext) {
  const app = await findApplication(context, input.ApplicationName);
  const snapshot = await context.analytics.snapshots.get(app, input.SnapshotName);
  if (!snapshot) throw snapshotNotFound(app.name, input.SnapshotName);
  return { SnapshotDetails: snapshotDetails(snapshot) };
}
