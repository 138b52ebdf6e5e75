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

/**
 * What a sequence number given to the API encodes. Besides version 2 (§4.4), AWS recognised two
 * older layouts, recorded by kinesalite against AWS: version 0 (32 hex digits starting with `1`;
 * smaller values read as if they had that leading `1`) and version 1 (47 hex digits, `2…1`).
 */
export type GivenSequenceNumber =
  | ({ version: 2 } & SequenceParts)
  | { version: 1; shardCreatedSec: number; shardIndex: number; arrivalSec: number }
  | { version: 0; shardCreatedSec: number; shardIndex: number };

/** The decimal text the model's SequenceNumber pattern admits. */
const DECIMAL = /^\d{1,129}$/;
/** Version-0 numbers lie below 2^129, and values below 2^124 are read with 2^124 added (recorded: `0` and `5` are version 0). */
const VERSION_0_FLOOR = 1n << 124n;
const VERSION_0_END = 1n << 129n;
/** Versions 1 and 2: 47 hex digits starting with `2`, the last digit naming the version. */
const VERSIONED_FLOOR = 1n << 185n;
const VERSIONED_END = 3n << 184n;
/**
 * A shard creation second from which AWS refused a sequence number as invalid: the recorded
 * "large date" case (0x3bb2cc3d8 s, year 2477, kinesalite's getShardIterator and putRecord tests)
 * and the all-`f` one. AWS's exact bound is not recorded; this is the smallest refused value.
 */
const MAX_SHARD_CREATED_SEC = 0x3bb2cc3d8;

const hexField = (digits: string, from: number, to: number) => parseInt(digits.slice(from, to), 16);

/** Undefined for what AWS called invalid: not a sequence number of any version. */
export function readSequenceNumber(text: string): GivenSequenceNumber | undefined {
  if (!DECIMAL.test(text)) return undefined;
  let value = BigInt(text);
  if (value < VERSION_0_FLOOR) value += VERSION_0_FLOOR;
  const digits = value.toString(16);
  if (value < VERSION_0_END) {
    const shardCreatedSec = hexField(digits, 1, 10);
    if (shardCreatedSec >= MAX_SHARD_CREATED_SEC) return undefined;
    return { version: 0, shardCreatedSec, shardIndex: hexField(digits, 28, 32) };
  }
  if (value <= VERSIONED_FLOOR || value >= VERSIONED_END) return undefined;
  // The shard index is a 32-bit two's complement integer: an 8 in its first digit makes it negative.
  const shardIndex = hexField(digits, 38, 46) | 0;
  const shardCreatedSec = hexField(digits, 1, 10);
  switch (digits[46]) {
    case '1':
      return { version: 1, shardCreatedSec, shardIndex, arrivalSec: hexField(digits, 13, 22) };
    case '2': {
      const sequenceIndex = BigInt('0x' + digits.slice(11, 27));
      if (sequenceIndex > ENDING_SEQUENCE_INDEX || shardCreatedSec >= MAX_SHARD_CREATED_SEC) return undefined;
      return { version: 2, shardCreatedSec, shardIndex, sequenceIndex, arrivalSec: hexField(digits, 29, 38) };
    }
    default:
      return undefined;
  }
}

/** Undefined for anything that is not a valid version-2 sequence number (the only kind Millrace issues). */
export function parseSequenceNumber(text: string): SequenceParts | undefined {
  const given = readSequenceNumber(text);
  if (given?.version !== 2) return undefined;
  return { shardCreatedSec: given.shardCreatedSec, shardIndex: given.shardIndex, sequenceIndex: given.sequenceIndex, arrivalSec: given.arrivalSec };
}
