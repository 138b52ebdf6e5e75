import type { EngineMetrics, JobState, RowKind, SinkRecord, SourceRecord } from '../sql/index.js';

/**
 * The narrow protocol between a job's node (job-run.ts, on the main thread: the store, the lease, the
 * run document, the sources' reads and the sinks' writes) and the worker thread that runs the job's
 * compiled SQL pipeline (job-worker.ts: operators, windows, state). One request at a time, each
 * answered before the next: a step carries the records read since the last one (at most
 * JOB_MAX_ROWS_IN_FLIGHT rows, JOB_MAX_BYTES_IN_FLIGHT bytes) and is answered with what the sinks got.
 * Record payloads travel packed in one transferred buffer per batch, never one clone per record.
 */

/**
 * Rows one step may carry into a job's worker: the sources read no more until the worker has taken
 * them, so a slow or runaway job holds back its sources instead of growing the server's memory. Two
 * shards' worth of Flink's `source.shard.get-records.max-record-count` (10,000).
 */
export const JOB_MAX_ROWS_IN_FLIGHT = 20_000;
/** Payload bytes one step may carry into a job's worker (the same back-pressure, by size). */
export const JOB_MAX_BYTES_IN_FLIGHT = 16 * 1024 * 1024;
/**
 * The old-generation heap of one job's worker thread (Worker resourceLimits.maxOldGenerationSizeMb):
 * a job whose state or output outgrows it fails alone with Flink's OutOfMemoryError; the server's heap
 * is not shared with it. The engine's own per-operator bound (DEFAULT_MAX_STATE_ENTRIES) usually fails
 * a growing job first, with its clearer message.
 */
export const JOB_WORKER_HEAP_MB = 512;
/**
 * How long a worker may take to answer one step: far above what JOB_MAX_ROWS_IN_FLIGHT rows cost
 * (milliseconds), so a worker that has not answered is looping; it is terminated and its job fails
 * (Flink's heartbeat timeout of a task that stopped answering).
 */
export const JOB_STEP_TIMEOUT_MS = 10_000;
/** How long a worker may take to compile and restore, or to save a checkpoint: both grow with the job's state. */
export const JOB_STATE_TIMEOUT_MS = 60_000;

/**
 * Test-only (named here so that it is never set by accident): `hang:<application>` or
 * `allocate:<application>` makes that application's worker loop forever or allocate without end
 * at its first step that carries records, so tests can show such a job fails alone.
 */
export const TEST_JOB_FAULT_ENV = 'MILLRACE_TEST_JOB_FAULT';
export type JobFault = 'hang' | 'allocate';

/** Records of one shard: payloads back to back in `bytes`, record i ending at `ends[i]`. */
export interface PackedSourceRecords {
  bytes: Uint8Array;
  ends: Uint32Array;
  arrival: Float64Array;
  /** Sequence numbers, when the table reads the `sequence-number` metadata column. */
  sequenceNumbers?: string[];
}

/** What the sources did since the last step, in order. */
export type FeedInput =
  | { op: 'push'; source: string; shard: string; records: PackedSourceRecords }
  | { op: 'pushPhysical'; source: string; shard: string; rows: (unknown[] | undefined)[]; rec?: SourceRecord }
  | { op: 'addShard' | 'finishShard'; source: string; shard: string };

/** What one sink got in a step: payloads back to back, kinds as indexes of ROW_KINDS. */
export interface PackedSinkRecords {
  bytes: Uint8Array;
  ends: Uint32Array;
  kinds: Uint8Array;
  partitionKeys?: (string | undefined)[];
  /** The rows by column name, for the sinks that write them (filesystem). */
  rows?: Record<string, unknown>[];
}

export const ROW_KINDS: readonly RowKind[] = ['+I', '-U', '+U', '-D'];

export interface OpenRequest {
  t: 'open';
  script: string;
  config: Record<string, string>;
  restore?: JobState;
  /** Drop the restored state of operators the program lacks (AllowNonRestoredState on a snapshot restore). */
  dropUnknownOperators: boolean;
  /** Sinks whose records go out with their rows (SinkRecord.row), not only their bytes. */
  rowSinks: string[];
  fault?: JobFault;
}

export type ToWorker = OpenRequest | { t: 'step'; now: number; inputs: FeedInput[] } | { t: 'checkpoint' };

export type FromWorker =
  | { t: 'opened' }
  | { t: 'stepped'; out: Record<string, PackedSinkRecords>; metrics: EngineMetrics }
  | { t: 'state'; state: JobState }
  | { t: 'failed'; flinkClass?: string; message: string };

/** Packs a batch of records (one allocation, transferable). */
export function packSourceRecords(records: SourceRecord[]): PackedSourceRecords {
  let size = 0;
  for (const r of records) size += typeof r.data === 'string' ? Buffer.byteLength(r.data) : r.data.byteLength;
  const bytes = new Uint8Array(size);
  const ends = new Uint32Array(records.length);
  const arrival = new Float64Array(records.length);
  let sequenceNumbers: string[] | undefined;
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (typeof r.data === 'string') at += Buffer.from(bytes.buffer, at).write(r.data);
    else {
      bytes.set(r.data, at);
      at += r.data.byteLength;
    }
    ends[i] = at;
    arrival[i] = r.arrivalTime ?? NaN;
    if (r.sequenceNumber !== undefined) (sequenceNumbers ??= new Array(records.length))[i] = r.sequenceNumber;
  }
  return { bytes, ends, arrival, sequenceNumbers };
}

export function unpackSourceRecords(packed: PackedSourceRecords): SourceRecord[] {
  const { bytes, ends, arrival, sequenceNumbers } = packed;
  const records: SourceRecord[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const t = arrival[i]!;
    records[i] = { data: bytes.subarray(start, end), arrivalTime: Number.isNaN(t) ? undefined : t, sequenceNumber: sequenceNumbers?.[i] };
    start = end;
  }
  return records;
}

export function packSinkRecords(records: SinkRecord[], withRows: boolean): PackedSinkRecords {
  let size = 0;
  for (const r of records) size += r.data.byteLength;
  const bytes = new Uint8Array(size);
  const ends = new Uint32Array(records.length);
  const kinds = new Uint8Array(records.length);
  let partitionKeys: (string | undefined)[] | undefined;
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    bytes.set(r.data, at);
    at += r.data.byteLength;
    ends[i] = at;
    kinds[i] = ROW_KINDS.indexOf(r.kind);
    if (r.partitionKey !== undefined) (partitionKeys ??= new Array(records.length))[i] = r.partitionKey;
  }
  return { bytes, ends, kinds, partitionKeys, rows: withRows ? records.map((r) => r.row) : undefined };
}

export function unpackSinkRecords(packed: PackedSinkRecords): SinkRecord[] {
  const { bytes, ends, kinds, partitionKeys, rows } = packed;
  const records: SinkRecord[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    // A sink that does not write rows never reads `row` (sinks.ts): it stays empty.
    records[i] = { kind: ROW_KINDS[kinds[i]!]!, row: rows?.[i] ?? {}, data: bytes.subarray(start, end), partitionKey: partitionKeys?.[i] };
    start = end;
  }
  return records;
}

/** The buffers a message hands over rather than copies. */
export function transferables(message: ToWorker | FromWorker): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  if (message.t === 'step') for (const input of message.inputs) if (input.op === 'push') out.push(input.records.bytes.buffer as ArrayBuffer, input.records.ends.buffer as ArrayBuffer, input.records.arrival.buffer as ArrayBuffer);
  if (message.t === 'stepped') for (const p of Object.values(message.out)) out.push(p.bytes.buffer as ArrayBuffer, p.ends.buffer as ArrayBuffer, p.kinds.buffer as ArrayBuffer);
  return out;
}
