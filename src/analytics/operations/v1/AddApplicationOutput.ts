import type { AnalyticsContext } from '../../context.js';
import { addApplicationOutput } from '../../sub-resources.js';

export default async function AddApplicationOutput(input: any, context: AnalyticsContext) {
  await addApplicationOutput(context, input.ApplicationName, input, input.Output);
  return {};
}
