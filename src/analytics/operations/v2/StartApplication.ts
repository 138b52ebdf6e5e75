import { startApplication } from '../../actions.js';
import type { AnalyticsContext } from '../../context.js';

/** Starts a READY application; the OperationId's status tells how the start ended (§2.4). */
export default async function StartApplication(input: any, context: AnalyticsContext) {
  const run = input.RunConfiguration ?? {};
  const operationId = await startApplication(context, input.ApplicationName, {
    restoreType: run.ApplicationRestoreConfiguration?.ApplicationRestoreType,
    snapshotName: run.ApplicationRestoreConfiguration?.SnapshotName,
    allowNonRestoredState: run.FlinkRunConfiguration?.AllowNonRestoredState,
    inputIds: (run.SqlRunConfigurations ?? []).map((c: { InputId: string }) => c.InputId),
  });
  return { OperationId: operationId };
}
