/**
 * Object bodies by CompressionFormat (FIREHOSE-SPEC §9): the bytes, the default key extension and
 * the S3 Content-Encoding AWS sets. Records arrive already framed (delimiters included) as chunks.
 *
 * Deflate (GZIP, ZIP) runs on libuv's thread pool (node:zlib), in segments compressed side by side
 * the way pigz does: each segment primed with the previous 32 KiB and ended on a byte boundary, so
 * the segments join into ONE deflate stream (one gzip member, one zip entry). The Snappy framings
 * run on the calling thread in slices, yielding to the event loop between them, so a 128 MiB
 * object never stalls request handling for long.
 */
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { Zip, ZipPassThrough, unzipSync } from 'fflate';
import { SnappyJavaWriter, HadoopSnappyWriter, unframeSnappyJava, unframeHadoopSnappy } from './snappy-framing.js';

export type CompressionFormat = 'UNCOMPRESSED' | 'GZIP' | 'ZIP' | 'Snappy' | 'HADOOP_SNAPPY';

export const COMPRESSION_FORMATS: readonly CompressionFormat[] = ['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'];

/**
 * §9: key extension and Content-Encoding per format, as observed (floci#2328). HADOOP_SNAPPY gets
 * `.snappy` as observed, not the documented `.hsnappy`. A FileExtension replaces the extension;
 * that is the caller's business.
 */
export const COMPRESSION_METADATA: Record<CompressionFormat, { extension: string; contentEncoding?: string }> = {
  UNCOMPRESSED: { extension: '' },
  GZIP: { extension: '.gz', contentEncoding: 'gzip' },
  ZIP: { extension: '.zip', contentEncoding: 'zip' },
  Snappy: { extension: '.snappy', contentEncoding: 'snappy-java' },
  HADOOP_SNAPPY: { extension: '.snappy', contentEncoding: 'hadoop-snappy' },
};

/**
 * Deflate level for GZIP and ZIP. AWS's is UNVERIFIED, and its bytes cannot be reproduced anyway:
 * deflate output differs between zlib builds at the same level (Node's zlib and the JDK's already
 * differ at level 6). Level 4 is chosen for the delivery throughput target (§ Performance of the
 * issue, ≥ 80 MB/s GZIP): on JSON lines zlib's level 6 (Java's default) costs about three times
 * the CPU of level 4 for objects ~13 % smaller (bench/firehose-compression.ts). Callers may pass
 * `deflateLevel` (e.g. 6) to trade speed for size.
 */
export const DEFLATE_LEVEL = 4;

/**
 * Byte 9 (OS) of the gzip header. zlib writes 3 (Unix); Java's GZIPOutputStream, which a Java
 * service like Firehose most likely uses, writes 255 ("unknown") since JDK 16. UNVERIFIED.
 */
export const GZIP_HEADER_OS = 255;

/** Bytes handled on the event loop between two yields (Snappy framings). */
const SLICE_BYTES = 4 * 1024 * 1024;

/** Input bytes per deflate segment; a segment restarts Huffman tables, so not too small. */
export const DEFLATE_SEGMENT_BYTES = 4 * 1024 * 1024;
/** Deflate segments in flight at once: the cores, at most 2, leaving libuv threads for file I/O. */
const DEFLATE_PARALLELISM = Math.max(1, Math.min(2, availableParallelism()));
/** Deflate's window: a segment is primed with this much of the input before it. */
const DEFLATE_WINDOW_BYTES = 32 * 1024;

const deflateRaw = promisify(zlib.deflateRaw);
const gunzip = promisify(zlib.gunzip);

/** zlib.crc32 is native from Node 20.15 / 22.2; earlier Node 20 releases get a table-driven one. */
const crc32: (data: Uint8Array) => number = typeof zlib.crc32 === 'function' ? (data) => zlib.crc32(data) : tableCrc32;

let crcTable: Uint32Array | undefined;
function tableCrc32(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = crcTable[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** For tests: the fallback CRC-32 must agree with zlib's. */
export const fallbackCrc32ForTests = tableCrc32;

export interface CompressOptions {
  /** ZIP: name of the one entry (default: a random UUID, §9). */
  zipEntryName?: string;
  /** ZIP: the entry's modification time, epoch ms (default: now). */
  modifiedMs?: number;
  /** GZIP/ZIP: deflate level 1–9 (default DEFLATE_LEVEL). */
  deflateLevel?: number;
}

/** §9: body bytes, default extension and Content-Encoding of an object of `chunks` (records already framed). */
export async function compress(
  format: CompressionFormat,
  chunks: Buffer[],
  options: CompressOptions = {},
): Promise<{ body: Buffer; extension: string; contentEncoding?: string }> {
  const metadata = COMPRESSION_METADATA[format];
  if (!metadata) throw new TypeError(`unknown compression format ${String(format)}`);
  const body = await compressBody(format, chunks, options);
  return metadata.contentEncoding === undefined
    ? { body, extension: metadata.extension }
    : { body, extension: metadata.extension, contentEncoding: metadata.contentEncoding };
}

async function compressBody(format: CompressionFormat, chunks: Buffer[], options: CompressOptions): Promise<Buffer> {
  switch (format) {
    case 'UNCOMPRESSED':
      return joined(chunks);
    case 'GZIP':
      return gzip(joined(chunks), options.deflateLevel ?? DEFLATE_LEVEL);
    case 'ZIP':
      return zip(joined(chunks), options);
    case 'Snappy':
      return frame(new SnappyJavaWriter(rawSnappy().compressSync), chunks);
    case 'HADOOP_SNAPPY':
      return frame(new HadoopSnappyWriter(rawSnappy().compressSync), chunks);
  }
}

/** The chunks as one buffer; a single chunk is used as it is (no copy). */
function joined(chunks: Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

type RawSnappy = { compressSync(input: Uint8Array): Buffer; uncompressSync(input: Uint8Array, options: { asBuffer: true }): string | Buffer };
let snappyModule: RawSnappy | undefined;

/**
 * Raw Snappy blocks from `snappy` (napi-rs; its prebuilt binary comes as a registry package per
 * platform). Loaded on first use, so a platform without the binary loses only the Snappy formats,
 * with this error, instead of the whole server failing to start.
 */
function rawSnappy(): RawSnappy {
  if (!snappyModule) {
    try {
      snappyModule = createRequire(import.meta.url)('snappy') as RawSnappy;
    } catch (err) {
      throw new Error(`Snappy compression is unavailable: the 'snappy' package's native binding did not load on ${process.platform}-${process.arch} (${(err as Error).message})`);
    }
  }
  return snappyModule;
}

async function frame(writer: { write(chunk: Uint8Array): void; end(): Buffer[] }, chunks: Buffer[]): Promise<Buffer> {
  let sinceYield = 0;
  for (const chunk of chunks) {
    writer.write(chunk);
    sinceYield += chunk.length;
    if (sinceYield >= SLICE_BYTES) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
  }
  return Buffer.concat(writer.end());
}

/**
 * Raw deflate of `input` as consecutive segments compressed in parallel; their concatenation is a
 * single valid deflate stream (every segment but the last ends with a sync flush, the last with
 * the final block).
 */
async function deflateSegments(input: Buffer, level: number): Promise<{ raw: Buffer[]; deflated: Buffer[] }> {
  const count = Math.max(1, Math.ceil(input.length / DEFLATE_SEGMENT_BYTES));
  const raw = Array.from({ length: count }, (_, i) => input.subarray(i * DEFLATE_SEGMENT_BYTES, (i + 1) * DEFLATE_SEGMENT_BYTES));
  const deflated: Buffer[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const start = i * DEFLATE_SEGMENT_BYTES;
      deflated[i] = await deflateRaw(raw[i]!, {
        level,
        ...(i > 0 ? { dictionary: input.subarray(Math.max(0, start - DEFLATE_WINDOW_BYTES), start) } : {}),
        ...(i < count - 1 ? { finishFlush: zlib.constants.Z_SYNC_FLUSH } : {}),
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(DEFLATE_PARALLELISM, count) }, worker));
  return { raw, deflated };
}

/** One gzip member (RFC 1952): 10-byte header, the deflate stream, CRC-32 and size mod 2^32. */
async function gzip(input: Buffer, level: number): Promise<Buffer> {
  const { deflated } = await deflateSegments(input, level);
  // ID1 ID2 CM=deflate FLG=0 MTIME=0 XFL=0 OS — as Java's GZIPOutputStream writes it.
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, GZIP_HEADER_OS]);
  const trailer = Buffer.allocUnsafe(8);
  trailer.writeUInt32LE(crc32(input), 0);
  trailer.writeUInt32LE(input.length >>> 0, 4);
  return Buffer.concat([header, ...deflated, trailer]);
}

/** A zip entry whose deflate data was made beforehand; fflate writes the container and the CRC. */
class PredeflatedEntry extends ZipPassThrough {
  private readonly pending: Buffer[];
  constructor(filename: string, deflated: Buffer[]) {
    super(filename);
    this.compression = 8; // deflate
    this.pending = [...deflated];
  }
  protected override process(_raw: Uint8Array, final: boolean): void {
    this.ondata(null, (this.pending.shift() ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>, final);
  }
}

/** One deflated entry named by a random UUID (§9). */
async function zip(input: Buffer, options: CompressOptions): Promise<Buffer> {
  const { raw, deflated } = await deflateSegments(input, options.deflateLevel ?? DEFLATE_LEVEL);
  const parts: Uint8Array[] = [];
  let failure: Error | null = null;
  const archive = new Zip((err, data) => {
    if (err) failure = err;
    else parts.push(data);
  });
  const entry = new PredeflatedEntry(options.zipEntryName ?? randomUUID(), deflated);
  entry.mtime = options.modifiedMs ?? Date.now();
  archive.add(entry);
  // One push per segment: fflate takes the CRC and size from the raw bytes (on this thread, hence
  // the yields), process() emits the segment's deflate.
  for (let i = 0; i < raw.length; i++) {
    entry.push(raw[i]!, i === raw.length - 1);
    if (i < raw.length - 1) await yieldToEventLoop();
  }
  archive.end();
  if (failure) throw failure;
  return Buffer.concat(parts);
}

/** The records' bytes of a body written in `format` (tests and the Decompression processor). */
export async function decompress(format: CompressionFormat, body: Buffer): Promise<Buffer> {
  switch (format) {
    case 'UNCOMPRESSED':
      return body;
    case 'GZIP':
      return gunzip(body);
    case 'ZIP': {
      const entries = unzipSync(body);
      return Buffer.concat(Object.values(entries));
    }
    case 'Snappy':
      return unframeSnappyJava(body, rawUncompress);
    case 'HADOOP_SNAPPY':
      return unframeHadoopSnappy(body, rawUncompress);
  }
  throw new TypeError(`unknown compression format ${String(format)}`);
}

function rawUncompress(block: Uint8Array): Buffer {
  return rawSnappy().uncompressSync(block, { asBuffer: true }) as Buffer;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
