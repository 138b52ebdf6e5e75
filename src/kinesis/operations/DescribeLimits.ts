import { ON_DEMAND_STREAM_LIMIT, openShards } from '../domain/stream.js';
import type { KinesisContext } from '../context.js';

/** KINESIS-SPEC §3.21: the shard quota counts provisioned streams only; on-demand ones are counted apart. */
export default async function describeLimits(_input: unknown, context: KinesisContext) {
  const streams = await context.kinesis.streams.list({ account: context.account, region: context.region });
  const provisioned = streams.filter((stream) => stream.mode === 'PROVISIONED');
  return {
    ShardLimit: context.kinesis.config.shardLimit,
    OpenShardCount: provisioned.reduce((count, stream) => count + openShards(stream).length, 0),
    OnDemandStreamCount: streams.length - provisioned.length,
    OnDemandStreamCountLimit: ON_DEMAND_STREAM_LIMIT,
  };
}
