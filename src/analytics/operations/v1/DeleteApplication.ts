import { deleteApplication } from '../../actions.js';
import type { AnalyticsContext } from '../../context.js';

export default async function DeleteApplication(input: { ApplicationName: string; CreateTimestamp: Date }, context: AnalyticsContext) {
  await deleteApplication(context, input.ApplicationName, input.CreateTimestamp);
  return {};
}
