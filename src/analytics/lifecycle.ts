import type { Logger } from 'pino';
import type { Versioned } from '../store/store.js';
import type { Analytics } from './context.js';
import { isFlinkRuntime, type ApplicationDoc, type ApplicationStatus, type PendingTransition } from './domain/application.js';
import { CodeUnavailableError, classifyCode } from './domain/code.js';
import type { OperationDoc } from './domain/operations-log.js';
import type { RestoreRequest, RunnableApplication, SnapshotRef } from './domain/runner.js';

/**
 * The status machine's slow half (ANALYTICS-SPEC §2.4): a request moves an application into a
 * transient status (STARTING, STOPPING, FORCE_STOPPING, UPDATING, ROLLING_BACK, DELETING) with a
 * pending transition; the background (background.ts) completes it here through the runner and
 * settles the status and the operation. State is only in the store, so any node can complete it.
 */

/** UNVERIFIED: the name of the snapshot a stop takes (AWS's own naming is not recorded). */
export const stopSnapshotName = (now: number) => `millrace-stop-${now}`;

/** The operation a request starts: IN_PROGRESS until the transition completes. */
export async function recordOperation(analytics: Analytics, app: ApplicationDoc, id: string, operation: string, from?: number, to?: number, done?: 'SUCCESSFUL'): Promise<void> {
  const now = analytics.now();
  const op: OperationDoc = { id, operation, status: done ?? 'IN_PROGRESS', startMillis: now, versionFrom: from, versionTo: to };
  if (done) op.endMillis = now;
  await analytics.operations.put(app, op);
}

export function runnable(analytics: Analytics, doc: ApplicationDoc): RunnableApplication {
  return {
    doc,
    async code() {
      const code = doc.config.code;
      if (!code) throw new CodeUnavailableError('the application has no ApplicationCodeConfiguration');
      return classifyCode(await analytics.code.load(doc, code), doc.config.properties);
    },
  };
}

export class Lifecycle {
  /** Applications whose transition this node is completing. */
  private readonly busy = new Set<string>();

  constructor(
    private readonly analytics: Analytics,
    private readonly log: Logger,
  ) {}

  /** Starts completing every pending transition not already in hand; resolves when this pass's are done. */
  async sweep(): Promise<void> {
    const work: Promise<void>[] = [];
    for (const entry of await this.analytics.applications.listAll()) {
      if (!entry.value.pending || this.busy.has(entry.key)) continue;
      this.busy.add(entry.key);
      work.push(
        this.complete(entry)
          .catch((err) => this.log.warn({ err, application: entry.value.name }, 'Analytics transition failed; retried on the next sweep'))
          .finally(() => this.busy.delete(entry.key)),
      );
    }
    await Promise.all(work);
  }

  private async complete(entry: Versioned<ApplicationDoc>): Promise<void> {
    const app = entry.value;
    const pending = app.pending!;
    switch (pending.kind) {
      case 'start':
        return this.start(app, pending);
      case 'stop':
      case 'force-stop':
        return this.stop(app, pending);
      case 'update':
      case 'rollback':
        return this.restart(app, pending);
      case 'delete':
        return this.delete(entry);
    }
  }

  private async restoreFor(app: ApplicationDoc, restore: PendingTransition['restore']): Promise<RestoreRequest> {
    const type = (restore?.type ?? 'RESTORE_FROM_LATEST_SNAPSHOT') as RestoreRequest['type'];
    const allowNonRestoredState = restore?.allowNonRestoredState ?? false;
    if (type === 'SKIP_RESTORE_FROM_SNAPSHOT') return { type, allowNonRestoredState };
    const snapshot =
      type === 'RESTORE_FROM_CUSTOM_SNAPSHOT' ? await this.analytics.snapshots.get(app, restore!.snapshotName!) : await this.analytics.snapshots.latest(app);
    if (type === 'RESTORE_FROM_CUSTOM_SNAPSHOT' && !snapshot) throw new Error(`snapshot ${restore!.snapshotName} no longer exists`);
    return { type, allowNonRestoredState, snapshot: snapshot ? { name: snapshot.name, state: snapshot.state } : undefined };
  }

  private async start(app: ApplicationDoc, pending: PendingTransition): Promise<void> {
    let error: string | undefined;
    try {
      await this.analytics.runner.start(runnable(this.analytics, app), await this.restoreFor(app, pending.restore));
    } catch (err) {
      error = (err as Error).message;
    }
    await this.settle(app, pending, error === undefined ? 'RUNNING' : 'READY', error);
  }

  private async stop(app: ApplicationDoc, pending: PendingTransition): Promise<void> {
    const force = pending.kind === 'force-stop';
    const takeSnapshot = !force && isFlinkRuntime(app.config.runtime) && app.config.snapshotsEnabled === true;
    let error: string | undefined;
    try {
      const ref = await this.analytics.runner.stop(runnable(this.analytics, app), { snapshot: takeSnapshot ? stopSnapshotName(this.analytics.now()) : undefined, force });
      if (ref) await this.keepSnapshot(app, ref);
    } catch (err) {
      error = (err as Error).message;
    }
    // A failed stop still leaves nothing running that Millrace knows of: READY either way.
    await this.settle(app, pending, 'READY', error);
  }

  /** An update or rollback of a running application: stop (with a snapshot if enabled), start the new version from it. */
  private async restart(app: ApplicationDoc, pending: PendingTransition): Promise<void> {
    if (!pending.wasRunning) return this.settle(app, pending, 'READY');
    const run = runnable(this.analytics, app);
    let error: string | undefined;
    try {
      const takeSnapshot = isFlinkRuntime(app.config.runtime) && app.config.snapshotsEnabled === true;
      const ref = await this.analytics.runner.stop(run, { snapshot: takeSnapshot ? stopSnapshotName(this.analytics.now()) : undefined });
      if (ref) await this.keepSnapshot(app, ref);
      await this.analytics.runner.start(run, await this.restoreFor(app, app.run ? { type: app.run.restoreType === 'SKIP_RESTORE_FROM_SNAPSHOT' ? 'SKIP_RESTORE_FROM_SNAPSHOT' : 'RESTORE_FROM_LATEST_SNAPSHOT', allowNonRestoredState: app.run.allowNonRestoredState } : undefined));
    } catch (err) {
      error = (err as Error).message;
    }
    if (error !== undefined && pending.kind === 'update' && app.config.rollbackEnabled === true && pending.previousVersionId !== undefined) {
      if (await this.rollBack(app, pending, error)) return;
    }
    await this.settle(app, pending, error === undefined ? 'RUNNING' : 'READY', error);
  }

  /**
   * System rollback (ApplicationSystemRollbackConfiguration): an update whose job does not start
   * fails with a RollbackOperationId, and the application goes ROLLING_BACK to a new version with
   * the configuration it ran before, which the next sweep starts.
   */
  private async rollBack(app: ApplicationDoc, pending: PendingTransition, error: string): Promise<boolean> {
    const target = await this.analytics.applications.version(app, pending.previousVersionId!);
    if (!target) return false;
    const now = this.analytics.now();
    const rollbackId = this.analytics.operations.newId();
    let switched = false;
    const doc = await this.analytics.applications
      .update(
        app.account,
        app.region,
        app.name,
        (current) => {
          if (current.createMillis !== app.createMillis || current.pending?.operationId !== pending.operationId) return current;
          switched = true;
          const from = current.versionId;
          current.versionId += 1;
          current.versionCreateMillis = now;
          current.lastUpdateMillis = now;
          current.versionUpdatedFrom = from;
          current.rolledBackFrom = from;
          current.rolledBackTo = target.versionId;
          current.config = structuredClone(target.config);
          current.status = 'ROLLING_BACK';
          current.pending = { kind: 'rollback', operationId: rollbackId, previousVersionId: from, wasRunning: true };
          return current;
        },
        () => new Error('gone'),
      )
      .catch(() => undefined);
    if (!switched || !doc) return false;
    this.log.warn({ application: app.name, error }, 'Analytics update failed; rolling back');
    await recordOperation(this.analytics, doc, rollbackId, 'RollbackApplication', doc.versionUpdatedFrom, doc.versionId);
    await this.analytics.operations.finish(app, pending.operationId!, 'FAILED', now, error, rollbackId);
    this.analytics.wake();
    return true;
  }

  private async delete(entry: Versioned<ApplicationDoc>): Promise<void> {
    const app = entry.value;
    const run = runnable(this.analytics, app);
    await this.analytics.runner.stop(run, { force: true });
    for (const snapshot of await this.analytics.snapshots.list(app)) {
      if (snapshot.state) await this.analytics.runner.dropSnapshot(run, { name: snapshot.name, state: snapshot.state });
    }
    const current = await this.analytics.applications.get(app.account, app.region, app.name);
    if (current && current.value.createMillis === app.createMillis) await this.analytics.applications.remove(current);
  }

  private async keepSnapshot(app: ApplicationDoc, ref: SnapshotRef): Promise<void> {
    await this.analytics.snapshots.set(app, {
      name: ref.name,
      status: 'READY',
      versionId: app.versionId,
      createMillis: this.analytics.now(),
      runtime: app.config.runtime,
      encryption: app.config.encryption,
      state: ref.state,
    });
  }

  /** Ends a transition: the status it settles in, and its operation SUCCESSFUL or FAILED with the error. */
  private async settle(app: ApplicationDoc, pending: PendingTransition, status: ApplicationStatus, error?: string): Promise<void> {
    const now = this.analytics.now();
    let settled = false;
    await this.analytics.applications
      .update(
        app.account,
        app.region,
        app.name,
        (doc) => {
          // Only the transition this pass completed: a newer one (a force stop, a delete) wins.
          if (doc.createMillis !== app.createMillis || doc.pending?.operationId !== pending.operationId || doc.pending?.kind !== pending.kind) return doc;
          settled = true;
          delete doc.pending;
          doc.status = status;
          return doc;
        },
        () => new Error('gone'),
      )
      .catch(() => undefined);
    if (!settled || !pending.operationId) return;
    if (error !== undefined) this.log.warn({ application: app.name, operation: pending.kind, error }, 'Analytics operation failed');
    await this.analytics.operations.finish(app, pending.operationId, error === undefined ? 'SUCCESSFUL' : 'FAILED', now, error);
  }
}
