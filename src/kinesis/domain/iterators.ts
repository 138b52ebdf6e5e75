import { AwsError, internalFailure, invalidArgument } from '../../protocol/errors.js';
import type { Kinesis } from '../context.js';
import { javaDateString, now } from './clock.js';
import { retentionHorizon } from './records.js';
import { readSequenceNumber } from './sequence-number.js';
import { formatShardId } from './shard-id.js';
import { shardLogName, type ShardMeta, type StreamMeta } from './stream.js';
import { openToken, sealToken, tokenKey } from './tokens.js';

/**
 * Shard iterators (KINESIS-SPEC §4.5): sealed tokens naming a stream incarnation, a shard and a
 * position in the shard's log, with their issue time. Any node opens them with the store's key,
 * and they survive restarts. Positions are log indexes: the next record to read.
 */

/** Iterators expire five minutes after issue (§3.8, §4.5). */
export const ITERATOR_LIFETIME_MS = 300_000;

export type IteratorType = 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER' | 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

export interface StartingPosition {
  type: IteratorType;
  sequenceNumber?: string;
  /** Epoch ms or a Date (AT_TIMESTAMP). */
  timestamp?: Date | number;
}

/** What an iterator says, once opened. */
export interface ShardIteratorState {
  account: string;
  region: string;
  streamName: string;
  /** Stream incarnation: an iterator of a deleted stream does not read its re-created namesake. */
  streamId: string;
  shardIndex: number;
  /** The log index to read next. */
  position: number;
  issuedAt: number;
}

interface Payload {
  a: string;
  r: string;
  n: string;
  s: string;
  h: number;
  p: number;
  t: number;
}

const mustEither =
  'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or ' +
  '(2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. ';

/**
 * The log index an iterator of this type starts at, after AWS's checks in AWS's order
 * (§3.7 items 3–8). The shard is known to exist.
 */
export async function resolveStartingPosition(kinesis: Kinesis, stream: StreamMeta, shard: ShardMeta, start: StartingPosition): Promise<number> {
  const log = shardLogName(stream, shard);
  const shardId = formatShardId(shard.index);
  const records = kinesis.store.records;
  const at = now();
  switch (start.type) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      if (start.sequenceNumber !== undefined) throw invalidArgument(`${mustEither}Request specified ${start.type} and also a StartingSequenceNumber.`);
      return start.type === 'LATEST' ? records.tip(log) : records.indexAtTime(log, retentionHorizon(stream, at));
    case 'AT_SEQUENCE_NUMBER':
    case 'AFTER_SEQUENCE_NUMBER': {
      if (start.sequenceNumber === undefined) throw invalidArgument(`${mustEither}Request specified ${start.type} and no StartingSequenceNumber.`);
      const sequenceIndex = sequenceIndexIn(stream, shard, start.sequenceNumber);
      // Index 0 is the shard's StartingSequenceNumber; record n (log index n−1) has index n.
      const wanted = start.type === 'AT_SEQUENCE_NUMBER' ? sequenceIndex - 1n : sequenceIndex;
      const tip = await records.tip(log);
      return wanted < 0n ? 0 : wanted > BigInt(tip) ? tip : Number(wanted);
    }
    case 'AT_TIMESTAMP': {
      if (start.timestamp === undefined) {
        throw invalidArgument('Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.');
      }
      const ms = typeof start.timestamp === 'number' ? start.timestamp : start.timestamp.getTime();
      if (ms > at) {
        throw invalidArgument(
          `The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: ${ms}, currentTimestampInMillis: ${at}`,
        );
      }
      // Older than the trim horizon reads from the trim horizon.
      return records.indexAtTime(log, Math.max(ms, retentionHorizon(stream, at)));
    }
  }
  // The model's enum admits nothing else.
  throw internalFailure();

  /** Checks in the recorded order (§3.7 items 4–6, kinesalite's getShardIterator tests). */
  function sequenceIndexIn(stream: StreamMeta, shard: ShardMeta, text: string): bigint {
    const invalid = `StartingSequenceNumber ${text} used in GetShardIterator on shard ${shardId} in stream ${stream.name} under account ${stream.account} is invalid`;
    const given = readSequenceNumber(text);
    if (!given) throw invalidArgument(`${invalid}.`);
    if (given.shardIndex !== shard.index) throw encodesOtherShard(given.shardIndex);
    if (given.version !== 2 || given.shardCreatedSec !== Math.floor(shard.createdAt / 1000)) {
      // AWS answered an old (version-0) number of the right shard with a bare InternalFailure (§4.4).
      if (given.version === 0) throw internalFailure();
      throw invalidArgument(`${invalid} because it did not come from this stream.`);
    }
    return given.sequenceIndex;
  }

  function encodesOtherShard(encoded: number): AwsError {
    return invalidArgument(`Invalid StartingSequenceNumber. It encodes ${formatShardId(encoded)}, while it was used in a call to a shard with ${shardId}`);
  }
}

/** A fresh iterator at `position` of a shard (issued now). */
export async function issueIterator(kinesis: Kinesis, at: { stream: StreamMeta; shard: ShardMeta; position: number }): Promise<string> {
  const payload: Payload = {
    a: at.stream.account,
    r: at.stream.region,
    n: at.stream.name,
    s: at.stream.id,
    h: at.shard.index,
    p: at.position,
    t: now(),
  };
  return sealToken(await tokenKey(kinesis.store), payload);
}

const invalidIterator = () => invalidArgument('Invalid ShardIterator.');

/**
 * Opens an iterator: `Invalid ShardIterator.` for anything forged, truncated or not ours,
 * ExpiredIteratorException after five minutes (§3.8). One pair of surrounding double quotes is
 * accepted, as AWS does.
 */
export async function openIterator(kinesis: Kinesis, token: string): Promise<ShardIteratorState> {
  const text = token.length >= 2 && token.startsWith('"') && token.endsWith('"') ? token.slice(1, -1) : token;
  const payload = openToken<Payload>(await tokenKey(kinesis.store), text);
  const at = now();
  if (
    !payload ||
    typeof payload.n !== 'string' ||
    typeof payload.s !== 'string' ||
    !Number.isInteger(payload.h) ||
    !Number.isInteger(payload.p) ||
    !Number.isFinite(payload.t) ||
    // Issued by a node whose clock runs ahead by more than an iterator's lifetime: not ours.
    payload.t > at + ITERATOR_LIFETIME_MS
  ) {
    throw invalidIterator();
  }
  if (at - payload.t > ITERATOR_LIFETIME_MS) {
    throw new AwsError(
      'ExpiredIteratorException',
      `Iterator expired. The iterator was created at time ${javaDateString(payload.t)} while right now it is ${javaDateString(at)} ` +
        `which is further in the future than the tolerated delay of ${ITERATOR_LIFETIME_MS} milliseconds.`,
    );
  }
  return {
    account: payload.a,
    region: payload.r,
    streamName: payload.n,
    streamId: payload.s,
    shardIndex: payload.h,
    position: payload.p,
    issuedAt: payload.t,
  };
}
