import { appendRecords, isWritable } from '../domain/records.js';
import { formatShardId } from '../domain/shard-id.js';
import { streamNotFound } from '../errors.js';
import { checkedHashKey, checkSequenceNumberForOrdering, maxRecordBytes, putRecordSize, recordTooLarge } from '../put-validation.js';
import type { KinesisContext } from '../context.js';
import { streamTarget } from '../stream-target.js';
import { admitRecord } from '../domain/throughput.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  Data: Buffer;
  PartitionKey: string;
  ExplicitHashKey?: string;
  SequenceNumberForOrdering?: string;
}

/** KINESIS-SPEC §3.9: answered once the record is durable. */
export default async function putRecord(input: Input, context: KinesisContext) {
  const target = streamTarget(input, context);
  const stream = await context.kinesis.streams.find(target, target.name);
  if (!stream || !isWritable(stream)) throw streamNotFound(target.name, target.account);
  if (putRecordSize(input.Data, input.PartitionKey) > maxRecordBytes(stream)) {
    throw recordTooLarge([{ path: 'data', dataLength: input.Data.length }], stream);
  }
  const hashKey = checkedHashKey(input.PartitionKey, input.ExplicitHashKey);
  if (input.SequenceNumberForOrdering !== undefined) checkSequenceNumberForOrdering(input.SequenceNumberForOrdering, stream);
  const entry = { data: input.Data, partitionKey: input.PartitionKey, hashKey };
  admitRecord(context.kinesis, stream, entry); // §4.9, with --enforce-limits
  const [outcome] = await appendRecords(context.kinesis, stream, [entry]);
  return {
    ShardId: formatShardId(outcome.shard.index),
    SequenceNumber: outcome.sequenceNumber,
    EncryptionType: stream.encryption.type === 'KMS' ? 'KMS' : undefined,
  };
}
