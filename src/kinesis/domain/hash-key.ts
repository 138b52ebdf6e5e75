import { createHash } from 'node:crypto';

/** Hash keys are unsigned 128-bit integers (KINESIS-SPEC §4.1). */
export const MAX_HASH_KEY = (1n << 128n) - 1n;

/** MD5 of the partition key's UTF-8 bytes, read as an unsigned big-endian integer (§4.1). */
export function hashPartitionKey(partitionKey: string): bigint {
  return BigInt('0x' + createHash('md5').update(partitionKey, 'utf8').digest('hex'));
}

export interface HashKeyRange {
  start: bigint;
  end: bigint;
}

/** The ranges AWS gives N new shards: floor(2^128 / N) each, the last one to 2^128 − 1 (§4.2). */
export function uniformRanges(count: number, within: HashKeyRange = { start: 0n, end: MAX_HASH_KEY }): HashKeyRange[] {
  const span = within.end - within.start + 1n;
  const step = span / BigInt(count);
  return Array.from({ length: count }, (_, i) => ({
    start: within.start + BigInt(i) * step,
    end: i === count - 1 ? within.end : within.start + BigInt(i + 1) * step - 1n,
  }));
}
