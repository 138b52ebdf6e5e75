import { claimHeadroom } from '../model/blob-headroom.js';
import type { NewRecord, StoredRecord } from './store.js';

/**
 * How a batch's records are laid out in bytes, shared by the stores that keep a batch as one
 * value: LMDB chunks (lmdb-store.ts) and JetStream messages (nats/log-message.ts). Each record is
 *   partition key length (u16) | key ref length (u8) | data length (u32) | partition key (UTF-8) |
 *   key ref (UTF-8) | data
 * and follows the store's own header (arrival time, record count).
 */
const RECORD_HEADER = 7;

/** Bytes a record takes. */
export const encodedRecordSize = (record: NewRecord) =>
  RECORD_HEADER + Buffer.byteLength(record.partitionKey) + (record.keyRef ? Buffer.byteLength(record.keyRef) : 0) + record.data.length;

/**
 * A buffer of a store's own header (`headerBytes`, left for the caller to fill) followed by
 * `records`. A lone record whose data was decoded with headroom (model/blob-headroom.ts) is framed
 * in place, in front of its data, instead of being copied.
 */
export function encodeBatch(headerBytes: number, records: readonly NewRecord[]): Buffer {
  let size = headerBytes;
  for (const record of records) size += encodedRecordSize(record);
  if (records.length === 1) {
    const inPlace = claimHeadroom(records[0].data, size - records[0].data.length);
    if (inPlace) {
      writeRecordHead(inPlace, headerBytes, records[0]);
      return inPlace;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let at = headerBytes;
  for (const record of records) {
    at = writeRecordHead(out, at, record);
    at += record.data.copy(out, at);
  }
  return out;
}

/** Writes a record's lengths and keys at `at`; returns where its data goes. */
function writeRecordHead(out: Buffer, at: number, record: NewRecord): number {
  const keyLength = out.write(record.partitionKey, at + RECORD_HEADER, 'utf8');
  const keyRefLength = record.keyRef ? out.write(record.keyRef, at + RECORD_HEADER + keyLength, 'utf8') : 0;
  out.writeUInt16BE(keyLength, at);
  out.writeUInt8(keyRefLength, at + 2);
  out.writeUInt32BE(record.data.length, at + 3);
  return at + RECORD_HEADER + keyLength + keyRefLength;
}

/**
 * Reads `count` records from `source` at `at`; the first gets log index `first`, all get `arrival`.
 * Data are views into `source` unless `copy` (a source whose memory is reused later).
 */
export function readRecords(source: Buffer, at: number, count: number, first: number, arrival: number, copy: boolean): StoredRecord[] {
  const records = new Array<StoredRecord>(count);
  for (let i = 0; i < count; i++) {
    const keyLength = source.readUInt16BE(at);
    const keyRefLength = source.readUInt8(at + 2);
    const dataLength = source.readUInt32BE(at + 3);
    at += RECORD_HEADER;
    const partitionKey = source.toString('utf8', at, at + keyLength);
    at += keyLength;
    const keyRef = keyRefLength ? source.toString('utf8', at, at + keyRefLength) : undefined;
    at += keyRefLength;
    const view = source.subarray(at, at + dataLength);
    at += dataLength;
    const record: StoredRecord = { index: first + i, arrival, partitionKey, data: copy ? Buffer.from(view) : view };
    if (keyRef !== undefined) record.keyRef = keyRef;
    records[i] = record;
  }
  return records;
}
