import { invalidArgument } from '../../../protocol/errors.js';
import { checkLock, CONFIGURABLE, findApplication } from '../../access.js';
import type { AnalyticsContext } from '../../context.js';
import { isFlinkRuntime, isSqlRuntime, type ApplicationDoc, type CodeConfig } from '../../domain/application.js';
import { CodeUnavailableError, resolveCode, type CodeInput } from '../../domain/code.js';
import { checkCodeContent, flinkConfigUpdate } from '../../domain/configuration.js';
import { v2Detail } from '../../domain/describe.js';
import { applySqlUpdates, mergeUpdate } from '../../domain/sql-config.js';
import {
  codeObjectMissing,
  configNotForRuntime,
  loggingOptionNotFound,
  NOTHING_TO_UPDATE,
  runtimeChangeRefused,
  vpcNotFound,
  wrongStatus,
} from '../../errors.js';
import { beginConfigurationChange } from '../../update.js';

/**
 * UpdateApplication (§2.3): a new version of the configuration. On a READY application it takes
 * effect at once (the operation is SUCCESSFUL); on a RUNNING one the application is UPDATING
 * while the job restarts on the new version in the background.
 */
export default async function UpdateApplication(input: any, context: AnalyticsContext) {
  const name: string = input.ApplicationName;
  const update = input.ApplicationConfigurationUpdate;
  if (!update && !input.RunConfigurationUpdate && !input.RuntimeEnvironmentUpdate && !input.ServiceExecutionRoleUpdate && !input.CloudWatchLoggingOptionUpdates) {
    throw invalidArgument(NOTHING_TO_UPDATE);
  }
  const found = await findApplication(context, name);
  checkLock(found, input, false);
  if (!CONFIGURABLE.has(found.status)) throw wrongStatus(name, found.status, context.operation);
  const runtime = found.config.runtime;
  if (input.RuntimeEnvironmentUpdate !== undefined && input.RuntimeEnvironmentUpdate !== runtime) {
    // In-place version upgrades only between Flink runtimes.
    if (!isFlinkRuntime(runtime) || !isFlinkRuntime(input.RuntimeEnvironmentUpdate)) throw runtimeChangeRefused(runtime, input.RuntimeEnvironmentUpdate);
  }
  for (const [member, fits] of [
    ['FlinkApplicationConfigurationUpdate', isFlinkRuntime(runtime)],
    ['SqlApplicationConfigurationUpdate', isSqlRuntime(runtime)],
    ['ApplicationSnapshotConfigurationUpdate', isFlinkRuntime(runtime)],
    ['ApplicationSystemRollbackConfigurationUpdate', isFlinkRuntime(runtime)],
    ['ZeppelinApplicationConfigurationUpdate', !isFlinkRuntime(runtime) && !isSqlRuntime(runtime)],
  ] as const) {
    if (update?.[member] && !fits) throw configNotForRuntime(member, runtime);
  }
  const code = update?.ApplicationCodeConfigurationUpdate ? await updatedCode(context, found, update.ApplicationCodeConfigurationUpdate) : undefined;

  const { app, operationId } = await beginConfigurationChange(context, name, input, false, 'UpdateApplication', (doc) => {
    const c = doc.config;
    if (code) c.code = code;
    if (input.RuntimeEnvironmentUpdate) c.runtime = input.RuntimeEnvironmentUpdate;
    if (input.ServiceExecutionRoleUpdate) c.serviceExecutionRole = input.ServiceExecutionRoleUpdate;
    if (update?.FlinkApplicationConfigurationUpdate) c.flink = flinkConfigUpdate(update.FlinkApplicationConfigurationUpdate, c.flink);
    if (update?.EnvironmentPropertyUpdates) c.properties = update.EnvironmentPropertyUpdates.PropertyGroups;
    if (update?.ApplicationSnapshotConfigurationUpdate) c.snapshotsEnabled = update.ApplicationSnapshotConfigurationUpdate.SnapshotsEnabledUpdate;
    if (update?.ApplicationSystemRollbackConfigurationUpdate) c.rollbackEnabled = update.ApplicationSystemRollbackConfigurationUpdate.RollbackEnabledUpdate;
    if (update?.ApplicationEncryptionConfigurationUpdate) {
      const e = update.ApplicationEncryptionConfigurationUpdate;
      c.encryption = e.KeyIdUpdate !== undefined ? { KeyType: e.KeyTypeUpdate, KeyId: e.KeyIdUpdate } : { KeyType: e.KeyTypeUpdate };
    }
    if (update?.SqlApplicationConfigurationUpdate) {
      c.sql ??= { inputs: [], outputs: [], references: [] };
      applySqlUpdates(c.sql, update.SqlApplicationConfigurationUpdate);
    }
    for (const u of update?.VpcConfigurationUpdates ?? []) {
      const vpc = c.vpcs.find((v) => v.VpcConfigurationId === u.VpcConfigurationId);
      if (!vpc) throw vpcNotFound(u.VpcConfigurationId);
      if (u.SubnetIdUpdates) vpc.SubnetIds = u.SubnetIdUpdates;
      if (u.SecurityGroupIdUpdates) vpc.SecurityGroupIds = u.SecurityGroupIdUpdates;
    }
    if (update?.ZeppelinApplicationConfigurationUpdate) {
      const z = update.ZeppelinApplicationConfigurationUpdate;
      c.zeppelin ??= { MonitoringConfigurationDescription: { LogLevel: 'INFO' } };
      if (z.MonitoringConfigurationUpdate) c.zeppelin.MonitoringConfigurationDescription = { LogLevel: z.MonitoringConfigurationUpdate.LogLevelUpdate };
      if (z.CatalogConfigurationUpdate) {
        c.zeppelin.CatalogConfigurationDescription = {
          GlueDataCatalogConfigurationDescription: { DatabaseARN: z.CatalogConfigurationUpdate.GlueDataCatalogConfigurationUpdate.DatabaseARNUpdate },
        };
      }
      if (z.DeployAsApplicationConfigurationUpdate?.S3ContentLocationUpdate) {
        const current = c.zeppelin.DeployAsApplicationConfigurationDescription?.S3ContentLocationDescription;
        c.zeppelin.DeployAsApplicationConfigurationDescription = { S3ContentLocationDescription: mergeUpdate(current, z.DeployAsApplicationConfigurationUpdate.S3ContentLocationUpdate) };
      }
      if (z.CustomArtifactsConfigurationUpdate) {
        c.zeppelin.CustomArtifactsConfigurationDescription = z.CustomArtifactsConfigurationUpdate.map((a: any) => ({
          ArtifactType: a.ArtifactType,
          S3ContentLocationDescription: a.S3ContentLocation,
          MavenReferenceDescription: a.MavenReference,
        }));
      }
    }
    for (const u of input.CloudWatchLoggingOptionUpdates ?? []) {
      const option = c.cloudWatch.find((o) => o.CloudWatchLoggingOptionId === u.CloudWatchLoggingOptionId);
      if (!option) throw loggingOptionNotFound(u.CloudWatchLoggingOptionId);
      if (u.LogStreamARNUpdate) option.LogStreamARN = u.LogStreamARNUpdate;
    }
    if (input.RunConfigurationUpdate) {
      const r = input.RunConfigurationUpdate;
      const run = doc.run ?? { restoreType: 'RESTORE_FROM_LATEST_SNAPSHOT', allowNonRestoredState: false };
      if (r.ApplicationRestoreConfiguration) {
        run.restoreType = r.ApplicationRestoreConfiguration.ApplicationRestoreType;
        run.snapshotName = r.ApplicationRestoreConfiguration.SnapshotName;
      }
      if (r.FlinkRunConfiguration?.AllowNonRestoredState !== undefined) run.allowNonRestoredState = r.FlinkRunConfiguration.AllowNonRestoredState;
      doc.run = run;
    }
  });
  return { ApplicationDetail: v2Detail(app), OperationId: operationId };
}

/** The code after ApplicationCodeConfigurationUpdate: read now, so CodeMD5/CodeSize describe what will run. */
async function updatedCode(context: AnalyticsContext, app: ApplicationDoc, update: any): Promise<CodeConfig> {
  const current = app.config.code;
  const type = update.CodeContentTypeUpdate ?? current?.type ?? 'ZIPFILE';
  const u = update.CodeContentUpdate ?? {};
  const content: CodeInput = {};
  if (u.TextContentUpdate !== undefined) content.TextContent = u.TextContentUpdate;
  if (u.ZipFileContentUpdate !== undefined) content.ZipFileContent = u.ZipFileContentUpdate;
  if (u.S3ContentLocationUpdate !== undefined) {
    const merged = mergeUpdate(current?.s3, u.S3ContentLocationUpdate);
    if (!merged.BucketARN || !merged.FileKey) throw invalidArgument('S3ContentLocationUpdate must give BucketARNUpdate and FileKeyUpdate when the code is not already in S3.');
    content.S3ContentLocation = merged as CodeInput['S3ContentLocation'];
  }
  if (Object.keys(content).length === 0) {
    // Only the content type changes: keep the content.
    if (current?.text !== undefined) content.TextContent = current.text;
    else if (current?.s3) content.S3ContentLocation = current.s3;
    else if (current) return { ...current, type };
  }
  checkCodeContent(type, content);
  try {
    return await resolveCode(context.analytics.code, app, type, content);
  } catch (err) {
    if (err instanceof CodeUnavailableError) throw codeObjectMissing(content.S3ContentLocation!.BucketARN, content.S3ContentLocation!.FileKey, err.message);
    throw err;
  }
}
