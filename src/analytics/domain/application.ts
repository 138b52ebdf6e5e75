import { randomBytes } from 'node:crypto';

/**
 * One Kinesis Data Analytics application as the store keeps it: one document per application,
 * shared by the v1 (2015-08-14) and v2 (2018-05-23) APIs (ANALYTICS-SPEC §1 fact 2). Everything an
 * UpdateApplication may change lives in `config` and is copied into the versions history; tags and
 * the run state are not versioned.
 */

export type ApplicationStatus =
  | 'DELETING'
  | 'STARTING'
  | 'STOPPING'
  | 'READY'
  | 'RUNNING'
  | 'UPDATING'
  | 'AUTOSCALING'
  | 'FORCE_STOPPING'
  | 'ROLLING_BACK'
  | 'MAINTENANCE'
  | 'ROLLED_BACK';

/** Which SDK made or last changed an application (§1 fact 2). */
export type ManagingApi = 'kinesisanalytics' | 'kinesisanalyticsv2';

export const SQL_RUNTIME = 'SQL-1_0';
export const isSqlRuntime = (runtime: string) => runtime === SQL_RUNTIME;
export const isFlinkRuntime = (runtime: string) => runtime.startsWith('FLINK-');
export const isZeppelinRuntime = (runtime: string) => runtime.startsWith('ZEPPELIN-');

export interface CodeConfig {
  type: 'PLAINTEXT' | 'ZIPFILE';
  text?: string;
  /** Hex MD5 and byte size of the code (the text's UTF-8, or the zip). */
  md5?: string;
  size?: number;
  s3?: { BucketARN: string; FileKey: string; ObjectVersion?: string };
  /** An inline ZipFileContent, kept in the store under code-store.ts's keys by its MD5. */
  inlineZip?: boolean;
}

export interface FlinkConfig {
  checkpoint: { ConfigurationType: string; CheckpointingEnabled: boolean; CheckpointInterval: number; MinPauseBetweenCheckpoints: number };
  monitoring: { ConfigurationType: string; MetricsLevel: string; LogLevel: string };
  parallelism: { ConfigurationType: string; Parallelism: number; ParallelismPerKPU: number; AutoScalingEnabled: boolean };
}

export interface PropertyGroup {
  PropertyGroupId: string;
  PropertyMap: Record<string, string>;
}

/** SQL inputs, outputs and reference data as described (v1 and v2 SQL-1_0 share the shapes). */
export interface SqlConfig {
  inputs: Record<string, any>[];
  outputs: Record<string, any>[];
  references: Record<string, any>[];
}

/** What UpdateApplication and the sub-resource operations change: one copy per version. */
export interface ApplicationConfig {
  description?: string;
  runtime: string;
  serviceExecutionRole?: string;
  mode?: 'STREAMING' | 'INTERACTIVE';
  code?: CodeConfig;
  flink?: FlinkConfig;
  properties?: PropertyGroup[];
  sql?: SqlConfig;
  snapshotsEnabled?: boolean;
  rollbackEnabled?: boolean;
  encryption?: { KeyType: string; KeyId?: string };
  vpcs: Record<string, any>[];
  zeppelin?: Record<string, any>;
  cloudWatch: { CloudWatchLoggingOptionId: string; LogStreamARN: string; RoleARN?: string }[];
}

/** A transition the background completes (background.ts, lifecycle.ts). */
export interface PendingTransition {
  kind: 'start' | 'stop' | 'force-stop' | 'update' | 'rollback' | 'delete';
  operationId?: string;
  /** start: how to restore (v2 RunConfiguration). */
  restore?: { type: string; snapshotName?: string; allowNonRestoredState: boolean };
  /** update / rollback: the version whose configuration ran before, to roll back to if the new one fails. */
  previousVersionId?: number;
  /** The status to settle in when the transition is done (e.g. RUNNING after an update of a running app). */
  wasRunning?: boolean;
}

export interface ApplicationDoc {
  name: string;
  account: string;
  region: string;
  arn: string;
  createMillis: number;
  lastUpdateMillis?: number;
  status: ApplicationStatus;
  versionId: number;
  versionCreateMillis: number;
  conditionalToken: string;
  managedBy: ManagingApi;
  config: ApplicationConfig;
  tags: Record<string, string>;
  maintenanceWindowStart: string;
  versionUpdatedFrom?: number;
  rolledBackFrom?: number;
  rolledBackTo?: number;
  /** The RunConfiguration of the last start (RunConfigurationDescription). */
  run?: { restoreType: string; snapshotName?: string; allowNonRestoredState: boolean };
  pending?: PendingTransition;
}

export const KEY_PREFIX = 'analytics/';
export const applicationPrefix = (account: string, region: string) => `${KEY_PREFIX}app/${account}/${region}/`;
export const applicationKey = (account: string, region: string, name: string) => `${applicationPrefix(account, region)}${name}`;
/** Everything an application owns beside its document, by incarnation (a re-created name starts afresh). */
export const ownedPrefix = (kind: 'version' | 'op' | 'snapshot' | 'code', app: Pick<ApplicationDoc, 'account' | 'region' | 'name' | 'createMillis'>) =>
  `${KEY_PREFIX}${kind}/${app.account}/${app.region}/${app.name}/${app.createMillis}/`;

/** ARN format (§2.1, recorded). */
export const applicationArn = (region: string, account: string, name: string) => `arn:aws:kinesisanalytics:${region}:${account}:application/${name}`;

/** Parses an application ARN; undefined when it is not one. */
export function parseApplicationArn(arn: string): { region: string; account: string; name: string } | undefined {
  const match = /^arn:aws[a-z-]*:kinesisanalytics:([a-z0-9-]+):(\d{12}):application\/([a-zA-Z0-9_.-]{1,128})$/.exec(arn);
  return match ? { region: match[1], account: match[2], name: match[3] } : undefined;
}

const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Random base62 text: OperationIds look like `9zfV2CMtNzOS` (12 characters, recorded in terraform-provider-aws#38447). */
export function randomId(length: number): string {
  const bytes = randomBytes(length);
  let id = '';
  for (const byte of bytes) id += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
  return id;
}
export const OPERATION_ID_LENGTH = 12;
/** UNVERIFIED: AWS's ConditionalToken format is opaque; a fresh random one per version. */
export const CONDITIONAL_TOKEN_LENGTH = 32;
export const newConditionalToken = () => randomId(CONDITIONAL_TOKEN_LENGTH);

/** Defaults of a DEFAULT configuration type, as moto renders them (§2.3, UNVERIFIED against AWS). */
export const DEFAULT_CHECKPOINT = { ConfigurationType: 'DEFAULT', CheckpointingEnabled: true, CheckpointInterval: 60_000, MinPauseBetweenCheckpoints: 5_000 };
export const DEFAULT_MONITORING = { ConfigurationType: 'DEFAULT', MetricsLevel: 'APPLICATION', LogLevel: 'INFO' };
export const DEFAULT_PARALLELISM = { ConfigurationType: 'DEFAULT', Parallelism: 1, ParallelismPerKPU: 1, AutoScalingEnabled: false };
/** Maintenance window 06:00–14:00 as moto renders it (§2.3, UNVERIFIED); the end is 8 hours after the start. */
export const DEFAULT_MAINTENANCE_START = '06:00';
export const MAINTENANCE_WINDOW_HOURS = 8;

/** Quotas (§2.4, Flink guide limits.md). */
export const APPLICATION_QUOTA = 50;
export const SNAPSHOT_QUOTA = 1_000;
export const TAG_QUOTA = 50;
/** v1 docs: "up to three destinations", "one streaming source" (§2.2). */
export const MAX_SQL_OUTPUTS = 3;
export const MAX_SQL_INPUTS = 1;
export const MAX_VPC_CONFIGURATIONS = 1;
/** Statuses StopApplication with Force may start from (§2.4, apiv2 StopApplication). */
export const FORCE_STOPPABLE: ReadonlySet<ApplicationStatus> = new Set(['STARTING', 'UPDATING', 'STOPPING', 'AUTOSCALING', 'RUNNING']);
/** Statuses RollbackApplication may start from (apiv2 RollbackApplication, UNVERIFIED beyond the docs' list). */
export const ROLLBACKABLE: ReadonlySet<ApplicationStatus> = new Set(['UPDATING', 'AUTOSCALING', 'RUNNING']);

/**
 * Whether a CreateTimestamp / SnapshotCreationTimestamp names the given creation time. Compared to
 * the second: botocore sends JSON timestamps as whole epoch seconds (serialize.py, second precision
 * by default), the JS SDK with milliseconds; AWS's own granularity is UNVERIFIED.
 */
export const sameCreationTime = (given: Date, createMillis: number) => Math.floor(given.getTime() / 1000) === Math.floor(createMillis / 1000);
