import { issueIterator, resolveStartingPosition, type IteratorType } from '../domain/iterators.js';
import { now } from '../domain/clock.js';
import { formatShardId, parseShardId } from '../domain/shard-id.js';
import { visibleShards } from '../domain/stream.js';
import { couldNotFindShard, shardDoesNotExist } from '../errors.js';
import type { KinesisContext } from '../context.js';
import { streamTarget } from '../stream-target.js';
import { throughput } from '../domain/throughput.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  ShardId: string;
  ShardIteratorType: IteratorType;
  StartingSequenceNumber?: string;
  Timestamp?: Date;
}

/** KINESIS-SPEC §3.7, checks in the recorded order. */
export default async function getShardIterator(input: Input, context: KinesisContext) {
  const target = streamTarget(input, context);
  const shardIndex = parseShardId(input.ShardId);
  if (shardIndex === undefined) throw couldNotFindShard(input.ShardId, target.name, target.account);
  const stream = await context.kinesis.streams.find(target, target.name);
  // A missing stream, a shard beyond its shards (none while CREATING) and a shard aged out all read alike.
  const shard =
    stream && stream.status !== 'CREATING' ? visibleShards(stream, now()).find((s) => s.index === shardIndex) : undefined;
  if (!stream || !shard) throw shardDoesNotExist(formatShardId(shardIndex), target.name, target.account);
  throughput(context.kinesis).admitShardIterator(stream, shard); // §4.9, with --enforce-limits
  const position = await resolveStartingPosition(context.kinesis, stream, shard, {
    type: input.ShardIteratorType,
    sequenceNumber: input.StartingSequenceNumber,
    timestamp: input.Timestamp,
  });
  return { ShardIterator: await issueIterator(context.kinesis, { stream, shard, position }) };
}
