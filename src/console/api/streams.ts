import { listConsumers, describeConsumer } from '../../kinesis/domain/consumers.js';
import { formatShardId } from '../../kinesis/domain/shard-id.js';
import { endingSequenceNumber, shardLogName, startingSequenceNumber, visibleShards, type ShardMeta, type StreamMeta } from '../../kinesis/domain/stream.js';
import { streamNotFound } from '../../kinesis/errors.js';
import type { ConsoleDeps } from '../deps.js';
import type { ConsoleScope } from './params.js';
import type { TipRates } from './rates.js';

/** Streams the list answers at most (one account and region rarely has more; the rest is counted). */
export const MAX_LISTED_STREAMS = 1_000;

/** A stream or its shard as the console shows it: hash keys and sequence numbers stay decimal strings. */
export function shardView(stream: StreamMeta, shard: ShardMeta, tip?: number) {
  return {
    shardId: formatShardId(shard.index),
    parentShardId: shard.parent === undefined ? undefined : formatShardId(shard.parent),
    adjacentParentShardId: shard.adjacentParent === undefined ? undefined : formatShardId(shard.adjacentParent),
    startingHashKey: shard.startingHashKey,
    endingHashKey: shard.endingHashKey,
    startingSequenceNumber: startingSequenceNumber(shard),
    endingSequenceNumber: endingSequenceNumber(shard),
    open: shard.closedAt === undefined,
    createdAt: shard.createdAt,
    closedAt: shard.closedAt,
    /** Records ever written to the shard (its log's tip), records past retention included. */
    records: tip,
  };
}

async function tips(deps: ConsoleDeps, stream: StreamMeta, shards: ShardMeta[]): Promise<number[]> {
  return Promise.all(shards.map((shard) => deps.kinesis.store.records.tip(shardLogName(stream, shard))));
}

/** `GET /api/v1/streams`: every stream of the scope with its in-rate. */
export async function listStreams(deps: ConsoleDeps, scope: ConsoleScope, rates: TipRates) {
  const all = await deps.kinesis.streams.list(scope);
  const streams = all.slice(0, MAX_LISTED_STREAMS);
  const now = Date.now();
  const rows = await Promise.all(
    streams.map(async (stream) => {
      const shards = visibleShards(stream, now);
      const counts = await tips(deps, stream, shards);
      const total = counts.reduce((a, b) => a + b, 0);
      const consumers = await listConsumers(deps.kinesis.store, stream.id);
      return {
        name: stream.name,
        arn: stream.arn,
        status: stream.status,
        mode: stream.mode,
        openShards: shards.filter((s) => s.closedAt === undefined).length,
        retentionHours: stream.retentionHours,
        encryption: stream.encryption.type,
        consumers: consumers.length,
        tags: stream.tags,
        createdAt: stream.createdAt,
        records: total,
        incomingRecordsPerSecond: rates.observe(stream.id, total, now),
      };
    }),
  );
  return { account: scope.account, region: scope.region, streams: rows, truncated: all.length > streams.length, total: all.length };
}

export async function requireStream(deps: ConsoleDeps, scope: ConsoleScope, name: string): Promise<StreamMeta> {
  const stream = await deps.kinesis.streams.find(scope, name);
  if (!stream) throw streamNotFound(name, scope.account);
  return stream;
}

/** `GET /api/v1/streams/{name}`: configuration, every visible shard with its lineage, consumers. */
export async function describeStream(deps: ConsoleDeps, scope: ConsoleScope, name: string) {
  const stream = await requireStream(deps, scope, name);
  const shards = visibleShards(stream, Date.now());
  const counts = await tips(deps, stream, shards);
  const consumers = await listConsumers(deps.kinesis.store, stream.id);
  const subscriptions = await deps.kinesis.store.meta.list<{ consumerArn: string; startedAt: number }>(`subscription/${stream.id}/`);
  return {
    name: stream.name,
    arn: stream.arn,
    id: stream.id,
    status: stream.status,
    mode: stream.mode,
    createdAt: stream.createdAt,
    retentionHours: stream.retentionHours,
    encryption: stream.encryption,
    shardLevelMetrics: stream.shardLevelMetrics,
    maxRecordSizeKiB: stream.maxRecordSizeKiB,
    warmThroughputMiBps: stream.warmThroughputMiBps,
    tags: stream.tags,
    policy: stream.policy,
    pending: stream.pending?.kind,
    shards: shards.map((shard, i) => shardView(stream, shard, counts[i])),
    consumers: consumers.map((consumer) => ({
      ...describeConsumer(consumer),
      ConsumerCreationTimestamp: consumer.createdAt,
      subscriptions: subscriptions
        .filter((s) => s.key.startsWith(`subscription/${stream.id}/${consumer.name}/`))
        .map((s) => ({ shardId: formatShardId(Number(s.key.slice(s.key.lastIndexOf('/') + 1))), since: s.value.startedAt })),
    })),
  };
}
