import { invalidArgument } from '../../../protocol/errors.js';
import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { snapshotDetails } from '../../domain/describe.js';
import { INVALID_NEXT_TOKEN } from './ListApplicationOperations.js';

/** Default page (model: ListSnapshotsInputLimit 1..50). */
export const LIST_SNAPSHOTS_DEFAULT_LIMIT = 50;

/** Snapshots oldest first; NextToken is the last name returned. */
export default async function ListApplicationSnapshots(input: { ApplicationName: string; Limit?: number; NextToken?: string }, context: AnalyticsContext) {
  const app = await findApplication(context, input.ApplicationName);
  let snapshots = await context.analytics.snapshots.list(app);
  if (input.NextToken !== undefined) {
    const index = snapshots.findIndex((s) => s.name === input.NextToken);
    if (index < 0) throw invalidArgument(INVALID_NEXT_TOKEN);
    snapshots = snapshots.slice(index + 1);
  }
  const limit = input.Limit ?? LIST_SNAPSHOTS_DEFAULT_LIMIT;
  const page = snapshots.slice(0, limit);
  return { SnapshotSummaries: page.map(snapshotDetails), NextToken: snapshots.length > limit ? page.at(-1)!.name : undefined };
}
