/**
 * Writing JSON text straight into a Buffer, for the few responses large enough that building a
 * string first costs more than the rest of the request: GetRecords and SubscribeToShard events
 * carry up to 10,000 records (codec.ts, JSON_BYTES).
 */

const BASE64_ALPHABET = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const PAD = 0x3d; // '='
/** The two base64 characters of each 12-bit value, as one little-endian 16-bit word. */
const BASE64_PAIRS = new Uint16Array(4096);
for (let i = 0; i < 4096; i++) BASE64_PAIRS[i] = BASE64_ALPHABET[i >> 6] | (BASE64_ALPHABET[i & 63] << 8);
/**
 * Below this size the loop below beats Node's encoder (which also makes a string to copy); above
 * it, Node's vectorised encoder wins.
 */
const NATIVE_BASE64_FROM = 1024;
/**
 * Bytes per slice of native encoding: whole 3-byte groups, 64 KiB of text. (Node makes strings of
 * about 1 MB and more external: outside V8's heap, freed only by a full collection.)
 */
const NATIVE_BASE64_SLICE = 3 * 16 * 1024;

export const base64Length = (bytes: number) => Math.ceil(bytes / 3) * 4;

/**
 * A Buffer of known size filled front to back. Byte-at-a-time stores cost about a nanosecond each
 * here, so pieces go in as whole arrays (`set`) or 32-bit words (base64) where they can.
 */
export class ByteWriter {
  private readonly out: Buffer;
  private readonly view: DataView;
  private at = 0;

  constructor(size: number) {
    this.out = Buffer.allocUnsafe(size);
    this.view = new DataView(this.out.buffer, this.out.byteOffset, this.out.byteLength);
  }

  byte(value: number): void {
    this.out[this.at++] = value;
  }

  bytes(bytes: Uint8Array): void {
    this.out.set(bytes, this.at);
    this.at += bytes.length;
  }

  /** A few bytes: below ~25 a loop is cheaper than `set`. */
  small(bytes: Uint8Array): void {
    const { out } = this;
    let at = this.at;
    for (let i = 0; i < bytes.length; i++) out[at++] = bytes[i];
    this.at = at;
  }

  /** A string known to be ASCII (checked by the caller). */
  ascii(text: string): void {
    const { out } = this;
    let at = this.at;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    this.at = at;
  }

  utf8(text: string): void {
    this.at += this.out.write(text, this.at, 'utf8');
  }

  /** `data` as padded base64. */
  base64(data: Uint8Array): void {
    const n = data.length;
    if (n >= NATIVE_BASE64_FROM) {
      const view = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      // In slices of whole 3-byte groups, which encode to exactly the text of the whole: each
      // slice's text is a small string on V8's heap, where one text of a megabyte record would
      // be an external string, and those drive full collections.
      for (let from = 0; from < n; from += NATIVE_BASE64_SLICE) {
        this.at += this.out.write(view.toString('base64', from, Math.min(n, from + NATIVE_BASE64_SLICE)), this.at, 'latin1');
      }
      return;
    }
    const { view: words, out } = this;
    let at = this.at;
    let i = 0;
    for (; i + 2 < n; i += 3) {
      const v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
      words.setUint32(at, BASE64_PAIRS[v >>> 12] | (BASE64_PAIRS[v & 4095] << 16), true);
      at += 4;
    }
    if (i < n) {
      const two = i + 1 < n;
      const v = (data[i] << 16) | (two ? data[i + 1] << 8 : 0);
      out[at] = BASE64_ALPHABET[v >>> 18];
      out[at + 1] = BASE64_ALPHABET[(v >>> 12) & 63];
      out[at + 2] = two ? BASE64_ALPHABET[(v >>> 6) & 63] : PAD;
      out[at + 3] = PAD;
      at += 4;
    }
    this.at = at;
  }

  /** The filled Buffer; a size measured wrong is an error, never truncated or padded output. */
  finish(): Buffer {
    if (this.at !== this.out.length) throw new Error(`wrote ${this.at} bytes into ${this.out.length}`);
    return this.out;
  }
}

/** Whether a string is printable ASCII without `"` or `\`: its JSON text is itself in quotes. */
export function isPlainJsonString(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}
