import type { NewRecord, StoredRecord } from '../store.js';

/**
 * One JetStream message of a shard log. A message is a group commit: every record of the
 * appends a node combined, with one arrival time. Two markers without records complete the log:
 * OPEN is the first message of every log (so that every later publish can state the sequence it
 * expects to follow, JetStream not checking an expected sequence of 0 on older servers), SEAL
 * ends it (a log is sealed exactly when its last message is a SEAL marker; see nats-record-log).
 *
 * Layout: kind (u8) | arrival ms (f64) | record count (u32) | per record: partition key length
 * (u16) | key ref length (u8) | data length (u32) | partition key | key ref | data.
 */
export const enum MessageKind {
  Records = 0,
  Open = 1,
  Seal = 2,
}

export interface LogMessage {
  kind: MessageKind;
  /** Records: their arrival. Seal: the arrival of the last record before it (0 if none). */
  arrival: number;
  records: NewRecord[];
}

const MESSAGE_HEADER = 13;
const RECORD_HEADER = 7;

/** Bytes a record takes in a message, to keep messages under the server's max_payload. */
export const encodedRecordSize = (record: NewRecord) =>
  RECORD_HEADER + Buffer.byteLength(record.partitionKey) + (record.keyRef ? Buffer.byteLength(record.keyRef) : 0) + record.data.length;

export const MESSAGE_OVERHEAD = MESSAGE_HEADER;

export function encodeMessage(message: LogMessage): Buffer {
  let size = MESSAGE_HEADER;
  for (const record of message.records) size += encodedRecordSize(record);
  const out = Buffer.allocUnsafe(size);
  out.writeUInt8(message.kind, 0);
  out.writeDoubleBE(message.arrival, 1);
  out.writeUInt32BE(message.records.length, 9);
  let at = MESSAGE_HEADER;
  for (const record of message.records) {
    const pkLength = Buffer.byteLength(record.partitionKey);
    const refLength = record.keyRef ? Buffer.byteLength(record.keyRef) : 0;
    out.writeUInt16BE(pkLength, at);
    out.writeUInt8(refLength, at + 2);
    out.writeUInt32BE(record.data.length, at + 3);
    at += RECORD_HEADER;
    at += out.write(record.partitionKey, at, 'utf8');
    if (record.keyRef) at += out.write(record.keyRef, at, 'utf8');
    at += record.data.copy(out, at);
  }
  return out;
}

/** Header fields only (kind and arrival), without copying records. */
export function peekMessage(payload: Uint8Array): { kind: MessageKind; arrival: number } {
  const view = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  return { kind: view.readUInt8(0) as MessageKind, arrival: view.readDoubleBE(1) };
}

/** The records of a message stored at JetStream sequence `seq`, with their log indexes. */
export function decodeRecords(payload: Uint8Array, firstIndex: number): StoredRecord[] {
  const view = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const arrival = view.readDoubleBE(1);
  const count = view.readUInt32BE(9);
  const records: StoredRecord[] = [];
  let at = MESSAGE_HEADER;
  for (let i = 0; i < count; i++) {
    const pkLength = view.readUInt16BE(at);
    const refLength = view.readUInt8(at + 2);
    const dataLength = view.readUInt32BE(at + 3);
    at += RECORD_HEADER;
    const record: StoredRecord = {
      index: firstIndex + i,
      arrival,
      partitionKey: view.toString('utf8', at, at + pkLength),
      data: Buffer.from(view.subarray(at + pkLength + refLength, at + pkLength + refLength + dataLength)),
    };
    if (refLength) record.keyRef = view.toString('utf8', at + pkLength, at + pkLength + refLength);
    at += pkLength + refLength + dataLength;
    records.push(record);
  }
  return records;
}
