import type { Logger } from 'pino';
import type { AnalyticsMetrics } from '../../metrics/analytics-metrics.js';
import type { Firehose } from '../../firehose/context.js';
import type { Kinesis } from '../../kinesis/context.js';
import type { Lease } from '../../leases/leases.js';
import type { ObjectStore } from '../../objects/object-store.js';
import { LeaseLostError } from '../../leases/progress.js';
import type { Store } from '../../store/store.js';
import { compileJob, tableEndpoint, type Job, type JobState } from '../sql/index.js';
import { parseObjectPath } from './filesystem-path.js';
import { FilesystemTableReader, type FileSourcePosition } from './filesystem-source.js';
import { JobError, describeFailure } from './job-error.js';
import { KinesisTableReader, type SourcePositions } from './kinesis-source.js';
import { RunGoneError, checkpointPrefix, updateRun, type RunDoc } from './run-doc.js';
import { sinkWriter, type SinkWriter } from './sinks.js';
import { dropBlob, readBlob, writeBlob, type BlobRef } from './state-blobs.js';
import { pause } from '../../leases/pause.js';

/**
 * One application's Flink SQL job on the node that holds its lease (host.ts): compiles the script,
 * resumes from the run's last checkpoint (a restart, a failover) or from the snapshot the start named,
 * reads its Kinesis sources, writes its sinks, and checkpoints — operator state and source positions in
 * one blob, committed by one compare-and-set of the run document under the lease's term, after the
 * sinks' writes are durable. So a window is never lost nor counted twice across a stop with snapshot,
 * a crash or a failover; what a sink wrote after the last checkpoint may be written again (Flink's
 * Kinesis and Firehose sinks are at-least-once too).
 */

/** How often the job looks at its run document (a stop, a snapshot request, a force stop). */
export const RUN_DOC_POLL_MS = 200;
/** How long a job that has caught up waits for new records before moving time on (idle shards, PROCTIME windows, datagen). */
export const IDLE_WAIT_MS = 100;
/**
 * Flink's fixed-delay restart strategy, which Managed Flink configures: a job that fails while running
 * restarts from its last checkpoint after this delay, without end. The exact delay AWS sets is UNVERIFIED.
 */
export const RESTART_DELAY_MS = 10_000;

/** How long a job that no longer runs here waits for its sinks' writes in flight before dropping what they staged. */
export const DISCARD_WAIT_MS = 5_000;

export interface RuntimeDeps {
  store: Store;
  kinesis?: Kinesis;
  firehose?: Firehose;
  /** The object store: `filesystem` tables' s3:// paths. */
  objects?: ObjectStore;
  log: Logger;
  /** Rows in and out of each job for Prometheus and AWS/KinesisAnalytics (src/metrics), when metrics are on. */
  metrics?: Pick<AnalyticsMetrics, 'report'>;
}

/** What a checkpoint or snapshot holds: the engine's state, where each source table stands, what transactional sinks staged. */
export interface JobCheckpoint {
  job: JobState;
  /** Kinesis source tables. */
  positions: Record<string, SourcePositions>;
  /** Filesystem source tables. */
  files?: Record<string, FileSourcePosition>;
  /** Transactional sink tables (filesystem): their part files staged for this checkpoint. */
  sinks?: Record<string, unknown>;
}


/** Runs the job under `key` while `lease` is held; resolves when the lease is lost or the run is gone. */
export async function runLeasedJob(deps: RuntimeDeps, key: string, lease: Lease): Promise<void> {
  const meta = deps.store.meta;
  while (!lease.signal.aborted) {
    let doc: RunDoc;
    try {
      doc = (await updateRun(meta, key, (d) => {
        if (d.term > lease.term) throw new LeaseLostError(lease.name, `term ${d.term} runs the job`);
        if (d.term === lease.term && d.node === lease.node) return undefined;
        return { ...d, term: lease.term, node: lease.node };
      })).value;
    } catch (err) {
      if (err instanceof RunGoneError || err instanceof LeaseLostError) return;
      deps.log.warn({ err, run: key }, 'Analytics job: the store failed; retrying');
      await pause(RUN_DOC_POLL_MS, lease.signal);
      continue;
    }
    if (doc.desired === 'STOPPED' && doc.phase !== 'STOPPED' && doc.phase !== 'FAILED') {
      // Asked to stop while no job ran here (e.g. after a failover): the last checkpoint is the final state.
      await updateRun(meta, key, (d) => (d.term === lease.term ? { ...d, phase: 'STOPPED' } : undefined)).catch(() => undefined);
      continue;
    }
    if (doc.desired === 'STOPPED' || doc.phase === 'FAILED' || doc.phase === 'STOPPED') {
      await pause(RUN_DOC_POLL_MS, lease.signal);
      continue;
    }
    const run = new JobRun(deps, key, doc, lease);
    try {
      await run.execute();
      await run.discard(); // the lease went (the run was removed, or another node took it)
    } catch (err) {
      await run.discard();
      if (err instanceof LeaseLostError || lease.signal.aborted) return;
      if (err instanceof RunGoneError) continue; // stopped by force, or replaced by a newer start: the loop looks again
      const error = describeFailure(err);
      deps.log.warn({ application: doc.app.name, error, started: run.started }, 'Analytics job failed');
      const failed = await updateRun(meta, key, (d) => {
        if (d.term !== lease.term || d.runId !== doc.runId) return undefined;
        // Before it ran, the start fails with the error; once running, Flink restarts it from its last checkpoint.
        return run.started ? { ...d, error, restarts: d.restarts + 1 } : { ...d, phase: 'FAILED', error };
      }).catch(() => undefined);
      if (!failed) return;
      if (run.started) await pause(RESTART_DELAY_MS, lease.signal);
    }
  }
}

class JobRun {
  /** Set once the job has run one full cycle: a later failure restarts it rather than failing its start. */
  started = false;
  private readonly meta;
  private readonly readers = new Map<string, KinesisTableReader>();
  private readonly fileReaders = new Map<string, FilesystemTableReader>();
  private readonly writers: SinkWriter[] = [];
  /** Writers that stage their writes per checkpoint, by sink table. */
  private readonly transactional = new Map<string, SinkWriter>();
  private job!: Job;
  private checkpointRef: RunDoc['checkpoint'];
  private lastCheckpointAt = Date.now();
  private lastDocAt = 0;
  private requested = 0;
  /** The sink writes in flight (flush()). */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: RuntimeDeps,
    private readonly key: string,
    private doc: RunDoc,
    private readonly lease: Lease,
  ) {
    this.meta = deps.store.meta;
    this.checkpointRef = doc.checkpoint;
  }

  private async open(): Promise<void> {
    const { doc, deps } = this;
    const job = (this.job = compileJob(doc.script, { config: doc.config }));
    const from: BlobRef | undefined = doc.checkpoint ?? doc.restore;
    const saved = from ? await readBlob<JobCheckpoint>(this.meta, from) : undefined;
    if (saved) {
      const state = structuredClone(saved.job);
      if (doc.allowNonRestoredState && !doc.checkpoint) {
        // AllowNonRestoredState: state of operators the new program lacks is dropped, as Flink's --allowNonRestoredState.
        const probe = job.checkpoint();
        for (const id of Object.keys(state.operators)) if (!(id in probe.operators)) delete state.operators[id];
      }
      job.restore(state);
    }
    const scope = { account: doc.app.account, region: doc.app.region };
    for (const [name, source] of Object.entries(job.sources)) {
      const endpoint = tableEndpoint(source.table);
      if (endpoint.connector === 'datagen') continue; // generated on advance()
      if (endpoint.connector === 'filesystem') {
        const path = parseObjectPath(endpoint.path, name);
        if (!deps.objects) throw new JobError('org.apache.flink.table.api.ValidationException', `Source table ${name} reads files, and this server keeps no objects.`);
        const position = structuredClone(saved?.files?.[name]) ?? { listed: false, files: [], next: 0, line: 0 };
        const reader = new FilesystemTableReader(deps.objects, source, path, position);
        await reader.open();
        this.fileReaders.set(name, reader);
        continue;
      }
      if (endpoint.connector !== 'kinesis') {
        throw new JobError('org.apache.flink.table.api.TableException', `Source table ${name} uses the '${endpoint.connector}' connector, which Millrace's job runner does not read.`);
      }
      if (!deps.kinesis) throw new JobError('org.apache.flink.table.api.ValidationException', `Source table ${name} reads a Kinesis stream, and this server serves no Kinesis Data Streams.`);
      const reader = new KinesisTableReader(deps.kinesis, source, endpoint, scope, structuredClone(saved?.positions[name] ?? {}));
      await reader.open();
      this.readers.set(name, reader);
    }
    for (const [name, sink] of Object.entries(job.sinks)) {
      const writer = sinkWriter(sink, tableEndpoint(sink.table), deps, { ...scope, application: doc.app.name, runId: doc.runId });
      if (writer.restore) await writer.restore(saved?.sinks?.[name]);
      if (writer.preCommit) this.transactional.set(name, writer);
      sink.subscribe((records) => writer.add(records));
      this.writers.push(writer);
    }
  }

  /** Runs until the lease is lost, the run is gone, or a stop was asked (then checkpoints and says STOPPED). */
  async execute(): Promise<void> {
    await this.open();
    const signal = this.lease.signal;
    while (!signal.aborted) {
      const now = Date.now();
      if (now - this.lastDocAt >= RUN_DOC_POLL_MS) {
        const current = await this.meta.get<RunDoc>(this.key);
        if (!current || current.value.runId !== this.doc.runId) throw new RunGoneError('the run was stopped');
        if (current.value.term !== this.lease.term) throw new LeaseLostError(this.lease.name, `term ${current.value.term} runs the job`);
        this.doc = current.value;
        this.lastDocAt = now;
        if (this.doc.checkpointRequest > this.doc.checkpointServed) this.requested = this.doc.checkpointRequest;
        if (this.doc.desired === 'STOPPED') return this.stop();
      }
      let read = 0;
      // The next reads overlap the previous batch's sink writes; writes stay in order, one flush at a time.
      for (const reader of this.readers.values()) read += await reader.poll();
      for (const reader of this.fileReaders.values()) read += await reader.poll();
      this.job.advance(Date.now());
      this.deps.metrics?.report(this.doc.app, this.job.metrics);
      await this.writing;
      this.writing = this.flush();
      if (!this.started) {
        await this.writing;
        await this.markRunning();
      }
      const { enabled, intervalMs, minPauseMs } = this.doc.checkpointing;
      const since = Date.now() - this.lastCheckpointAt;
      if (this.requested > 0 || (enabled && since >= intervalMs && since >= minPauseMs)) await this.checkpoint();
      if (read === 0) {
        await this.writing;
        await this.waitForRecords();
      } else await new Promise(setImmediate); // the server's requests and other jobs get their turn between batches
    }
  }

  /** The job no longer runs here: the sinks drop what they staged that no checkpoint names (a stop by force, a delete). */
  async discard(): Promise<void> {
    const writers = this.writers.filter((w) => w.discard);
    if (writers.length === 0) return; // nothing to drop: a job of other sinks leaves at once, as before
    // The writes in flight may stage more; bounded, since the store may be closing under a stopping node.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.writing.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, DISCARD_WAIT_MS)))]);
    clearTimeout(timer);
    await Promise.all(writers.map((w) => w.discard!().catch(() => {})));
  }

  /** Writes what the sinks hold; a failure surfaces where the job next awaits `writing`. */
  private async flush(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.flush()));
  }

  private async markRunning(): Promise<void> {
    await updateRun(this.meta, this.key, (d) => {
      if (d.term !== this.lease.term) throw new LeaseLostError(this.lease.name, `term ${d.term} runs the job`);
      return d.phase === 'STARTING' ? { ...d, phase: 'RUNNING' } : undefined;
    });
    this.started = true;
  }

  /** Saves the job's state and source positions, then commits them as the run's checkpoint under this term. */
  private async checkpoint(): Promise<void> {
    await this.writing; // what the checkpoint counts as consumed is durable in the sinks first
    const served = this.requested;
    const state: JobCheckpoint = {
      job: this.job.checkpoint(),
      positions: Object.fromEntries([...this.readers].map(([name, r]) => [name, r.positions])),
    };
    if (this.fileReaders.size > 0) state.files = Object.fromEntries([...this.fileReaders].map(([name, r]) => [name, r.position]));
    const transactional = [...this.transactional];
    const staged = await Promise.all(transactional.map(async ([name, w]) => [name, await w.preCommit!()] as const));
    if (staged.length > 0) state.sinks = Object.fromEntries(staged);
    const id = (this.checkpointRef?.id ?? 0) + 1;
    let ref: BlobRef | undefined;
    const previous = this.checkpointRef;
    const at = Date.now();
    try {
      ref = await writeBlob(this.meta, checkpointPrefix(this.doc, id), state);
      const written = ref;
      await updateRun(this.meta, this.key, (d) => {
        if (d.term !== this.lease.term || d.runId !== this.doc.runId) throw new LeaseLostError(this.lease.name, `term ${d.term} runs the job`);
        d.checkpoint = { ...written, id, at };
        if (served > d.checkpointServed) d.checkpointServed = served;
        return d;
      });
    } catch (err) {
      // Not committed (the run was stopped, deleted or taken over meanwhile): nothing will ever name
      // this state, so it must not outlive the run (a delete would leave it in the store), nor what the sinks staged for it.
      if (ref) await dropBlob(this.meta, ref).catch(() => {});
      // Only when surely not committed: a store fault may hide a commit, and a restart from it completes what was staged.
      if (!ref || err instanceof LeaseLostError || err instanceof RunGoneError) await Promise.all(transactional.map(([, w]) => w.abort!().catch(() => {})));
      throw err;
    }
    this.checkpointRef = { ...ref!, id, at };
    this.lastCheckpointAt = at;
    this.requested = 0;
    if (previous) await dropBlob(this.meta, previous);
    // Committed: what the sinks staged for it becomes visible (a restart from it completes what a crash left staged).
    await Promise.all(transactional.map(([, w]) => w.commit!()));
  }

  private async stop(): Promise<void> {
    await this.writing;
    await this.flush();
    await this.checkpoint();
    await updateRun(this.meta, this.key, (d) => (d.term === this.lease.term && d.runId === this.doc.runId ? { ...d, phase: 'STOPPED' } : undefined));
  }

  /** Until a source log gets records, or IDLE_WAIT_MS. */
  private async waitForRecords(): Promise<void> {
    const logs = [...this.readers.values()].flatMap((r) => r.logs());
    await new Promise<void>((resolve) => {
      const unwatch: (() => void)[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const u of unwatch) u();
        this.lease.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, IDLE_WAIT_MS);
      this.lease.signal.addEventListener('abort', done, { once: true });
      for (const log of logs) unwatch.push(this.deps.store.records.watch(log, done));
    });
  }
}
