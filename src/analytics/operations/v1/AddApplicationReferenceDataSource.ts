import type { AnalyticsContext } from '../../context.js';
import { addApplicationReferenceDataSource } from '../../sub-resources.js';

export default async function AddApplicationReferenceDataSource(input: any, context: AnalyticsContext) {
  await addApplicationReferenceDataSource(context, input.ApplicationName, input, input.ReferenceDataSource);
  return {};
}
