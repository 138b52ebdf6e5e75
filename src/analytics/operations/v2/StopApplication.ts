import { stopApplication } from '../../actions.js';
import type { AnalyticsContext } from '../../context.js';

export default async function StopApplication(input: { ApplicationName: string; Force?: boolean }, context: AnalyticsContext) {
  return { OperationId: await stopApplication(context, input.ApplicationName, input.Force === true) };
}
