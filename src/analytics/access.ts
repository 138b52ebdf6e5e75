import { invalidArgument } from '../protocol/errors.js';
import type { AnalyticsContext } from './context.js';
import type { ApplicationDoc, ApplicationStatus } from './domain/application.js';
import { applicationNotFound, conditionalTokenMismatch, managedByV2, VERSION_AND_TOKEN, VERSION_OR_TOKEN_REQUIRED, versionMismatch, wrongStatus } from './errors.js';

/** Request-side helpers every operation shares: finding an application, locking, changing it. */

/** The application named in the request, refused to v1 when v2 made or changed it (§1 fact 2). */
export async function findApplication(context: AnalyticsContext, name: string): Promise<ApplicationDoc> {
  const entry = await context.analytics.applications.get(context.account, context.region, name);
  if (!entry) throw applicationNotFound(name, context.account);
  if (context.api === 'kinesisanalytics' && entry.value.managedBy === 'kinesisanalyticsv2') throw managedByV2(name);
  return entry.value;
}

export interface Lock {
  CurrentApplicationVersionId?: number;
  ConditionalToken?: string;
}

/** CurrentApplicationVersionId or ConditionalToken must name the current version (§1 fact 5). */
export function checkLock(app: ApplicationDoc, lock: Lock, versionRequired: boolean): void {
  const { CurrentApplicationVersionId: version, ConditionalToken: token } = lock;
  if (version !== undefined && token !== undefined) throw invalidArgument(VERSION_AND_TOKEN);
  if (version === undefined && token === undefined) {
    if (versionRequired) return; // the model makes the version required there; validation caught it
    throw invalidArgument(VERSION_OR_TOKEN_REQUIRED);
  }
  if (version !== undefined && version !== app.versionId) throw versionMismatch(app.name, app.versionId, version);
  if (token !== undefined && token !== app.conditionalToken) throw conditionalTokenMismatch(app.name);
}

/** Statuses in which configuration may change (§2.4: READY and RUNNING). */
export const CONFIGURABLE: ReadonlySet<ApplicationStatus> = new Set(['READY', 'RUNNING']);

/**
 * Changes an application under compare-and-set: `change` edits the document (and may throw an
 * AwsError); the caller's API becomes the one that manages it.
 */
export async function changeApplication(context: AnalyticsContext, name: string, change: (app: ApplicationDoc) => void): Promise<ApplicationDoc> {
  const { applications } = context.analytics;
  return applications.update(
    context.account,
    context.region,
    name,
    (app) => {
      if (context.api === 'kinesisanalytics' && app.managedBy === 'kinesisanalyticsv2') throw managedByV2(name);
      change(app);
      app.managedBy = context.api === 'kinesisanalyticsv2' || app.managedBy === 'kinesisanalyticsv2' ? 'kinesisanalyticsv2' : 'kinesisanalytics';
      return app;
    },
    () => applicationNotFound(name, context.account),
  );
}

/** A configuration change: locked by version/token, allowed in READY and RUNNING, makes a new version. */
export async function changeConfiguration(
  context: AnalyticsContext,
  name: string,
  lock: Lock,
  versionRequired: boolean,
  change: (app: ApplicationDoc) => void,
): Promise<ApplicationDoc> {
  const now = context.analytics.now();
  return changeApplication(context, name, (app) => {
    checkLock(app, lock, versionRequired);
    if (!CONFIGURABLE.has(app.status)) throw wrongStatus(name, app.status, context.operation);
    newVersion(app, now);
    change(app);
  });
}

/** Starts the next version of an application's configuration. */
export function newVersion(app: ApplicationDoc, now: number): void {
  app.versionUpdatedFrom = app.versionId;
  app.versionId += 1;
  app.versionCreateMillis = now;
  app.lastUpdateMillis = now;
  delete app.rolledBackFrom;
  delete app.rolledBackTo;
}

export const sqlConfigOf = (app: ApplicationDoc) => {
  app.config.sql ??= { inputs: [], outputs: [], references: [] };
  return app.config.sql;
};

