import { recordSealer } from './encryption.js';
import { internalFailure } from '../../protocol/errors.js';
import { JSON_TEXT, PLAIN_VALUE, type SelfEncoding } from '../../protocol/codec.js';
import { SealedLogError, type NewRecord, type StoredRecord } from '../../store/store.js';
import { streamNotFound } from '../errors.js';
import type { Kinesis } from '../service.js';
import { shardRouter, type HashKey } from './routing.js';
import { meterWrites } from './write-meter.js';
import { formatShardId } from './shard-id.js';
import { formatSequenceNumber } from './sequence-number.js';
import { shardLogName, type ShardMeta, type StreamMeta } from './stream.js';

/**
 * Writing and reading records of a stream's shards: the part of the data plane shared by
 * PutRecord(s), GetRecords and SubscribeToShard.
 */

/** Writable states: CREATING and DELETING streams answer "not found" to writers (§3.9). */
export const isWritable = (stream: StreamMeta) => stream.status === 'ACTIVE' || stream.status === 'UPDATING';

// Sequence numbers (§4.4) are 47 hex digits; the sequence index ends at digit 26 and the arrival
// second at digit 37 (of 0..46), so they weigh 16^20 and 16^9. Adding them to a per-shard base
// gives the same value as formatSequenceNumber without building and parsing a hex string per record.
const SEQUENCE_INDEX_SHIFT = 80n;
const ARRIVAL_SHIFT = 36n;

/** Formats the sequence numbers of one shard's records. */
export class ShardSequences {
  private readonly base: bigint;
  private arrivalSec = -1;
  private withArrival = 0n;

  constructor(shard: ShardMeta) {
    this.base = BigInt(
      formatSequenceNumber({
        shardCreatedSec: Math.floor(shard.createdAt / 1000),
        shardIndex: shard.index,
        sequenceIndex: 0n,
        arrivalSec: 0,
      }),
    );
  }

  /** Same value as recordSequenceNumber(shard, index, arrival). */
  format(index: number, arrival: number): string {
    const sec = Math.floor(arrival / 1000);
    if (sec !== this.arrivalSec) {
      this.arrivalSec = sec;
      this.withArrival = this.base + (BigInt(sec) << ARRIVAL_SHIFT);
    }
    return (this.withArrival + (BigInt(index + 1) << SEQUENCE_INDEX_SHIFT)).toString();
  }
}

export interface PutEntry {
  data: Buffer;
  partitionKey: string;
  hashKey: HashKey;
}

export interface PutOutcome {
  shard: ShardMeta;
  sequenceNumber: string;
}

/** A reshard racing a write seals the old shard; re-route this many times before giving up. */
const MAX_ROUTING_ATTEMPTS = 8;

interface ShardBatch {
  shard: ShardMeta;
  positions: number[];
  records: NewRecord[];
}

/**
 * Appends entries to the open shards holding their hash keys and resolves, once they are durable,
 * with each entry's shard and sequence number in entry order. Within a shard, entries keep their
 * order. All shards' appends start in the same tick so that they share one commit. A shard closed
 * by a concurrent reshard refuses the append (SealedLogError): those entries are routed again
 * against the stream as it is now.
 */
export async function appendRecords(kinesis: Kinesis, stream: StreamMeta, entries: PutEntry[]): Promise<PutOutcome[]> {
  const outcomes = new Array<PutOutcome>(entries.length);
  let pending: number[] | undefined; // undefined: every entry
  for (let attempt = 0; ; attempt++) {
    // Encrypted streams store records sealed under the stream's data key (§3.16, encryption.ts).
    const seal = await recordSealer(kinesis, stream);
    const batches = new Map<number, ShardBatch>();
    const route = shardRouter(stream);
    const count = pending ? pending.length : entries.length;
    for (let i = 0; i < count; i++) {
      const position = pending ? pending[i] : i;
      const entry = entries[position];
      const shard = route(entry.hashKey);
      if (!shard) throw internalFailure();
      let batch = batches.get(shard.index);
      if (!batch) {
        batch = { shard, positions: [], records: [] };
        batches.set(shard.index, batch);
      }
      batch.positions.push(position);
      batch.records.push(seal ? { partitionKey: entry.partitionKey, ...seal(entry.data) } : { partitionKey: entry.partitionKey, data: entry.data });
    }
    const all = [...batches.values()];
    const settled = await Promise.allSettled(all.map((batch) => kinesis.store.records.append(shardLogName(stream, batch.shard), batch.records)));
    const retry: number[] = [];
    for (let b = 0; b < all.length; b++) {
      const result = settled[b];
      const batch = all[b];
      if (result.status === 'rejected') {
        if (!(result.reason instanceof SealedLogError)) throw result.reason;
        retry.push(...batch.positions);
        continue;
      }
      const sequences = new ShardSequences(batch.shard);
      const stored = result.value;
      meterWrites(kinesis, stream, batch.shard, batch.records);
      for (let i = 0; i < stored.length; i++) {
        outcomes[batch.positions[i]] = { shard: batch.shard, sequenceNumber: sequences.format(stored[i].index, stored[i].arrival) };
      }
    }
    if (retry.length === 0) return outcomes;
    if (attempt + 1 >= MAX_ROUTING_ATTEMPTS) throw internalFailure();
    retry.sort((a, b) => a - b);
    pending = retry;
    const current = await kinesis.streams.find(stream, stream.name);
    if (!current || current.id !== stream.id || !isWritable(current)) throw streamNotFound(stream.name, stream.account);
    stream = current;
  }
}

/** The API's `Record` structure. */
export interface ApiRecord {
  SequenceNumber: string;
  ApproximateArrivalTimestamp: Date;
  Data: Buffer;
  PartitionKey: string;
  EncryptionType?: 'KMS';
}

/**
 * The `Records` of a GetRecords answer or a SubscribeToShardEvent. A call carries up to 10,000
 * records, so for JSON it writes its text straight from the stored records (no ApiRecord and Date
 * objects, no second pass to turn blobs and timestamps into JSON values); CBOR gets ApiRecords.
 */
export class ApiRecords implements SelfEncoding {
  constructor(
    private readonly shard: ShardMeta,
    readonly records: StoredRecord[],
  ) {}

  get length(): number {
    return this.records.length;
  }

  [PLAIN_VALUE](): ApiRecord[] {
    const sequences = new ShardSequences(this.shard);
    return this.records.map((record) => {
      const out: ApiRecord = {
        SequenceNumber: sequences.format(record.index, record.arrival),
        ApproximateArrivalTimestamp: new Date(record.arrival),
        Data: record.data,
        PartitionKey: record.partitionKey,
      };
      if (record.keyRef !== undefined) out.EncryptionType = 'KMS';
      return out;
    });
  }

  [JSON_TEXT](): string {
    const sequences = new ShardSequences(this.shard);
    let out = '[';
    for (let i = 0; i < this.records.length; i++) {
      const record = this.records[i];
      // Sequence numbers are digits and base64 needs no escaping; timestamps are epoch seconds.
      out +=
        (i ? ',{"SequenceNumber":"' : '{"SequenceNumber":"') +
        sequences.format(record.index, record.arrival) +
        '","ApproximateArrivalTimestamp":' +
        String(record.arrival / 1000) +
        ',"Data":"' +
        record.data.toString('base64') +
        '","PartitionKey":' +
        JSON.stringify(record.partitionKey) +
        (record.keyRef === undefined ? '}' : ',"EncryptionType":"KMS"}');
    }
    return out + ']';
  }
}

export const toApiRecords = (shard: ShardMeta, records: StoredRecord[]) => new ApiRecords(shard, records);

/** The API's `ChildShard` structure: the shards a closed shard was split or merged into (§4.7). */
export function childShards(stream: StreamMeta, shard: ShardMeta) {
  return stream.shards
    .filter((child) => child.parent === shard.index || child.adjacentParent === shard.index)
    .map((child) => ({
      ShardId: formatShardId(child.index),
      ParentShards: [child.parent, child.adjacentParent].filter((p): p is number => p !== undefined).map(formatShardId),
      HashKeyRange: { StartingHashKey: child.startingHashKey, EndingHashKey: child.endingHashKey },
    }));
}

/** Retention: records that arrived before this are never returned (§4.8). */
export const retentionHorizon = (stream: StreamMeta, at: number) => at - stream.retentionHours * 3_600_000;

/** GetRecords answers at most 10,000 records and 10 MiB (§4.6, §4.9). */
export const GET_RECORDS_MAX_RECORDS = 10_000;
export const GET_RECORDS_MAX_BYTES = 10 * 1024 * 1024;

export interface ShardRead {
  records: StoredRecord[];
  /** Where the next read continues. */
  nextIndex: number;
  millisBehindLatest: number;
  /** Set when the reader has reached the end of a closed shard: the shards that continue it. */
  childShards?: ReturnType<typeof childShards>;
}

/** Reads a shard from `fromIndex` within the limits, hiding what is past retention (§4.6–4.8). */
export async function readShard(kinesis: Kinesis, stream: StreamMeta, shard: ShardMeta, fromIndex: number, limit: number, at: number): Promise<ShardRead> {
  const log = shardLogName(stream, shard);
  const result = await kinesis.store.records.read(log, fromIndex, {
    limit,
    maxBytes: GET_RECORDS_MAX_BYTES,
    notBefore: retentionHorizon(stream, at),
  });
  const { records, nextIndex } = result;
  const last = records[records.length - 1];
  const millisBehindLatest = nextIndex >= result.tipIndex || !last ? 0 : Math.max(0, at - last.arrival);
  const read: ShardRead = { records, nextIndex, millisBehindLatest };
  // §4.7: a closed shard ends once the reader is past its last record; the sealed tip is final.
  if (shard.closedAt !== undefined && nextIndex >= (await kinesis.store.records.tip(log))) {
    read.childShards = childShards(stream, shard);
  }
  return read;
}
