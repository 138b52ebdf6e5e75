import type { AnalyticsContext } from '../../context.js';
import { deleteApplicationOutput } from '../../sub-resources.js';

export default async function DeleteApplicationOutput(input: any, context: AnalyticsContext) {
  await deleteApplicationOutput(context, input.ApplicationName, input, input.OutputId);
  return {};
}
