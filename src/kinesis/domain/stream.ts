import { formatShardId } from './shard-id.js';
import { ENDING_SEQUENCE_INDEX, formatSequenceNumber } from './sequence-number.js';

/** The state of one stream as the store keeps it (KINESIS-SPEC §2.3). Times are epoch ms. */
export interface StreamMeta {
  /** Incarnation: a re-created stream of the same name is a different stream. */
  id: string;
  name: string;
  account: string;
  region: string;
  arn: string;
  status: StreamStatus;
  /** When the current transitional status (CREATING, UPDATING, DELETING) completes. */
  statusUntil?: number;
  /** Work that completes when UPDATING ends (resharding, mode and encryption changes). */
  pending?: PendingChange;
  mode: StreamMode;
  createdAt: number;
  retentionHours: number;
  shards: ShardMeta[];
  nextShardIndex: number;
  tags: Record<string, string>;
  encryption: { type: 'NONE' | 'KMS'; keyId?: string };
  shardLevelMetrics: string[];
  maxRecordSizeKiB: number;
  warmThroughputMiBps?: number;
  /** Resource policy document as given to PutResourcePolicy (§3.20). */
  policy?: string;
  /** When UpdateShardCount last scaled the stream (epoch ms, rolling 24 h window of §3.13). */
  scalingTimes?: number[];
  /** When StartStreamEncryption / StopStreamEncryption last changed it (rolling 24 h, §3.16). */
  encryptionStartTimes?: number[];
  encryptionStopTimes?: number[];
  /** When UpdateStreamMode last switched its capacity mode (rolling 24 h, §3.23). */
  modeSwitchTimes?: number[];
}

export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';
export type StreamMode = 'PROVISIONED' | 'ON_DEMAND';

export interface ShardMeta {
  index: number;
  parent?: number;
  adjacentParent?: number;
  /** Decimal strings: 128-bit values do not fit a JSON number. */
  startingHashKey: string;
  endingHashKey: string;
  /** Creation time; its whole seconds go into the shard's sequence numbers (§4.4). */
  createdAt: number;
  /** Set once the shard was closed by resharding. */
  closedAt?: number;
}

/** A change applied when the stream leaves UPDATING; `kind` selects the code that applies it. */
export interface PendingChange {
  kind: string;
  [detail: string]: unknown;
}

/** Defaults from the service: 24 h retention, 1 MiB records (§3.1, §4.9). */
export const DEFAULT_RETENTION_HOURS = 24;
export const DEFAULT_MAX_RECORD_SIZE_KIB = 1024;
/** On-demand streams start with four shards (§5.3); so does CreateStream without a count (§3.1). */
export const ON_DEMAND_INITIAL_SHARDS = 4;
/** Default on-demand stream count limit per account and region (§3.21, §4.9). */
export const ON_DEMAND_STREAM_LIMIT = 50;
/** Streams of an account and region that may be CREATING at once (§3.1, §4.9 limits table). */
export const STREAMS_CREATING_AT_ONCE = 5;

export const shardLogName = (stream: Pick<StreamMeta, 'id'>, shard: Pick<ShardMeta, 'index'>) => `${stream.id}/${shard.index}`;

export const isOpen = (shard: ShardMeta) => shard.closedAt === undefined;

export function startingSequenceNumber(shard: ShardMeta): string {
  const sec = Math.floor(shard.createdAt / 1000);
  return formatSequenceNumber({ shardCreatedSec: sec, shardIndex: shard.index, sequenceIndex: 0n, arrivalSec: sec });
}

export function endingSequenceNumber(shard: ShardMeta): string | undefined {
  if (shard.closedAt === undefined) return undefined;
  return formatSequenceNumber({
    shardCreatedSec: Math.floor(shard.createdAt / 1000),
    shardIndex: shard.index,
    sequenceIndex: ENDING_SEQUENCE_INDEX,
    arrivalSec: Math.floor(shard.closedAt / 1000),
  });
}

/** A record's sequence number from its shard and its position in the shard's log. */
export function recordSequenceNumber(shard: ShardMeta, logIndex: number, arrival: number): string {
  return formatSequenceNumber({
    shardCreatedSec: Math.floor(shard.createdAt / 1000),
    shardIndex: shard.index,
    sequenceIndex: BigInt(logIndex) + 1n,
    arrivalSec: Math.floor(arrival / 1000),
  });
}

/** The API's `Shard` structure (DescribeStream, ListShards). */
export function describeShard(shard: ShardMeta) {
  return {
    ShardId: formatShardId(shard.index),
    ParentShardId: shard.parent === undefined ? undefined : formatShardId(shard.parent),
    AdjacentParentShardId: shard.adjacentParent === undefined ? undefined : formatShardId(shard.adjacentParent),
    HashKeyRange: { StartingHashKey: shard.startingHashKey, EndingHashKey: shard.endingHashKey },
    SequenceNumberRange: {
      StartingSequenceNumber: startingSequenceNumber(shard),
      EndingSequenceNumber: endingSequenceNumber(shard),
    },
  };
}

/**
 * Shards still visible: open ones, and closed ones whose records may not all have aged out
 * (§4.7: a closed shard vanishes once its close time is past the retention period).
 */
export function visibleShards(stream: StreamMeta, now: number): ShardMeta[] {
  const horizon = now - stream.retentionHours * 3_600_000;
  return stream.shards.filter((shard) => shard.closedAt === undefined || shard.closedAt >= horizon);
}

export const openShards = (stream: StreamMeta) => stream.shards.filter(isOpen);

/** The API's `EnhancedMonitoring` list, present even when empty (§1.4). */
export const enhancedMonitoring = (stream: StreamMeta) => [{ ShardLevelMetrics: [...stream.shardLevelMetrics] }];
