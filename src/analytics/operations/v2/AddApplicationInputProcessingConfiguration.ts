import type { AnalyticsContext } from '../../context.js';
import { addApplicationInputProcessingConfiguration } from '../../sub-resources.js';

export default async function AddApplicationInputProcessingConfiguration(input: any, context: AnalyticsContext) {
  const app = await addApplicationInputProcessingConfiguration(context, input.ApplicationName, input, input.InputId, input.InputProcessingConfiguration);
  const described = app.config.sql!.inputs.find((i) => i.InputId === input.InputId)!;
  return {
    ApplicationARN: app.arn,
    ApplicationVersionId: app.versionId,
    InputId: input.InputId,
    InputProcessingConfigurationDescription: described.InputProcessingConfigurationDescription,
  };
}
