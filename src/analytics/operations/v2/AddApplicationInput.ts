import type { AnalyticsContext } from '../../context.js';
import { addApplicationInput } from '../../sub-resources.js';

export default async function AddApplicationInput(input: any, context: AnalyticsContext) {
  const app = await addApplicationInput(context, input.ApplicationName, input, input.Input);
  return { ApplicationARN: app.arn, ApplicationVersionId: app.versionId, InputDescriptions: app.config.sql!.inputs };
}
