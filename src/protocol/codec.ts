import { isAscii } from 'node:buffer';
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
 * encoder takes `[JSON_BYTES](before, after)` as the UTF-8 text of the value with the text of the
 * rest of the response around it (one Buffer, no copy of megabytes into another), the CBOR encoder
 * encodes `[PLAIN_VALUE]()`.
 */
export const JSON_BYTES = Symbol('json bytes');
export const PLAIN_VALUE = Symbol('plain value');
export interface SelfEncoding {
  [JSON_BYTES](before: string, after: string): Buffer;
  [PLAIN_VALUE](): unknown;
}
const isSelfEncoding = (value: object): value is SelfEncoding => JSON_BYTES in value;

/**
 * A whole JSON answer that is short ASCII text (PutRecord's) may also give it as a string,
 * `[JSON_TEXT]()`: the pipeline sends it with the response head as one string (no Buffer made for
 * the body, one chunk for the socket instead of two).
 */
export const JSON_TEXT = Symbol('json text');
export interface SelfEncodingText extends SelfEncoding {
  [JSON_TEXT](): string;
}
/** The answer's JSON as ASCII text, when the value gives it so; undefined otherwise. */
export function jsonText(value: unknown): string | undefined {
  return typeof value === 'object' && value !== null && JSON_TEXT in value ? (value as SelfEncodingText)[JSON_TEXT]() : undefined;
}

export function decodeBody(encoding: Encoding, body: Buffer): unknown {
  if (encoding === 'json') return decodeJson(body);
  return cborDecoder.decode(body);
}

/** Bodies from this size on are looked at for long string literals (records of up to 10 MiB). */
const LARGE_BODY_BYTES = 256 * 1024;
/** String literals from this size on are taken out of the text JSON.parse scans. */
const LONG_LITERAL_BYTES = 64 * 1024;

/**
 * JSON request bodies. A large body is nearly all one or a few base64 literals (a PutRecord of
 * 1 MiB): decoding the whole body to UTF-16 and having JSON.parse scan every character cost more
 * than the rest of the request. When the body holds no backslash, every quote opens or closes a
 * literal, so long literals are found with a byte search, cut out of the text JSON.parse sees
 * (each replaced by "\u0000n", which no string of such a body can otherwise contain), and put back
 * as strings read straight from the bytes.
 */
function decodeJson(body: Buffer): unknown {
  const long = body.length >= LARGE_BODY_BYTES && body.indexOf(0x5c) === -1 ? longLiterals(body) : [];
  if (long.length === 0) return JSON.parse(body.toString('utf8'));
  let text = '';
  let from = 0;
  for (let i = 0; i < long.length; i++) {
    text += body.toString('utf8', from, long[i][0]) + '\\u0000' + i;
    from = long[i][1];
  }
  text += body.toString('utf8', from);
  const parsed = JSON.parse(text) as unknown;
  const literals = long.map(([start, end]) => {
    const bytes = body.subarray(start, end);
    return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  });
  const restored = restoreLiterals(parsed, literals);
  // A long literal used as an object key: rare enough for the plain way.
  return restored === UNRESTORABLE ? JSON.parse(body.toString('utf8')) : restored;
}

/** [start, end) of the contents of every literal of at least LONG_LITERAL_BYTES; the body has no backslash. */
function longLiterals(body: Buffer): [number, number][] {
  const found: [number, number][] = [];
  let open = body.indexOf(0x22);
  while (open !== -1) {
    const close = body.indexOf(0x22, open + 1);
    if (close === -1) break; // unterminated: JSON.parse reports it
    if (close - open - 1 >= LONG_LITERAL_BYTES) found.push([open + 1, close]);
    open = body.indexOf(0x22, close + 1);
  }
  return found;
}

const UNRESTORABLE = Symbol('unrestorable');

/** Puts the long literals back where their placeholders are, in place. */
function restoreLiterals(value: unknown, literals: string[]): unknown {
  if (typeof value === 'string') return value.charCodeAt(0) === 0 ? literals[Number(value.slice(1))] : value;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const restored = restoreLiterals(value[i], literals);
      if (restored === UNRESTORABLE) return UNRESTORABLE;
      if (restored !== value[i]) value[i] = restored;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    if (key.charCodeAt(0) === 0) return UNRESTORABLE;
    const restored = restoreLiterals(record[key], literals);
    if (restored === UNRESTORABLE) return UNRESTORABLE;
    if (restored !== record[key]) record[key] = restored;
  }
  return record;
}

export function encodeBody(encoding: Encoding, value: unknown): Buffer {
  if (encoding === 'json') return jsonBytes(value);
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
 * Values that hold self-encoding members are written piece by piece around those members' bytes.
 */
function jsonBytes(value: unknown): Buffer {
  // A whole answer that writes itself (PutRecord's).
  if (typeof value === 'object' && value !== null && isSelfEncoding(value)) return value[JSON_BYTES]('', '');
  const plain = jsonReady(value);
  if (plain !== NOT_READY) return Buffer.from(JSON.stringify(plain) ?? 'null', 'utf8');
  const out = new JsonPieces();
  writeJson(value, out);
  return out.finish();
}

/** JSON text as it is written: text, and the self-encoding values between, encoded at the end. */
class JsonPieces {
  private readonly texts: string[] = [''];
  private readonly values: SelfEncoding[] = [];

  add(text: string): void {
    this.texts[this.texts.length - 1] += text;
  }

  addValue(value: SelfEncoding): void {
    this.values.push(value);
    this.texts.push('');
  }

  finish(): Buffer {
    const { texts, values } = this;
    // The usual case (a GetRecords answer, an event): one value writes the whole text.
    if (values.length === 1) return values[0][JSON_BYTES](texts[0], texts[1]);
    if (values.length === 0) return Buffer.from(texts[0], 'utf8');
    return Buffer.concat(values.map((value, i) => value[JSON_BYTES](i === 0 ? texts[0] : '', texts[i + 1])));
  }
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

function writeJson(value: unknown, out: JsonPieces): void {
  const plain = jsonReady(value);
  if (plain !== NOT_READY) return out.add(JSON.stringify(plain) ?? 'null');
  if (typeof value === 'bigint') return out.add(value.toString());
  if (isSelfEncoding(value as object)) return out.addValue(value as SelfEncoding);
  if (Array.isArray(value)) {
    out.add('[');
    for (let i = 0; i < value.length; i++) {
      if (i) out.add(',');
      writeJson(value[i], out);
    }
    return out.add(']');
  }
  let first = true;
  out.add('{');
  for (const key in value as Record<string, unknown>) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    out.add((first ? '' : ',') + JSON.stringify(key) + ':');
    writeJson(member, out);
    first = false;
  }
  out.add('}');
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
