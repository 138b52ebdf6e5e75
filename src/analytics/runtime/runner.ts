import { randomUUID } from 'node:crypto';
import type { MetadataStore } from '../../store/store.js';
import { isFlinkRuntime } from '../domain/application.js';
import { StartRefusedError, refusal, type ApplicationRunner, type RestoreRequest, type RunState, type RunnableApplication, type SnapshotRef } from '../domain/runner.js';
import { compileJob } from '../sql/index.js';
import { describeFailure } from './job-error.js';
import { RunGoneError, runKey, snapshotStatePrefix, updateRun, type RunDoc } from './run-doc.js';
import { jobConfiguration, substituteProperties } from './script.js';
import { copyBlob, dropBlob, type BlobRef } from './state-blobs.js';

/**
 * The control plane's side of running Flink SQL jobs (domain/runner.ts): it checks and compiles the
 * application's SQL, then writes a run document; the node holding the job's lease (host.ts) runs it and
 * answers in the same document, which this side waits on. So StartApplication's operation ends FAILED
 * with Flink's error for a script that does not compile or a job that fails before it runs, and a stop
 * or a snapshot is served wherever the job runs. Code that is not Flink SQL keeps UnavailableRunner's
 * answer (refusal()).
 */

/**
 * How long a start waits for the job to run its first cycle: long enough for the job's lease to move to
 * another node first (leases.ts TAKEOVER_BOUND_MS) and for a large checkpoint to be read back.
 */
export const START_TIMEOUT_MS = 60_000;
/** How long a stop or a snapshot waits for the job to checkpoint. */
export const CHECKPOINT_TIMEOUT_MS = 60_000;
/** How often the waiting side reads the run document. */
export const RUN_WAIT_POLL_MS = 50;

/** The ProgramInvocationException Flink's client wraps a failing main() in (ANALYTICS-SPEC §2.4, recorded). */
export const PROGRAM_INVOCATION = 'org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: ';

/** Where a snapshot's state is (SnapshotRef.state as keep() wrote it); undefined for none or another runner's. */
function stateOf(ref: SnapshotRef | undefined): BlobRef | undefined {
  if (!ref?.state) return undefined;
  try {
    const parsed = JSON.parse(ref.state) as Partial<BlobRef>;
    return typeof parsed.prefix === 'string' && typeof parsed.chunks === 'number' ? (parsed as BlobRef) : undefined;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FlinkSqlRunner implements ApplicationRunner {
  /** Set by the job host (background.ts) so that a start or stop is picked up at once on this node. */
  wakeHost: () => void = () => {};

  constructor(
    private readonly meta: MetadataStore,
    private readonly now: () => number = Date.now,
  ) {}

  async start(app: RunnableApplication, restore: RestoreRequest): Promise<void> {
    const { doc } = app;
    if (!isFlinkRuntime(doc.config.runtime)) throw new StartRefusedError(await refusal(app));
    const code = await app.code().catch(() => undefined);
    if (!code || code.kind !== 'sql') throw new StartRefusedError(await refusal(app));
    const script = substituteProperties(code.script, doc.config.properties);
    const config = jobConfiguration(doc.config.properties);
    try {
      compileJob(script, { config });
    } catch (err) {
      throw new StartRefusedError(PROGRAM_INVOCATION + describeFailure(err));
    }
    const key = runKey(doc);
    const checkpoint = doc.config.flink?.checkpoint;
    const run: RunDoc = {
      runId: randomUUID(),
      app: { account: doc.account, region: doc.region, name: doc.name, createMillis: doc.createMillis, versionId: doc.versionId },
      script,
      config,
      checkpointing: {
        enabled: checkpoint?.CheckpointingEnabled ?? true,
        intervalMs: checkpoint?.CheckpointInterval ?? 60_000,
        minPauseMs: checkpoint?.MinPauseBetweenCheckpoints ?? 5_000,
      },
      restore: restore.type !== 'SKIP_RESTORE_FROM_SNAPSHOT' ? stateOf(restore.snapshot) : undefined,
      allowNonRestoredState: restore.allowNonRestoredState,
      desired: 'RUNNING',
      phase: 'STARTING',
      term: 0,
      checkpointRequest: 0,
      checkpointServed: 0,
      restarts: 0,
    };
    const previous = await this.meta.get<RunDoc>(key);
    // The same start completed twice (the lifecycle lease moved mid-way): join the run the other one began.
    const operationId = doc.pending?.operationId;
    const joining = previous && operationId !== undefined && previous.value.operationId === operationId && previous.value.desired === 'RUNNING' ? previous.value : undefined;
    if (joining) run.runId = joining.runId;
    else {
      if (previous) {
        run.term = previous.value.term;
        await this.remove(key);
      }
      run.operationId = operationId;
      if ((await this.meta.put(key, run, 0)) === undefined) throw new Error(`Application ${doc.name} was started twice at once.`);
      this.wakeHost();
    }
    const settled = await this.waitFor(key, run.runId, (d) => d.phase !== 'STARTING', START_TIMEOUT_MS);
    if (settled?.phase === 'RUNNING') return;
    await this.remove(key, run.runId);
    throw new Error(settled?.error ?? `Application ${doc.name} did not start within ${START_TIMEOUT_MS} ms: no node took its job.`);
  }

  async stop(app: RunnableApplication, options: { snapshot?: string; force?: boolean }): Promise<SnapshotRef | undefined> {
    const key = runKey(app.doc);
    const entry = await this.meta.get<RunDoc>(key);
    if (!entry) return undefined;
    if (options.force) {
      await this.remove(key);
      return undefined;
    }
    const asked = await updateRun(this.meta, key, (d) => (d.desired === 'STOPPED' ? undefined : { ...d, desired: 'STOPPED' })).catch(() => undefined);
    if (!asked) return undefined;
    this.wakeHost();
    const stopped = await this.waitFor(key, asked.value.runId, (d) => d.phase === 'STOPPED' || d.phase === 'FAILED', CHECKPOINT_TIMEOUT_MS);
    try {
      if (!stopped || stopped.phase === 'FAILED') return undefined; // replaced, gone, or it never ran
      if (stopped.phase !== 'STOPPED') throw new Error(`Application ${app.doc.name}'s job did not stop within ${CHECKPOINT_TIMEOUT_MS} ms; it was stopped without a snapshot.`);
      if (!options.snapshot || !stopped.checkpoint) return undefined;
      return await this.keep(app, stopped.checkpoint, options.snapshot);
    } finally {
      await this.remove(key, asked.value.runId);
    }
  }

  async snapshot(app: RunnableApplication, name: string): Promise<SnapshotRef> {
    const key = runKey(app.doc);
    const entry = await this.meta.get<RunDoc>(key);
    if (!entry || entry.value.phase !== 'RUNNING' || entry.value.desired !== 'RUNNING') throw new Error(`Application ${app.doc.name} has no running job to snapshot.`);
    const asked = await updateRun(this.meta, key, (d) => ({ ...d, checkpointRequest: d.checkpointRequest + 1 }));
    const want = asked.value.checkpointRequest;
    const served = await this.waitFor(key, asked.value.runId, (d) => d.checkpointServed >= want, CHECKPOINT_TIMEOUT_MS);
    if (!served?.checkpoint || served.checkpointServed < want) throw new Error(`Application ${app.doc.name}'s job did not take a checkpoint within ${CHECKPOINT_TIMEOUT_MS} ms.`);
    return this.keep(app, served.checkpoint, name);
  }

  async dropSnapshot(_app: RunnableApplication, ref: SnapshotRef): Promise<void> {
    const state = stateOf(ref);
    if (state) await dropBlob(this.meta, state);
  }

  async status(app: RunnableApplication): Promise<RunState> {
    const run = (await this.meta.get<RunDoc>(runKey(app.doc)))?.value;
    if (!run || run.phase === 'STOPPED') return { state: 'STOPPED' };
    if (run.phase === 'FAILED') return { state: 'FAILED', error: run.error ?? 'the job failed' };
    return { state: 'RUNNING' };
  }

  /** A snapshot's state: a copy of a checkpoint, kept until the snapshot is deleted. */
  private async keep(app: RunnableApplication, checkpoint: BlobRef, name: string): Promise<SnapshotRef> {
    const copy = await copyBlob(this.meta, checkpoint, snapshotStatePrefix(app.doc, name));
    return { name, state: JSON.stringify(copy) };
  }

  /** Waits until the run `runId` satisfies `done`; undefined when it is gone, replaced, or the time is up. */
  private async waitFor(key: string, runId: string, done: (d: RunDoc) => boolean, timeoutMs: number): Promise<RunDoc | undefined> {
    const until = this.now() + timeoutMs;
    for (;;) {
      const current = (await this.meta.get<RunDoc>(key))?.value;
      if (!current || current.runId !== runId) return undefined;
      if (done(current)) return current;
      if (this.now() >= until) return current;
      await sleep(RUN_WAIT_POLL_MS);
    }
  }

  /** Removes a run document and its last checkpoint (the job's holder stops when it sees it gone). */
  private async remove(key: string, runId?: string): Promise<void> {
    for (;;) {
      const current = await this.meta.get<RunDoc>(key);
      if (!current || (runId !== undefined && current.value.runId !== runId)) return;
      if (await this.meta.delete(key, current.revision)) {
        if (current.value.checkpoint) await dropBlob(this.meta, current.value.checkpoint);
        return;
      }
    }
  }
}

export { RunGoneError };
