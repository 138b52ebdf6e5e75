import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The additional checksums S3 verifies and keeps with an object (S3 User Guide, "Checking object
 * integrity"): the client names one in `x-amz-checksum-<algorithm>` (a header, or an aws-chunked
 * trailer) or `x-amz-sdk-checksum-algorithm`, S3 computes it over the bytes it received, rejects a
 * mismatch, and returns the value on GET/HEAD with `x-amz-checksum-mode: ENABLED`. Values are the
 * big-endian digest in base64.
 */
export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** As the model and S3's messages spell them (ChecksumAlgorithm enum). */
export const ALGORITHM_NAMES: Record<ChecksumAlgorithm, string> = { crc32: 'CRC32', crc32c: 'CRC32C', crc64nvme: 'CRC64NVME', sha1: 'SHA1', sha256: 'SHA256' };
/** Digest sizes: a value of another length is not a checksum of that algorithm. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

export function checksumAlgorithm(name: string): ChecksumAlgorithm | undefined {
  const lower = name.toLowerCase();
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(lower) ? (lower as ChecksumAlgorithm) : undefined;
}

export function isChecksumValue(algorithm: ChecksumAlgorithm, value: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(value) && Buffer.from(value, 'base64').length === DIGEST_BYTES[algorithm];
}

export interface Checksummer {
  update(data: Buffer): void;
  /** base64 of the digest. */
  digest(): string;
}

export function createChecksummer(algorithm: ChecksumAlgorithm): Checksummer {
  switch (algorithm) {
    case 'crc32':
      return new Crc32();
    case 'crc32c':
      return new TableCrc32(CRC32C_TABLE);
    case 'crc64nvme':
      return new Crc64Nvme();
    case 'sha1':
    case 'sha256':
      return new HashChecksummer(createHash(algorithm));
  }
}

class HashChecksummer implements Checksummer {
  constructor(private readonly hash: Hash) {}
  update(data: Buffer): void {
    this.hash.update(data);
  }
  digest(): string {
    return this.hash.digest('base64');
  }
}

function uint32(value: number): string {
  const bytes = Buffer.allocUnsafe(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString('base64');
}

/** zlib's CRC-32 (IEEE 802.3), native and fast. */
class Crc32 implements Checksummer {
  private crc = 0;
  update(data: Buffer): void {
    this.crc = crc32(data, this.crc);
  }
  digest(): string {
    return uint32(this.crc);
  }
}

/** Reflected table-driven CRC-32 over a 256-entry table. */
class TableCrc32 implements Checksummer {
  private crc = 0xffffffff;
  constructor(private readonly table: Uint32Array) {}
  update(data: Buffer): void {
    let crc = this.crc;
    const table = this.table;
    for (let i = 0; i < data.length; i++) crc = (crc >>> 8) ^ table[(crc ^ data[i]) & 0xff];
    this.crc = crc;
  }
  digest(): string {
    return uint32(~this.crc);
  }
}

/** CRC-32C (Castagnoli), reflected polynomial 0x82F63B78 (RFC 3720 appendix B.4). */
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-64/NVME, reflected polynomial 0x9A6C9329AC4BC9B5, kept as two 32-bit halves for speed. */
const CRC64NVME_TABLE = (() => {
  const high = new Uint32Array(256);
  const low = new Uint32Array(256);
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? poly ^ (c >> 1n) : c >> 1n;
    high[n] = Number(c >> 32n);
    low[n] = Number(c & 0xffffffffn);
  }
  return { high, low };
})();

class Crc64Nvme implements Checksummer {
  private high = 0xffffffff;
  private low = 0xffffffff;
  update(data: Buffer): void {
    let { high, low } = this;
    const th = CRC64NVME_TABLE.high;
    const tl = CRC64NVME_TABLE.low;
    for (let i = 0; i < data.length; i++) {
      const index = (low ^ data[i]) & 0xff;
      low = ((low >>> 8) | (high << 24)) ^ tl[index];
      high = (high >>> 8) ^ th[index];
    }
    this.high = high;
    this.low = low;
  }
  digest(): string {
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeUInt32BE(~this.high >>> 0, 0);
    bytes.writeUInt32BE(~this.low >>> 0, 4);
    return bytes.toString('base64');
  }
}

/**
 * Where an object's checksum is kept: the object stores keep headers and metadata, so the checksum
 * rides in the metadata under a reserved name that the S3 API neither accepts from clients nor
 * returns as `x-amz-meta-*` (it comes back as `x-amz-checksum-<algorithm>` instead).
 */
export const CHECKSUM_METADATA_PREFIX = 'millrace-checksum-';

export function storedChecksum(metadata: Record<string, string> | undefined): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  if (!metadata) return undefined;
  for (const algorithm of CHECKSUM_ALGORITHMS) {
    const value = metadata[CHECKSUM_METADATA_PREFIX + algorithm];
    if (value !== undefined) return { algorithm, value };
  }
  return undefined;
}
