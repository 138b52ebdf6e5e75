import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { v1Detail } from '../../domain/describe.js';

/** v1 sees SQL applications; one that v2 made or changed answers the recorded UnsupportedOperationException (§1 fact 2). */
export default async function DescribeApplication(input: { ApplicationName: string }, context: AnalyticsContext) {
  return { ApplicationDetail: v1Detail(await findApplication(context, input.ApplicationName)) };
}
