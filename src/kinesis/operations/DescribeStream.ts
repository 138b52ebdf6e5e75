import { epochDate } from '../domain/time.js';
import { describeShard, enhancedMonitoring, visibleShards } from '../domain/stream.js';
import { afterShardId } from '../domain/shard-filter.js';
import { requireStream, streamTarget } from '../stream-target.js';
import type { KinesisContext } from '../context.js';

/** DescribeStream returns at most 100 shards a page, whatever Limit asks (KINESIS-SPEC §3.3). */
export const DESCRIBE_STREAM_MAX_SHARDS = 100;

interface Input {
  StreamName?: string;
  StreamARN?: string;
  Limit?: number;
  ExclusiveStartShardId?: string;
}

/** KINESIS-SPEC §3.3 */
export default async function describeStream(input: Input, context: KinesisContext) {
  const stream = await requireStream(streamTarget(input, context), context);
  // While CREATING a stream shows no shards (recorded: `Shards: []`).
  const all = stream.status === 'CREATING' ? [] : visibleShards(stream, Date.now());
  const after = input.ExclusiveStartShardId;
  const candidates = after === undefined ? all : all.filter(afterShardId(after));
  const limit = Math.min(input.Limit ?? DESCRIBE_STREAM_MAX_SHARDS, DESCRIBE_STREAM_MAX_SHARDS);
  const page = candidates.slice(0, limit);
  return {
    StreamDescription: {
      StreamName: stream.name,
      StreamARN: stream.arn,
      StreamStatus: stream.status,
      StreamModeDetails: { StreamMode: stream.mode },
      Shards: page.map(describeShard),
      HasMoreShards: candidates.length > page.length,
      RetentionPeriodHours: stream.retentionHours,
      StreamCreationTimestamp: epochDate(stream.createdAt),
      EnhancedMonitoring: enhancedMonitoring(stream),
      EncryptionType: stream.encryption.type,
      KeyId: stream.encryption.keyId,
    },
  };
}
