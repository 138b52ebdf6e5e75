import { invalidArgument } from '../../protocol/errors.js';
import { formatShardId } from '../domain/shard-id.js';
import type { StreamMeta } from '../domain/stream.js';
import {
  accountOpenShards,
  checkAccountShardLimit,
  parseShardParam,
  requireOpenShard,
  requireReshardable,
  startReshard,
} from '../reshard-checks.js';
import type { KinesisContext } from '../context.js';
import { streamTarget } from '../stream-target.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  ShardToSplit: string;
  NewStartingHashKey: string;
}

/**
 * KINESIS-SPEC §3.11. Checks in kinesalite's recorded order: shard id → stream → (mode) → state →
 * shard → account shard limit (+1) → hash key. The split itself happens when UPDATING ends.
 */
export default async function splitShard(input: Input, context: KinesisContext): Promise<void> {
  const target = streamTarget(input, context);
  const index = parseShardParam(input.ShardToSplit, target);
  const at = BigInt(input.NewStartingHashKey);
  const check = (stream: StreamMeta | undefined, open?: number) => {
    const active = requireReshardable(stream, target);
    const shard = requireOpenShard(active, index);
    if (open !== undefined) checkAccountShardLimit(context, target, open, 1);
    const start = BigInt(shard.startingHashKey);
    const end = BigInt(shard.endingHashKey);
    // Strict on both sides, as AWS words it: the lowest key accepted is start + 2.
    if (!(at > start + 1n && at < end)) {
      throw invalidArgument(
        `NewStartingHashKey ${input.NewStartingHashKey} used in SplitShard() on shard ${formatShardId(index)} in stream ${active.name} ` +
          `under account ${active.account} is not both greater than one plus the shard's StartingHashKey ${shard.startingHashKey} ` +
          `and less than the shard's EndingHashKey ${shard.endingHashKey}.`,
      );
    }
  };
  const stream = await context.kinesis.streams.find(target, target.name);
  check(stream, stream && stream.mode === 'PROVISIONED' ? await accountOpenShards(context, target) : undefined);
  await startReshard(context, target, (current) => {
    check(current);
    return { steps: [{ op: 'split', shard: index, at: at.toString() }] };
  });
}
