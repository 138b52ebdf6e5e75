import type { AnalyticsContext } from '../../context.js';

/** Default and largest page (model: ListApplicationsInputLimit 1..50). */
export const LIST_APPLICATIONS_DEFAULT_LIMIT = 50;

/** Applications by name; NextToken is the last name returned (§2.3). */
export default async function ListApplications(input: { Limit?: number; NextToken?: string }, context: AnalyticsContext) {
  const limit = input.Limit ?? LIST_APPLICATIONS_DEFAULT_LIMIT;
  const all = await context.analytics.applications.list(context.account, context.region);
  const after = input.NextToken === undefined ? all : all.filter((app) => app.name > input.NextToken!);
  const page = after.slice(0, limit);
  return {
    ApplicationSummaries: page.map((app) => ({
      ApplicationName: app.name,
      ApplicationARN: app.arn,
      ApplicationStatus: app.status,
      ApplicationVersionId: app.versionId,
      RuntimeEnvironment: app.config.runtime,
      ApplicationMode: app.config.mode,
    })),
    NextToken: after.length > limit ? page.at(-1)!.name : undefined,
  };
}
