import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { v2Detail } from '../../domain/describe.js';

export default async function DescribeApplication(input: { ApplicationName: string }, context: AnalyticsContext) {
  return { ApplicationDetail: v2Detail(await findApplication(context, input.ApplicationName)) };
}
