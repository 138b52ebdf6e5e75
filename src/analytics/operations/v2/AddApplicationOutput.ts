import type { AnalyticsContext } from '../../context.js';
import { addApplicationOutput } from '../../sub-resources.js';

export default async function AddApplicationOutput(input: any, context: AnalyticsContext) {
  const app = await addApplicationOutput(context, input.ApplicationName, input, input.Output);
  return { ApplicationARN: app.arn, ApplicationVersionId: app.versionId, OutputDescriptions: app.config.sql!.outputs };
}
