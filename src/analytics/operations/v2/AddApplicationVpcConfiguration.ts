import type { AnalyticsContext } from '../../context.js';
import { addVpcConfiguration } from '../../sub-resources.js';

export default async function AddApplicationVpcConfiguration(input: any, context: AnalyticsContext) {
  const { app, operationId, described } = await addVpcConfiguration(context, input.ApplicationName, input, input.VpcConfiguration);
  return { ApplicationARN: app.arn, ApplicationVersionId: app.versionId, VpcConfigurationDescription: described, OperationId: operationId };
}
