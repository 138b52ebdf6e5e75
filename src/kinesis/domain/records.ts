import { recordSealer } from './encryption.js';
import { internalFailure } from '../../protocol/errors.js';
import { JSON_BYTES, PLAIN_VALUE, type SelfEncoding } from '../../protocol/codec.js';
import { ByteWriter, base64Length, isPlainJsonString } from '../../protocol/json-bytes.js';
import { SealedLogError, type NewRecord, type Store, type StoredRecord } from '../../store/store.js';
import { streamNotFound } from '../errors.js';
import type { Kinesis } from '../context.js';
import { childHolding, routeHashKey, shardRouter, writesEndAt, type HashKey } from './routing.js';
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
/** §4.4: 47 hex digits starting with 2 are always 56 decimal digits. */
const SEQUENCE_NUMBER_DIGITS = 56;
/** Sequence numbers as 14 limbs of 4 decimal digits, most significant first, for `writeDigits`. */
const LIMB = 10_000;
const LIMBS = SEQUENCE_NUMBER_DIGITS / 4;
const limbsOf = (value: bigint) => Int32Array.from(value.toString().padStart(SEQUENCE_NUMBER_DIGITS, '0').match(/..../g)!, Number);
/** One step of the sequence index, in limbs. */
const INDEX_STEP = limbsOf(1n << SEQUENCE_INDEX_SHIFT);
const INDEX_STEP_FROM = INDEX_STEP.findIndex((limb) => limb !== 0);
/** The four ASCII digits of every limb value. */
const LIMB_DIGITS = Buffer.from(Array.from({ length: LIMB }, (_, n) => String(n).padStart(4, '0')).join(''), 'latin1');

/** Formats the sequence numbers of one shard's records. */
export class ShardSequences {
  private readonly base: bigint;
  private arrivalSec = -1;
  private withArrival = 0n;
  /** Where `text` keeps its digits. */
  private readonly scratch = Buffer.alloc(SEQUENCE_NUMBER_DIGITS);
  /** The number `writeDigits` wrote last (record `digitsIndex` in second `digitsSec`), in limbs. */
  private readonly limbs = new Int32Array(LIMBS);
  private digitsIndex = -2;
  private digitsSec = -1;
  private digitsTarget?: Uint8Array;

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

  /**
   * format(index, arrival) for records taken in log order (a batch just appended): each is a step
   * from the previous one, at half the cost and a fraction of the garbage of the BigInt way.
   */
  text(index: number, arrival: number): string {
    this.writeDigits(index, arrival, this.scratch);
    return this.scratch.toString('latin1');
  }

  /**
   * Writes format(index, arrival) as 56 ASCII digits into `digits`. Records of one read (or one
   * append) follow each other within one arrival second, so when `digits` holds the previous
   * record's number, the next is that plus one sequence index step, added in decimal limbs: no
   * BigInt and no string per record, and only the digits that change are written.
   */
  writeDigits(index: number, arrival: number, digits: Uint8Array): void {
    const sec = Math.floor(arrival / 1000);
    const stepping = digits === this.digitsTarget && sec === this.digitsSec && index === this.digitsIndex + 1;
    if (!stepping || !this.step(digits)) {
      const text = this.format(index, arrival);
      if (text.length !== SEQUENCE_NUMBER_DIGITS) throw new Error(`sequence number ${text} is not ${SEQUENCE_NUMBER_DIGITS} digits`);
      for (let i = 0; i < SEQUENCE_NUMBER_DIGITS; i++) digits[i] = text.charCodeAt(i);
      for (let i = 0; i < LIMBS; i++) {
        const at = i * 4;
        this.limbs[i] = (digits[at] - 48) * 1000 + (digits[at + 1] - 48) * 100 + (digits[at + 2] - 48) * 10 + (digits[at + 3] - 48);
      }
    }
    this.digitsSec = sec;
    this.digitsIndex = index;
    this.digitsTarget = digits;
  }

  /** Adds one index step to the limbs and digits; false (unusable) if the number would grow longer. */
  private step(digits: Uint8Array): boolean {
    const { limbs } = this;
    let carry = 0;
    for (let i = LIMBS - 1; i >= 0; i--) {
      if (i < INDEX_STEP_FROM && carry === 0) return true;
      let limb = limbs[i] + INDEX_STEP[i] + carry;
      carry = 0;
      if (limb >= LIMB) {
        limb -= LIMB;
        carry = 1;
      }
      limbs[i] = limb;
      const from = limb * 4;
      const to = i * 4;
      digits[to] = LIMB_DIGITS[from];
      digits[to + 1] = LIMB_DIGITS[from + 1];
      digits[to + 2] = LIMB_DIGITS[from + 2];
      digits[to + 3] = LIMB_DIGITS[from + 3];
    }
    return carry === 0;
  }
}

/**
 * The start of a record's JSON up to its data, `,{"SequenceNumber":"…","ApproximateArrivalTimestamp":…,"Data":"`,
 * kept as one array whose sequence digits are updated in place: copying one piece per record
 * costs far less than writing its parts one by one.
 */
class RecordHeads {
  private head = EMPTY as Uint8Array;
  private digits = EMPTY as Uint8Array;
  private arrival = NaN;
  private readonly sequences: ShardSequences;

  constructor(shard: ShardMeta) {
    this.sequences = new ShardSequences(shard);
  }

  /** The head of a record (with its leading comma), valid until the next call. */
  of(index: number, arrival: number): Uint8Array {
    if (arrival !== this.arrival) {
      const head = ascii(`,{"SequenceNumber":"${'0'.repeat(SEQUENCE_NUMBER_DIGITS)}${arrivalAndDataOpen(arrival)}`);
      this.head = head;
      this.digits = head.subarray(HEAD_DIGITS_AT, HEAD_DIGITS_AT + SEQUENCE_NUMBER_DIGITS);
      this.arrival = arrival;
    }
    this.sequences.writeDigits(index, arrival, this.digits);
    return this.head;
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

/** Logs this process has sealed, per store: sealing is idempotent, so the cache only saves store writes. */
const sealedLogs = new WeakMap<Store, Set<string>>();
const MAX_REMEMBERED_SEALS = 100_000;

/** Seals a log (once per process) and resolves with its final length. */
async function sealOnce(store: Store, log: string): Promise<number> {
  const sealed = sealedBy(store);
  if (sealed.has(log)) return store.records.tip(log);
  const tip = await store.records.seal(log);
  if (sealed.size >= MAX_REMEMBERED_SEALS) sealed.clear();
  sealed.add(log);
  return tip;
}

function sealedBy(store: Store): Set<string> {
  let sealed = sealedLogs.get(store);
  if (!sealed) sealedLogs.set(store, (sealed = new Set()));
  return sealed;
}

/**
 * Before a child takes its first record, its parents take no more (their records all precede it).
 * The logs of parents this process has not sealed yet; none once it has, so the write path does not wait.
 */
function unsealedParents(store: Store, stream: StreamMeta, shard: ShardMeta): string[] {
  if (shard.parent === undefined) return NO_LOGS;
  const sealed = sealedBy(store);
  return [shard.parent, shard.adjacentParent]
    .filter((parent): parent is number => parent !== undefined)
    .map((parent) => shardLogName(stream, { index: parent }))
    .filter((log) => !sealed.has(log));
}

const NO_LOGS: string[] = [];

/**
 * The final length of a closed shard's log once writes to it have ended (its children exist),
 * sealing it; undefined while it may still take records (§5.2, routing.ts `writesEndAt`).
 */
export async function closedShardEnd(kinesis: Kinesis, stream: StreamMeta, shard: ShardMeta): Promise<number | undefined> {
  const end = writesEndAt(stream, shard);
  if (end === undefined || Date.now() < end) return undefined;
  return sealOnce(kinesis.store, shardLogName(stream, shard));
}

/**
 * Appends entries to the shards taking writes for their hash keys and resolves, once they are
 * durable, with each entry's shard and sequence number in entry order. Within a shard, entries keep
 * their order. All shards' appends start in the same tick so that they share one commit. A shard
 * whose log was sealed, or whose children's creation time came between routing and appending,
 * refuses the append (SealedLogError): those entries are routed again against the stream as it is
 * now, to the shard's children.
 */
export async function appendRecords(kinesis: Kinesis, stream: StreamMeta, entries: PutEntry[]): Promise<PutOutcome[]> {
  const outcomes = new Array<PutOutcome>(entries.length);
  let pending: number[] | undefined; // undefined: every entry
  let sealed: Set<number> | undefined;
  for (let attempt = 0; ; attempt++) {
    // Encrypted streams store records sealed under the stream's data key (§3.16, encryption.ts).
    const seal = await recordSealer(kinesis, stream);
    const batches = new Map<number, ShardBatch>();
    const route = shardRouter(stream);
    const count = pending ? pending.length : entries.length;
    for (let i = 0; i < count; i++) {
      const position = pending ? pending[i] : i;
      const entry = entries[position];
      let shard = route(entry.hashKey);
      while (shard && sealed?.has(shard.index)) shard = childHolding(stream, shard, entry.hashKey);
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
    for (const batch of all) for (const log of unsealedParents(kinesis.store, stream, batch.shard)) await sealOnce(kinesis.store, log);
    const settled = await Promise.allSettled(all.map((batch) => kinesis.store.records.append(shardLogName(stream, batch.shard), batch.records, writesEndAt(stream, batch.shard))));
    const retry: number[] = [];
    for (let b = 0; b < all.length; b++) {
      const result = settled[b];
      const batch = all[b];
      if (result.status === 'rejected') {
        if (!(result.reason instanceof SealedLogError)) throw result.reason;
        (sealed ??= new Set()).add(batch.shard.index);
        retry.push(...batch.positions);
        continue;
      }
      const sequences = shardSequences(batch.shard);
      const stored = result.value;
      meterWrites(kinesis, stream, batch.shard, batch.records);
      for (let i = 0; i < stored.length; i++) {
        outcomes[batch.positions[i]] = { shard: batch.shard, sequenceNumber: sequences.text(stored[i].index, stored[i].arrival) };
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

/**
 * appendRecords for one entry (PutRecord). The common case (a clear-text stream, a shard whose
 * parents need no sealing, a log that is not sealed) routes, appends and formats with nothing
 * made per request but the record; anything else takes appendRecords' way.
 */
export async function appendRecord(kinesis: Kinesis, stream: StreamMeta, entry: PutEntry): Promise<PutOutcome> {
  const shard = stream.encryption.type === 'KMS' ? undefined : routeHashKey(stream, entry.hashKey);
  const records = kinesis.store.records;
  if (!shard || !records.appendOne || unsealedParents(kinesis.store, stream, shard).length > 0) {
    return (await appendRecords(kinesis, stream, [entry]))[0];
  }
  const record: NewRecord = { partitionKey: entry.partitionKey, data: entry.data };
  let stored: StoredRecord;
  try {
    stored = await records.appendOne(shardLogName(stream, shard), record, writesEndAt(stream, shard));
  } catch (err) {
    // Sealed by a reshard: nothing was stored, and appendRecords routes it to the children.
    if (err instanceof SealedLogError) return (await appendRecords(kinesis, stream, [entry]))[0];
    throw err;
  }
  if (stream.mode === 'ON_DEMAND') meterWrites(kinesis, stream, shard, [record]);
  return { shard, sequenceNumber: shardSequences(shard).text(stored.index, stored.arrival) };
}

/**
 * Sequence-number formatters by shard (its metadata object, which stays the same while the
 * stream's document is cached): one kept across requests steps from the previous number of its
 * shard instead of starting from BigInts (records.ts ShardSequences).
 */
const sequencesByShard = new WeakMap<ShardMeta, ShardSequences>();

function shardSequences(shard: ShardMeta): ShardSequences {
  let sequences = sequencesByShard.get(shard);
  if (!sequences) sequencesByShard.set(shard, (sequences = new ShardSequences(shard)));
  return sequences;
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

  /** Written straight into one Buffer: a 10,000-record answer as one string cost more than the read. */
  [JSON_BYTES](before: string, after: string): Buffer {
    const records = this.records;
    // First pass: the exact size, and the JSON text of partition keys that need escaping.
    let size = Buffer.byteLength(before) + Buffer.byteLength(after) + 2 - 1; // [], less the first record's comma
    let escapedKeys: Map<number, string> | undefined;
    let arrival = NaN;
    let headLength = 0;
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      if (record.arrival !== arrival) {
        arrival = record.arrival;
        headLength = HEAD_DIGITS_AT + SEQUENCE_NUMBER_DIGITS + arrivalAndDataOpen(arrival).length;
      }
      size += headLength + base64Length(record.data.length) + PARTITION_KEY_OPEN.length + CLOSE.length;
      if (record.keyRef !== undefined) size += ENCRYPTED.length;
      if (isPlainJsonString(record.partitionKey)) size += record.partitionKey.length + 2;
      else {
        const text = JSON.stringify(record.partitionKey);
        (escapedKeys ??= new Map()).set(i, text);
        size += Buffer.byteLength(text);
      }
    }
    if (records.length === 0) return Buffer.from(`${before}[]${after}`, 'utf8');
    const out = new ByteWriter(size);
    const heads = new RecordHeads(this.shard);
    out.utf8(before);
    out.byte(0x5b); // [
    for (let i = 0; i < records.length; i++) {
      const record = records[i];
      const head = heads.of(record.index, record.arrival);
      out.bytes(i ? head : head.subarray(1));
      out.base64(record.data);
      out.small(PARTITION_KEY_OPEN);
      const escaped = escapedKeys?.get(i);
      if (escaped === undefined) {
        out.byte(0x22); // "
        out.ascii(record.partitionKey);
        out.byte(0x22);
      } else out.utf8(escaped);
      out.small(record.keyRef === undefined ? CLOSE : ENCRYPTED_CLOSE);
    }
    out.byte(0x5d); // ]
    out.utf8(after);
    return out.finish();
  }
}

// The constant pieces of a record's JSON (§3.8 Record): sequence numbers are digits, timestamps
// epoch seconds, data base64; only partition keys may need escaping.
const ascii = (text: string) => Buffer.from(text, 'latin1');
const EMPTY = Buffer.alloc(0);
/** Where the digits start in a record head: after `,{"SequenceNumber":"`. */
const HEAD_DIGITS_AT = ',{"SequenceNumber":"'.length;
/** After the sequence number, up to the data: the same for all records of one arrival. */
const arrivalAndDataOpen = (arrival: number) => `","ApproximateArrivalTimestamp":${arrival / 1000},"Data":"`;
const PARTITION_KEY_OPEN = ascii('","PartitionKey":');
const CLOSE = ascii('}');
const ENCRYPTED_CLOSE = ascii(',"EncryptionType":"KMS"}');
const ENCRYPTED = ENCRYPTED_CLOSE.subarray(0, ENCRYPTED_CLOSE.length - 1);

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
  // §4.7: a closed shard ends once the reader is past its last record: after writes to it ended, its sealed tip is final.
  if (shard.closedAt !== undefined) {
    const end = await closedShardEnd(kinesis, stream, shard);
    if (end !== undefined && nextIndex >= end) read.childShards = childShards(stream, shard);
  }
  return read;
}
