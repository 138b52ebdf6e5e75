import { invalidArgument } from '../../../protocol/errors.js';
import type { AnalyticsContext } from '../../context.js';
import { md5Hex } from '../../domain/code.js';
import { applySqlUpdates } from '../../domain/sql-config.js';
import { loggingOptionNotFound, NOTHING_TO_UPDATE } from '../../errors.js';
import { beginConfigurationChange } from '../../update.js';

/** v1 UpdateApplication: code, inputs, outputs, reference data and logging options in one new version (§2.2). */
export default async function UpdateApplication(input: any, context: AnalyticsContext) {
  const u = input.ApplicationUpdate;
  if (!u.ApplicationCodeUpdate && !u.InputUpdates && !u.OutputUpdates && !u.ReferenceDataSourceUpdates && !u.CloudWatchLoggingOptionUpdates) {
    throw invalidArgument(NOTHING_TO_UPDATE);
  }
  await beginConfigurationChange(context, input.ApplicationName, input, true, 'UpdateApplication', (app) => {
    const c = app.config;
    if (u.ApplicationCodeUpdate !== undefined) {
      const text: string = u.ApplicationCodeUpdate;
      c.code = { type: 'PLAINTEXT', text, md5: md5Hex(text), size: Buffer.byteLength(text) };
    }
    c.sql ??= { inputs: [], outputs: [], references: [] };
    applySqlUpdates(c.sql, u);
    for (const update of u.CloudWatchLoggingOptionUpdates ?? []) {
      const option = c.cloudWatch.find((o) => o.CloudWatchLoggingOptionId === update.CloudWatchLoggingOptionId);
      if (!option) throw loggingOptionNotFound(update.CloudWatchLoggingOptionId);
      if (update.LogStreamARNUpdate) option.LogStreamARN = update.LogStreamARNUpdate;
      if (update.RoleARNUpdate) option.RoleARN = update.RoleARNUpdate;
    }
  });
  return {};
}
