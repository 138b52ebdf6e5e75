import { invalidArgument, limitExceeded } from '../../protocol/errors.js';
import { streamArn } from '../domain/arn.js';
import { uniformRanges } from '../domain/hash-key.js';
import { newStreamId } from '../domain/streams.js';
import {
  DEFAULT_MAX_RECORD_SIZE_KIB,
  DEFAULT_RETENTION_HOURS,
  ON_DEMAND_INITIAL_SHARDS,
  ON_DEMAND_STREAM_LIMIT,
  openShards,
  STREAMS_CREATING_AT_ONCE,
  type StreamMeta,
  type StreamMode,
} from '../domain/stream.js';
import { shardLimitExceeded, streamExists } from '../errors.js';
import type { KinesisContext } from '../context.js';
import { logStreamEvent } from '../domain/lifecycle-log.js';
import { addTags, checkNewTags } from '../tags.js';

/** Initial shards get a creation time two seconds before the stream's, as kinesalite recorded (§4.4). */
const INITIAL_SHARD_AGE_MS = 2_000;

interface Input {
  StreamName: string;
  ShardCount?: number;
  StreamModeDetails?: { StreamMode: StreamMode };
  Tags?: Record<string, string>;
  WarmThroughputMiBps?: number;
  MaxRecordSizeInKiB?: number;
}

/** KINESIS-SPEC §3.1 */
export default async function createStream(input: Input, context: KinesisContext): Promise<void> {
  const { account, region, kinesis } = context;
  const mode: StreamMode = input.StreamModeDetails?.StreamMode ?? (input.ShardCount === undefined ? 'ON_DEMAND' : 'PROVISIONED');
  if (mode === 'ON_DEMAND' && input.ShardCount !== undefined) {
    throw invalidArgument('ShardCount is not expected when StreamMode=ON_DEMAND');
  }
  if (mode === 'PROVISIONED' && input.ShardCount === undefined) {
    throw invalidArgument('ShardCount is required when StreamMode=PROVISIONED');
  }
  const shardCount = input.ShardCount ?? ON_DEMAND_INITIAL_SHARDS;
  const scope = { account, region };
  // Tags given at creation follow the rules of AddTagsToStream (§3.17).
  const tagged = { kind: 'stream', name: input.StreamName, account } as const;
  const tags = input.Tags === undefined ? {} : (checkNewTags(input.Tags, tagged), addTags({}, input.Tags, tagged));

  const existing = await kinesis.streams.list(scope);
  if (existing.some((s) => s.name === input.StreamName)) throw streamExists(input.StreamName, account);
  if (existing.filter((s) => s.status === 'CREATING').length >= STREAMS_CREATING_AT_ONCE) {
    // AWS's text is unrecorded (§3.1); this one names the limit and the way out.
    throw limitExceeded(
      `This request would exceed the limit of ${STREAMS_CREATING_AT_ONCE} streams in CREATING state at once for the account ${account} in ${region}. ` +
        'Wait for a stream to become ACTIVE and try again.',
    );
  }
  if (mode === 'PROVISIONED') {
    const open = existing.filter((s) => s.mode === 'PROVISIONED').reduce((n, s) => n + openShards(s).length, 0);
    if (open + shardCount > kinesis.config.shardLimit) {
      throw shardLimitExceeded(account, region, open, kinesis.config.shardLimit, shardCount);
    }
  } else if (existing.filter((s) => s.mode === 'ON_DEMAND').length >= ON_DEMAND_STREAM_LIMIT) {
    throw limitExceeded(
      `This request would exceed the on-demand stream count limit for the account ${account} in ${region}. ` +
        `Current on-demand stream count for the account: ${ON_DEMAND_STREAM_LIMIT}. Limit: ${ON_DEMAND_STREAM_LIMIT}.`,
    );
  }

  const now = Date.now();
  const shardCreatedAt = now - INITIAL_SHARD_AGE_MS;
  const stream: StreamMeta = {
    id: newStreamId(),
    name: input.StreamName,
    account,
    region,
    arn: streamArn(region, account, input.StreamName),
    status: kinesis.config.createStreamMs > 0 ? 'CREATING' : 'ACTIVE',
    statusUntil: kinesis.config.createStreamMs > 0 ? now + kinesis.config.createStreamMs : undefined,
    mode,
    createdAt: now,
    retentionHours: DEFAULT_RETENTION_HOURS,
    shards: uniformRanges(shardCount).map((range, index) => ({
      index,
      startingHashKey: range.start.toString(),
      endingHashKey: range.end.toString(),
      createdAt: shardCreatedAt,
    })),
    nextShardIndex: shardCount,
    tags,
    encryption: { type: 'NONE' },
    shardLevelMetrics: [],
    maxRecordSizeKiB: input.MaxRecordSizeInKiB ?? DEFAULT_MAX_RECORD_SIZE_KIB,
    warmThroughputMiBps: input.WarmThroughputMiBps,
  };
  if (!(await kinesis.streams.create(stream))) throw streamExists(input.StreamName, account);
  logStreamEvent(context.log, stream, 'created', { shards: shardCount, mode, status: stream.status });
}
