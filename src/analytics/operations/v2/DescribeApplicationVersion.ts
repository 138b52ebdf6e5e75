import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { v2Detail, versionView } from '../../domain/describe.js';
import { versionNotFound } from '../../errors.js';

export default async function DescribeApplicationVersion(input: { ApplicationName: string; ApplicationVersionId: number }, context: AnalyticsContext) {
  const app = await findApplication(context, input.ApplicationName);
  if (input.ApplicationVersionId === app.versionId) return { ApplicationVersionDetail: v2Detail(app) };
  const version = await context.analytics.applications.version(app, input.ApplicationVersionId);
  if (!version) throw versionNotFound(app.name, input.ApplicationVersionId);
  return { ApplicationVersionDetail: v2Detail(versionView(app, version)) };
}
