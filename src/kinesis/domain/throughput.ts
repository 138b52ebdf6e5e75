import { limitExceeded, AwsError } from '../../protocol/errors.js';
import { appendRecords, type PutEntry, type PutOutcome } from './records.js';
import { routeHashKey, shardRouter } from './routing.js';
import { meterWrites } from './write-meter.js';
import { formatShardId } from './shard-id.js';
import { shardLogName, type ShardMeta, type StreamMeta } from './stream.js';

/**
 * Kinesis's throughput limits (KINESIS-SPEC §4.9), enforced only with `--enforce-limits`.
 *
 * Every limit is a token bucket that holds one second's worth of its rate and refills
 * continuously. A request that finds enough tokens takes them; one that does not is refused and
 * takes nothing. A single record larger than a whole bucket (records up to 10 MiB with
 * MaxRecordSizeInKiB) passes when the bucket is full and leaves it in debt, so large records are
 * slowed down, never refused forever. Reads are only known to be large after they happened: a
 * GetRecords call is admitted while the shard's read bytes are not in debt, and its bytes are taken
 * afterwards (§4.6).
 *
 * On-demand streams get the same per-shard limits: their 4 initial shards are exactly their
 * initial capacity of 4 MiB/s write and 8 MiB/s read (§4.9), and the capacity grows with the
 * shards the stream scales out to (§5.3).
 *
 * State lives in this process's memory: several nodes sharing one store each enforce the limits
 * on the requests they serve, so a cluster admits up to its number of nodes times the rates.
 */

const MiB = 1024 * 1024;

/** §4.9 "Provisioned write per shard": 1 MiB/s of data + partition keys, or 1,000 records/s. */
export const SHARD_WRITE_BYTES_PER_SECOND = 1 * MiB;
export const SHARD_WRITE_RECORDS_PER_SECOND = 1000;
/** §4.9 "Provisioned read per shard (shared)": 2 MiB/s and 5 GetRecords calls/s. */
export const SHARD_READ_BYTES_PER_SECOND = 2 * MiB;
export const SHARD_READ_CALLS_PER_SECOND = 5;
/**
 * §4.6: a call returning 10 MiB makes the shard's calls within the next 5 s fail. A read stops
 * before the record that would take it past 10 MiB, so a call counts as a 10 MiB call once less
 * than one default-size record (1 MiB) of room was left.
 */
export const GET_RECORDS_MAX_BYTES = 10 * MiB;
export const LARGE_READ_BYTES = GET_RECORDS_MAX_BYTES - 1 * MiB;
export const LARGE_READ_PENALTY_MS = 5000;
/** §4.9 / §3.7: GetShardIterator 5 TPS per open shard. */
export const SHARD_ITERATOR_CALLS_PER_SECOND = 5;
/** §6.4, §4.9 "Enhanced fan-out": one SubscribeToShard call per second per consumer and shard. */
export const SUBSCRIBE_CALLS_PER_SECOND = 1;

/** Control-plane rates (§4.9 table, §3.3–3.25): calls per second per account, or per stream. */
interface ControlRate {
  perSecond: number;
  per: 'account' | 'stream';
}
const accountRate = (perSecond: number): ControlRate => ({ perSecond, per: 'account' });
const streamRate = (perSecond: number): ControlRate => ({ perSecond, per: 'stream' });

export const CONTROL_PLANE_RATES: Readonly<Record<string, ControlRate>> = {
  CreateStream: accountRate(5),
  DeleteStream: accountRate(5),
  MergeShards: accountRate(5),
  SplitShard: accountRate(5),
  AddTagsToStream: accountRate(5),
  RemoveTagsFromStream: accountRate(5),
  ListStreams: accountRate(5),
  ListTagsForStream: accountRate(5),
  IncreaseStreamRetentionPeriod: accountRate(5),
  DecreaseStreamRetentionPeriod: accountRate(5),
  DescribeStream: accountRate(10),
  DescribeStreamSummary: accountRate(20),
  DescribeLimits: accountRate(1),
  UpdateShardCount: accountRate(10),
  ListShards: streamRate(1000),
  // §3.18: consumers.
  RegisterStreamConsumer: accountRate(5),
  DeregisterStreamConsumer: accountRate(5),
  ListStreamConsumers: streamRate(5),
  DescribeStreamConsumer: streamRate(20),
  // §3.22–3.24.
  DescribeAccountSettings: accountRate(5),
  UpdateAccountSettings: accountRate(5),
  UpdateStreamWarmThroughput: accountRate(5),
};

/** Keyed bucket maps are pruned of idle (full) buckets beyond this many entries. */
const MAX_IDLE_BUCKETS = 10_000;

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly perSecond: number,
    at: number,
  ) {
    this.tokens = perSecond;
    this.last = at;
  }

  private refill(at: number): void {
    if (at > this.last) {
      this.tokens = Math.min(this.perSecond, this.tokens + ((at - this.last) / 1000) * this.perSecond);
      this.last = at;
    }
  }

  /** Whether `amount` could be taken now (see the module comment for amounts above one second's worth). */
  fits(amount: number, at: number): boolean {
    this.refill(at);
    return this.tokens >= amount || this.tokens >= this.perSecond;
  }

  take(amount: number, at: number): void {
    this.refill(at);
    this.tokens -= amount;
  }

  /** Not in debt: what an after-the-fact charge (read bytes) is checked with. */
  solvent(at: number): boolean {
    this.refill(at);
    return this.tokens > 0;
  }

  idle(at: number): boolean {
    this.refill(at);
    return this.tokens >= this.perSecond;
  }
}

interface ShardLimits {
  writeBytes: TokenBucket;
  writeRecords: TokenBucket;
  readBytes: TokenBucket;
  readCalls: TokenBucket;
  iteratorCalls: TokenBucket;
  /** Until when a 10 MiB read refuses further reads (§4.6). */
  readBlockedUntil: number;
}

export class Throughput {
  /** Milliseconds; tests replace it to make rates independent of how fast the machine is. */
  clock: () => number = Date.now;
  private readonly shards = new Map<string, ShardLimits>();
  private readonly control = new Map<string, TokenBucket>();

  constructor(readonly enabled: boolean) {}

  private shard(stream: StreamMeta, shard: ShardMeta, at: number): ShardLimits {
    const key = shardLogName(stream, shard);
    let limits = this.shards.get(key);
    if (!limits) {
      if (this.shards.size >= MAX_IDLE_BUCKETS) this.prune(at);
      limits = {
        writeBytes: new TokenBucket(SHARD_WRITE_BYTES_PER_SECOND, at),
        writeRecords: new TokenBucket(SHARD_WRITE_RECORDS_PER_SECOND, at),
        readBytes: new TokenBucket(SHARD_READ_BYTES_PER_SECOND, at),
        readCalls: new TokenBucket(SHARD_READ_CALLS_PER_SECOND, at),
        iteratorCalls: new TokenBucket(SHARD_ITERATOR_CALLS_PER_SECOND, at),
        readBlockedUntil: 0,
      };
      this.shards.set(key, limits);
    }
    return limits;
  }

  private prune(at: number): void {
    for (const [key, l] of this.shards) {
      const idle = l.writeBytes.idle(at) && l.writeRecords.idle(at) && l.readBytes.idle(at) && l.readCalls.idle(at) && l.iteratorCalls.idle(at);
      if (idle && l.readBlockedUntil <= at) this.shards.delete(key);
    }
    for (const [key, bucket] of this.control) if (bucket.idle(at)) this.control.delete(key);
  }

  /** Admits one record of `bytes` (data + partition key) to a shard, or says it is throttled. */
  admitWrite(stream: StreamMeta, shard: ShardMeta, bytes: number): boolean {
    if (!this.enabled) return true;
    const at = this.clock();
    const limits = this.shard(stream, shard, at);
    if (!limits.writeBytes.fits(bytes, at) || !limits.writeRecords.fits(1, at)) return false;
    limits.writeBytes.take(bytes, at);
    limits.writeRecords.take(1, at);
    return true;
  }

  /** Throws unless a GetRecords call may read the shard now. */
  admitRead(stream: StreamMeta, shard: ShardMeta): void {
    if (!this.enabled) return;
    const at = this.clock();
    const limits = this.shard(stream, shard, at);
    if (at < limits.readBlockedUntil || !limits.readBytes.solvent(at) || !limits.readCalls.fits(1, at)) {
      throw readRateExceeded(stream, shard);
    }
    limits.readCalls.take(1, at);
  }

  /** Charges what an admitted GetRecords call returned. */
  chargeRead(stream: StreamMeta, shard: ShardMeta, bytes: number): void {
    if (!this.enabled) return;
    const at = this.clock();
    const limits = this.shard(stream, shard, at);
    limits.readBytes.take(bytes, at);
    if (bytes > LARGE_READ_BYTES) limits.readBlockedUntil = at + LARGE_READ_PENALTY_MS;
  }

  admitShardIterator(stream: StreamMeta, shard: ShardMeta): void {
    if (!this.enabled) return;
    const at = this.clock();
    const limits = this.shard(stream, shard, at);
    if (!limits.iteratorCalls.fits(1, at)) throw shardRateExceeded(stream, shard);
    limits.iteratorCalls.take(1, at);
  }

  /** Throws LimitExceededException on a second SubscribeToShard call within a second for one consumer and shard (§6.4). */
  admitSubscription(consumerArn: string, shardId: string): void {
    if (!this.enabled) return;
    const at = this.clock();
    const bucket = this.controlBucket(`${consumerArn}\n${shardId}`, SUBSCRIBE_CALLS_PER_SECOND, at);
    if (!bucket.fits(1, at)) throw subscribeRateExceeded(consumerArn, shardId);
    bucket.take(1, at);
  }

  private controlBucket(key: string, perSecond: number, at: number): TokenBucket {
    let bucket = this.control.get(key);
    if (!bucket) {
      if (this.control.size >= MAX_IDLE_BUCKETS) this.prune(at);
      bucket = new TokenBucket(perSecond, at);
      this.control.set(key, bucket);
    }
    return bucket;
  }

  /** Throws LimitExceededException when `operation` exceeds its control-plane rate (§4.9). */
  admitControlCall(operation: string, account: string, input: Record<string, unknown>): void {
    if (!this.enabled) return;
    const rate = CONTROL_PLANE_RATES[operation];
    if (!rate) return;
    const streamName = addressedStream(input);
    const key = rate.per === 'stream' ? `${account}\n${operation}\n${streamName ?? ''}` : `${account}\n${operation}`;
    const at = this.clock();
    const bucket = this.controlBucket(key, rate.perSecond, at);
    if (!bucket.fits(1, at)) throw controlRateExceeded(account, streamName);
    bucket.take(1, at);
  }
}

/** The stream a control-plane input names, by StreamName, StreamARN or ConsumerARN (§2.1, §6.5). */
function addressedStream(input: Record<string, unknown>): string | undefined {
  if (typeof input.StreamName === 'string') return input.StreamName;
  for (const arn of [input.StreamARN, input.ConsumerARN, input.ResourceARN]) {
    const match = typeof arn === 'string' ? /:stream\/([^/]+)/.exec(arn) : null;
    if (match) return match[1];
  }
  return undefined;
}

/** §3.9, §3.10: the write throttle, also the per-record ErrorMessage inside PutRecords. */
export const shardRateMessage = (stream: StreamMeta, shard: ShardMeta) =>
  `Rate exceeded for shard ${formatShardId(shard.index)} in stream ${stream.name} under account ${stream.account}.`;

export const shardRateExceeded = (stream: StreamMeta, shard: ShardMeta) =>
  new AwsError('ProvisionedThroughputExceededException', shardRateMessage(stream, shard));

/** §4.6: GetRecords throttles are worded as recorded from 2023 to 2025. */
export const readRateExceeded = (stream: StreamMeta, shard: ShardMeta) =>
  new AwsError('ProvisionedThroughputExceededException', `Rate exceeded for Shard - ${stream.account}/${stream.name}/${formatShardId(shard.index)}`);

/** §1.5, §3 "Common messages": control-plane throttles start with `Rate exceeded`. */
export const controlRateExceeded = (account: string, streamName: string | undefined) =>
  limitExceeded(streamName !== undefined ? `Rate exceeded for stream ${streamName} under account ${account}.` : `Rate exceeded for account ${account}.`);

/** AWS's text for this throttle is unrecorded; it starts with `Rate exceeded` as its other throttles do (§1.5). */
export const subscribeRateExceeded = (consumerArn: string, shardId: string) =>
  limitExceeded(`Rate exceeded for consumer ${consumerArn} and shard ${shardId}.`);

/** One limiter per running Millrace (tests run several in one process), created on first use. */
const limiters = new WeakMap<object, Throughput>();

export function throughput(kinesis: { config: { enforceLimits?: boolean } }): Throughput {
  let limiter = limiters.get(kinesis);
  if (!limiter) {
    limiter = new Throughput(kinesis.config.enforceLimits === true);
    limiters.set(kinesis, limiter);
  }
  return limiter;
}

/** Sizes as the write limit counts them: data plus partition-key bytes (§4.9). */
export const writeSize = (entry: { data: Buffer; partitionKey: string }) => entry.data.length + Buffer.byteLength(entry.partitionKey);

/** PutRecord: throws ProvisionedThroughputExceededException when the record's shard is over its rate (§3.9). */
export function admitRecord(kinesis: { config: { enforceLimits?: boolean; onDemandScaleSeconds: number } }, stream: StreamMeta, entry: PutEntry): void {
  const limiter = throughput(kinesis);
  if (!limiter.enabled) return;
  const shard = routeHashKey(stream, entry.hashKey);
  if (shard && !limiter.admitWrite(stream, shard, writeSize(entry))) {
    // Refused writes are demand too: an on-demand shard held at its limit must still scale out.
    meterWrites(kinesis, stream, shard, [entry]);
    throw shardRateExceeded(stream, shard);
  }
}

export interface ThrottledEntry {
  errorMessage: string;
}

/**
 * PutRecords: appends the entries their shards admit, in request order, and answers each throttled
 * one with its error instead (§3.10); nothing of a throttled entry is stored.
 */
export async function appendWithinLimits(
  kinesis: Parameters<typeof appendRecords>[0] & { config: { enforceLimits?: boolean; onDemandScaleSeconds: number } },
  stream: StreamMeta,
  entries: PutEntry[],
): Promise<(PutOutcome | ThrottledEntry)[]> {
  const limiter = throughput(kinesis);
  if (!limiter.enabled) return appendRecords(kinesis, stream, entries);
  const results = new Array<PutOutcome | ThrottledEntry>(entries.length);
  const admitted: number[] = [];
  const route = shardRouter(stream);
  for (let i = 0; i < entries.length; i++) {
    const shard = route(entries[i].hashKey);
    if (shard && !limiter.admitWrite(stream, shard, writeSize(entries[i]))) {
      meterWrites(kinesis, stream, shard, [entries[i]]);
      results[i] = { errorMessage: shardRateMessage(stream, shard) };
    } else admitted.push(i);
  }
  if (admitted.length === 0) return results;
  const outcomes = await appendRecords(kinesis, stream, admitted.length === entries.length ? entries : admitted.map((i) => entries[i]));
  for (let j = 0; j < admitted.length; j++) results[admitted[j]] = outcomes[j];
  return results;
}
