import { invalidArgument } from '../../protocol/errors.js';
import { isWritable, type PutEntry } from '../domain/records.js';
import { appendWithinLimits } from '../domain/throughput.js';
import { formatShardId } from '../domain/shard-id.js';
import { DEFAULT_MAX_RECORD_SIZE_KIB, type StreamMeta } from '../domain/stream.js';
import { streamNotFound } from '../errors.js';
import { checkedHashKey, maxRecordBytes, putRecordSize, recordTooLarge } from '../put-validation.js';
import type { KinesisContext } from '../context.js';
import { streamTarget } from '../stream-target.js';
import { routeHashKey } from '../domain/routing.js';
import { writeSize } from '../domain/throughput.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  Records: { Data: Buffer; PartitionKey: string; ExplicitHashKey?: string }[];
}

/**
 * A PutRecords request carries at most 5 MiB of data and partition keys (§4.9). Streams that
 * allow records over 1 MiB (MaxRecordSizeInKiB) get the 10 MiB the 2025 documentation gives
 * large-record requests. AWS's text is unrecorded; this is moto's (§3.10).
 */
const REQUEST_MAX_MIB = 5;
const LARGE_RECORD_REQUEST_MAX_MIB = 10;
const requestLimitMiB = (stream: StreamMeta) =>
  stream.maxRecordSizeKiB > DEFAULT_MAX_RECORD_SIZE_KIB ? LARGE_RECORD_REQUEST_MAX_MIB : REQUEST_MAX_MIB;

/** KINESIS-SPEC §3.10: answered once every record is durable; results in request order. */
export default async function putRecords(input: Input, context: KinesisContext) {
  const metrics = context.kinesis.metrics;
  const started = metrics ? performance.now() : 0;
  const target = streamTarget(input, context);
  const stream = context.kinesis.streams.findCached(target, target.name) ?? (await context.kinesis.streams.find(target, target.name));
  if (!stream || !isWritable(stream)) throw streamNotFound(target.name, target.account);

  const maxBytes = maxRecordBytes(stream);
  const entries = new Array<PutEntry>(input.Records.length);
  let total = 0;
  let oversized: { path: string; dataLength: number }[] | undefined;
  for (let i = 0; i < input.Records.length; i++) {
    const record = input.Records[i];
    const size = putRecordSize(record.Data, record.PartitionKey);
    total += size;
    if (size > maxBytes) (oversized ??= []).push({ path: `records.${i + 1}.member.data`, dataLength: record.Data.length });
    // One bad ExplicitHashKey fails the whole call (§3.10).
    entries[i] = { data: record.Data, partitionKey: record.PartitionKey, hashKey: checkedHashKey(record.PartitionKey, record.ExplicitHashKey) };
  }
  if (oversized) throw recordTooLarge(oversized, stream);
  const limitMiB = requestLimitMiB(stream);
  if (total > limitMiB * 1024 * 1024) throw invalidArgument(`Records size exceeds ${limitMiB} MB limit`);

  // With --enforce-limits, throttled entries fail alone, inside a 200 answer (§3.10).
  const outcomes = await appendWithinLimits(context.kinesis, stream, entries);
  const records = new Array<{ SequenceNumber: string; ShardId: string } | { ErrorCode: string; ErrorMessage: string }>(outcomes.length);
  let failed = 0;
  for (let i = 0; i < outcomes.length; i++) {
    const outcome = outcomes[i];
    if ('errorMessage' in outcome) {
      failed++;
      records[i] = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: outcome.errorMessage };
    } else {
      records[i] = { SequenceNumber: outcome.sequenceNumber, ShardId: formatShardId(outcome.shard.index) };
    }
  }
  if (metrics) {
    // Counters per call; per record only for streams that enabled shard-level metrics.
    const m = metrics.putRecords(stream, outcomes.length, outcomes.length - failed, failed, failed === 0 ? total : storedBytes(entries, outcomes), performance.now() - started);
    if (m.enhanced.length !== 0) {
      for (let i = 0; i < outcomes.length; i++) {
        const outcome = outcomes[i];
        const shard = 'errorMessage' in outcome ? routeHashKey(stream, entries[i].hashKey) : outcome.shard;
        if (shard) metrics.putRecordsEntry(m, shard.index, writeSize(entries[i]), 'errorMessage' in outcome);
      }
    }
  }
  return {
    // §9.5: 0 on success, although the model's minimum is 1.
    FailedRecordCount: failed,
    Records: records,
    EncryptionType: stream.encryption.type === 'KMS' ? 'KMS' : undefined,
  };
}

/** Bytes of the entries that were stored (a call with throttled entries). */
function storedBytes(entries: PutEntry[], outcomes: readonly object[]): number {
  let bytes = 0;
  for (let i = 0; i < entries.length; i++) if (!('errorMessage' in outcomes[i])) bytes += writeSize(entries[i]);
  return bytes;
}
