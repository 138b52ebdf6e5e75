import { invalidArgument } from '../../../protocol/errors.js';
import { findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { isFlinkRuntime, isZeppelinRuntime } from '../../domain/application.js';
import { urlTypeNotForRuntime, wrongStatus } from '../../errors.js';

/** Why no URL is given: Millrace runs no Flink web dashboard and no Zeppelin server. */
export const NO_DASHBOARD = 'Millrace serves no Apache Flink dashboard or Zeppelin UI: describe the application and its operations instead.';

/** FLINK_DASHBOARD_URL for Flink applications, ZEPPELIN_UI_URL for Studio ones, of a RUNNING application. */
export default async function CreateApplicationPresignedUrl(input: { ApplicationName: string; UrlType: string }, context: AnalyticsContext) {
  const app = await findApplication(context, input.ApplicationName);
  const runtime = app.config.runtime;
  if (input.UrlType === 'FLINK_DASHBOARD_URL' ? !isFlinkRuntime(runtime) : !isZeppelinRuntime(runtime)) throw urlTypeNotForRuntime(input.UrlType, runtime);
  if (app.status !== 'RUNNING') throw wrongStatus(app.name, app.status, context.operation);
  throw invalidArgument(NO_DASHBOARD);
}
