import { streamNotActive, streamNotFound } from './errors.js';
import { requireStream, streamTarget } from './stream-target.js';
import type { KinesisContext } from './context.js';

/** The shard-level metrics `ALL` stands for, in the model's order (KINESIS-SPEC §3.15). */
export const SHARD_LEVEL_METRICS = [
  'IncomingBytes',
  'IncomingRecords',
  'OutgoingBytes',
  'OutgoingRecords',
  'WriteProvisionedThroughputExceeded',
  'ReadProvisionedThroughputExceeded',
  'IteratorAgeMilliseconds',
] as const;

export interface MonitoringInput {
  StreamName?: string;
  StreamARN?: string;
  ShardLevelMetrics: string[];
}

const expand = (metrics: string[]) => new Set(metrics.flatMap((m) => (m === 'ALL' ? [...SHARD_LEVEL_METRICS] : [m])));
/** Outputs list the expansion, never `ALL`, in a stable order. */
const ordered = (metrics: Set<string>) => SHARD_LEVEL_METRICS.filter((m) => metrics.has(m));

/**
 * Enable/DisableEnhancedMonitoring: stored in the stream at once (the stream stays ACTIVE, §3.15
 * allows it); answers with the metrics before and after.
 */
export async function changeShardLevelMetrics(
  input: MonitoringInput,
  context: KinesisContext,
  combine: (current: Set<string>, given: Set<string>) => Set<string>,
) {
  const target = streamTarget(input, context);
  const found = await requireStream(target, context);
  let before: string[] = [];
  const stream = await context.kinesis.streams.update(target, target.name, (s) => {
    if (s.status !== 'ACTIVE') throw streamNotActive(s.name, s.account, s.status);
    before = ordered(new Set(s.shardLevelMetrics));
    return { ...s, shardLevelMetrics: ordered(combine(new Set(s.shardLevelMetrics), expand(input.ShardLevelMetrics))) };
  });
  if (!stream) throw streamNotFound(found.name, found.account);
  return {
    StreamName: stream.name,
    StreamARN: stream.arn,
    CurrentShardLevelMetrics: before,
    DesiredShardLevelMetrics: [...stream.shardLevelMetrics],
  };
}
