import { changeApplication, checkLock, findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { ROLLBACKABLE, type PendingTransition } from '../../domain/application.js';
import { v2Detail } from '../../domain/describe.js';
import { noVersionToRollBackTo, wrongStatus } from '../../errors.js';
import { recordOperation } from '../../lifecycle.js';

/**
 * RollbackApplication (apiv2): a new version whose configuration is the one the current version was
 * updated from; the application is ROLLING_BACK while its job restarts on it.
 */
export default async function RollbackApplication(input: { ApplicationName: string; CurrentApplicationVersionId: number }, context: AnalyticsContext) {
  const { analytics } = context;
  const name = input.ApplicationName;
  const found = await findApplication(context, name);
  checkLock(found, input, true);
  if (!ROLLBACKABLE.has(found.status)) throw wrongStatus(name, found.status, context.operation);
  const targetId = found.versionUpdatedFrom ?? found.versionId - 1;
  const target = targetId >= 1 ? await analytics.applications.version(found, targetId) : undefined;
  if (!target) throw noVersionToRollBackTo(name);
  const operationId = analytics.operations.newId();
  const now = analytics.now();
  let previous: PendingTransition | undefined;
  const app = await changeApplication(context, name, (doc) => {
    checkLock(doc, input, true);
    if (!ROLLBACKABLE.has(doc.status)) throw wrongStatus(name, doc.status, context.operation);
    previous = doc.pending;
    const from = doc.versionId;
    doc.versionId += 1;
    doc.versionCreateMillis = now;
    doc.lastUpdateMillis = now;
    doc.versionUpdatedFrom = from;
    doc.rolledBackFrom = from;
    doc.rolledBackTo = target.versionId;
    doc.config = structuredClone(target.config);
    doc.status = 'ROLLING_BACK';
    doc.pending = { kind: 'rollback', operationId, previousVersionId: from, wasRunning: true };
  });
  if (previous?.operationId) await analytics.operations.finish(app, previous.operationId, 'CANCELLED', now);
  await recordOperation(analytics, app, operationId, 'RollbackApplication', app.versionUpdatedFrom, app.versionId);
  analytics.wake();
  return { ApplicationDetail: v2Detail(app), OperationId: operationId };
}
