import { changeConfiguration, type Lock } from './access.js';
import type { AnalyticsContext } from './context.js';
import type { ApplicationDoc } from './domain/application.js';
import { recordOperation } from './lifecycle.js';

/**
 * A configuration change with its v2 operation: READY applications take it at once (SUCCESSFUL);
 * a RUNNING application goes UPDATING and the background restarts its job on the new version.
 */
export async function beginConfigurationChange(
  context: AnalyticsContext,
  name: string,
  lock: Lock,
  versionRequired: boolean,
  operation: string,
  change: (app: ApplicationDoc) => void,
  options: { restart?: boolean } = {},
): Promise<{ app: ApplicationDoc; operationId: string; from: number }> {
  const { analytics } = context;
  const operationId = analytics.operations.newId();
  let from = 0;
  let restarting = false;
  const app = await changeConfiguration(context, name, lock, versionRequired, (doc) => {
    from = doc.versionUpdatedFrom!;
    change(doc);
    restarting = doc.status === 'RUNNING' && options.restart !== false;
    if (restarting) {
      doc.status = 'UPDATING';
      doc.pending = { kind: 'update', operationId, previousVersionId: from, wasRunning: true };
    }
  });
  await recordOperation(analytics, app, operationId, operation, from, app.versionId, restarting ? undefined : 'SUCCESSFUL');
  if (restarting) analytics.wake();
  return { app, operationId, from };
}
