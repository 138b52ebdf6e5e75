import type { AnalyticsContext } from '../../context.js';
import {
  APPLICATION_QUOTA,
  applicationArn,
  DEFAULT_MAINTENANCE_START,
  isFlinkRuntime,
  isZeppelinRuntime,
  newConditionalToken,
  TAG_QUOTA,
  type ApplicationConfig,
  type ApplicationDoc,
} from '../../domain/application.js';
import { CodeUnavailableError, resolveCode } from '../../domain/code.js';
import { checkCreate, describeVpc, flinkConfig, zeppelinDescription } from '../../domain/configuration.js';
import { v2Detail } from '../../domain/describe.js';
import { addInput, addOutput, addReference, emptySql, IdAllocator } from '../../domain/sql-config.js';
import { appQuota, applicationExists, codeObjectMissing, logStreamExists, tooManyTags } from '../../errors.js';

/** Creates an application in READY (ANALYTICS-SPEC §2.3, §2.4); its version 1 starts the history. */
export default async function CreateApplication(input: any, context: AnalyticsContext) {
  const { analytics, account, region } = context;
  const name: string = input.ApplicationName;
  const runtime: string = input.RuntimeEnvironment;
  const c = input.ApplicationConfiguration ?? {};
  checkCreate(runtime, input.ApplicationMode, c);
  if (input.Tags && input.Tags.length > TAG_QUOTA) throw tooManyTags(TAG_QUOTA);
  if ((await analytics.applications.get(account, region, name)) !== undefined) throw applicationExists(name, account);
  if ((await analytics.applications.list(account, region)).length >= APPLICATION_QUOTA) throw appQuota(APPLICATION_QUOTA);

  const now = analytics.now();
  const owner = { account, region, name, createMillis: now };
  // Each kind counts on its own: the recorded first input and first output are both `1.1` (§1 fact 6).
  const ids = { input: new IdAllocator(1), output: new IdAllocator(1), reference: new IdAllocator(1), vpc: new IdAllocator(1), logging: new IdAllocator(1) };
  const config: ApplicationConfig = {
    description: input.ApplicationDescription,
    runtime,
    serviceExecutionRole: input.ServiceExecutionRole,
    mode: input.ApplicationMode ?? 'STREAMING',
    vpcs: [],
    cloudWatch: [],
  };
  if (c.ApplicationCodeConfiguration) {
    const code = c.ApplicationCodeConfiguration;
    try {
      config.code = await resolveCode(analytics.code, owner, code.CodeContentType, code.CodeContent ?? {});
    } catch (err) {
      if (err instanceof CodeUnavailableError) throw codeObjectMissing(code.CodeContent.S3ContentLocation.BucketARN, code.CodeContent.S3ContentLocation.FileKey, err.message);
      throw err;
    }
  }
  if (isFlinkRuntime(runtime)) {
    config.flink = flinkConfig(c.FlinkApplicationConfiguration);
    config.snapshotsEnabled = c.ApplicationSnapshotConfiguration?.SnapshotsEnabled ?? true;
    config.rollbackEnabled = c.ApplicationSystemRollbackConfiguration?.RollbackEnabled ?? false;
  }
  if (isZeppelinRuntime(runtime)) config.zeppelin = zeppelinDescription(c.ZeppelinApplicationConfiguration);
  if (c.EnvironmentProperties) config.properties = c.EnvironmentProperties.PropertyGroups;
  if (c.ApplicationEncryptionConfiguration) config.encryption = c.ApplicationEncryptionConfiguration;
  if (c.SqlApplicationConfiguration) {
    config.sql = emptySql();
    for (const i of c.SqlApplicationConfiguration.Inputs ?? []) addInput(config.sql, i, ids.input);
    for (const o of c.SqlApplicationConfiguration.Outputs ?? []) addOutput(config.sql, o, ids.output);
    for (const r of c.SqlApplicationConfiguration.ReferenceDataSources ?? []) addReference(config.sql, r, ids.reference);
  }
  for (const vpc of c.VpcConfigurations ?? []) config.vpcs.push(describeVpc(vpc, ids.vpc.next()));
  for (const option of input.CloudWatchLoggingOptions ?? []) {
    if (config.cloudWatch.some((o) => o.LogStreamARN === option.LogStreamARN)) throw logStreamExists(option.LogStreamARN);
    config.cloudWatch.push({ CloudWatchLoggingOptionId: ids.logging.next(), LogStreamARN: option.LogStreamARN });
  }
  const doc: ApplicationDoc = {
    name,
    account,
    region,
    arn: applicationArn(region, account, name),
    createMillis: now,
    lastUpdateMillis: now,
    status: 'READY',
    versionId: 1,
    versionCreateMillis: now,
    conditionalToken: newConditionalToken(),
    managedBy: 'kinesisanalyticsv2',
    config,
    tags: Object.fromEntries((input.Tags ?? []).map((t: { Key: string; Value?: string }) => [t.Key, t.Value ?? ''])),
    maintenanceWindowStart: DEFAULT_MAINTENANCE_START,
  };
  if (!(await analytics.applications.create(doc))) throw applicationExists(name, account);
  return { ApplicationDetail: v2Detail(doc) };
}

