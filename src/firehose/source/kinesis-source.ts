import type { Logger } from 'pino';
import type { Kinesis } from '../../kinesis/context.js';
import { parseStreamArn } from '../../kinesis/domain/arn.js';
import { now } from '../../kinesis/domain/clock.js';
import { decryptRecords } from '../../kinesis/domain/encryption.js';
import { GET_RECORDS_MAX_BYTES, GET_RECORDS_MAX_RECORDS, ShardSequences, closedShardEnd, retentionHorizon } from '../../kinesis/domain/records.js';
import { formatShardId } from '../../kinesis/domain/shard-id.js';
import { shardLogName, visibleShards, type ShardMeta, type StreamMeta } from '../../kinesis/domain/stream.js';
import { throughput } from '../../kinesis/domain/throughput.js';
import type { Lease } from '../../leases/leases.js';
import { LeaseLostError, ProgressMovedError } from '../../leases/progress.js';
import { AwsError } from '../../protocol/errors.js';
import { isPlainJsonString } from '../../protocol/json-bytes.js';
import type { NewRecord, StoredRecord } from '../../store/store.js';
import { ingestLogName, progressKey, type DeliveryStreamDocument, type SourceMetadata } from '../domain/delivery-stream.js';
import { IngestBacklog, maxBacklogBytes } from './backlog.js';

/**
 * A KinesisStreamAsSource delivery stream's reader (FIREHOSE-SPEC §6, §20.3): reads the Millrace
 * Kinesis stream in-process, from LATEST as of DeliveryStartTimestamp, every shard, a child only
 * after its parents were read to their end, and appends each record to the delivery stream's ingest
 * log with its SourceMetadata as JSON in the stored record's `partitionKey`. The data is kept as it
 * was put: KPL aggregates are de-aggregated later, by processing, before Lambda and the destination.
 *
 * Progress is one record per shard, `progressKey(stream, 'source/<shardId>')` = ShardProgress,
 * written through the delivery lease after the batch it covers is durable in the ingest log: a
 * restart re-reads at most each shard's last unfinished batch, and loses nothing.
 *
 * The delivery engine runs it inside the stream's delivery lease, beside its delivery loop:
 *   await Promise.all([deliver(lease), runKinesisSource(stream, lease, { kinesis, log, metrics })])
 * It resolves on its own only when the source stream is gone (warned): delivery goes on with what
 * was taken in. Everything it writes is under `progressKey(stream, 'source/…')`.
 */

/** §6 [dg2023 writing-with-kinesis-streams]: Firehose "calls GetRecords once per second for each shard" (when it has caught up). */
export const GET_RECORDS_INTERVAL_MS = 1_000;
/**
 * How often the reader looks at the source stream for new shards (resharding) and for its deletion.
 * How often AWS calls ListShards/DescribeStream for this is UNVERIFIED; once per read interval.
 */
export const SHARD_DISCOVERY_INTERVAL_MS = 1_000;
/** One read takes what one GetRecords call may return (KINESIS-SPEC §4.6): 10,000 records, 10 MiB. */
export const SOURCE_READ_MAX_RECORDS = GET_RECORDS_MAX_RECORDS;
export const SOURCE_READ_MAX_BYTES = GET_RECORDS_MAX_BYTES;
/**
 * Shards read and appended at the same time, per delivery stream: a backlog on many shards holds at
 * most this many reads (10 MiB each) in memory at once. A Millrace bound, not an AWS one.
 */
export const MAX_SHARDS_READING_AT_ONCE = 4;
/** After a read or an append failed (the store unreachable), the shard is tried again this soon. */
export const READ_RETRY_MS = 1_000;
/**
 * What AWS does when the source stream is deleted under a delivery stream is UNVERIFIED. Millrace
 * stops reading (a warning names the stream); records already taken in are still delivered. A
 * stream re-created under the same name is a different stream (its shards start over), and is not
 * read either.
 */
export const SOURCE_STREAM_DELETED = 'stop reading' as const;

/** What a shard's progress record holds. */
export interface ShardProgress {
  /** Position in the shard's log of the next record to read (KINESIS log index). */
  index: number;
  /** The shard was closed by resharding and read to its sealed end: its children may be read. */
  closed?: boolean;
}

/** The source stream incarnation the progress records belong to, kept under `progressKey(stream, 'source/stream')`. */
interface SourceBinding {
  streamId: string;
}

/**
 * The §15 counters of the source (DataReadFromKinesisStream.Bytes/Records, KinesisMillisBehindLatest,
 * ThrottledGetRecords), plain numbers the metrics of the delivery stream read. Give one to
 * `runKinesisSource` in `deps.metrics` to have it kept.
 */
export interface KinesisSourceMetrics {
  /** Data bytes read from the source stream (the records' data, as put). */
  dataReadFromKinesisStreamBytes: number;
  dataReadFromKinesisStreamRecords: number;
  /** The largest MillisBehindLatest over the shards at their last reads. */
  kinesisMillisBehindLatest: number;
  /** Reads refused by the shard's read limits (only with --enforce-limits). */
  throttledGetRecords: number;
}

export const newKinesisSourceMetrics = (): KinesisSourceMetrics => ({
  dataReadFromKinesisStreamBytes: 0,
  dataReadFromKinesisStreamRecords: 0,
  kinesisMillisBehindLatest: 0,
  throttledGetRecords: 0,
});

export interface KinesisSourceDeps {
  kinesis: Kinesis;
  log: Logger;
  metrics?: KinesisSourceMetrics;
  /** How far the ingest log may run ahead of delivery (backlog.ts maxBacklogBytes unless a test sets it). */
  maxBacklogBytes?: number;
}

/**
 * The Millrace Kinesis stream an ARN names (KinesisStreamSourceConfiguration.KinesisStreamARN), in
 * whatever state it is (CREATING, ACTIVE, UPDATING, DELETING), or undefined when the ARN is not a
 * stream ARN or no such stream exists. The control plane decides what to answer for each case.
 */
export async function findSourceStream(kinesis: Kinesis, arn: string): Promise<StreamMeta | undefined> {
  const at = parseStreamArn(arn);
  if (!at) return undefined;
  return kinesis.streams.find({ account: at.account, region: at.region }, at.streamName);
}

/**
 * Reads the stream's Kinesis source from DeliveryStartTimestamp, every shard, parents before children,
 * appending to the ingest log with SourceMetadata (JSON in partitionKey); progress per shard under
 * progressKey(stream, 'source/<shardId>') through the lease. Runs until lease.signal aborts (resolves
 * then, and when the lease is lost); resolves early when the source stream was deleted (warned).
 */
export async function runKinesisSource(stream: DeliveryStreamDocument, lease: Lease, deps: KinesisSourceDeps): Promise<void> {
  if (!stream.source) return;
  const reader = new KinesisSourceReader(stream, lease, deps);
  try {
    await reader.run();
  } catch (err) {
    if (err instanceof LeaseLostError || lease.signal.aborted) return;
    throw err;
  } finally {
    reader.stop();
  }
}

/** Wakes a pause early; a wake-up that comes while nobody pauses is kept for the next pause. */
interface Wake {
  resolve?: () => void;
  pending?: boolean;
}

const wakeUp = (wake: Wake) => {
  if (wake.resolve) wake.resolve();
  else wake.pending = true;
};

/** Resolves after `ms`, or at once when `signal` aborts or `wake` is woken. */
function pause(ms: number, signal: AbortSignal, wake?: Wake): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || wake?.pending) {
      if (wake) wake.pending = false;
      return resolve();
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      if (wake) wake.resolve = undefined;
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    if (wake) wake.resolve = done;
  });
}

/** What `untilDone` answers when a step kept failing. */
const STORE_FAILED = Symbol('store failed');

/** A counting semaphore (MAX_SHARDS_READING_AT_ONCE). */
class Permits {
  private waiting: Array<() => void> = [];
  constructor(private free: number) {}
  async take(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

class KinesisSourceReader {
  private readonly source: NonNullable<DeliveryStreamDocument['source']>;
  private readonly log: Logger;
  private readonly kinesis: Kinesis;
  private readonly ingestLog: string;
  /** Aborted with the lease, or when the source stream is gone. */
  private readonly controller = new AbortController();
  private readonly signal: AbortSignal;
  private readonly permits = new Permits(MAX_SHARDS_READING_AT_ONCE);
  /** The source stream as last read: shard readers take their shard's state (closedAt) from it. */
  private current!: StreamMeta;
  /** Shards read to their end (progress `closed`), by index. */
  private readonly finished = new Set<number>();
  /** Shards being read, by index. */
  private readonly readers = new Map<number, Promise<void>>();
  /** Each shard's progress as last read or written, by shard index (read from the store once per shard). */
  private readonly known = new Map<number, ShardProgress | undefined>();
  private readonly behind = new Map<number, number>();
  /** Wakes the discovery loop when a shard finished (its children may start). */
  private readonly wake: Wake = {};
  private failure?: unknown;
  /** What the source appended and delivery has not yet passed: reads wait while it is at its limit. */
  private readonly backlog: IngestBacklog;
  private readonly onLeaseAbort = () => this.controller.abort();

  constructor(
    private readonly stream: DeliveryStreamDocument,
    private readonly lease: Lease,
    private readonly deps: KinesisSourceDeps,
  ) {
    this.source = stream.source!;
    this.log = deps.log;
    this.kinesis = deps.kinesis;
    this.ingestLog = ingestLogName(stream);
    this.signal = this.controller.signal;
    this.backlog = new IngestBacklog(deps.kinesis.store, stream, deps.maxBacklogBytes ?? maxBacklogBytes(stream), deps.log);
    if (lease.signal.aborted) this.controller.abort();
    else lease.signal.addEventListener('abort', this.onLeaseAbort, { once: true });
  }

  stop(): void {
    this.lease.signal.removeEventListener('abort', this.onLeaseAbort);
    this.controller.abort();
  }

  private get logContext() {
    return { deliveryStream: this.stream.name, sourceStream: this.source.KinesisStreamARN };
  }

  async run(): Promise<void> {
    try {
      const found = await this.untilDone(() => this.bind());
      if (!found || found === STORE_FAILED) return;
      this.current = found;
      // What an earlier term appended and delivery has not passed counts against the limit too.
      if ((await this.untilDone(() => this.backlog.start(SOURCE_READ_MAX_BYTES, this.signal))) === STORE_FAILED) return;
      this.log.debug({ ...this.logContext, deliveryStartTimestamp: this.source.DeliveryStartTimestamp }, 'reading the Kinesis source');
      while (!this.signal.aborted) {
        await this.untilDone(() => this.startReadyShards(), 1);
        await pause(SHARD_DISCOVERY_INTERVAL_MS, this.signal, this.wake);
        if (this.failure) throw this.failure;
        if (this.signal.aborted) break;
        const latest = await this.untilDone(() => findSourceStream(this.kinesis, this.source.KinesisStreamARN), 1);
        if (latest === STORE_FAILED) continue;
        if (!latest || latest.id !== found.id || latest.status === 'DELETING') {
          const why = latest && latest.id !== found.id ? 'the source stream was deleted and created again' : 'the source stream was deleted';
          return this.sourceGone(why, 'stopped');
        }
        this.current = latest;
      }
    } finally {
      // Every shard's batch in flight has been appended and checkpointed, or abandoned, before this resolves.
      this.controller.abort();
      await Promise.allSettled(this.readers.values());
    }
    if (this.failure) throw this.failure;
  }

  /** The source stream, bound to this delivery stream's progress at the first run; undefined (warned) when gone. */
  private async bind(): Promise<StreamMeta | undefined> {
    const found = await findSourceStream(this.kinesis, this.source.KinesisStreamARN);
    if (!found || found.status === 'DELETING') return this.sourceGone('the source stream does not exist');
    const binding = await this.lease.progress<SourceBinding>(progressKey(this.stream, 'source/stream'));
    if (binding && binding.streamId !== found.id) return this.sourceGone('the source stream was deleted and created again');
    if (!binding) await this.lease.checkpoint<SourceBinding>(progressKey(this.stream, 'source/stream'), { streamId: found.id });
    return found;
  }

  /**
   * Runs a step that reads the store, retrying it (READ_RETRY_MS apart, warned) while the store fails,
   * at most `attempts` times (then STORE_FAILED): an unreachable store delays the source, never ends it.
   * A lost lease ends it.
   */
  private async untilDone<T>(step: () => Promise<T>, attempts = Infinity): Promise<T | typeof STORE_FAILED> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (err) {
        if (err instanceof LeaseLostError || this.signal.aborted) throw err;
        this.log.warn({ ...this.logContext, err }, 'Kinesis source: the store failed; retrying');
        if (attempt >= attempts) return STORE_FAILED;
        await pause(READ_RETRY_MS, this.signal);
      }
    }
  }

  private sourceGone(why: string, what: 'not read' | 'stopped' = 'not read'): undefined {
    // AWS's behaviour is unverified (SOURCE_STREAM_DELETED).
    this.log.warn({ ...this.logContext, action: SOURCE_STREAM_DELETED }, `Kinesis source ${what}: ${why}`);
    return undefined;
  }

  /** Starts a reader for every visible shard not finished or being read whose parents are finished. */
  private async startReadyShards(): Promise<void> {
    const stream = this.current;
    const visible = visibleShards(stream, now());
    const visibleIndexes = new Set(visible.map((shard) => shard.index));
    for (const shard of visible) {
      if (this.signal.aborted) return;
      if (this.finished.has(shard.index) || this.readers.has(shard.index)) continue;
      if (!this.known.has(shard.index)) {
        const progress = await this.lease.progress<ShardProgress>(this.shardKey(shard));
        this.known.set(shard.index, progress);
        if (progress?.closed) {
          this.finished.add(shard.index);
          continue;
        }
      }
      // A parent that aged out of retention has nothing left to read: it counts as finished.
      const parents = [shard.parent, shard.adjacentParent].filter((p): p is number => p !== undefined && visibleIndexes.has(p));
      if (!parents.every((parent) => this.finished.has(parent))) continue;
      const reader = this.readShard(shard.index, this.known.get(shard.index)?.index)
        .catch((err) => {
          // A lost lease ends the whole source quietly; anything else is a defect, reported by run().
          if (!(err instanceof LeaseLostError) && !this.signal.aborted) this.failure = err;
          this.controller.abort();
        })
        .finally(() => {
          this.readers.delete(shard.index);
          wakeUp(this.wake);
        });
      this.readers.set(shard.index, reader);
    }
  }

  private shardKey(shard: Pick<ShardMeta, 'index'>): string {
    return progressKey(this.stream, `source/${formatShardId(shard.index)}`);
  }

  private shardNow(index: number): ShardMeta {
    return this.current.shards.find((shard) => shard.index === index)!;
  }

  /** Reads one shard until it is finished (closed and read to its end) or the reader stops. */
  private async readShard(index: number, from: number | undefined): Promise<void> {
    const initial = this.shardNow(index);
    const shardId = formatShardId(index);
    const log = shardLogName(this.current, initial);
    const sequences = new ShardSequences(initial);
    let position = from;
    const limiter = throughput(this.kinesis);
    while (!this.signal.aborted) {
      // Back-pressure: no read while the ingest log is as far ahead of delivery as allowed (backlog.ts).
      const room = await this.backlog.reserve(SOURCE_READ_MAX_BYTES, this.signal, (ms) => pause(ms, this.signal));
      if (room === 0) return;
      const stream = this.current;
      const shard = this.shardNow(index);
      let caughtUp = false;
      let failed = false;
      try {
        limiter.admitRead(stream, shard); // the shard's shared read limits, with --enforce-limits (§6)
      } catch (err) {
        this.backlog.release(room);
        if (!(err instanceof AwsError)) throw err;
        if (this.deps.metrics) this.deps.metrics.throttledGetRecords++;
        await pause(GET_RECORDS_INTERVAL_MS, this.signal);
        continue;
      }
      await this.permits.take();
      try {
        // LATEST as of DeliveryStartTimestamp: the first record that arrived at or after it (§6).
        position ??= await this.kinesis.store.records.indexAtTime(log, this.source.DeliveryStartTimestamp);
        const at = now();
        const read = await this.kinesis.store.records.read(log, position, {
          limit: SOURCE_READ_MAX_RECORDS,
          maxBytes: room,
          notBefore: retentionHorizon(stream, at),
        });
        limiter.chargeRead(stream, shard, read.records.reduce((sum, r) => sum + r.data.length + Buffer.byteLength(r.partitionKey), 0));
        caughtUp = read.nextIndex >= read.tipIndex;
        this.noteBehind(index, caughtUp || read.records.length === 0 ? 0 : Math.max(0, at - read.records[read.records.length - 1].arrival));
        if (this.signal.aborted) return;
        // Still this term's (distributed mode): a node whose lease was taken appends no batch the new holder reads too.
        if (read.records.length > 0) await this.lease.verify();
        if (read.records.length > 0) await this.append(shardId, sequences, await decryptRecords(this.kinesis, read.records));
        // §4.7: a closed shard ends once writes to it have ended (its log sealed) and the reader is past its last record.
        const end = shard.closedAt !== undefined ? await closedShardEnd(this.kinesis, stream, shard) : undefined;
        const closed = end !== undefined && read.nextIndex >= end;
        if (read.nextIndex !== position || closed) {
          await this.checkpoint(shard, { index: read.nextIndex, ...(closed ? { closed } : {}) });
          position = read.nextIndex;
        }
        if (closed) {
          this.finished.add(index);
          this.behind.delete(index);
          this.log.debug({ ...this.logContext, shardId }, 'Kinesis source shard read to its end');
          return;
        }
      } catch (err) {
        if (err instanceof LeaseLostError || this.signal.aborted) throw err;
        // The store failed: the batch is read again (appended again if its append had been durable).
        this.log.warn({ ...this.logContext, shardId, err }, 'reading the Kinesis source failed; retrying');
        failed = true;
      } finally {
        this.permits.give();
        this.backlog.release(room);
      }
      if (failed) await pause(READ_RETRY_MS, this.signal);
      // A backlog is read continuously; once caught up, once per interval.
      else if (caughtUp) await pause(GET_RECORDS_INTERVAL_MS, this.signal);
    }
  }

  /** Appends one shard's batch to the ingest log, durably, in shard order. */
  private async append(shardId: string, sequences: ShardSequences, records: StoredRecord[]): Promise<void> {
    const entries: NewRecord[] = new Array(records.length);
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      entries[i] = { partitionKey: sourceMetadataJson(shardId, record, sequences), data: record.data };
      bytes += record.data.length;
    }
    const stored = await this.kinesis.store.records.append(this.ingestLog, entries);
    let storedBytes = bytes;
    for (const entry of entries) storedBytes += entry.partitionKey.length;
    this.backlog.appended(stored[stored.length - 1].index + 1, storedBytes);
    const metrics = this.deps.metrics;
    if (metrics) {
      metrics.dataReadFromKinesisStreamRecords += records.length;
      metrics.dataReadFromKinesisStreamBytes += bytes;
    }
  }

  private async checkpoint(shard: ShardMeta, progress: ShardProgress): Promise<void> {
    try {
      await this.lease.checkpoint<ShardProgress>(this.shardKey(shard), progress);
    } catch (err) {
      if (!(err instanceof ProgressMovedError)) throw err;
      // A late write of an earlier term: this term holds the lease and has appended the batch, so
      // its progress is the one to keep (the lease re-reads the record's revision on this write).
      await this.lease.checkpoint<ShardProgress>(this.shardKey(shard), progress);
    }
    this.known.set(shard.index, progress);
  }

  private noteBehind(index: number, ms: number): void {
    this.behind.set(index, ms);
    if (this.deps.metrics) this.deps.metrics.kinesisMillisBehindLatest = Math.max(0, ...this.behind.values());
  }
}

/**
 * JSON.stringify of the record's SourceMetadata, written as a template (only the partition key may
 * need escaping): 10,000 records a read made the object-and-stringify way a third of the source's time.
 */
export function sourceMetadataJson(shardId: string, record: Pick<StoredRecord, 'index' | 'arrival' | 'partitionKey'>, sequences: ShardSequences): string {
  // The sequence number as GetRecords formats it (records.ts ApiRecords); records of a read follow each other, which `text` steps through cheaply.
  const sequenceNumber = sequences.text(record.index, record.arrival);
  const key = isPlainJsonString(record.partitionKey) ? `"${record.partitionKey}"` : JSON.stringify(record.partitionKey);
  return `{"shardId":"${shardId}","partitionKey":${key},"sequenceNumber":"${sequenceNumber}","approximateArrivalTimestamp":${record.arrival}}`;
}

/** Reads the SourceMetadata a Kinesis-sourced ingest record carries (undefined for DirectPut records). */
export function sourceMetadataOf(record: Pick<StoredRecord, 'partitionKey'>): SourceMetadata | undefined {
  return record.partitionKey ? (JSON.parse(record.partitionKey) as SourceMetadata) : undefined;
}
