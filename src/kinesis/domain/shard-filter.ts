import { parseShardId, formatShardId } from './shard-id.js';
import { visibleShards, type ShardMeta, type StreamMeta } from './stream.js';

/** ListShards' `ShardFilter` types (KINESIS-SPEC §3.6). */
export type ShardFilterType = 'AFTER_SHARD_ID' | 'AT_TRIM_HORIZON' | 'FROM_TRIM_HORIZON' | 'AT_LATEST' | 'AT_TIMESTAMP' | 'FROM_TIMESTAMP';

export interface ShardFilter {
  type: ShardFilterType;
  shardId?: string;
  /** Epoch ms. */
  timestamp?: number;
}

/**
 * A predicate for "shard id greater than `given`". A given id that parses leniently (§2.2) is
 * compared by index, so `shardId-1` means after shard 1; anything else is compared as text
 * against canonical ids, which works even for ids the stream never had.
 */
export function afterShardId(given: string): (shard: ShardMeta) => boolean {
  const index = parseShardId(given);
  if (index !== undefined) return (shard) => shard.index > index;
  return (shard) => formatShardId(shard.index) > given;
}

/**
 * When a shard's records begin: its parents' close time. Children are stamped a second after
 * their parents close (§5.2), and a shard list "at" a time inside that second must still cover
 * the whole hash range, or KCL reports a hole. Shards without (known) parents begin at creation.
 */
function startTime(stream: StreamMeta): (shard: ShardMeta) => number {
  const closedAt = new Map(stream.shards.map((shard) => [shard.index, shard.closedAt]));
  return (shard) => (shard.parent !== undefined ? closedAt.get(shard.parent) : undefined) ?? shard.createdAt;
}

/**
 * The earliest time that can still be read: the trim horizon (now − retention), but never before
 * the stream's first shards existed — otherwise a young stream would have nothing "at" it.
 */
export function effectiveTrimHorizon(stream: StreamMeta, now: number): number {
  const horizon = now - stream.retentionHours * 3_600_000;
  const earliest = Math.min(...stream.shards.map(startTime(stream)));
  return Math.max(horizon, earliest);
}

/** Any part of its life at or after T. */
const aliveFrom = (time: number) => (shard: ShardMeta) => shard.closedAt === undefined || shard.closedAt >= time;

/**
 * The shards ListShards returns for a filter, ascending by shard id (§3.6). Closed shards whose
 * records aged out are never returned. Timestamps before the trim horizon mean the trim horizon.
 */
export function filterShards(stream: StreamMeta, filter: ShardFilter | undefined, now: number): ShardMeta[] {
  const visible = visibleShards(stream, now).sort((a, b) => a.index - b.index);
  if (visible.length === 0 || !filter) return visible;
  const horizon = effectiveTrimHorizon(stream, now);
  const start = startTime(stream);
  /** Readable at time T: begun at or before T and not closed before T. */
  const openAt = (time: number) => (shard: ShardMeta) => start(shard) <= time && (shard.closedAt === undefined || shard.closedAt >= time);
  switch (filter.type) {
    case 'FROM_TRIM_HORIZON':
      return visible;
    case 'AT_TRIM_HORIZON':
      return visible.filter(openAt(horizon));
    case 'AT_LATEST':
      return visible.filter((shard) => shard.closedAt === undefined);
    case 'AT_TIMESTAMP':
      return visible.filter(openAt(Math.max(filter.timestamp!, horizon)));
    case 'FROM_TIMESTAMP':
      return visible.filter(aliveFrom(Math.max(filter.timestamp!, horizon)));
    case 'AFTER_SHARD_ID':
      return visible.filter(afterShardId(filter.shardId!));
  }
}
