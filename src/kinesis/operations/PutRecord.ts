import { appendRecord, isWritable } from '../domain/records.js';
import { formatShardId } from '../domain/shard-id.js';
import { streamNotFound } from '../errors.js';
import { checkedHashKey, checkSequenceNumberForOrdering, maxRecordBytes, putRecordSize, recordTooLarge } from '../put-validation.js';
import type { KinesisContext } from '../context.js';
import { streamTarget } from '../stream-target.js';
import { admitRecord } from '../domain/throughput.js';
import { routeHashKey } from '../domain/routing.js';
import { JSON_BYTES, JSON_TEXT, PLAIN_VALUE, type SelfEncodingText } from '../../protocol/codec.js';

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
  const metrics = context.kinesis.metrics;
  const started = metrics ? performance.now() : 0;
  const target = streamTarget(input, context);
  const stream = context.kinesis.streams.findCached(target, target.name) ?? (await context.kinesis.streams.find(target, target.name));
  if (!stream || !isWritable(stream)) throw streamNotFound(target.name, target.account);
  const size = putRecordSize(input.Data, input.PartitionKey);
  if (size > maxRecordBytes(stream)) {
    throw recordTooLarge([{ path: 'data', dataLength: input.Data.length }], stream);
  }
  const hashKey = checkedHashKey(input.PartitionKey, input.ExplicitHashKey);
  if (input.SequenceNumberForOrdering !== undefined) checkSequenceNumberForOrdering(input.SequenceNumberForOrdering, stream);
  const entry = { data: input.Data, partitionKey: input.PartitionKey, hashKey };
  try {
    admitRecord(context.kinesis, stream, entry); // §4.9, with --enforce-limits
  } catch (err) {
    metrics?.putRecordThrottled(stream, routeHashKey(stream, hashKey)?.index);
    throw err;
  }
  const outcome = await appendRecord(context.kinesis, stream, entry);
  metrics?.putRecord(stream, outcome.shard.index, size, performance.now() - started);
  return new PutRecordOutput(formatShardId(outcome.shard.index), outcome.sequenceNumber, stream.encryption.type === 'KMS');
}

/**
 * The answer, §3.9 PutRecordOutput. Its JSON is written as text: shard ids and sequence numbers
 * are digits and dashes that need no escaping, and the generic encoder's walk over the object
 * showed up in profiles of the busiest operation. CBOR gets the plain object.
 */
class PutRecordOutput implements SelfEncodingText {
  constructor(
    readonly ShardId: string,
    readonly SequenceNumber: string,
    private readonly encrypted: boolean,
  ) {}

  [JSON_TEXT](): string {
    const encryption = this.encrypted ? ',"EncryptionType":"KMS"' : '';
    return `{"ShardId":"${this.ShardId}","SequenceNumber":"${this.SequenceNumber}"${encryption}}`;
  }

  [JSON_BYTES](before: string, after: string): Buffer {
    return Buffer.from(`${before}${this[JSON_TEXT]()}${after}`, 'latin1');
  }

  [PLAIN_VALUE]() {
    return { ShardId: this.ShardId, SequenceNumber: this.SequenceNumber, EncryptionType: this.encrypted ? 'KMS' : undefined };
  }
}
