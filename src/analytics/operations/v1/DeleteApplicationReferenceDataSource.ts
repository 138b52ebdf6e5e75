import type { AnalyticsContext } from '../../context.js';
import { deleteApplicationReferenceDataSource } from '../../sub-resources.js';

export default async function DeleteApplicationReferenceDataSource(input: any, context: AnalyticsContext) {
  await deleteApplicationReferenceDataSource(context, input.ApplicationName, input, input.ReferenceId);
  return {};
}
