import type { AnalyticsContext } from '../../context.js';
import { deleteCloudWatchLoggingOption } from '../../sub-resources.js';

export default async function DeleteApplicationCloudWatchLoggingOption(input: any, context: AnalyticsContext) {
  const { app, operationId } = await deleteCloudWatchLoggingOption(context, input.ApplicationName, input, input.CloudWatchLoggingOptionId, false);
  return { ApplicationARN: app.arn, ApplicationVersionId: app.versionId, CloudWatchLoggingOptionDescriptions: app.config.cloudWatch, OperationId: operationId };
}
