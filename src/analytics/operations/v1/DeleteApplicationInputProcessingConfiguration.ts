import type { AnalyticsContext } from '../../context.js';
import { deleteApplicationInputProcessingConfiguration } from '../../sub-resources.js';

export default async function DeleteApplicationInputProcessingConfiguration(input: any, context: AnalyticsContext) {
  await deleteApplicationInputProcessingConfiguration(context, input.ApplicationName, input, input.InputId);
  return {};
}
