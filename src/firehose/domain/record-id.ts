import { randomBytes } from 'node:crypto';

/**
 * PutRecord's RecordId (FIREHOSE-SPEC §1 fact 5): an opaque standard-base64 string like AWS's
 * documented example, 224 characters without padding (168 bytes). Whether AWS's length is fixed is
 * UNVERIFIED. Unique by construction: the record's index in the ingest log, the stream's
 * incarnation and random bytes (a stream re-created under the same name has another incarnation).
 */
export const RECORD_ID_BYTES = 168;

export function recordIdFactory(incarnation: string): (index: number) => string {
  const tag = Buffer.from(incarnation, 'utf8').subarray(0, 32);
  return (index) => {
    const id = randomBytes(RECORD_ID_BYTES);
    id.writeBigUInt64BE(BigInt(index), 0);
    tag.copy(id, 8);
    return id.toString('base64');
  };
}
