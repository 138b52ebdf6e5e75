import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { prune } from '../../domain/describe.js';
import { operationNotFound } from '../../errors.js';

export default async function DescribeApplicationOperation(input: { ApplicationName: string; OperationId: string }, context: AnalyticsContext) {
  const app = await findApplication(context, input.ApplicationName);
  const op = await context.analytics.operations.get(app, input.OperationId);
  if (!op) throw operationNotFound(input.OperationId);
  return prune({
    ApplicationOperationInfoDetails: {
      Operation: op.operation,
      StartTime: new Date(op.startMillis),
      EndTime: op.endMillis === undefined ? undefined : new Date(op.endMillis),
      OperationStatus: op.status,
      ApplicationVersionChangeDetails:
        op.versionFrom !== undefined && op.versionTo !== undefined ? { ApplicationVersionUpdatedFrom: op.versionFrom, ApplicationVersionUpdatedTo: op.versionTo } : undefined,
      OperationFailureDetails:
        op.error !== undefined || op.rollbackOperationId !== undefined
          ? { RollbackOperationId: op.rollbackOperationId, ErrorInfo: op.error === undefined ? undefined : { ErrorString: op.error } }
          : undefined,
    },
  });
}
