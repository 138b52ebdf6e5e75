import type { AnalyticsContext } from '../../context.js';
import { addCloudWatchLoggingOption } from '../../sub-resources.js';

export default async function AddApplicationCloudWatchLoggingOption(input: any, context: AnalyticsContext) {
  const { app, operationId } = await addCloudWatchLoggingOption(context, input.ApplicationName, input, input.CloudWatchLoggingOption, false);
  return { ApplicationARN: app.arn, ApplicationVersionId: app.versionId, CloudWatchLoggingOptionDescriptions: app.config.cloudWatch, OperationId: operationId };
}
