import { createHash, createHmac, timingSafeEqual, type Hash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { S3Error } from './errors.js';

/**
 * Signed aws-chunked uploads (`x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`;
 * S3 API reference, "Signature Calculations for the Authorization Header: Transferring Payload in
 * Multiple Chunks (Chunked Upload)"): every chunk carries a signature chained from the request's
 * own (the seed), over the SHA-256 of the chunk's data, and the trailer one over its trailers. With
 * `--credentials` each is checked as it arrives; a chunk that was changed fails the upload.
 */
const EMPTY_SHA256 = createHash('sha256').digest('hex');
export const SIGNED_STREAMING_PREFIX = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';

export const chunkSignatureMismatch = () =>
  new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', 403);

export class ChunkSignatures {
  private previous: string;
  private hash: Hash | undefined;
  private expected: string | undefined;

  constructor(
    private readonly key: Buffer,
    private readonly scope: string,
    private readonly longDate: string,
    seed: string,
  ) {
    this.previous = seed;
  }

  /** A chunk header's `chunk-signature`; its data follows. */
  begin(signature: string | undefined): void {
    if (!signature) throw chunkSignatureMismatch();
    this.expected = signature;
    this.hash = createHash('sha256');
  }

  update(data: Buffer): void {
    this.hash?.update(data);
  }

  /** The chunk's data is complete: its signature must be the one expected. */
  end(): void {
    const dataHash = this.hash ? this.hash.digest('hex') : EMPTY_SHA256;
    this.hash = undefined;
    this.check(`AWS4-HMAC-SHA256-PAYLOAD\n${this.longDate}\n${this.scope}\n${this.previous}\n${EMPTY_SHA256}\n${dataHash}`, this.expected);
  }

  /** The trailers (without their signature) as sent, `name:value\n` each. */
  trailer(trailers: Map<string, string>, signature: string | undefined): void {
    let text = '';
    for (const [name, value] of trailers) if (name !== 'x-amz-trailer-signature') text += `${name}:${value}\n`;
    this.check(`AWS4-HMAC-SHA256-TRAILER\n${this.longDate}\n${this.scope}\n${this.previous}\n${createHash('sha256').update(text).digest('hex')}`, signature);
  }

  private check(stringToSign: string, signature: string | undefined): void {
    const computed = createHmac('sha256', this.key).update(stringToSign).digest();
    const given = signature && /^[0-9a-f]{64}$/.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
    if (given.length !== computed.length || !timingSafeEqual(given, computed)) throw chunkSignatureMismatch();
    this.previous = signature!;
  }
}

/**
 * The chain of a signed streaming upload whose seed signature the authenticator has verified, or
 * undefined for any other request. `secrets` maps access keys to secret keys (`--credentials`).
 */
export function chunkSignaturesOf(headers: IncomingHttpHeaders, secrets: ReadonlyMap<string, string>): ChunkSignatures | undefined {
  const contentSha256 = headers['x-amz-content-sha256'];
  const authorization = headers.authorization;
  if (typeof contentSha256 !== 'string' || !contentSha256.startsWith(SIGNED_STREAMING_PREFIX) || typeof authorization !== 'string') return undefined;
  const credential = /Credential=([^,\s]+)/.exec(authorization)?.[1]?.split('/') ?? [];
  const seed = /Signature=([0-9a-f]+)/.exec(authorization)?.[1];
  const [accessKey, date, region, service, terminator] = credential;
  const secret = accessKey === undefined ? undefined : secrets.get(accessKey);
  const longDate = headers['x-amz-date'];
  if (!secret || !seed || !date || !region || !service || !terminator || typeof longDate !== 'string') throw chunkSignatureMismatch();
  let key: Buffer = Buffer.from(`AWS4${secret}`);
  for (const part of [date, region, service, terminator]) key = createHmac('sha256', key).update(part).digest();
  return new ChunkSignatures(key, `${date}/${region}/${service}/${terminator}`, longDate, seed);
}
