import { invalidArgument } from '../../../protocol/errors.js';
import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { prune } from '../../domain/describe.js';

/** Default page (model: ListApplicationOperationsInputLimit 1..50). */
export const LIST_OPERATIONS_DEFAULT_LIMIT = 50;
/** UNVERIFIED text: a NextToken this API did not give. */
export const INVALID_NEXT_TOKEN = 'Invalid NextToken.';

/** Operations in the order they started, filtered by Operation and OperationStatus; NextToken is the last id returned. */
export default async function ListApplicationOperations(input: any, context: AnalyticsContext) {
  const app = await findApplication(context, input.ApplicationName);
  let ops = (await context.analytics.operations.list(app)).filter(
    (op) => (input.Operation === undefined || op.operation === input.Operation) && (input.OperationStatus === undefined || op.status === input.OperationStatus),
  );
  if (input.NextToken !== undefined) {
    const index = ops.findIndex((op) => op.id === input.NextToken);
    if (index < 0) throw invalidArgument(INVALID_NEXT_TOKEN);
    ops = ops.slice(index + 1);
  }
  const limit = input.Limit ?? LIST_OPERATIONS_DEFAULT_LIMIT;
  const page = ops.slice(0, limit);
  return prune({
    ApplicationOperationInfoList: page.map((op) => ({
      Operation: op.operation,
      OperationId: op.id,
      StartTime: new Date(op.startMillis),
      EndTime: op.endMillis === undefined ? undefined : new Date(op.endMillis),
      OperationStatus: op.status,
    })),
    NextToken: ops.length > limit ? page.at(-1)!.id : undefined,
  });
}
