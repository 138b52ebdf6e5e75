import type { AnalyticsContext } from '../../context.js';
import { deleteCloudWatchLoggingOption } from '../../sub-resources.js';

export default async function DeleteApplicationCloudWatchLoggingOption(input: any, context: AnalyticsContext) {
  await deleteCloudWatchLoggingOption(context, input.ApplicationName, input, input.CloudWatchLoggingOptionId, true);
  return {};
}
