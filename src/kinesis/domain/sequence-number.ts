/**
 * Sequence numbers in AWS's 56-digit layout (KINESIS-SPEC §4.4): 47 hex digits
 *   2 | shard creation s (9) | shard index low nibble (1) | sequence index (16) | 00 |
 *   arrival s (9) | shard index (8) | 2
 * printed in decimal. The sequence index is the most significant varying field, so numbers
 * strictly increase along a shard's log. A record's sequence index is its log index + 1, so even
 * the first record of a shard is greater than the shard's StartingSequenceNumber (index 0).
 */
export interface SequenceParts {
  shardCreatedSec: number;
  shardIndex: number;
  sequenceIndex: bigint;
  arrivalSec: number;
}

/** The sequence index AWS uses in a closed shard's EndingSequenceNumber. */
export const ENDING_SEQUENCE_INDEX = 0x7fffffffffffffffn;

const hex = (value: number | bigint, width: number) => value.toString(16).padStart(width, '0').slice(-width);

export function formatSequenceNumber(parts: SequenceParts): string {
  const text =
    '2' +
    hex(parts.shardCreatedSec, 9) +
    hex(parts.shardIndex & 0xf, 1) +
    hex(parts.sequenceIndex, 16) +
    '00' +
    hex(parts.arrivalSec, 9) +
    hex(parts.shardIndex >>> 0, 8) +
    '2';
  return BigInt('0x' + text).toString(10);
}

/** Undefined for anything that is not a version-2 sequence number. */
export function parseSequenceNumber(text: string): SequenceParts | undefined {
  if (!/^\d{1,129}$/.test(text)) return undefined;
  const value = BigInt(text);
  const digits = value.toString(16);
  if (digits.length !== 47 || digits[0] !== '2' || digits[46] !== '2') return undefined;
  const sequenceIndex = BigInt('0x' + digits.slice(11, 27));
  if (sequenceIndex > ENDING_SEQUENCE_INDEX) return undefined;
  return {
    shardCreatedSec: parseInt(digits.slice(1, 10), 16),
    shardIndex: parseInt(digits.slice(38, 46), 16) | 0,
    sequenceIndex,
    arrivalSec: parseInt(digits.slice(29, 38), 16),
  };
}
