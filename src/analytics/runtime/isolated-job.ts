import { Worker } from 'node:worker_threads';
import { DEFAULT_SHARD, compileJob, type EngineMetrics, type JobState, type SinkCallback, type SinkTable, type SourceRecord, type SourceTable } from '../sql/index.js';
import { JobError } from './job-error.js';
import {
  JOB_MAX_BYTES_IN_FLIGHT,
  JOB_MAX_ROWS_IN_FLIGHT,
  JOB_STATE_TIMEOUT_MS,
  JOB_STEP_TIMEOUT_MS,
  JOB_WORKER_HEAP_MB,
  TEST_JOB_FAULT_ENV,
  packSourceRecords,
  transferables,
  unpackSinkRecords,
  type FeedInput,
  type FromWorker,
  type JobFault,
  type ToWorker,
} from './job-worker-protocol.js';

/**
 * One application's job as its node sees it: the compiled pipeline runs in a worker thread of its own
 * (job-worker.ts) with a bounded heap, fed through the protocol of job-worker-protocol.ts. The node
 * keeps the table definitions (its readers and writers need them), collects what the sources read
 * into the next step (bounded: room()), and hands the sinks' records to their writers. A worker that
 * throws, stops answering (JOB_STEP_TIMEOUT_MS) or exhausts its heap (JOB_WORKER_HEAP_MB) fails this
 * job alone, with a Flink-style JobError; the worker is then terminated.
 */

/** What a source reader pushes into: the table's definition, and its input calls (collected for the next step). */
export type SourceFeed = Pick<SourceTable, 'name' | 'table' | 'push' | 'pushPhysical' | 'addShard' | 'finishShard'>;

/** How much more the sources may read before the next step. */
export interface ReadBudget {
  rows: number;
  bytes: number;
}

interface Pending {
  resolve(reply: FromWorker): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** The application whose worker a test wants to misbehave (TEST_JOB_FAULT_ENV); never set outside tests. */
function testFault(application: string): JobFault | undefined {
  const value = process.env[TEST_JOB_FAULT_ENV];
  if (!value) return undefined;
  for (const entry of value.split(',')) {
    const [kind, name] = entry.split(':');
    if (name === application && (kind === 'hang' || kind === 'allocate')) return kind;
  }
  return undefined;
}

export interface IsolatedJobOptions {
  application: string;
  script: string;
  config: Record<string, string>;
  restore?: JobState;
  dropUnknownOperators: boolean;
  /** Ends the job at once (the lease went): the worker is terminated, whatever it is doing. */
  signal: AbortSignal;
}

export class IsolatedJob {
  readonly sources: Record<string, SourceFeed> = {};
  readonly sinks: Record<string, SinkTable>;
  metrics: EngineMetrics = { rowsIn: 0, rowsOut: 0, lateRowsDropped: 0, recordsSkipped: 0 };
  private readonly worker: Worker;
  private readonly subscribers = new Map<string, SinkCallback[]>();
  private inputs: FeedInput[] = [];
  private pendingRows = 0;
  private pendingBytes = 0;
  private pending: Pending | undefined;
  /** Set once the worker failed or was ended: every later call rejects with it. */
  private failure: Error | undefined;
  private readonly onAbort = () => this.end(new JobError('org.apache.flink.runtime.execution.CancelTaskException', 'The job was cancelled: its node no longer holds it.'));

  private constructor(private readonly options: IsolatedJobOptions) {
    // The node compiles the script too (the start already did, runner.ts): the tables' definitions
    // are what its readers and writers need; the worker's copy is the one that runs.
    const definitions = compileJob(options.script, { config: options.config });
    this.sinks = definitions.sinks;
    for (const [name, table] of Object.entries(definitions.sources)) this.sources[name] = this.feed(name, table);
    this.worker = new Worker(new URL('./job-worker.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: JOB_WORKER_HEAP_MB } });
    this.worker.unref();
    this.worker.on('message', (reply: FromWorker) => this.settle(reply));
    this.worker.on('error', (err: Error & { code?: string }) => {
      this.end(
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new JobError('java.lang.OutOfMemoryError', `Java heap space (the job's worker thread reached its heap limit of ${JOB_WORKER_HEAP_MB} MB)`)
          : new JobError('java.lang.RuntimeException', `The job's worker thread failed: ${err.message}`),
      );
    });
    this.worker.on('exit', (code) => this.end(new JobError('java.lang.RuntimeException', `The job's worker thread exited (code ${code}).`)));
    options.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Starts the worker and opens the job in it (compiled, restored from `restore` when given). */
  static async open(options: IsolatedJobOptions): Promise<IsolatedJob> {
    const job = new IsolatedJob(options);
    try {
      await job.request(
        { t: 'open', script: options.script, config: options.config, restore: options.restore, dropUnknownOperators: options.dropUnknownOperators, rowSinks: Object.entries(job.sinks).filter(([, s]) => s.table.connector.name === 'filesystem').map(([n]) => n), fault: testFault(options.application) },
        JOB_STATE_TIMEOUT_MS,
      );
    } catch (err) {
      await job.close();
      throw err;
    }
    return job;
  }

  subscribe(sink: string, cb: SinkCallback): void {
    const list = this.subscribers.get(sink);
    if (list) list.push(cb);
    else this.subscribers.set(sink, [cb]);
  }

  /** What the sources may still read before the next step (JOB_MAX_ROWS_IN_FLIGHT, JOB_MAX_BYTES_IN_FLIGHT). */
  room(): ReadBudget {
    return { rows: Math.max(0, JOB_MAX_ROWS_IN_FLIGHT - this.pendingRows), bytes: Math.max(0, JOB_MAX_BYTES_IN_FLIGHT - this.pendingBytes) };
  }

  /** Hands what the sources read to the worker, moves processing time to `now`, and gives the sinks' records to their subscribers. */
  async step(now: number): Promise<void> {
    const inputs = this.inputs;
    this.inputs = [];
    this.pendingRows = 0;
    this.pendingBytes = 0;
    const reply = await this.request({ t: 'step', now, inputs }, JOB_STEP_TIMEOUT_MS);
    if (reply.t !== 'stepped') throw new Error(`the job's worker answered a step with ${reply.t}`);
    this.metrics = reply.metrics;
    for (const [name, packed] of Object.entries(reply.out)) {
      const records = unpackSinkRecords(packed);
      for (const cb of this.subscribers.get(name) ?? []) cb(records);
    }
  }

  /** The job's state between two steps (what the sources read since the last one is stepped first). */
  async checkpoint(): Promise<JobState> {
    if (this.inputs.length > 0) throw new Error('a checkpoint was asked with records not yet stepped');
    const reply = await this.request({ t: 'checkpoint' }, JOB_STATE_TIMEOUT_MS);
    if (reply.t !== 'state') throw new Error(`the job's worker answered a checkpoint with ${reply.t}`);
    return reply.state;
  }

  /** Ends the worker (idempotent). */
  async close(): Promise<void> {
    this.options.signal.removeEventListener('abort', this.onAbort);
    this.end(new JobError('org.apache.flink.runtime.execution.CancelTaskException', 'The job was closed.'));
    await this.worker.terminate();
  }

  private feed(name: string, table: SourceTable): SourceFeed {
    const add = (input: FeedInput, rows: number, bytes: number) => {
      this.inputs.push(input);
      this.pendingRows += rows;
      this.pendingBytes += bytes;
    };
    return {
      name,
      table: table.table,
      push: (records: SourceRecord[], shard = DEFAULT_SHARD) => {
        if (records.length === 0) return;
        const packed = packSourceRecords(records);
        add({ op: 'push', source: name, shard, records: packed }, records.length, packed.bytes.byteLength);
      },
      pushPhysical: (rows, shard = DEFAULT_SHARD, rec) => add({ op: 'pushPhysical', source: name, shard, rows, rec }, rows.length, 0),
      addShard: (shard) => add({ op: 'addShard', source: name, shard }, 0, 0),
      finishShard: (shard) => add({ op: 'finishShard', source: name, shard }, 0, 0),
    };
  }

  private request(message: ToWorker, timeoutMs: number): Promise<FromWorker> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending) return Promise.reject(new Error('the job\'s worker is already answering a request'));
    return new Promise<FromWorker>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.end(new JobError('java.util.concurrent.TimeoutException', `Heartbeat of the job's task timed out: its worker thread did not answer within ${timeoutMs} ms, and was terminated.`));
        void this.worker.terminate();
      }, timeoutMs);
      this.pending = { resolve, reject, timer };
      this.worker.postMessage(message, transferables(message));
    });
  }

  private settle(reply: FromWorker): void {
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    if (reply.t === 'failed') {
      const err = reply.flinkClass ? new JobError(reply.flinkClass, reply.message) : new Error(reply.message);
      this.failure = err;
      void this.worker.terminate();
      pending.reject(err);
    } else pending.resolve(reply);
  }

  /** The job cannot go on: the request in flight, and every later one, fails with `err`. */
  private end(err: Error): void {
    this.failure ??= err;
    const pending = this.pending;
    if (!pending) return;
    this.pending = undefined;
    clearTimeout(pending.timer);
    pending.reject(this.failure);
  }
}
