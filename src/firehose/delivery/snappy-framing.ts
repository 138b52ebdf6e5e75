/**
 * The two Snappy framings Firehose writes (FIREHOSE-SPEC §9), on top of a raw Snappy block
 * compressor. Neither is the official Snappy framing format, and no npm package writes them.
 *
 * - `Snappy`: xerial snappy-java's `SnappyOutputStream` — a 16-byte header, then
 *   [int32 BE compressed length][raw snappy block] per block of SNAPPY_JAVA_BLOCK_SIZE input bytes.
 * - `HADOOP_SNAPPY`: Hadoop's `BlockCompressorStream` as `SnappyCodec` configures it — blocks of
 *   [int32 BE raw length]([int32 BE compressed length][raw snappy])…
 *
 * Both writers reproduce their Java stream's output for the same sequence of write() calls; each
 * chunk handed to write() is one Java write() (for HADOOP_SNAPPY the split points depend on it).
 */

export type RawBlockCompressor = (block: Uint8Array) => Buffer;
export type RawBlockDecompressor = (block: Uint8Array) => Buffer;

/** A framing is bad or truncated. */
export class SnappyFramingError extends Error {
  override readonly name = 'SnappyFramingError';
}

// ---------------------------------------------------------------------------------------------
// snappy-java stream framing

/** snappy-java SnappyCodec.MAGIC_HEADER: -126 'S' 'N' 'A' 'P' 'P' 'Y' 0. */
export const SNAPPY_JAVA_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** Magic, then int32 BE version 1 and int32 BE minimum compatible version 1 (§9, observed AWS bytes). */
export const SNAPPY_JAVA_HEADER = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]);
/**
 * snappy-java's default block size (`SnappyOutputStream` DEFAULT_BLOCK_SIZE, 32 KiB). Floci
 * reproduced AWS's bytes with snappy-java's defaults; that AWS uses this size is UNVERIFIED (§9).
 */
export const SNAPPY_JAVA_BLOCK_SIZE = 32 * 1024;

/** `SnappyOutputStream`: buffers input into fixed blocks; every full block is compressed at once. */
export class SnappyJavaWriter {
  private readonly out: Buffer[] = [SNAPPY_JAVA_HEADER];
  private readonly block: Buffer;
  private cursor = 0;

  constructor(private readonly compressBlock: RawBlockCompressor, private readonly blockSize = SNAPPY_JAVA_BLOCK_SIZE) {
    this.block = Buffer.allocUnsafe(blockSize);
  }

  write(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.cursor === 0 && chunk.length - offset >= this.blockSize) {
        // A whole block straight from the chunk: same bytes as copying it first, without the copy.
        this.emit(chunk.subarray(offset, offset + this.blockSize));
        offset += this.blockSize;
        continue;
      }
      const n = Math.min(chunk.length - offset, this.blockSize - this.cursor);
      this.block.set(chunk.subarray(offset, offset + n), this.cursor);
      this.cursor += n;
      offset += n;
      if (this.cursor === this.blockSize) {
        this.emit(this.block);
        this.cursor = 0;
      }
    }
  }

  /** The whole stream: header (always, as snappy-java ≥ 1.1 writes it on close), then the blocks. */
  end(): Buffer[] {
    if (this.cursor > 0) this.emit(this.block.subarray(0, this.cursor));
    this.cursor = 0;
    return this.out;
  }

  private emit(raw: Uint8Array): void {
    const compressed = this.compressBlock(raw);
    const length = Buffer.allocUnsafe(4);
    length.writeInt32BE(compressed.length, 0);
    this.out.push(length, compressed);
  }
}

/** Reads a snappy-java stream (also several concatenated ones, as SnappyInputStream does). */
export function unframeSnappyJava(body: Buffer, uncompressBlock: RawBlockDecompressor): Buffer {
  if (body.length < SNAPPY_JAVA_HEADER.length || !body.subarray(0, 8).equals(SNAPPY_JAVA_MAGIC)) {
    throw new SnappyFramingError('not a snappy-java stream: missing the 16-byte header');
  }
  const out: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset >= 8 && body.subarray(offset, offset + 8).equals(SNAPPY_JAVA_MAGIC)) {
      if (body.length - offset < SNAPPY_JAVA_HEADER.length) throw new SnappyFramingError('truncated snappy-java header');
      offset += SNAPPY_JAVA_HEADER.length;
      continue;
    }
    if (body.length - offset < 4) throw new SnappyFramingError(`truncated block length at offset ${offset}`);
    const length = body.readInt32BE(offset);
    offset += 4;
    if (length < 0 || offset + length > body.length) throw new SnappyFramingError(`block of ${length} bytes at offset ${offset - 4} runs past the end`);
    out.push(uncompressBlock(body.subarray(offset, offset + length)));
    offset += length;
  }
  return Buffer.concat(out);
}

// ---------------------------------------------------------------------------------------------
// Hadoop BlockCompressorStream framing

/** Hadoop CommonConfigurationKeys.IO_COMPRESSION_CODEC_SNAPPY_BUFFERSIZE_DEFAULT (256 KiB). */
export const HADOOP_SNAPPY_BUFFER_SIZE = 256 * 1024;
/** SnappyCodec.createOutputStream: compressionOverhead = (bufferSize / 6) + 32. */
export const HADOOP_SNAPPY_COMPRESSION_OVERHEAD = Math.floor(HADOOP_SNAPPY_BUFFER_SIZE / 6) + 32;
/** BlockCompressorStream.MAX_INPUT_SIZE = bufferSize − compressionOverhead (218,422 bytes). */
export const HADOOP_SNAPPY_MAX_INPUT_SIZE = HADOOP_SNAPPY_BUFFER_SIZE - HADOOP_SNAPPY_COMPRESSION_OVERHEAD;

/**
 * `BlockCompressorStream(out, SnappyCompressor(256 KiB), 256 KiB, overhead)`: writes accumulate in
 * the compressor until the next one would pass MAX_INPUT_SIZE, then the block is written as
 * [raw length][compressed length][compressed]; a single write larger than MAX_INPUT_SIZE becomes
 * one [raw length] followed by one compressed chunk per MAX_INPUT_SIZE segment. close() ends the
 * last block — after a large write, or with no write at all, that is an empty block (4 zero bytes).
 */
export class HadoopSnappyWriter {
  private readonly out: Buffer[] = [];
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** SnappyCompressor.finished(): set by finish(), cleared by reset(). */
  private finished = false;

  constructor(private readonly compressBlock: RawBlockCompressor, private readonly maxInputSize = HADOOP_SNAPPY_MAX_INPUT_SIZE) {}

  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (chunk.length + this.pendingBytes > this.maxInputSize && this.pendingBytes > 0) {
      this.finish();
      this.reset();
    }
    if (chunk.length > this.maxInputSize) {
      this.out.push(int32(chunk.length));
      for (let offset = 0; offset < chunk.length; offset += this.maxInputSize) {
        this.pushCompressed(chunk.subarray(offset, Math.min(chunk.length, offset + this.maxInputSize)));
      }
      this.reset();
      return;
    }
    this.finished = false;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
  }

  end(): Buffer[] {
    this.finish();
    return this.out;
  }

  /** BlockCompressorStream.finish(). */
  private finish(): void {
    if (this.finished) return;
    this.out.push(int32(this.pendingBytes));
    if (this.pendingBytes > 0) {
      this.pushCompressed(this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes));
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.finished = true;
  }

  private reset(): void {
    this.pending = [];
    this.pendingBytes = 0;
    this.finished = false;
  }

  private pushCompressed(raw: Uint8Array): void {
    const compressed = this.compressBlock(raw);
    this.out.push(int32(compressed.length), compressed);
  }
}

/** Reads Hadoop block framing (BlockDecompressorStream). */
export function unframeHadoopSnappy(body: Buffer, uncompressBlock: RawBlockDecompressor): Buffer {
  const out: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    if (body.length - offset < 4) throw new SnappyFramingError(`truncated block length at offset ${offset}`);
    const rawLength = body.readInt32BE(offset);
    offset += 4;
    if (rawLength < 0) throw new SnappyFramingError(`negative block length at offset ${offset - 4}`);
    let produced = 0;
    while (produced < rawLength) {
      if (body.length - offset < 4) throw new SnappyFramingError(`truncated chunk length at offset ${offset}`);
      const length = body.readInt32BE(offset);
      offset += 4;
      if (length < 0 || offset + length > body.length) throw new SnappyFramingError(`chunk of ${length} bytes at offset ${offset - 4} runs past the end`);
      const raw = uncompressBlock(body.subarray(offset, offset + length));
      offset += length;
      produced += raw.length;
      out.push(raw);
    }
    if (produced !== rawLength) throw new SnappyFramingError(`block declares ${rawLength} bytes but its chunks hold ${produced}`);
  }
  return Buffer.concat(out);
}

function int32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n, 0);
  return b;
}
