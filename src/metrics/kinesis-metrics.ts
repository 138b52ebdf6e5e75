import type { StreamMeta } from '../kinesis/domain/stream.js';
import { Stat } from './stat.js';

/**
 * What Kinesis records of its streams for AWS/Kinesis (CONSOLE-SPEC §2.1) and Prometheus (§2.3).
 * Every hook here runs on the data path (PutRecord at hundreds of thousands of records a second):
 * one Map look-up by the stream's id (a string the stream already has) and counters added to in
 * place; nothing allocated, no labels built. Shard-level counters are touched only for streams
 * whose enhanced monitoring asks for them (§2.1 "Enhanced shard-level").
 */

/** The AWS/Kinesis stream-level metrics, by CloudWatch name with their unit (§2.1). */
export const STREAM_METRICS = {
  IncomingBytes: 'Bytes',
  IncomingRecords: 'Count',
  'PutRecord.Bytes': 'Bytes',
  'PutRecord.Latency': 'Milliseconds',
  'PutRecord.Success': 'Count',
  'PutRecords.Bytes': 'Bytes',
  'PutRecords.Latency': 'Milliseconds',
  'PutRecords.Records': 'Count',
  'PutRecords.Success': 'Count',
  'PutRecords.TotalRecords': 'Count',
  'PutRecords.SuccessfulRecords': 'Count',
  'PutRecords.FailedRecords': 'Count',
  'PutRecords.ThrottledRecords': 'Count',
  'GetRecords.Bytes': 'Bytes',
  'GetRecords.IteratorAgeMilliseconds': 'Milliseconds',
  'GetRecords.Latency': 'Milliseconds',
  'GetRecords.Records': 'Count',
  'GetRecords.Success': 'Count',
  ReadProvisionedThroughputExceeded: 'Count',
  WriteProvisionedThroughputExceeded: 'Count',
} as const;
export type StreamMetricName = keyof typeof STREAM_METRICS;

/** Per consumer (dimensions StreamName, ConsumerName). */
export const CONSUMER_METRICS = {
  'SubscribeToShard.Success': 'Count',
  'SubscribeToShard.RateExceeded': 'Count',
  'SubscribeToShardEvent.Bytes': 'Bytes',
  'SubscribeToShardEvent.MillisBehindLatest': 'Milliseconds',
  'SubscribeToShardEvent.Records': 'Count',
  'SubscribeToShardEvent.Success': 'Count',
} as const;
export type ConsumerMetricName = keyof typeof CONSUMER_METRICS;

/** The enhanced shard-level metrics (dimensions StreamName, ShardId), as EnableEnhancedMonitoring names them. */
export const SHARD_METRICS = {
  IncomingBytes: 'Bytes',
  IncomingRecords: 'Count',
  OutgoingBytes: 'Bytes',
  OutgoingRecords: 'Count',
  WriteProvisionedThroughputExceeded: 'Count',
  ReadProvisionedThroughputExceeded: 'Count',
  IteratorAgeMilliseconds: 'Milliseconds',
} as const;
export type ShardMetricName = keyof typeof SHARD_METRICS;

const statsOf = <K extends string>(names: Record<K, string>) =>
  Object.fromEntries(Object.keys(names).map((name) => [name, new Stat()])) as Record<K, Stat>;

export class ConsumerMetrics {
  readonly stats = statsOf(CONSUMER_METRICS);
  /** Subscriptions of this consumer open on this node. */
  active = 0;
  constructor(readonly name: string) {}
}

export class ShardMetrics {
  readonly stats = statsOf(SHARD_METRICS);
  constructor(readonly shardId: string) {}
}

export class StreamMetrics {
  readonly stats = statsOf(STREAM_METRICS);
  readonly consumers = new Map<string, ConsumerMetrics>();
  readonly shards = new Map<number, ShardMetrics>();
  /** The stream's ShardLevelMetrics as of its last request (a reference, not a copy). */
  enhanced: readonly string[];
  /** Latest GetRecords iterator age per shard index, for the Prometheus gauge (max over shards). */
  readonly iteratorAges = new Map<number, number>();
  readonly account: string;
  readonly region: string;
  readonly name: string;

  constructor(stream: StreamMeta) {
    this.account = stream.account;
    this.region = stream.region;
    this.name = stream.name;
    this.enhanced = stream.shardLevelMetrics;
  }

  shard(index: number): ShardMetrics {
    let shard = this.shards.get(index);
    if (!shard) this.shards.set(index, (shard = new ShardMetrics(`shardId-${String(index).padStart(12, '0')}`)));
    return shard;
  }

  consumer(name: string): ConsumerMetrics {
    let consumer = this.consumers.get(name);
    if (!consumer) this.consumers.set(name, (consumer = new ConsumerMetrics(name)));
    return consumer;
  }

  /** Whether the stream enabled this shard-level metric. */
  shardLevel(metric: ShardMetricName): boolean {
    return this.enhanced.length !== 0 && this.enhanced.includes(metric);
  }
}

/** PutRecords throttles are reported per record; everything else per call. */
export class KinesisMetrics {
  /** By stream id: a stream deleted and created again under its name is a new incarnation. */
  readonly streams = new Map<string, StreamMetrics>();

  stream(stream: StreamMeta): StreamMetrics {
    let metrics = this.streams.get(stream.id);
    if (!metrics) this.streams.set(stream.id, (metrics = new StreamMetrics(stream)));
    else metrics.enhanced = stream.shardLevelMetrics;
    return metrics;
  }

  /** A PutRecord that stored its record in shard `shardIndex`. */
  putRecord(stream: StreamMeta, shardIndex: number, bytes: number, latencyMs: number): void {
    const m = this.stream(stream);
    const s = m.stats;
    s.IncomingBytes.add(bytes);
    s.IncomingRecords.add(1);
    s['PutRecord.Bytes'].add(bytes);
    s['PutRecord.Latency'].add(latencyMs);
    s['PutRecord.Success'].add(1);
    if (m.enhanced.length !== 0) {
      const shard = m.shard(shardIndex).stats;
      if (m.shardLevel('IncomingBytes')) shard.IncomingBytes.add(bytes);
      if (m.shardLevel('IncomingRecords')) shard.IncomingRecords.add(1);
    }
  }

  /** A PutRecord refused for throughput (ProvisionedThroughputExceededException). */
  putRecordThrottled(stream: StreamMeta, shardIndex: number | undefined): void {
    const m = this.stream(stream);
    m.stats['PutRecord.Success'].add(0);
    m.stats.WriteProvisionedThroughputExceeded.add(1);
    if (shardIndex !== undefined && m.shardLevel('WriteProvisionedThroughputExceeded')) m.shard(shardIndex).stats.WriteProvisionedThroughputExceeded.add(1);
  }

  /**
   * A PutRecords call: `stored` of `total` records stored, `throttled` refused for throughput.
   * Returns the stream's metrics so that a stream with shard-level metrics can add each record
   * with `putRecordsEntry` (the caller loops only when `enhanced` is non-empty).
   */
  putRecords(stream: StreamMeta, total: number, stored: number, throttled: number, bytes: number, latencyMs: number): StreamMetrics {
    const m = this.stream(stream);
    const s = m.stats;
    s.IncomingBytes.add(bytes);
    s.IncomingRecords.add(stored);
    s['PutRecords.Bytes'].add(bytes);
    s['PutRecords.Latency'].add(latencyMs);
    s['PutRecords.Records'].add(stored);
    s['PutRecords.Success'].add(stored > 0 ? 1 : 0);
    s['PutRecords.TotalRecords'].add(total);
    s['PutRecords.SuccessfulRecords'].add(stored);
    s['PutRecords.FailedRecords'].add(total - stored - throttled);
    s['PutRecords.ThrottledRecords'].add(throttled);
    if (throttled > 0) s.WriteProvisionedThroughputExceeded.add(throttled);
    return m;
  }

  /** One record of a PutRecords call, for shard-level metrics: stored in `shardIndex`, or throttled there. */
  putRecordsEntry(m: StreamMetrics, shardIndex: number, bytes: number, throttled: boolean): void {
    const shard = m.shard(shardIndex).stats;
    if (throttled) {
      if (m.shardLevel('WriteProvisionedThroughputExceeded')) shard.WriteProvisionedThroughputExceeded.add(1);
      return;
    }
    if (m.shardLevel('IncomingBytes')) shard.IncomingBytes.add(bytes);
    if (m.shardLevel('IncomingRecords')) shard.IncomingRecords.add(1);
  }

  /** A GetRecords call that returned `records` records of `bytes` bytes. */
  getRecords(stream: StreamMeta, shardIndex: number, records: number, bytes: number, latencyMs: number, iteratorAgeMs: number): void {
    const m = this.stream(stream);
    const s = m.stats;
    s['GetRecords.Bytes'].add(bytes);
    s['GetRecords.Records'].add(records);
    s['GetRecords.Latency'].add(latencyMs);
    s['GetRecords.Success'].add(1);
    s['GetRecords.IteratorAgeMilliseconds'].add(iteratorAgeMs);
    m.iteratorAges.set(shardIndex, iteratorAgeMs);
    if (m.enhanced.length !== 0) {
      const shard = m.shard(shardIndex).stats;
      if (m.shardLevel('OutgoingBytes')) shard.OutgoingBytes.add(bytes);
      if (m.shardLevel('OutgoingRecords')) shard.OutgoingRecords.add(records);
      if (m.shardLevel('IteratorAgeMilliseconds')) shard.IteratorAgeMilliseconds.add(iteratorAgeMs);
    }
  }

  /** A GetRecords call refused for throughput. */
  getRecordsThrottled(stream: StreamMeta, shardIndex: number): void {
    const m = this.stream(stream);
    m.stats['GetRecords.Success'].add(0);
    m.stats.ReadProvisionedThroughputExceeded.add(1);
    if (m.shardLevel('ReadProvisionedThroughputExceeded')) m.shard(shardIndex).stats.ReadProvisionedThroughputExceeded.add(1);
  }

  /** A subscription started (true) or was refused for its rate (false). */
  subscribed(stream: StreamMeta, consumer: string, started: boolean): void {
    const c = this.stream(stream).consumer(consumer);
    if (started) {
      c.stats['SubscribeToShard.Success'].add(1);
      c.active++;
    } else c.stats['SubscribeToShard.RateExceeded'].add(1);
  }

  unsubscribed(stream: StreamMeta, consumer: string): void {
    const c = this.stream(stream).consumer(consumer);
    if (c.active > 0) c.active--;
  }

  /** One SubscribeToShardEvent sent. */
  subscriptionEvent(stream: StreamMeta, consumer: string, shardIndex: number, records: number, bytes: number, millisBehind: number): void {
    const m = this.stream(stream);
    const c = m.consumer(consumer).stats;
    c['SubscribeToShardEvent.Bytes'].add(bytes);
    c['SubscribeToShardEvent.Records'].add(records);
    c['SubscribeToShardEvent.MillisBehindLatest'].add(millisBehind);
    c['SubscribeToShardEvent.Success'].add(1);
    if (m.enhanced.length !== 0 && records > 0) {
      const shard = m.shard(shardIndex).stats;
      if (m.shardLevel('OutgoingBytes')) shard.OutgoingBytes.add(bytes);
      if (m.shardLevel('OutgoingRecords')) shard.OutgoingRecords.add(records);
    }
  }

  /** Forgets deleted streams (by the ids still alive), after their last interval was published. */
  retain(liveIds: ReadonlySet<string>): void {
    for (const id of this.streams.keys()) if (!liveIds.has(id)) this.streams.delete(id);
  }
}
