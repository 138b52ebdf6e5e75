import { stopApplication } from '../../actions.js';
import type { AnalyticsContext } from '../../context.js';

export default async function StopApplication(input: { ApplicationName: string }, context: AnalyticsContext) {
  await stopApplication(context, input.ApplicationName, false);
  return {};
}
