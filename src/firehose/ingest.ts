import { invalidArgument } from '../protocol/errors.js';
import { acceptsPayload, INVALID_SOURCE_MESSAGE } from './processing/pipeline.js';
import { ingestLogName, type DeliveryStreamDocument } from './domain/delivery-stream.js';
import { kindOf } from './domain/destination.js';
import { recordIds } from './domain/record-id.js';
import { countIncoming } from './delivery/metrics.js';
import type { FirehoseContext } from './context.js';
import { deliveryStreamNotActive, deliveryStreamNotFound, invalidSource, KINESIS_SOURCE_PUT_REFUSED, RECORDS_SIZE_EXCEEDED, throttled } from './errors.js';

/**
 * What PutRecord and PutRecordBatch share (FIREHOSE-SPEC §5): the stream must take direct puts and
 * be ACTIVE (or DELETING: it "might continue to accept records", §3); the records go to the
 * stream's ingest log and are acknowledged only once the append is durable.
 */

/** §5: PutRecordBatch's total, "4 MiB"; the exact threshold (4,194,304 bytes?) is UNVERIFIED. */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/** The stream a put goes to, after the checks every put makes. */
export async function putTarget(name: string, context: FirehoseContext): Promise<DeliveryStreamDocument> {
  const { firehose, account, region } = context;
  const stream = await firehose.streams.find({ account, region }, name);
  if (!stream) throw deliveryStreamNotFound(name, account);
  if (stream.type === 'KinesisStreamAsSource') throw invalidArgument(KINESIS_SOURCE_PUT_REFUSED);
  if (stream.status !== 'ACTIVE' && stream.status !== 'DELETING') throw deliveryStreamNotActive(name, account, stream.status);
  return stream;
}

/** What a PutRecordBatch entry answers when the stream's throughput quota refused it (§5; boto/boto3#2804). */
export const THROTTLED_ENTRY = { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' } as const;

/**
 * Checks the payloads, appends them durably and answers their RecordIds, in order. Under
 * `--enforce-limits` PutRecord is refused whole when over the quota; PutRecordBatch (`perRecord`)
 * stores the leading records that fit and answers `undefined` for the rest (throttled entries).
 */
export async function ingest(
  stream: DeliveryStreamDocument,
  payloads: Buffer[],
  context: FirehoseContext,
  options: { perRecord?: boolean } = {},
): Promise<{ recordIds: Array<string | undefined>; encrypted: boolean }> {
  let bytes = 0;
  for (const data of payloads) bytes += data.length;
  if (bytes > MAX_BATCH_BYTES) throw invalidArgument(RECORDS_SIZE_EXCEEDED);
  // §6: with the Decompression processor on, only CloudWatch Logs subscription payloads are taken.
  const processing = (stream.destination[`${kindOf(stream.destination)}DestinationDescription`] as Record<string, unknown>).ProcessingConfiguration;
  if (processing !== undefined && payloads.some((data) => !acceptsPayload(processing, data))) throw invalidSource(INVALID_SOURCE_MESSAGE);
  const throughput = context.firehose.throughput;
  let admitted = payloads.length;
  if (options.perRecord) {
    const fit = throughput.admitBatch(stream.arn, stream.region, payloads.map((data) => data.length));
    if (fit === undefined) throw throttled();
    admitted = fit;
  } else if (!throughput.admit(stream.arn, stream.region, payloads.length, bytes)) throw throttled();
  const encrypted = stream.encryption?.Status === 'ENABLED';
  const accepted = admitted === payloads.length ? payloads : payloads.slice(0, admitted);
  const stored =
    accepted.length === 0 ? [] : await context.firehose.store.records.append(ingestLogName(stream), accepted.map((data) => ({ partitionKey: '', data })));
  let acceptedBytes = bytes;
  if (accepted !== payloads) acceptedBytes = accepted.reduce((sum, data) => sum + data.length, 0);
  // §15 IncomingRecords/Bytes/PutRequests once durable; ThrottledRecords for the entries refused.
  countIncoming(stream.arn, accepted.length, acceptedBytes, payloads.length - accepted.length);
  const ids: Array<string | undefined> = recordIds(stream.incarnation, stored.map((record) => record.index));
  for (let i = accepted.length; i < payloads.length; i++) ids.push(undefined);
  return { recordIds: ids, encrypted };
}
