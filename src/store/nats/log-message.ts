import { encodeBatch, readRecords } from '../record-encoding.js';
import type { NewRecord, StoredRecord } from '../store.js';

/**
 * One JetStream message of a shard log. A message is a group commit: every record of the
 * appends a node combined, with one arrival time. Two markers without records complete the log:
 * OPEN is the first message of every log (so that every later publish can state the sequence it
 * expects to follow, JetStream not checking an expected sequence of 0 on older servers), SEAL
 * ends it (a log is sealed exactly when its last message is a SEAL marker; see nats-record-log).
 *
 * Layout: kind (u8) | arrival ms (f64) | record count (u32) | the records (record-encoding.ts).
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

export const MESSAGE_OVERHEAD = MESSAGE_HEADER;

export function encodeMessage(message: LogMessage): Buffer {
  const out = encodeBatch(MESSAGE_HEADER, message.records);
  out.writeUInt8(message.kind, 0);
  out.writeDoubleBE(message.arrival, 1);
  out.writeUInt32BE(message.records.length, 9);
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
  // Copied: the payload's memory belongs to the NATS client.
  return readRecords(view, MESSAGE_HEADER, view.readUInt32BE(9), firstIndex, view.readDoubleBE(1), true);
}
