import { invalidArgument, validationError } from '../protocol/errors.js';
import { now } from './domain/clock.js';
import { inHashKeySpace, recordHashKey, type HashKey } from './domain/routing.js';
import { readSequenceNumber } from './domain/sequence-number.js';
import type { StreamMeta } from './domain/stream.js';

/** Checks PutRecord and PutRecords share (KINESIS-SPEC §3.9, §3.10, §4.9). */

export const maxRecordBytes = (stream: StreamMeta) => stream.maxRecordSizeKiB * 1024;

/** Data plus partition-key bytes: what counts against the record size limit (§4.9). */
export const putRecordSize = (data: Buffer, partitionKey: string) => data.length + Buffer.byteLength(partitionKey, 'utf8');

/**
 * An oversized record, in the shape of AWS's model validation of `data` but with the stream's
 * limit (§3.9: the runtime text with MaxRecordSizeInKiB is unrecorded; this is the recommended one).
 */
export function recordTooLarge(violations: { path: string; dataLength: number }[], stream: StreamMeta) {
  const texts = violations.map(
    ({ path, dataLength }) =>
      `Value 'java.nio.HeapByteBuffer[pos=0 lim=${dataLength} cap=${dataLength}]' at '${path}' failed to satisfy constraint: ` +
      `Member must have length less than or equal to ${maxRecordBytes(stream)}`,
  );
  return validationError(`${texts.length} validation error${texts.length > 1 ? 's' : ''} detected: ${texts.join('; ')}`);
}

/** The record's hash key, or AWS's error for an ExplicitHashKey ≥ 2^128 (the model already rules out the rest). */
export function checkedHashKey(partitionKey: string, explicitHashKey: string | undefined): HashKey {
  const hashKey = recordHashKey(partitionKey, explicitHashKey);
  if (!inHashKeySpace(hashKey)) {
    throw invalidArgument(
      `Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${explicitHashKey}`,
    );
  }
  return hashKey;
}

/**
 * SequenceNumberForOrdering only has to be a sequence number of version 1 or 2 that arrived no later
 * than now, as recorded against AWS (§3.9): the per-shard counter already makes every new record
 * greater (§4.4). Version 0 is refused (unrecorded either way; Millrace never issued one).
 */
export function checkSequenceNumberForOrdering(text: string, stream: StreamMeta): void {
  const given = readSequenceNumber(text);
  if (!given || given.version === 0 || given.arrivalSec * 1000 > now()) {
    throw invalidArgument(
      `ExclusiveMinimumSequenceNumber ${text} used in PutRecord on stream ${stream.name} under account ${stream.account} is invalid.`,
    );
  }
}
