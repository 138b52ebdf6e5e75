import { Decoder, Encoder, Tag, addExtension } from 'cbor-x';

/**
 * Body codecs of the awsJson1_1 protocol and its CBOR twin (KINESIS-SPEC §1.3).
 * Decoded values are plain objects with Buffers for blobs; CBOR timestamps arrive as Dates.
 * Encoded values may hold Buffers (blobs) and Dates (timestamps): JSON writes base64 and decimal
 * epoch seconds, CBOR writes byte strings and tag 1 with integer epoch milliseconds.
 */
export type Encoding = 'json' | 'cbor';

export const CONTENT_TYPE: Record<Encoding, string> = {
  json: 'application/x-amz-json-1.1',
  cbor: 'application/x-amz-cbor-1.1',
};

// AWS's CBOR dialect puts integer epoch *milliseconds* in tag 1 (§1.3, A.2). RFC 8949 encoders
// (e.g. Python's cbor2) send seconds there, as an integer or a float, so anything below 1e11 — in
// milliseconds a date before March 1973 — is read as seconds.
const SECONDS_BELOW = 1e11;
addExtension({
  // Decode only: Dates are encoded through toCborValue below, because cbor-x writes Dates itself.
  Class: class CborTimestamp {},
  encode: () => Buffer.alloc(0),
  tag: 1,
  decode(value: unknown) {
    const n = typeof value === 'bigint' ? Number(value) : Number(value);
    const ms = Math.abs(n) < SECONDS_BELOW ? Math.round(n * 1000) : Math.round(n);
    return new Date(ms);
  },
});

const cborDecoder = new Decoder({ useRecords: false, mapsAsObjects: true });
const cborEncoder = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true });

/**
 * Values on hot paths (thousands of records in one response) may encode themselves: the JSON
 * encoder takes `[JSON_TEXT]()` as the value's text, the CBOR encoder encodes `[PLAIN_VALUE]()`.
 */
export const JSON_TEXT = Symbol('json text');
export const PLAIN_VALUE = Symbol('plain value');
export interface SelfEncoding {
  [JSON_TEXT](): string;
  [PLAIN_VALUE](): unknown;
}
const isSelfEncoding = (value: object): value is SelfEncoding => JSON_TEXT in value;

export function decodeBody(encoding: Encoding, body: Buffer): unknown {
  if (encoding === 'json') return JSON.parse(body.toString('utf8'));
  return cborDecoder.decode(body);
}

export function encodeBody(encoding: Encoding, value: unknown): Buffer {
  if (encoding === 'json') return Buffer.from(jsonText(value), 'utf8');
  return cborEncoder.encode(toCborValue(value));
}

/** Epoch seconds with millisecond precision, never in exponent notation (§1.3 JSON details). */
export function epochSeconds(date: Date): number {
  return Math.round(date.getTime()) / 1000;
}

/**
 * JSON text of a result. V8's own JSON.stringify is several times faster than building the text
 * here, but writes Buffers and Dates its own way: values holding those are first copied with
 * blobs as base64 strings and timestamps as epoch seconds (the rest is shared, not copied).
 */
function jsonText(value: unknown): string {
  const plain = jsonReady(value);
  return plain === NOT_READY ? toJson(value) : (JSON.stringify(plain) ?? 'null');
}

/** Returned by jsonReady for what JSON.stringify cannot write (bigints). */
const NOT_READY = Symbol('not ready');

function jsonReady(value: unknown): unknown {
  if (typeof value === 'bigint') return NOT_READY;
  if (typeof value !== 'object' || value === null) return value;
  if (isSelfEncoding(value)) return NOT_READY;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Date) return epochSeconds(value);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const member = value[i];
      const ready = jsonReady(member);
      if (ready === NOT_READY) return NOT_READY;
      if (ready !== member) (copy ??= value.slice())[i] = ready;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key in value as Record<string, unknown>) {
    const member = (value as Record<string, unknown>)[key];
    const ready = jsonReady(member);
    if (ready === NOT_READY) return NOT_READY;
    if (ready === member) continue;
    copy ??= { ...(value as Record<string, unknown>) };
    // A member named __proto__ (a tag key) must stay a member, not become the prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: ready, enumerable: true, writable: true, configurable: true });
    else copy[key] = ready;
  }
  return copy ?? value;
}

function toJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
  }
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    return '"' + Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') + '"';
  }
  if (value instanceof Date) return String(epochSeconds(value));
  if (isSelfEncoding(value)) return value[JSON_TEXT]();
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + jsonText(value[i]);
    return out + ']';
  }
  let out = '{';
  let first = true;
  for (const key in value as Record<string, unknown>) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + jsonText(member);
    first = false;
  }
  return out + '}';
}

const UINT32_MAX = 0xffffffff;

function toCborValue(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'number') {
    // cbor-x writes integers beyond 32 bits as doubles; Java's CBOR reader wants integers.
    return Number.isInteger(value) && Math.abs(value) > UINT32_MAX ? BigInt(value) : value;
  }
  if (typeof value !== 'object') return value;
  if (value instanceof Date) return new Tag(BigInt(Math.round(value.getTime())), 1);
  if (isSelfEncoding(value)) return toCborValue(value[PLAIN_VALUE]());
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toCborValue);
  const out: Record<string, unknown> = {};
  for (const key in value as Record<string, unknown>) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) out[key] = toCborValue(member);
  }
  return out;
}
