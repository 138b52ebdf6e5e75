import type { AnalyticsContext } from '../../context.js';
import { addApplicationReferenceDataSource } from '../../sub-resources.js';

export default async function AddApplicationReferenceDataSource(input: any, context: AnalyticsContext) {
  const app = await addApplicationReferenceDataSource(context, input.ApplicationName, input, input.ReferenceDataSource);
  return { ApplicationARN: app.arn, ApplicationVersionId: app.versionId, ReferenceDataSourceDescriptions: app.config.sql!.references };
}
