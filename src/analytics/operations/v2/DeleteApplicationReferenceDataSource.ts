import type { AnalyticsContext } from '../../context.js';
import { deleteApplicationReferenceDataSource } from '../../sub-resources.js';

export default async function DeleteApplicationReferenceDataSource(input: any, context: AnalyticsContext) {
  const app = await deleteApplicationReferenceDataSource(context, input.ApplicationName, input, input.ReferenceId);
  return { ApplicationARN: app.arn, ApplicationVersionId: app.versionId };
}
