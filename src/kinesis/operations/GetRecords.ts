import { now } from '../domain/clock.js';
import { decryptRecords } from '../domain/encryption.js';
import { issueIterator, openIterator } from '../domain/iterators.js';
import { GET_RECORDS_MAX_RECORDS, readShard, toApiRecords } from '../domain/records.js';
import { formatShardId } from '../domain/shard-id.js';
import { visibleShards } from '../domain/stream.js';
import { shardDoesNotExist } from '../errors.js';
import type { KinesisContext } from '../context.js';
import { throughput } from '../domain/throughput.js';

interface Input {
  ShardIterator: string;
  Limit?: number;
  StreamARN?: string;
}

/** KINESIS-SPEC §3.8, §4.6–4.7. */
export default async function getRecords(input: Input, context: KinesisContext) {
  const { kinesis } = context;
  const metrics = kinesis.metrics;
  const started = metrics ? performance.now() : 0;
  const iterator = await openIterator(kinesis, input.ShardIterator);
  const at = now();
  const scope = { account: iterator.account, region: iterator.region };
  const stream = await kinesis.streams.find(scope, iterator.streamName);
  // A deleted stream, or a re-created one of the same name, no longer has the iterator's shard.
  const shard = stream?.id === iterator.streamId ? visibleShards(stream, at).find((s) => s.index === iterator.shardIndex) : undefined;
  if (!stream || !shard) throw shardDoesNotExist(formatShardId(iterator.shardIndex), iterator.streamName, iterator.account);

  try {
    throughput(kinesis).admitRead(stream, shard); // §4.6, with --enforce-limits
  } catch (err) {
    metrics?.getRecordsThrottled(stream, shard.index);
    throw err;
  }
  const read = await readShard(kinesis, stream, shard, iterator.position, input.Limit ?? GET_RECORDS_MAX_RECORDS, at);
  const bytes = read.records.reduce((sum, r) => sum + r.data.length + Buffer.byteLength(r.partitionKey), 0);
  throughput(kinesis).chargeRead(stream, shard, bytes);
  if (metrics) {
    // Iterator age (§2.1): how old the last record returned is; 0 for a read at the tip.
    const last = read.records[read.records.length - 1];
    metrics.getRecords(stream, shard.index, read.records.length, bytes, performance.now() - started, last ? Math.max(0, at - last.arrival) : read.millisBehindLatest);
  }
  return {
    Records: toApiRecords(shard, await decryptRecords(kinesis, read.records)),
    // §4.7 and §9.6: at the end of a closed shard, no iterator and the children; never both.
    NextShardIterator: read.childShards ? undefined : await issueIterator(kinesis, { stream, shard, position: read.nextIndex }),
    MillisBehindLatest: read.millisBehindLatest,
    ChildShards: read.childShards,
  };
}
