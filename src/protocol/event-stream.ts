import { EventStreamCodec, type MessageHeaders } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { CONTENT_TYPE, encodeBody, type Encoding } from './codec.js';

/**
 * AWS binary event-stream messages (KINESIS-SPEC §6.2): prelude, string headers, payload, CRCs.
 * Payloads follow the request's encoding — JSON clients get JSON, CBOR clients CBOR (§6.2).
 */
export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** The JSON content type AWS puts on event and exception frames (§6.2). */
const EVENT_CONTENT_TYPE: Record<Encoding, string> = { json: 'application/json', cbor: CONTENT_TYPE.cbor };

function frame(headers: Record<string, string>, body: Uint8Array): Buffer {
  const typed: MessageHeaders = {};
  for (const [name, value] of Object.entries(headers)) typed[name] = { type: 'string', value };
  const bytes = codec.encode({ headers: typed, body });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The mandatory first message (§6.2, vectors in A.3). JSON clients get `{}` with a content type,
 * as botocore and the JS SDK parse it; CBOR (Java SDK) clients get the empty payload the Java
 * SDK's own tests build.
 */
export function initialResponseFrame(encoding: Encoding): Buffer {
  if (encoding === 'cbor') return frame({ ':message-type': 'event', ':event-type': 'initial-response' }, new Uint8Array(0));
  return frame(
    { ':message-type': 'event', ':event-type': 'initial-response', ':content-type': EVENT_CONTENT_TYPE.json },
    Buffer.from('{}'),
  );
}

/** A modeled event, e.g. `SubscribeToShardEvent`, its members serialized in the request's encoding. */
export function eventFrame(encoding: Encoding, eventType: string, event: unknown): Buffer {
  return frame(
    { ':message-type': 'event', ':event-type': eventType, ':content-type': EVENT_CONTENT_TYPE[encoding] },
    encodeBody(encoding, event),
  );
}

/** A modeled exception ending the stream, e.g. `ResourceNotFoundException` (§6.2, §6.4). */
export function exceptionFrame(encoding: Encoding, exceptionType: string, message: string): Buffer {
  return frame(
    { ':message-type': 'exception', ':exception-type': exceptionType, ':content-type': EVENT_CONTENT_TYPE[encoding] },
    encodeBody(encoding, { message }),
  );
}

/** Decodes one message; used by tests and tools that read what the server wrote. */
export function decodeFrame(bytes: Uint8Array): { headers: Record<string, string>; body: Buffer } {
  const message = codec.decode(bytes);
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(message.headers)) headers[name] = String(header.value);
  return { headers, body: Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength) };
}

/** Splits a byte stream into whole messages by their total-length prelude; returns the remainder. */
export function splitFrames(buffer: Buffer): { frames: Buffer[]; rest: Buffer } {
  const frames: Buffer[] = [];
  let offset = 0;
  while (buffer.length - offset >= 4) {
    const total = buffer.readUInt32BE(offset);
    if (buffer.length - offset < total) break;
    frames.push(buffer.subarray(offset, offset + total));
    offset += total;
  }
  return { frames, rest: buffer.subarray(offset) };
}
