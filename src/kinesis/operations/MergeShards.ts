import { invalidArgument } from '../../protocol/errors.js';
import { formatShardId } from '../domain/shard-id.js';
import type { StreamMeta } from '../domain/stream.js';
import { parseShardParam, requireOpenShard, requireReshardable, startReshard } from '../reshard-checks.js';
import type { KinesisContext } from '../context.js';
import { streamTarget } from '../stream-target.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  ShardToMerge: string;
  AdjacentShardToMerge: string;
}

/**
 * KINESIS-SPEC §3.12. Adjacency is ordered: ShardToMerge must hold the lower hash keys. A merge
 * never adds an open shard, so the account shard limit cannot be exceeded by it.
 */
export default async function mergeShards(input: Input, context: KinesisContext): Promise<void> {
  const target = streamTarget(input, context);
  const lowerIndex = parseShardParam(input.ShardToMerge, target);
  const upperIndex = parseShardParam(input.AdjacentShardToMerge, target);
  const check = (stream: StreamMeta | undefined) => {
    const active = requireReshardable(stream, target);
    const lower = requireOpenShard(active, lowerIndex);
    const upper = requireOpenShard(active, upperIndex);
    if (BigInt(lower.endingHashKey) + 1n !== BigInt(upper.startingHashKey)) {
      throw invalidArgument(
        `Shards ${formatShardId(lowerIndex)} and ${formatShardId(upperIndex)} in stream ${active.name} under account ${active.account} ` +
          'are not an adjacent pair of shards eligible for merging',
      );
    }
  };
  check(await context.kinesis.streams.find(target, target.name));
  await startReshard(context, target, (current) => {
    check(current);
    return { steps: [{ op: 'merge', shard: lowerIndex, adjacent: upperIndex }] };
  });
}
