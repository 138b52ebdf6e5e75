import { createHash, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { ALGORITHM_NAMES, CHECKSUM_ALGORITHMS, checksumAlgorithm, createChecksummer, isChecksumValue, type ChecksumAlgorithm, type Checksummer } from './checksums.js';
import type { ChunkSignatures } from './chunk-signature.js';
import { badDigest, contentSha256Mismatch, incompleteBody, invalidArgument, invalidDigest, invalidRequest, S3Error } from './errors.js';

/**
 * An upload's bytes on their way to the object store. It undoes the `aws-chunked` content coding
 * the SDKs use for streamed uploads (S3 API reference, "Signature Calculations for the
 * Authorization Header: Transferring Payload in Multiple Chunks"; `<hex size>[;chunk-signature=…]\r\n
 * <data>\r\n … 0\r\n<trailers>\r\n\r\n`), and checks, before the last byte is handed on, every
 * digest the client sent: Content-MD5, a hex `x-amz-content-sha256`, and an `x-amz-checksum-*`
 * header or trailer. A mismatch fails the stream, so the store discards the upload instead of
 * keeping it; `failure` then holds S3's error for the response.
 */

/** A chunk header or trailer line is short (`1000000;chunk-signature=<64 hex>`); anything longer is not aws-chunked. */
const MAX_CHUNK_LINE_BYTES = 4096;
/** Trailers S3 accepts after the last chunk: one checksum and its signature. */
const MAX_TRAILER_LINES = 8;

export interface UploadChecks {
  /** The body is aws-chunked. */
  chunked: boolean;
  /** The decoded length the client declared (`x-amz-decoded-content-length`, or Content-Length). */
  length?: number;
  /** Content-MD5, decoded. */
  md5?: Buffer;
  /** A hex `x-amz-content-sha256`. */
  sha256?: string;
  /** The checksum to compute; `expected` comes from a header, or from the trailer when undefined. */
  checksum?: { algorithm: ChecksumAlgorithm; expected?: string };
  /** Chunk signatures to verify (signed aws-chunked uploads, with `--credentials`). */
  signatures?: ChunkSignatures;
}

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export class UploadBody extends Transform {
  failure: S3Error | undefined;
  /** The checksum the body was verified against, once it ended. */
  checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined;
  /** Told the verified checksum before the last byte is handed on, so the store can keep it with the object. */
  onChecksum: ((checksum: { algorithm: ChecksumAlgorithm; value: string }) => void) | undefined;
  size = 0;
  private readonly md5: Hash | undefined;
  private readonly sha256: Hash | undefined;
  private readonly checksummer: Checksummer | undefined;
  private state: State = 'size';
  private line = '';
  private remaining = 0;
  private trailers = new Map<string, string>();

  /** The decoded length the client declared. */
  get declaredLength(): number | undefined {
    return this.checks.length;
  }

  /** A checksum sent as a header is known before the body; one in a trailer only after it. */
  get declaredChecksum(): { algorithm: ChecksumAlgorithm; value: string } | undefined {
    const checksum = this.checks.checksum;
    return checksum?.expected === undefined ? undefined : { algorithm: checksum.algorithm, value: checksum.expected };
  }

  constructor(private readonly checks: UploadChecks) {
    super();
    this.md5 = checks.md5 ? createHash('md5') : undefined;
    this.sha256 = checks.sha256 ? createHash('sha256') : undefined;
    this.checksummer = checks.checksum ? createChecksummer(checks.checksum.algorithm) : undefined;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      if (this.checks.chunked) this.decode(chunk);
      else this.data(chunk);
      callback();
    } catch (err) {
      callback(this.fail(err as S3Error));
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (this.checks.chunked && this.state !== 'done') throw incompleteBody();
      this.verify();
      callback();
    } catch (err) {
      callback(this.fail(err as S3Error));
    }
  }

  private fail(err: S3Error): S3Error {
    this.failure = err;
    return err;
  }

  private data(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.size += bytes.length;
    if (this.checks.length !== undefined && this.size > this.checks.length) throw incompleteBody();
    this.md5?.update(bytes);
    this.sha256?.update(bytes);
    this.checksummer?.update(bytes);
    this.push(bytes);
  }

  private decode(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'data') {
        const take = Math.min(this.remaining, chunk.length - at);
        const data = chunk.subarray(at, at + take);
        this.checks.signatures?.update(data);
        this.data(data);
        at += take;
        this.remaining -= take;
        if (this.remaining === 0) {
          this.checks.signatures?.end();
          this.state = 'data-end';
        }
        continue;
      }
      if (this.state === 'done') {
        // Only line ends may follow the final CRLF.
        if (chunk[at] !== 0x0d && chunk[at] !== 0x0a) throw invalidRequest('Invalid chunk encoding: data after the final chunk');
        at++;
        continue;
      }
      // Chunk headers, the CRLF after data, and trailers are lines, and short.
      const newline = chunk.indexOf(0x0a, at);
      const end = newline === -1 ? chunk.length : newline;
      this.line += chunk.toString('latin1', at, end);
      if (this.line.length > MAX_CHUNK_LINE_BYTES) throw invalidRequest('Invalid chunk encoding: chunk header too long');
      at = end;
      if (newline === -1) break;
      at++;
      const line = this.line.endsWith('\r') ? this.line.slice(0, -1) : this.line;
      this.line = '';
      this.endOfLine(line);
    }
  }

  private endOfLine(line: string): void {
    switch (this.state) {
      case 'data-end':
        if (line !== '') throw invalidRequest('Invalid chunk encoding: chunk data longer than its size');
        this.state = 'size';
        return;
      case 'size': {
        const [hex = '', ...extensions] = line.split(';');
        if (!/^[0-9a-fA-F]{1,16}$/.test(hex.trim())) throw invalidRequest('Invalid chunk encoding: bad chunk size');
        this.remaining = parseInt(hex, 16);
        const { signatures } = this.checks;
        if (signatures) {
          signatures.begin(extensions.find((extension) => extension.startsWith('chunk-signature='))?.slice('chunk-signature='.length));
          // The last chunk is empty, and signed like the others.
          if (this.remaining === 0) signatures.end();
        }
        this.state = this.remaining === 0 ? 'trailer' : 'data';
        return;
      }
      case 'trailer': {
        if (line === '') {
          if (this.checks.signatures && this.trailers.size > 0) this.checks.signatures.trailer(this.trailers, this.trailers.get('x-amz-trailer-signature'));
          this.state = 'done';
          return;
        }
        if (this.trailers.size >= MAX_TRAILER_LINES) throw invalidRequest('Invalid chunk encoding: too many trailers');
        const colon = line.indexOf(':');
        if (colon <= 0) throw invalidRequest('Invalid chunk encoding: bad trailer');
        this.trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        return;
      }
    }
  }

  private verify(): void {
    const { checks } = this;
    if (checks.length !== undefined && this.size !== checks.length) throw incompleteBody();
    if (this.md5 && checks.md5) {
      const computed = this.md5.digest();
      if (!computed.equals(checks.md5)) {
        throw badDigest('The Content-MD5 you specified did not match what we received.', {
          ExpectedDigest: checks.md5.toString('hex'),
          CalculatedDigest: computed.toString('base64'),
        });
      }
    }
    if (this.sha256 && checks.sha256) {
      const computed = this.sha256.digest('hex');
      if (computed !== checks.sha256) throw contentSha256Mismatch(checks.sha256, computed);
    }
    if (this.checksummer && checks.checksum) {
      const { algorithm } = checks.checksum;
      const expected = checks.checksum.expected ?? this.trailers.get(`x-amz-checksum-${algorithm}`);
      if (expected === undefined) throw invalidRequest(`x-amz-checksum-${algorithm} trailer is missing`);
      if (!isChecksumValue(algorithm, expected)) throw invalidRequest(`Value for x-amz-checksum-${algorithm} trailing header is invalid.`);
      const computed = this.checksummer.digest();
      if (computed !== expected) throw badDigest(`The ${ALGORITHM_NAMES[algorithm]} you specified did not match the calculated checksum.`);
      this.checksum = { algorithm, value: computed };
      this.onChecksum?.(this.checksum);
    }
  }
}

const STREAMING_PREFIX = 'STREAMING-';
/** `x-amz-content-sha256` values that promise no hash of the payload. */
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** What to check of a request body, from its headers; S3's errors for headers that cannot be right. */
export function uploadChecks(headers: IncomingHttpHeaders): UploadChecks {
  const contentSha256 = single(headers['x-amz-content-sha256']);
  const encoding = single(headers['content-encoding']) ?? '';
  const chunked = contentSha256?.startsWith(STREAMING_PREFIX) === true || /(^|,)\s*aws-chunked\s*(,|$)/i.test(encoding);
  const checks: UploadChecks = { chunked };

  const lengthHeader = chunked ? single(headers['x-amz-decoded-content-length']) : single(headers['content-length']);
  if (lengthHeader !== undefined) {
    if (!/^\d{1,16}$/.test(lengthHeader)) throw invalidArgument(`${chunked ? 'x-amz-decoded-content-length' : 'Content-Length'} is not a number`);
    checks.length = Number(lengthHeader);
  } else if (chunked) {
    throw new S3Error('MissingContentLength', 'You must provide the Content-Length HTTP header.', 411);
  }

  const md5 = single(headers['content-md5']);
  if (md5 !== undefined) {
    const digest = Buffer.from(md5, 'base64');
    if (digest.length !== 16 || !/^[A-Za-z0-9+/]+={0,2}$/.test(md5)) throw invalidDigest(md5);
    checks.md5 = digest;
  }

  if (contentSha256 !== undefined && !chunked && contentSha256 !== UNSIGNED_PAYLOAD) {
    if (!/^[0-9a-fA-F]{64}$/.test(contentSha256)) throw invalidArgument('x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.', 'x-amz-content-sha256', contentSha256);
    checks.sha256 = contentSha256.toLowerCase();
  }

  const given = CHECKSUM_ALGORITHMS.filter((algorithm) => headers[`x-amz-checksum-${algorithm}`] !== undefined);
  if (given.length > 1) throw invalidRequest('Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  if (given.length === 1) {
    const algorithm = given[0]!;
    const value = single(headers[`x-amz-checksum-${algorithm}`])!;
    if (!isChecksumValue(algorithm, value)) throw invalidRequest(`Value for x-amz-checksum-${algorithm} header is invalid.`);
    checks.checksum = { algorithm, expected: value };
  } else {
    const trailer = single(headers['x-amz-trailer'])?.trim().toLowerCase();
    if (trailer) {
      const algorithm = trailer.startsWith('x-amz-checksum-') ? checksumAlgorithm(trailer.slice('x-amz-checksum-'.length)) : undefined;
      if (!algorithm || !chunked) throw invalidRequest('The value specified in the x-amz-trailer header is not supported');
      checks.checksum = { algorithm };
    }
  }
  return checks;
}
