/**
 * Object bodies by CompressionFormat (FIREHOSE-SPEC §9): the bytes, the default key extension and
 * the S3 Content-Encoding AWS sets. Records arrive already framed (delimiters included) as chunks.
 *
 * GZIP runs on libuv's thread pool (node:zlib); the Snappy framings and ZIP run on the calling
 * thread in slices, yielding to the event loop between them, so a 128 MiB object never stalls
 * request handling for long.
 */
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { gzip as gzipCallback, gunzip as gunzipCallback } from 'node:zlib';
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy';
import { Zip, ZipDeflate, unzipSync } from 'fflate';
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

/** Deflate level for GZIP and ZIP: Java's Deflater default (6). AWS's level is UNVERIFIED. */
export const DEFLATE_LEVEL = 6;

/**
 * Byte 9 (OS) of the gzip header. zlib writes 3 (Unix); Java's GZIPOutputStream, which a Java
 * service like Firehose most likely uses, writes 255 ("unknown") since JDK 16. UNVERIFIED.
 */
export const GZIP_HEADER_OS = 255;

/** Bytes handled on the event loop between two yields (Snappy framings, ZIP). */
const SLICE_BYTES = 4 * 1024 * 1024;

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

export interface CompressOptions {
  /** ZIP: name of the one entry (default: a random UUID, §9). */
  zipEntryName?: string;
  /** ZIP: the entry's modification time, epoch ms (default: now). */
  modifiedMs?: number;
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
      return Buffer.concat(chunks);
    case 'GZIP': {
      const body = await gzip(Buffer.concat(chunks), { level: DEFLATE_LEVEL });
      body[9] = GZIP_HEADER_OS;
      return body;
    }
    case 'ZIP':
      return zip(chunks, options);
    case 'Snappy':
      return frame(new SnappyJavaWriter(snappyCompress), chunks);
    case 'HADOOP_SNAPPY':
      return frame(new HadoopSnappyWriter(snappyCompress), chunks);
  }
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

/** One deflated entry named by a random UUID (§9). */
async function zip(chunks: Buffer[], options: CompressOptions): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let failure: Error | null = null;
  const archive = new Zip((err, data) => {
    if (err) failure = err;
    else parts.push(data);
  });
  const entry = new ZipDeflate(options.zipEntryName ?? randomUUID(), { level: DEFLATE_LEVEL });
  entry.mtime = options.modifiedMs ?? Date.now();
  archive.add(entry);
  // ZipDeflate compresses each push on this thread; feed it in slices.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for (const chunk of chunks) {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= SLICE_BYTES) {
      entry.push(Buffer.concat(pending, pendingBytes), false);
      pending = [];
      pendingBytes = 0;
      await yieldToEventLoop();
    }
  }
  entry.push(Buffer.concat(pending, pendingBytes), true);
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
  return snappyUncompress(block, { asBuffer: true }) as Buffer;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
