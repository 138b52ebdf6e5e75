/**
 * The decode chain of CONSOLE-SPEC §1.3.1, first match wins: KPL aggregate (the server de-aggregates
 * it: MD5 is not in the browser's crypto), gzip / zlib (DecompressionStream, then the chain
 * again), JSON, UTF-8 text, else hex. The user may force a view; the choice is kept per stream in
 * this browser only.
 */

export type Decoded =
  | { kind: 'json'; value: unknown; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'hex'; bytes: Uint8Array }
  | { kind: 'gzip' | 'zlib'; inner: Decoded; bytes: Uint8Array };

export const VIEWS = ['auto', 'json', 'text', 'hex'] as const;
export type View = (typeof VIEWS)[number];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Text when the bytes are UTF-8 with few control characters (tabs and newlines allowed). */
export function asText(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  let control = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 9 && c !== 10 && c !== 13) control++;
  }
  return control <= text.length / 100 ? text : undefined;
}

export function asJson(text: string): { value: unknown } | undefined {
  const trimmed = text.trim();
  if (!/^[[{"\-\d]|^(true|false|null)$/.test(trimmed)) return undefined;
  try {
    return { value: JSON.parse(trimmed) };
  } catch {
    return undefined;
  }
}

async function inflate(bytes: Uint8Array, format: 'gzip' | 'deflate'): Promise<Uint8Array | undefined> {
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream(format));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch {
    return undefined;
  }
}

/** Decodes synchronously where it can (the table's previews); compressed payloads need `decode`. */
export function decodeSync(bytes: Uint8Array, view: View = 'auto'): Decoded {
  if (view === 'hex') return { kind: 'hex', bytes };
  const text = asText(bytes);
  if (view === 'text') return text === undefined ? { kind: 'hex', bytes } : { kind: 'text', text };
  if (text !== undefined) {
    const json = asJson(text);
    if (json) return { kind: 'json', value: json.value, text };
    if (view === 'json') return { kind: 'text', text };
    return { kind: 'text', text };
  }
  return { kind: 'hex', bytes };
}

export async function decode(bytes: Uint8Array, view: View = 'auto', depth = 0): Promise<Decoded> {
  if (view === 'auto' && depth < 3) {
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      const inner = await inflate(bytes, 'gzip');
      if (inner) return { kind: 'gzip', inner: await decode(inner, view, depth + 1), bytes };
    }
    if (bytes[0] === 0x78 && (bytes[1] === 0x01 || bytes[1] === 0x9c || bytes[1] === 0xda)) {
      const inner = await inflate(bytes, 'deflate');
      if (inner) return { kind: 'zlib', inner: await decode(inner, view, depth + 1), bytes };
    }
  }
  return decodeSync(bytes, view);
}

/** A one-line preview for tables. */
export function preview(bytes: Uint8Array, max = 120): string {
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) return `gzip · ${bytes.length} bytes`;
  const decoded = decodeSync(bytes);
  if (decoded.kind === 'json' || decoded.kind === 'text') return decoded.text.replace(/\s+/g, ' ').slice(0, max);
  return Array.from(bytes.subarray(0, 24), (b) => b.toString(16).padStart(2, '0')).join(' ') + (bytes.length > 24 ? ' …' : '');
}
