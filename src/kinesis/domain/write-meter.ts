import { shardLogName, type ShardMeta, type StreamMeta } from './stream.js';

/**
 * Per-shard write rates over a sliding window of whole seconds, kept in this process's memory: the
 * signal on-demand streams scale out on (KINESIS-SPEC §5.3). Counting is one map lookup and two
 * additions per appended batch. Several nodes sharing a store each see their own share of the
 * writes, which only makes scaling later, never wrong.
 */
export interface WriteRate {
  recordsPerSecond: number;
  bytesPerSecond: number;
}

interface Bucket {
  second: number;
  records: number;
  bytes: number;
}

class ShardMeter {
  readonly buckets: Bucket[];
  lastSecond = 0;

  constructor(size: number) {
    this.buckets = Array.from({ length: size }, () => ({ second: -1, records: 0, bytes: 0 }));
  }

  add(second: number, records: number, bytes: number): void {
    const bucket = this.buckets[second % this.buckets.length];
    if (bucket.second !== second) Object.assign(bucket, { second, records: 0, bytes: 0 });
    bucket.records += records;
    bucket.bytes += bytes;
    this.lastSecond = second;
  }
}

export class WriteMeter {
  private readonly shards = new Map<string, ShardMeter>();

  /** `windowSeconds` complete seconds are averaged; the current, partial second is not counted. */
  constructor(readonly windowSeconds: number) {}

  record(stream: StreamMeta, shard: ShardMeta, records: number, bytes: number, now = Date.now()): void {
    const key = shardLogName(stream, shard);
    let meter = this.shards.get(key);
    if (!meter) {
      meter = new ShardMeter(this.windowSeconds + 1);
      this.shards.set(key, meter);
    }
    meter.add(Math.floor(now / 1000), records, bytes);
  }

  /** Average rate over the last `windowSeconds` complete seconds. */
  rate(stream: StreamMeta, shard: ShardMeta, now = Date.now()): WriteRate {
    const meter = this.shards.get(shardLogName(stream, shard));
    if (!meter) return { recordsPerSecond: 0, bytesPerSecond: 0 };
    const current = Math.floor(now / 1000);
    let records = 0;
    let bytes = 0;
    for (const bucket of meter.buckets) {
      if (bucket.second >= current - this.windowSeconds && bucket.second < current) {
        records += bucket.records;
        bytes += bucket.bytes;
      }
    }
    return { recordsPerSecond: records / this.windowSeconds, bytesPerSecond: bytes / this.windowSeconds };
  }

  forget(stream: StreamMeta, shard: ShardMeta): void {
    this.shards.delete(shardLogName(stream, shard));
  }

  /** Drops meters of shards nobody wrote to within the window (closed shards, deleted streams). */
  prune(now = Date.now()): void {
    const oldest = Math.floor(now / 1000) - this.windowSeconds - 1;
    for (const [key, meter] of this.shards) if (meter.lastSecond < oldest) this.shards.delete(key);
  }
}

/** One meter per running Millrace (tests run several in one process), created on first use. */
const meters = new WeakMap<object, WriteMeter>();

export function writeMeter(kinesis: { config: { onDemandScaleSeconds: number } }): WriteMeter {
  let meter = meters.get(kinesis);
  if (!meter) {
    meter = new WriteMeter(Math.max(1, kinesis.config.onDemandScaleSeconds));
    meters.set(kinesis, meter);
  }
  return meter;
}

/**
 * Called by the write path (PutRecord, PutRecords) once per batch appended to one shard. Sizes are
 * data plus partition key bytes, as the 1 MiB/s shard limit counts them (§4.9).
 */
export function meterWrites(
  kinesis: { config: { onDemandScaleSeconds: number } },
  stream: StreamMeta,
  shard: ShardMeta,
  records: readonly { data: Buffer; partitionKey: string }[],
): void {
  if (stream.mode !== 'ON_DEMAND') return;
  let bytes = 0;
  for (const record of records) bytes += record.data.length + Buffer.byteLength(record.partitionKey);
  writeMeter(kinesis).record(stream, shard, records.length, bytes);
}
