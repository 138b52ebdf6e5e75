import { AwsError, invalidArgument } from '../protocol/errors.js';
import { changeApplication, findApplication } from './access.js';
import type { AnalyticsContext } from './context.js';
import {
  FORCE_STOPPABLE,
  isSqlRuntime,
  parseApplicationArn,
  sameCreationTime,
  TAG_QUOTA,
  type ApplicationDoc,
  type PendingTransition,
} from './domain/application.js';
import { recordOperation } from './lifecycle.js';
import {
  applicationNotFound,
  createTimestampMismatch,
  forceStopSql,
  invalidResourceArn,
  SNAPSHOT_NAME_REQUIRED,
  snapshotNotFound,
  startInputNotFound,
  sqlRuntimeNotRun,
  tooManyTags,
  wrongStatus,
} from './errors.js';

/** What v1 and v2 operations share: delete, start, stop, tags. */

/** Replaces an application's pending transition, cancelling the operation it had. */
async function cancelPending(context: AnalyticsContext, app: ApplicationDoc, previous: PendingTransition | undefined): Promise<void> {
  if (previous?.operationId) await context.analytics.operations.finish(app, previous.operationId, 'CANCELLED', context.analytics.now());
}

/** DeleteApplication: CreateTimestamp must match (§1 fact 5); DELETING, then gone once the job is stopped. */
export async function deleteApplication(context: AnalyticsContext, name: string, createTimestamp: Date): Promise<void> {
  let previous: PendingTransition | undefined;
  const app = await changeApplication(context, name, (doc) => {
    if (!sameCreationTime(createTimestamp, doc.createMillis)) throw createTimestampMismatch(name);
    if (doc.status === 'DELETING') throw wrongStatus(name, doc.status, context.operation);
    previous = doc.pending;
    doc.status = 'DELETING';
    doc.pending = { kind: 'delete' };
  });
  await cancelPending(context, app, previous);
  context.analytics.wake();
}

export interface StartRequest {
  restoreType?: string;
  snapshotName?: string;
  allowNonRestoredState?: boolean;
  /** v1 InputConfigurations / v2 SqlRunConfigurations: ids that must name the application's inputs. */
  inputIds?: string[];
}

/** StartApplication: only from READY (§2.4); the runner does the rest in the background. */
export async function startApplication(context: AnalyticsContext, name: string, request: StartRequest): Promise<string> {
  const { analytics } = context;
  const found = await findApplication(context, name);
  if (found.status !== 'READY') throw wrongStatus(name, found.status, context.operation);
  for (const id of request.inputIds ?? []) {
    if (!found.config.sql?.inputs.some((i) => i.InputId === id)) throw startInputNotFound(id);
  }
  if (isSqlRuntime(found.config.runtime)) {
    const refusal = sqlRuntimeNotRun(name);
    throw context.api === 'kinesisanalytics' ? refusal : new AwsError('InvalidApplicationConfigurationException', refusal.message);
  }
  const restoreType = request.restoreType ?? 'RESTORE_FROM_LATEST_SNAPSHOT';
  if (restoreType === 'RESTORE_FROM_CUSTOM_SNAPSHOT') {
    if (!request.snapshotName) throw invalidArgument(SNAPSHOT_NAME_REQUIRED);
    const snapshot = await analytics.snapshots.get(found, request.snapshotName);
    if (!snapshot || snapshot.status !== 'READY') throw snapshotNotFound(name, request.snapshotName);
  }
  const operationId = analytics.operations.newId();
  const restore = { type: restoreType, snapshotName: request.snapshotName, allowNonRestoredState: request.allowNonRestoredState ?? false };
  const app = await changeApplication(context, name, (doc) => {
    if (doc.status !== 'READY') throw wrongStatus(name, doc.status, context.operation);
    doc.status = 'STARTING';
    doc.pending = { kind: 'start', operationId, restore };
    doc.run = { restoreType, snapshotName: request.snapshotName, allowNonRestoredState: restore.allowNonRestoredState };
  });
  await recordOperation(analytics, app, operationId, 'StartApplication', app.versionId, app.versionId);
  analytics.wake();
  return operationId;
}

/** StopApplication: from RUNNING; with Force from the statuses §2.4 lists, without a snapshot. */
export async function stopApplication(context: AnalyticsContext, name: string, force: boolean): Promise<string> {
  const { analytics } = context;
  const operationId = analytics.operations.newId();
  let previous: PendingTransition | undefined;
  const app = await changeApplication(context, name, (doc) => {
    if (force && isSqlRuntime(doc.config.runtime)) throw forceStopSql(name);
    if (force ? !FORCE_STOPPABLE.has(doc.status) : doc.status !== 'RUNNING') throw wrongStatus(name, doc.status, context.operation);
    previous = doc.pending;
    doc.status = force ? 'FORCE_STOPPING' : 'STOPPING';
    doc.pending = { kind: force ? 'force-stop' : 'stop', operationId };
  });
  await cancelPending(context, app, previous);
  await recordOperation(analytics, app, operationId, 'StopApplication', app.versionId, app.versionId);
  analytics.wake();
  return operationId;
}

/** The application a ResourceARN names, in the caller's account and region. */
export async function applicationOfArn(context: AnalyticsContext, arn: string): Promise<ApplicationDoc> {
  const parsed = parseApplicationArn(arn);
  if (!parsed) throw invalidResourceArn(arn);
  if (parsed.account !== context.account || parsed.region !== context.region) throw applicationNotFound(parsed.name, context.account);
  return findApplication(context, parsed.name);
}

export async function tagResource(context: AnalyticsContext, arn: string, tags: { Key: string; Value?: string }[]): Promise<void> {
  const app = await applicationOfArn(context, arn);
  await changeApplication(context, app.name, (doc) => {
    if (doc.createMillis !== app.createMillis) throw applicationNotFound(app.name, context.account);
    for (const tag of tags) doc.tags[tag.Key] = tag.Value ?? '';
    if (Object.keys(doc.tags).length > TAG_QUOTA) throw tooManyTags(TAG_QUOTA);
  });
}

export async function untagResource(context: AnalyticsContext, arn: string, keys: string[]): Promise<void> {
  const app = await applicationOfArn(context, arn);
  await changeApplication(context, app.name, (doc) => {
    if (doc.createMillis !== app.createMillis) throw applicationNotFound(app.name, context.account);
    for (const key of keys) delete doc.tags[key];
  });
}

export async function listTags(context: AnalyticsContext, arn: string): Promise<{ Key: string; Value: string }[]> {
  const app = await applicationOfArn(context, arn);
  return Object.entries(app.tags).map(([Key, Value]) => ({ Key, Value }));
}

