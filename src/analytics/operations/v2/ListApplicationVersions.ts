import { invalidArgument } from '../../../protocol/errors.js';
import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { INVALID_NEXT_TOKEN } from './ListApplicationOperations.js';

/** Default page (model: ListApplicationVersionsInputLimit 1..50). */
export const LIST_VERSIONS_DEFAULT_LIMIT = 50;

/** Versions newest first (UNVERIFIED order); NextToken is the last version id returned. */
export default async function ListApplicationVersions(input: { ApplicationName: string; Limit?: number; NextToken?: string }, context: AnalyticsContext) {
  const app = await findApplication(context, input.ApplicationName);
  let versions = (await context.analytics.applications.versions(app)).reverse();
  if (input.NextToken !== undefined) {
    const index = versions.findIndex((v) => String(v.versionId) === input.NextToken);
    if (index < 0) throw invalidArgument(INVALID_NEXT_TOKEN);
    versions = versions.slice(index + 1);
  }
  const limit = input.Limit ?? LIST_VERSIONS_DEFAULT_LIMIT;
  const page = versions.slice(0, limit);
  return {
    ApplicationVersionSummaries: page.map((v) => ({ ApplicationVersionId: v.versionId, ApplicationStatus: v.versionId === app.versionId ? app.status : v.status })),
    NextToken: versions.length > limit ? String(page.at(-1)!.versionId) : undefined,
  };
}
