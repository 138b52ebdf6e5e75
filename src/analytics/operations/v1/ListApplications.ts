import type { AnalyticsContext } from '../../context.js';
import { v1Status } from '../../domain/describe.js';

/** Default page, UNVERIFIED (model: ListApplicationsInputLimit 1..50). */
export const V1_LIST_DEFAULT_LIMIT = 50;

/**
 * Every application of the namespace, v2's included (cloud-custodian#6052 listed a v2 application
 * through v1, then could not describe it); paged by name with HasMoreApplications (§2.2).
 */
export default async function ListApplications(input: { Limit?: number; ExclusiveStartApplicationName?: string }, context: AnalyticsContext) {
  const limit = input.Limit ?? V1_LIST_DEFAULT_LIMIT;
  const all = await context.analytics.applications.list(context.account, context.region);
  const after = input.ExclusiveStartApplicationName === undefined ? all : all.filter((app) => app.name > input.ExclusiveStartApplicationName!);
  return {
    ApplicationSummaries: after.slice(0, limit).map((app) => ({ ApplicationName: app.name, ApplicationARN: app.arn, ApplicationStatus: v1Status(app.status) })),
    HasMoreApplications: after.length > limit,
  };
}
