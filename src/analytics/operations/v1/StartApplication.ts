import { startApplication } from '../../actions.js';
import type { AnalyticsContext } from '../../context.js';

/**
 * v1 applications are SQL-1_0, which this server does not run (issue 15 §2): after the checks AWS
 * makes (the application exists, is READY, the input ids are its own) the start is refused with
 * that reason.
 */
export default async function StartApplication(input: { ApplicationName: string; InputConfigurations: { Id: string }[] }, context: AnalyticsContext) {
  await startApplication(context, input.ApplicationName, { inputIds: input.InputConfigurations.map((c) => c.Id) });
  return {};
}
