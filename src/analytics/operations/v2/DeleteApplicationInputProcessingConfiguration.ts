import type { AnalyticsContext } from '../../context.js';
import { deleteApplicationInputProcessingConfiguration } from '../../sub-resources.js';

export default async function DeleteApplicationInputProcessingConfiguration(input: any, context: AnalyticsContext) {
  const app = await deleteApplicationInputProcessingConfiguration(context, input.ApplicationName, input, input.InputId);
  return { ApplicationARN: app.arn, ApplicationVersionId: app.versionId };
}
