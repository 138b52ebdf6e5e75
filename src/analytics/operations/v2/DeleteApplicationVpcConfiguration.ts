import type { AnalyticsContext } from '../../context.js';
import { deleteVpcConfiguration } from '../../sub-resources.js';

export default async function DeleteApplicationVpcConfiguration(input: any, context: AnalyticsContext) {
  const { app, operationId } = await deleteVpcConfiguration(context, input.ApplicationName, input, input.VpcConfigurationId);
  return { ApplicationARN: app.arn, ApplicationVersionId: app.versionId, OperationId: operationId };
}
