import type { Kinesis } from '../../kinesis/context.js';
import { parseStreamArn } from '../../kinesis/domain/arn.js';
import { now as kinesisNow } from '../../kinesis/domain/clock.js';
import { decryptRecords } from '../../kinesis/domain/encryption.js';
import { ShardSequences, closedShardEnd, retentionHorizon } from '../../kinesis/domain/records.js';
import { formatShardId } from '../../kinesis/domain/shard-id.js';
import { shardLogName, visibleShards, type ShardMeta, type StreamMeta } from '../../kinesis/domain/stream.js';
import type { ReadResult } from '../../store/store.js';
import type { SourceRecord, SourceTable, TableEndpoint } from '../sql/index.js';
import { JobError } from './job-error.js';

/**
 * A `kinesis` source table read in-process from a Millrace stream (ANALYTICS-SPEC §5.3): every shard, a
 * child only after its parents were read to their end (resharding), from `source.init.position` /
 * `scan.stream.initpos` when the job starts afresh, else from its checkpointed positions. POLLING and
 * EFO tables are read the same way (both in-process). Positions are shard-log indexes, saved with the
 * job's operator state in one checkpoint.
 */

/** Flink's `source.shard.get-records.max-record-count` default: at most this many records a read per shard. */
export const MAX_RECORDS_PER_READ = 10_000;
/** Bytes a read per shard may return (GetRecords' 10 MiB). */
export const MAX_BYTES_PER_READ = 10 * 1024 * 1024;
/**
 * How often the stream is looked at again for new shards (`source.shard.discovery.interval`, Flink's
 * default 10 s); Millrace looks every second, which only makes children start reading sooner.
 */
export const SHARD_DISCOVERY_INTERVAL_MS = 1_000;

export interface ShardPosition {
  /** The shard-log index of the next record to read. */
  next: number;
  /** A closed shard read to its end: its children may be read. */
  finished?: boolean;
}

/** Per shard id. */
export type SourcePositions = Record<string, ShardPosition>;

type KinesisEndpoint = Extract<TableEndpoint, { connector: 'kinesis' }>;

export class KinesisTableReader {
  private stream!: StreamMeta;
  private discoveredAt = 0;
  private readonly sequences = new Map<number, ShardSequences>();
  private readonly needsSequenceNumbers: boolean;
  /** False when the job resumes from state: shards then start where the checkpoint says, new ones at their start. */
  private fresh: boolean;

  constructor(
    private readonly kinesis: Kinesis,
    private readonly source: SourceTable,
    private readonly endpoint: KinesisEndpoint,
    private readonly scope: { account: string; region: string },
    readonly positions: SourcePositions,
  ) {
    this.fresh = Object.keys(positions).length === 0;
    this.needsSequenceNumbers = source.table.columns.some((c) => c.kind === 'metadata' && c.metadataKey === 'sequence-number');
  }

  get streamName(): string {
    return this.endpoint.streamName;
  }

  private location(): { account: string; region: string } {
    const at = this.endpoint.streamArn ? parseStreamArn(this.endpoint.streamArn) : undefined;
    return at ? { account: at.account, region: at.region } : this.scope;
  }

  private async find(): Promise<StreamMeta> {
    const where = this.location();
    const stream = await this.kinesis.streams.find(where, this.endpoint.streamName);
    if (!stream || stream.status === 'DELETING' || stream.status === 'CREATING') {
      throw new JobError(
        'org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException',
        `Stream ${this.endpoint.streamName} under account ${where.account} not found. (Service: Kinesis, Status Code: 400) (source table ${this.source.name})`,
      );
    }
    return stream;
  }

  /** Finds the stream and fixes where every shard starts when the job starts afresh. */
  async open(): Promise<void> {
    this.stream = await this.find();
    this.discoveredAt = Date.now();
    if (this.fresh) {
      for (const shard of visibleShards(this.stream, kinesisNow())) {
        this.positions[formatShardId(shard.index)] = { next: await this.initialIndex(shard) };
      }
      this.fresh = false;
    }
    for (const [id, pos] of Object.entries(this.positions)) if (!pos.finished) this.source.addShard(id);
  }

  private async initialIndex(shard: ShardMeta): Promise<number> {
    const log = shardLogName(this.stream, shard);
    switch (this.endpoint.initialPosition) {
      case 'TRIM_HORIZON':
        return 0;
      case 'LATEST':
        return this.kinesis.store.records.tip(log);
      case 'AT_TIMESTAMP':
        return this.kinesis.store.records.indexAtTime(log, this.endpoint.initialTimestamp ?? 0);
    }
  }

  /** The shard logs read now: the job waits on them when it has caught up. */
  logs(): string[] {
    return this.stream.shards.filter((s) => !this.positions[formatShardId(s.index)]?.finished).map((s) => shardLogName(this.stream, s));
  }

  /** One read of every readable shard, pushed into the job; resolves with the records read. */
  async poll(): Promise<number> {
    if (Date.now() - this.discoveredAt >= SHARD_DISCOVERY_INTERVAL_MS) {
      const latest = await this.find();
      if (latest.id !== this.stream.id) throw new JobError('java.lang.IllegalStateException', `Stream ${this.endpoint.streamName} was deleted and created again while source table ${this.source.name} read it.`);
      this.stream = latest;
      this.discoveredAt = Date.now();
    }
    const at = kinesisNow();
    const visible = visibleShards(this.stream, at);
    const visibleIndexes = new Set(visible.map((s) => s.index));
    // Every readable shard is read at once (one round trip to the store), then pushed in shard order.
    const reads: { shard: ShardMeta; id: string; pos: ShardPosition; read: Promise<ReadResult> }[] = [];
    for (const shard of visible) {
      const id = formatShardId(shard.index);
      let pos = this.positions[id];
      if (pos?.finished) continue;
      const parents = [shard.parent, shard.adjacentParent].filter((p): p is number => p !== undefined && visibleIndexes.has(p));
      if (!parents.every((p) => this.positions[formatShardId(p)]?.finished)) continue;
      if (!pos) {
        // A shard born after the job started (resharding) is read from its start, as Flink does.
        pos = this.positions[id] = { next: 0 };
        this.source.addShard(id);
      }
      const log = shardLogName(this.stream, shard);
      reads.push({ shard, id, pos, read: this.kinesis.store.records.read(log, pos.next, { limit: MAX_RECORDS_PER_READ, maxBytes: MAX_BYTES_PER_READ, notBefore: retentionHorizon(this.stream, at) }) });
    }
    await Promise.allSettled(reads.map((r) => r.read));
    let total = 0;
    for (const { shard, id, pos, read: pending } of reads) {
      const read = await pending;
      if (read.records.length > 0) {
        const records = await decryptRecords(this.kinesis, read.records);
        const batch: SourceRecord[] = new Array(records.length);
        let sequences: ShardSequences | undefined;
        if (this.needsSequenceNumbers) {
          sequences = this.sequences.get(shard.index);
          if (!sequences) this.sequences.set(shard.index, (sequences = new ShardSequences(shard)));
        }
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          batch[i] = { data: r.data, arrivalTime: r.arrival, partitionKey: r.partitionKey, sequenceNumber: sequences ? sequences.text(r.index, r.arrival) : undefined };
        }
        this.source.push(batch, id);
        total += records.length;
      }
      pos.next = read.nextIndex;
      if (read.records.length === 0 && shard.closedAt !== undefined) {
        const end = await closedShardEnd(this.kinesis, this.stream, shard);
        if (end !== undefined && pos.next >= end) {
          pos.finished = true;
          this.source.finishShard(id);
        }
      }
    }
    return total;
  }
}
