import { randomBytes } from 'node:crypto';

/**
 * PutRecord's RecordId (FIREHOSE-SPEC §1 fact 5): an opaque standard-base64 string like AWS's
 * documented example, 224 characters without padding (168 bytes). Whether AWS's length is fixed is
 * UNVERIFIED. Unique by construction: the record's index in the ingest log and the stream's
 * incarnation (a stream re-created under the same name has another one); the rest is random.
 */
export const RECORD_ID_BYTES = 168;
const INDEX_BYTES = 8;
const INCARNATION_BYTES = 32;

/** RecordIds of records stored at `indexes` of an incarnation's ingest log: one random draw per batch. */
export function recordIds(incarnation: string, indexes: number[]): string[] {
  const ids = randomBytes(RECORD_ID_BYTES * indexes.length);
  const tag = Buffer.from(incarnation, 'utf8').subarray(0, INCARNATION_BYTES);
  return indexes.map((index, i) => {
    const id = ids.subarray(i * RECORD_ID_BYTES, (i + 1) * RECORD_ID_BYTES);
    id.writeBigUInt64BE(BigInt(index), 0);
    tag.copy(id, INDEX_BYTES);
    return id.toString('base64');
  });
}
