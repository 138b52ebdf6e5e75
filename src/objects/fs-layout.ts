import { createHash } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';

/**
 * How the file object store names and writes its files (fs-objects.ts).
 *
 * A key becomes one file name in its bucket's directory: the key's UTF-8 bytes with every byte
 * outside [A-Za-z0-9._-] (and a leading `.`) written `%XX`. The name never holds a `/`, is never
 * `.` or `..` and never starts with `.`, so it cannot leave the bucket's directory nor meet the
 * store's own entries (`.bucket.json`, `.uploads/`, `.tmp-*`, `.trash-*`). A name longer than
 * MAX_ENCODED_NAME (a 1,024-byte key can need 3,072) becomes `~` and the key's SHA-256; the key
 * itself is in the file's trailer. File systems that fold case (macOS, Windows) would merge keys
 * that differ only in case; Millrace's embedded store targets Linux.
 */

/** ext4, XFS and btrfs take names of up to 255 bytes; the rest is headroom. */
const MAX_ENCODED_NAME = 240;
const HEX = Array.from({ length: 256 }, (_, b) => '%' + b.toString(16).toUpperCase().padStart(2, '0'));
const SAFE = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-') SAFE[c.charCodeAt(0)] = 1;

export function objectFileName(key: string): string {
  const bytes = Buffer.from(key, 'utf8');
  let name = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    name += SAFE[b] && !(i === 0 && b === 0x2e) ? String.fromCharCode(b) : HEX[b];
    if (name.length > MAX_ENCODED_NAME) return hashedName(key);
  }
  return name;
}

function hashedName(key: string): string {
  return '~' + createHash('sha256').update(key, 'utf8').digest('hex');
}

/** The key an encoded name stands for; undefined for hashed names (read the trailer) and foreign files. */
export function keyOfFileName(name: string): string | undefined {
  if (name.startsWith('~') || name.startsWith('.')) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x25) {
      const b = Number.parseInt(name.slice(i + 1, i + 3), 16);
      if (!/^[0-9A-F]{2}$/.test(name.slice(i + 1, i + 3))) return undefined;
      bytes.push(b);
      i += 2;
    } else if (c < 0x80 && SAFE[c]) bytes.push(c);
    else return undefined;
  }
  const key = Buffer.from(bytes).toString('utf8');
  // Only names this store wrote: the encoding of the decoded key must give the name back.
  return objectFileName(key) === name ? key : undefined;
}

export function isHashedName(name: string): boolean {
  return /^~[0-9a-f]{64}$/.test(name);
}

/**
 * Every object and part file is its data followed by a trailer: its description as JSON, the
 * JSON's length (uint32 big-endian) and TRAILER_MAGIC. One file means one fsync and one rename
 * commit data and metadata together: a reader sees the old version or the new one, never a mix.
 */
export const TRAILER_MAGIC = Buffer.from('MRO1');
export const FOOTER_BYTES = 8;

export function encodeTrailer(description: object): Buffer {
  const json = Buffer.from(JSON.stringify(description), 'utf8');
  const footer = Buffer.alloc(FOOTER_BYTES);
  footer.writeUInt32BE(json.length, 0);
  TRAILER_MAGIC.copy(footer, 4);
  return Buffer.concat([json, footer]);
}

/** How much of a file's end one read takes, so that most trailers need no second read. */
const TRAILER_READ_BYTES = 4096;

/** Reads the trailer of an open file: the description and where the data ends. */
export async function readTrailer<T>(handle: import('node:fs/promises').FileHandle): Promise<{ description: T; dataBytes: number }> {
  const { size } = await handle.stat();
  if (size < FOOTER_BYTES) throw new Error(`object file too short for its trailer (${size} bytes)`);
  const tailBytes = Math.min(size, TRAILER_READ_BYTES);
  let tail = Buffer.alloc(tailBytes);
  await readFully(handle, tail, size - tailBytes);
  if (!tail.subarray(tailBytes - 4).equals(TRAILER_MAGIC)) throw new Error('object file without its trailer');
  const jsonBytes = tail.readUInt32BE(tailBytes - FOOTER_BYTES);
  const dataBytes = size - FOOTER_BYTES - jsonBytes;
  if (dataBytes < 0) throw new Error('object file with a trailer longer than itself');
  if (jsonBytes + FOOTER_BYTES > tailBytes) {
    tail = Buffer.alloc(jsonBytes + FOOTER_BYTES);
    await readFully(handle, tail, dataBytes);
  }
  const json = tail.subarray(tail.length - FOOTER_BYTES - jsonBytes, tail.length - FOOTER_BYTES);
  return { description: JSON.parse(json.toString('utf8')) as T, dataBytes };
}

async function readFully(handle: import('node:fs/promises').FileHandle, into: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const { bytesRead } = await handle.read(into, done, into.length - done, position + done);
    if (bytesRead === 0) throw new Error('object file ended early');
    done += bytesRead;
  }
}

/** Writes a small file durably under its final name: temp file, fsync, rename (the caller fsyncs the directory). */
export async function writeFileDurably(path: string, temp: string, data: Buffer): Promise<void> {
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/** fsync of a directory: makes the renames and unlinks in it durable. */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Group commit for one directory's fsync: callers that arrive while one runs share the next one,
 * which starts after theirs renames are done, so no caller waits for more than two.
 */
export class DirectorySync {
  private running?: Promise<void>;
  private next?: Promise<void>;

  constructor(private readonly path: string) {}

  sync(): Promise<void> {
    if (!this.running) return this.start();
    this.next ??= this.running
      .catch(() => {})
      .then(() => {
        this.next = undefined;
        return this.start();
      });
    return this.next;
  }

  private start(): Promise<void> {
    const run: Promise<void> = syncDirectory(this.path).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }
}

/** One holder at a time per name; the others queue in arrival order. */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => held);
    this.tails.set(name, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(name) === tail) this.tails.delete(name);
    }
  }
}
