/**
 * Shard ids: `shardId-` and a 12-digit zero-padded index (KINESIS-SPEC §4.3). A negative index
 * (only ever decoded from a sequence number) reads as AWS printed it: `shardId--02147483648`.
 */
export function formatShardId(index: number): string {
  if (index < 0) return 'shardId--' + String(-index).padStart(11, '0');
  // Every PutRecords result names a shard per record: the ids of low indexes are made once.
  if (index < SHARD_ID_CACHE.length) return (SHARD_ID_CACHE[index] ??= 'shardId-' + String(index).padStart(12, '0'));
  return 'shardId-' + String(index).padStart(12, '0');
}

const SHARD_ID_CACHE = new Array<string | undefined>(4096);

const MAX_SHARD_INDEX = 2147483647;

/**
 * AWS's lenient parse (§2.2): the text after the first `-` (or all of it) must be a decimal
 * integer in [0, 2^31 − 1]; `shardId-0`, `shard-0` and `5` all name a shard. Undefined otherwise.
 */
export function parseShardId(given: string): number | undefined {
  const dash = given.indexOf('-');
  const digits = dash === -1 ? given : given.slice(dash + 1);
  if (!/^\d+$/.test(digits)) return undefined;
  const index = Number(digits);
  return index <= MAX_SHARD_INDEX ? index : undefined;
}
