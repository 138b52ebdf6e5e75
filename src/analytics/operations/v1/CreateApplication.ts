import type { AnalyticsContext } from '../../context.js';
import {
  APPLICATION_QUOTA,
  applicationArn,
  DEFAULT_MAINTENANCE_START,
  newConditionalToken,
  SQL_RUNTIME,
  TAG_QUOTA,
  type ApplicationDoc,
} from '../../domain/application.js';
import { md5Hex } from '../../domain/code.js';
import { addInput, addOutput, emptySql, IdAllocator } from '../../domain/sql-config.js';
import { appQuota, applicationExists, logStreamExists, tooManyTags } from '../../errors.js';

/** A v1 SQL application (§2.2), READY at once; ids `1.1`… (§1 fact 6). */
export default async function CreateApplication(input: any, context: AnalyticsContext) {
  const { analytics, account, region } = context;
  const name: string = input.ApplicationName;
  if (input.Tags && input.Tags.length > TAG_QUOTA) throw tooManyTags(TAG_QUOTA);
  if ((await analytics.applications.get(account, region, name)) !== undefined) throw applicationExists(name, account);
  if ((await analytics.applications.list(account, region)).length >= APPLICATION_QUOTA) throw appQuota(APPLICATION_QUOTA);
  const now = analytics.now();
  // Each kind counts on its own: the recorded first input and first output are both `1.1` (§1 fact 6).
  const ids = { input: new IdAllocator(1), output: new IdAllocator(1), reference: new IdAllocator(1), vpc: new IdAllocator(1), logging: new IdAllocator(1) };
  const sql = emptySql();
  for (const i of input.Inputs ?? []) addInput(sql, i, ids.input);
  for (const o of input.Outputs ?? []) addOutput(sql, o, ids.output);
  const cloudWatch: ApplicationDoc['config']['cloudWatch'] = [];
  for (const option of input.CloudWatchLoggingOptions ?? []) {
    if (cloudWatch.some((o) => o.LogStreamARN === option.LogStreamARN)) throw logStreamExists(option.LogStreamARN);
    cloudWatch.push({ CloudWatchLoggingOptionId: ids.logging.next(), LogStreamARN: option.LogStreamARN, RoleARN: option.RoleARN });
  }
  const code: string | undefined = input.ApplicationCode;
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
    managedBy: 'kinesisanalytics',
    config: {
      description: input.ApplicationDescription,
      runtime: SQL_RUNTIME,
      mode: 'STREAMING',
      code: code === undefined ? undefined : { type: 'PLAINTEXT', text: code, md5: md5Hex(code), size: Buffer.byteLength(code) },
      sql,
      vpcs: [],
      cloudWatch,
    },
    tags: Object.fromEntries((input.Tags ?? []).map((t: { Key: string; Value?: string }) => [t.Key, t.Value ?? ''])),
    maintenanceWindowStart: DEFAULT_MAINTENANCE_START,
  };
  if (!(await analytics.applications.create(doc))) throw applicationExists(name, account);
  return { ApplicationSummary: { ApplicationName: name, ApplicationARN: doc.arn, ApplicationStatus: 'READY' } };
}
