import { decryptRecords } from '../../kinesis/domain/encryption.js';
import { resolveStartingPosition, type IteratorType } from '../../kinesis/domain/iterators.js';
import { retentionHorizon, ShardSequences } from '../../kinesis/domain/records.js';
import { readSequenceNumber } from '../../kinesis/domain/sequence-number.js';
import { formatShardId, parseShardId } from '../../kinesis/domain/shard-id.js';
import { shardLogName, visibleShards, type ShardMeta, type StreamMeta } from '../../kinesis/domain/stream.js';
import type { StoredRecord } from '../../store/store.js';
import type { ConsoleDeps } from '../deps.js';
import { badParameter, notFound } from './errors.js';
import { choice, integer, text, type ConsoleScope } from './params.js';
import { deaggregateKpl } from '../../firehose/processing/kpl-aggregation.js';
import { requireStream } from './streams.js';

/**
 * The data viewer's read path (CONSOLE-SPEC §1.3 "Data viewer"): one shard, or every visible shard
 * merged by arrival time then sequence number; oldest-first from any iterator type, or
 * newest-first. It reads the shard logs as GetRecords does, without an iterator and without
 * spending the shard's read limits: inspection never throttles an application.
 */

/** AWS's data viewer shows 50 records a page; the console allows up to 1,000. */
export const DEFAULT_PAGE_RECORDS = 50;
export const MAX_PAGE_RECORDS = 1_000;
/** Data + partition keys one page reads at most, over all shards (a record may be 10 MiB). */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024;
/** Each shard's read gets at least this share of the page's bytes (it always gets one record). */
const MIN_SHARD_READ_BYTES = 64 * 1024;
/** The longest cursor accepted: one position per shard. */
const MAX_CURSOR_CHARS = 64 * 1024;

const ITERATOR_TYPES = ['TRIM_HORIZON', 'LATEST', 'AT_SEQUENCE_NUMBER', 'AFTER_SEQUENCE_NUMBER', 'AT_TIMESTAMP'] as const;
const ORDERS = ['oldest', 'newest'] as const;
type Order = (typeof ORDERS)[number];

/** Where the next page continues: per shard, the next log index (oldest-first) or the end before which it reads (newest-first). */
interface Cursor {
  stream: string;
  order: Order;
  positions: Record<string, number>;
}

export interface RecordView {
  shardId: string;
  /** Decimal string, exactly as the API gives it (never a JavaScript number: 56 digits). */
  sequenceNumber: string;
  /** ApproximateArrivalTimestamp, epoch ms. */
  arrival: number;
  partitionKey: string;
  /** Base64. */
  data: string;
  size: number;
  encrypted: boolean;
  /** Set when the record is a KPL aggregate: its sub-records (base64 data), in sub-sequence order. */
  kpl?: Array<{ subSequenceNumber: number; partitionKey: string; explicitHashKey?: string; data: string }>;
}

interface ShardPage {
  shard: ShardMeta;
  records: StoredRecord[];
  /** Sequence numbers of `records`, formatted once for ordering and the answer. */
  sequences: string[];
  /** More records lie beyond this page on this shard, in the order read. */
  more: boolean;
}

const encodeCursor = (cursor: Cursor) => Buffer.from(JSON.stringify(cursor)).toString('base64url');

function decodeCursor(textValue: string, stream: StreamMeta): Cursor {
  let cursor: Cursor;
  try {
    cursor = JSON.parse(Buffer.from(textValue, 'base64url').toString('utf8')) as Cursor;
  } catch {
    throw badParameter('cursor is not a cursor this API gave');
  }
  const valid =
    typeof cursor === 'object' &&
    cursor !== null &&
    typeof cursor.stream === 'string' &&
    ORDERS.includes(cursor.order) &&
    typeof cursor.positions === 'object' &&
    cursor.positions !== null &&
    Object.entries(cursor.positions).every(([shard, at]) => /^\d+$/.test(shard) && Number.isSafeInteger(at) && at >= 0);
  if (!valid) throw badParameter('cursor is not a cursor this API gave');
  if (cursor.stream !== stream.id) throw badParameter(`cursor belongs to another incarnation of stream ${stream.name}`);
  return cursor;
}

function parseTimestamp(value: string): number {
  const ms = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw badParameter(`ts must be epoch milliseconds or an ISO 8601 time, got ${JSON.stringify(value.slice(0, 40))}`);
  return ms;
}

/** `(arrival, sequence number)` order; sequence numbers of one shard have one length, of others compare as numbers. */
function compare(a: { arrival: number; sequence: string }, b: { arrival: number; sequence: string }): number {
  if (a.arrival !== b.arrival) return a.arrival - b.arrival;
  if (a.sequence.length !== b.sequence.length) return a.sequence.length - b.sequence.length;
  return a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0;
}

/** `GET /api/v1/streams/{name}/records` */
export async function browseRecords(deps: ConsoleDeps, scope: ConsoleScope, name: string, url: URL) {
  const limit = integer(url, 'limit', 1, MAX_PAGE_RECORDS, DEFAULT_PAGE_RECORDS);
  const type = choice<IteratorType>(url, 'type', ITERATOR_TYPES, 'TRIM_HORIZON');
  const order = choice<Order>(url, 'order', ORDERS, 'oldest');
  const sequenceNumber = text(url, 'seq', 128);
  const timestamp = text(url, 'ts', 64);
  const shardParam = text(url, 'shard', 128);
  const cursorText = text(url, 'cursor', MAX_CURSOR_CHARS);
  const stream = await requireStream(deps, scope, name);
  const at = Date.now();
  const visible = visibleShards(stream, at);

  // Which shards: the one named, the one a sequence number encodes, else all.
  let shards = visible;
  let shardIndex = shardParam === undefined ? undefined : parseShardId(shardParam);
  if (shardParam !== undefined && shardIndex === undefined) throw badParameter(`shard must be a shard id such as shardId-000000000000, got ${JSON.stringify(shardParam)}`);
  if (shardIndex === undefined && sequenceNumber !== undefined && (type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER')) {
    const given = readSequenceNumber(sequenceNumber);
    if (!given) throw badParameter(`seq ${sequenceNumber} is not a sequence number`);
    shardIndex = given.shardIndex;
  }
  if (shardIndex !== undefined) {
    const shard = visible.find((s) => s.index === shardIndex);
    if (!shard) throw notFound(`stream ${stream.name} has no shard ${formatShardId(shardIndex)}`);
    shards = [shard];
  }

  let positions: Map<number, number>;
  if (cursorText !== undefined) {
    const cursor = decodeCursor(cursorText, stream);
    if (cursor.order !== order) throw badParameter(`cursor was given for order=${cursor.order}`);
    positions = new Map(Object.entries(cursor.positions).map(([shard, position]) => [Number(shard), position]));
    shards = visible.filter((s) => positions.has(s.index));
  } else {
    const start = {
      type,
      sequenceNumber,
      timestamp: timestamp === undefined ? undefined : parseTimestamp(timestamp),
    };
    if (shards.length > 1 && (type === 'AT_SEQUENCE_NUMBER' || type === 'AFTER_SEQUENCE_NUMBER') && sequenceNumber === undefined) {
      throw badParameter(`${type} needs seq`);
    }
    positions = new Map();
    for (const shard of shards) {
      const log = shardLogName(stream, shard);
      let position: number;
      if (order === 'newest' && (type === 'TRIM_HORIZON' || type === 'LATEST')) position = await deps.kinesis.store.records.tip(log);
      else {
        // The domain's checks and texts (GetShardIterator's), e.g. a sequence number of another stream.
        position = await resolveStartingPosition(deps.kinesis, stream, shard, start);
        if (order === 'newest' && type === 'AT_SEQUENCE_NUMBER') position += 1;
      }
      positions.set(shard.index, position);
    }
  }

  const budget = Math.max(MIN_SHARD_READ_BYTES, Math.floor(MAX_PAGE_BYTES / Math.max(1, shards.length)));
  const horizon = retentionHorizon(stream, at);
  const pages = await Promise.all(
    shards.map((shard) =>
      order === 'oldest'
        ? readForward(deps, stream, shard, positions.get(shard.index)!, limit, budget, horizon)
        : readBackward(deps, stream, shard, positions.get(shard.index)!, limit, budget, horizon),
    ),
  );

  // Merge; a shard whose page stopped short of what it holds bounds what may be taken from the others.
  type Entry = { page: ShardPage; i: number; arrival: number; sequence: string };
  const entries: Entry[] = [];
  let bound: Entry | undefined;
  const sign = order === 'oldest' ? 1 : -1;
  for (const page of pages) {
    page.records.forEach((record, i) => entries.push({ page, i, arrival: record.arrival, sequence: page.sequences[i] }));
    if (page.more && page.records.length > 0) {
      const last = { page, i: page.records.length - 1, arrival: page.records[page.records.length - 1].arrival, sequence: page.sequences[page.records.length - 1] };
      if (!bound || sign * compare(last, bound) < 0) bound = last;
    }
  }
  entries.sort((a, b) => sign * compare(a, b));
  const taken = entries.filter((entry) => !bound || sign * compare(entry, bound) <= 0).slice(0, limit);

  // Next positions: past what was taken; a shard that gave nothing moves past what it skipped.
  const next = new Map(positions);
  for (const page of pages) {
    if (page.records.length === 0 && !page.more) {
      next.set(page.shard.index, order === 'oldest' ? Math.max(positions.get(page.shard.index)!, await deps.kinesis.store.records.tip(shardLogName(stream, page.shard))) : 0);
    }
  }
  for (const entry of taken) {
    const index = entry.page.records[entry.i].index;
    const shard = entry.page.shard.index;
    next.set(shard, order === 'oldest' ? Math.max(next.get(shard)!, index + 1) : Math.min(next.get(shard)!, index));
  }
  const exhausted = order === 'newest' && [...next.values()].every((position) => position === 0);
  const records = await decryptRecords(deps.kinesis, taken.map((entry) => entry.page.records[entry.i]));
  return {
    stream: stream.name,
    order,
    records: records.map(
      (record, i): RecordView => ({
        shardId: formatShardId(taken[i].page.shard.index),
        sequenceNumber: taken[i].sequence,
        arrival: record.arrival,
        partitionKey: record.partitionKey,
        data: record.data.toString('base64'),
        size: record.data.length,
        encrypted: record.keyRef !== undefined,
        kpl: deaggregateKpl(record.data)?.map((sub, subSequenceNumber) => ({
          subSequenceNumber,
          partitionKey: sub.partitionKey,
          explicitHashKey: sub.explicitHashKey,
          data: sub.data.toString('base64'),
        })),
      }),
    ),
    /** Continue with `?cursor=` (same order); absent when newest-first has reached the oldest record. */
    cursor: exhausted ? undefined : encodeCursor({ stream: stream.id, order, positions: Object.fromEntries([...next].map(([k, v]) => [String(k), v])) }),
  };
}

async function readForward(deps: ConsoleDeps, stream: StreamMeta, shard: ShardMeta, from: number, limit: number, maxBytes: number, notBefore: number): Promise<ShardPage> {
  const result = await deps.kinesis.store.records.read(shardLogName(stream, shard), from, { limit, maxBytes, notBefore });
  const sequences = new ShardSequences(shard);
  return {
    shard,
    records: result.records,
    sequences: result.records.map((record) => sequences.format(record.index, record.arrival)),
    more: result.nextIndex < result.tipIndex,
  };
}

/** The newest records before `end`: a window that ends at `end`, narrowed while a byte limit cuts it short. */
async function readBackward(deps: ConsoleDeps, stream: StreamMeta, shard: ShardMeta, end: number, limit: number, maxBytes: number, notBefore: number): Promise<ShardPage> {
  const log = shardLogName(stream, shard);
  let count = Math.min(limit, end);
  let records: StoredRecord[] = [];
  while (count > 0) {
    const result = await deps.kinesis.store.records.read(log, end - count, { limit: count, maxBytes, notBefore });
    records = result.records.filter((record) => record.index < end);
    if (result.nextIndex >= end || count === 1 || records.length === 0) break;
    count = Math.max(1, Math.min(count - 1, records.length));
  }
  records.reverse();
  const sequences = new ShardSequences(shard);
  const oldest = records[records.length - 1];
  return {
    shard,
    records,
    sequences: records.map((record) => sequences.format(record.index, record.arrival)),
    // Older records may remain unless this page reaches the log's first retained record.
    more: oldest !== undefined && oldest.index > 0 && (await firstRetained(deps, log, notBefore)) < oldest.index,
  };
}

async function firstRetained(deps: ConsoleDeps, log: string, notBefore: number): Promise<number> {
  return deps.kinesis.store.records.indexAtTime(log, notBefore);
}
