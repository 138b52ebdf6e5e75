import type { AnalyticsContext } from '../../context.js';
import { addApplicationInputProcessingConfiguration } from '../../sub-resources.js';

export default async function AddApplicationInputProcessingConfiguration(input: any, context: AnalyticsContext) {
  await addApplicationInputProcessingConfiguration(context, input.ApplicationName, input, input.InputId, input.InputProcessingConfiguration);
  return {};
}
