import type { AnalyticsContext } from '../../context.js';
import { addCloudWatchLoggingOption } from '../../sub-resources.js';

export default async function AddApplicationCloudWatchLoggingOption(input: any, context: AnalyticsContext) {
  await addCloudWatchLoggingOption(context, input.ApplicationName, input, input.CloudWatchLoggingOption, true);
  return {};
}
