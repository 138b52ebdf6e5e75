import { resourceInUse } from '../../protocol/errors.js';
import { requireConsumer } from '../consumer-target.js';
import { couldNotFindShard, shardDoesNotExist, streamNotFound } from '../errors.js';
import { resolveStartingPosition, type IteratorType } from '../domain/iterators.js';
import { formatSequenceNumber } from '../domain/sequence-number.js';
import { formatShardId, parseShardId } from '../domain/shard-id.js';
import { recordSequenceNumber, shardLogName, visibleShards, type ShardMeta, type StreamMeta } from '../domain/stream.js';
import { subscribe, type ShardSubscription } from '../domain/subscriptions.js';
import { now } from '../domain/clock.js';
import { throughput } from '../domain/throughput.js';
import type { Kinesis, KinesisContext } from '../context.js';

interface Input {
  ConsumerARN: string;
  ShardId: string;
  StartingPosition: { Type: IteratorType; SequenceNumber?: string; Timestamp?: Date };
}

/**
 * KINESIS-SPEC §3.19, §6: checks that fail answer as ordinary HTTP 400 errors (§6.1); a
 * subscription that starts answers with an event stream.
 */
export default async function subscribeToShard(input: Input, context: KinesisContext): Promise<ShardSubscription> {
  const { kinesis } = context;
  const { stream, consumer } = await requireConsumer({ ConsumerARN: input.ConsumerARN }, context);
  if (consumer.status !== 'ACTIVE') {
    // Verbatim spacing as recorded [issues] (§6.1).
    throw resourceInUse(
      `Consumer ${consumer.name} with creation timestamp ${Math.floor(consumer.createdAt / 1000)} under stream: ${stream.name} , account ${stream.account} is not in ACTIVE status.`,
    );
  }
  if (stream.status === 'DELETING') throw streamNotFound(stream.name, stream.account);
  // Shard texts as GetShardIterator's (§2.2, §3.7); AWS's for SubscribeToShard are unrecorded (§6.1).
  const index = parseShardId(input.ShardId);
  if (index === undefined) throw couldNotFindShard(input.ShardId, stream.name, stream.account);
  const shard = visibleShards(stream, now()).find((s) => s.index === index);
  if (!shard) throw shardDoesNotExist(formatShardId(index), stream.name, stream.account);
  try {
    throughput(kinesis).admitSubscription(consumer.arn, formatShardId(index));
  } catch (err) {
    kinesis.metrics?.subscribed(stream, consumer.name, false);
    throw err;
  }
  const position = input.StartingPosition;
  const start = await resolveStartingPosition(kinesis, stream, shard, {
    type: position.Type,
    sequenceNumber: position.SequenceNumber,
    timestamp: position.Timestamp,
  });
  const subscription = await subscribe(kinesis, stream, consumer, shard, { index: start, continuation: await positionBefore(kinesis, stream, shard, start) });
  kinesis.metrics?.subscribed(stream, consumer.name, true);
  return subscription;
}

/**
 * A sequence number that resumes (AFTER_SEQUENCE_NUMBER) at log index `index`: the previous
 * record's, or the shard's StartingSequenceNumber before the first record. Heartbeats carry it
 * until a record is delivered (§6.3). A trimmed previous record is stood in for by its sequence
 * index with the shard's creation time, which resolves to the same position.
 */
async function positionBefore(kinesis: Kinesis, stream: StreamMeta, shard: ShardMeta, index: number): Promise<string> {
  const createdSec = Math.floor(shard.createdAt / 1000);
  if (index > 0) {
    const { records } = await kinesis.store.records.read(shardLogName(stream, shard), index - 1, { limit: 1, maxBytes: 1, notBefore: 0 });
    if (records[0]?.index === index - 1) return recordSequenceNumber(shard, index - 1, records[0].arrival);
  }
  return formatSequenceNumber({ shardCreatedSec: createdSec, shardIndex: shard.index, sequenceIndex: BigInt(index), arrivalSec: createdSec });
}
