import { CloudWatchError } from '../errors.js';
import { CLOUDWATCH_MODEL, shape, XML_NAMESPACE, type CwShape } from './model.js';

/**
 * Operation results in each protocol. Results are plain objects with timestamps as Dates:
 * JSON 1.0 writes epoch seconds, RPC v2 CBOR tag 1 with a float64 of seconds (as AWS answers and
 * the Java SDK expects, CONSOLE-SPEC §2.4.1), the query protocol XML with ISO 8601 text.
 */

export function jsonOf(value: unknown): string {
  return JSON.stringify(value, function (key, v) {
    const raw = (this as Record<string, unknown>)[key];
    if (raw instanceof Date) return raw.getTime() / 1000;
    return v;
  });
}

export function jsonError(error: CloudWatchError): string {
  return JSON.stringify({ __type: `com.amazonaws.cloudwatch#${error.shape}`, message: error.message });
}

/** `x-amzn-query-error`: the query code and fault side, for SDKs of an awsQueryCompatible service. */
export const queryErrorHeader = (error: CloudWatchError) => `${error.code};${error.sender ? 'Sender' : 'Receiver'}`;

/**
 * A minimal CBOR encoder for RPC v2 responses (maps, arrays, text, numbers, booleans, Dates). The
 * project's cbor-x encoder writes integral numbers as integers, and RPC v2 timestamps must be
 * tag 1 over a float64 whatever their value: the Java SDK refuses an integer there.
 */
export function cborOf(value: unknown): Buffer {
  const out: number[] = [];
  writeCbor(out, value);
  return Buffer.from(out);
}

function head(out: number[], major: number, n: number): void {
  if (n < 24) out.push((major << 5) | n);
  else if (n < 0x100) out.push((major << 5) | 24, n);
  else if (n < 0x10000) out.push((major << 5) | 25, n >> 8, n & 0xff);
  else if (n < 0x100000000) out.push((major << 5) | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
  else {
    const big = BigInt(n);
    out.push((major << 5) | 27);
    for (let shift = 56n; shift >= 0n; shift -= 8n) out.push(Number((big >> shift) & 0xffn));
  }
}

function float64(out: number[], n: number): void {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleBE(n);
  out.push(0xfb, ...bytes);
}

function writeCbor(out: number[], value: unknown): void {
  if (value === null || value === undefined) out.push(0xf6);
  else if (value === true) out.push(0xf5);
  else if (value === false) out.push(0xf4);
  else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) head(out, value >= 0 ? 0 : 1, value >= 0 ? value : -1 - value);
    else float64(out, value);
  } else if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    head(out, 3, bytes.length);
    for (const b of bytes) out.push(b);
  } else if (value instanceof Date) {
    out.push(0xc1); // tag 1
    float64(out, value.getTime() / 1000);
  } else if (Buffer.isBuffer(value)) {
    head(out, 2, value.length);
    for (const b of value) out.push(b);
  } else if (Array.isArray(value)) {
    head(out, 4, value.length);
    for (const item of value) writeCbor(out, item);
  } else if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    head(out, 5, entries.length);
    for (const [key, item] of entries) {
      writeCbor(out, key);
      writeCbor(out, item);
    }
  }
}

export function cborError(error: CloudWatchError): Buffer {
  return cborOf({ __type: `com.amazonaws.cloudwatch#${error.shape}`, message: error.message });
}

const escapeXml = (text: string) => text.replace(/[<>&'"\r]/g, (c) => `&#${c.charCodeAt(0)};`);

/** `<{Op}Response><{Op}Result>…</{Op}Result><ResponseMetadata>…` by the output shape. */
export function xmlOf(operation: string, value: Record<string, unknown> | undefined, requestId: string): string {
  const output = CLOUDWATCH_MODEL.operations[operation].output;
  let body = '';
  if (output && value) {
    const wrapper = output.resultWrapper ?? `${operation}Result`;
    body = `<${wrapper}>${xmlMembers(shape(output.shape), value)}</${wrapper}>`;
  }
  return `<${operation}Response xmlns="${XML_NAMESPACE}">${body}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>\n`;
}

function xmlMembers(s: CwShape, value: Record<string, unknown>): string {
  let text = '';
  const names = s.xmlOrder ?? Object.keys(s.members ?? {});
  for (const name of names) {
    const ref = s.members?.[name];
    const member = value[name];
    if (!ref || member === undefined || member === null) continue;
    const tag = ref.xmlName ?? name;
    text += `<${tag}>${xmlValue(shape(ref.shape), member)}</${tag}>`;
  }
  return text;
}

function xmlValue(s: CwShape, value: unknown): string {
  switch (s.type) {
    case 'structure':
      return xmlMembers(s, value as Record<string, unknown>);
    case 'list':
      return (value as unknown[]).map((item) => `<member>${xmlValue(shape(s.member!.shape), item)}</member>`).join('');
    case 'map':
      return Object.entries(value as Record<string, unknown>)
        .map(([k, v]) => `<entry><key>${escapeXml(k)}</key><value>${xmlValue(shape(s.value!.shape), v)}</value></entry>`)
        .join('');
    case 'timestamp':
      return (value as Date).toISOString();
    default:
      return escapeXml(String(value));
  }
}

export function xmlError(error: CloudWatchError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${XML_NAMESPACE}"><Error><Type>${error.sender ? 'Sender' : 'Receiver'}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>\n`
  );
}
