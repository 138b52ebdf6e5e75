import type { AnalyticsContext } from '../../context.js';
import { deleteApplicationOutput } from '../../sub-resources.js';

export default async function DeleteApplicationOutput(input: any, context: AnalyticsContext) {
  const app = await deleteApplicationOutput(context, input.ApplicationName, input, input.OutputId);
  return { ApplicationARN: app.arn, ApplicationVersionId: app.versionId };
}
