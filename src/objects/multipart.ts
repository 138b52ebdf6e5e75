import { createHash, randomBytes } from 'node:crypto';
import { MAX_PART_NUMBER, MIN_PART_BYTES } from './object-store.js';
import { entityTooSmall, invalidPart, invalidPartOrder } from './errors.js';

/** Part numbers run from 1 to MAX_PART_NUMBER (S3 UploadPart). */
export function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new RangeError(`a part number runs from 1 to ${MAX_PART_NUMBER}, got ${partNumber}`);
  }
}

/** Upload ids the stores hand out: also safe as a file or object name. */
export function newUploadId(): string {
  return randomBytes(24).toString('base64url');
}

export const UPLOAD_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Clients send ETags quoted; the stores keep them bare. */
export function bareEtag(etag: string): string {
  return etag.length >= 2 && etag.startsWith('"') && etag.endsWith('"') ? etag.slice(1, -1) : etag;
}

/** S3's multipart ETag: the MD5 of the parts' binary MD5s, then `-` and the number of parts. */
export function multipartEtag(partEtags: readonly string[]): string {
  const hash = createHash('md5');
  for (const etag of partEtags) hash.update(Buffer.from(etag, 'hex'));
  return `${hash.digest('hex')}-${partEtags.length}`;
}

export interface StoredPart {
  etag: string;
  size: number;
}

/**
 * The parts a CompleteMultipartUpload names, checked as S3 checks them: ascending part numbers
 * (InvalidPartOrder), each uploaded with that ETag (InvalidPart), each but the last at least
 * MIN_PART_BYTES (EntityTooSmall). Resolves to the stored parts in order.
 */
export function checkCompletion<P extends StoredPart>(requested: readonly { partNumber: number; etag: string }[], stored: ReadonlyMap<number, P>): P[] {
  if (requested.length === 0) throw new RangeError('a multipart upload completes with at least one part');
  for (const part of requested) checkPartNumber(part.partNumber);
  for (let i = 1; i < requested.length; i++) {
    if (requested[i].partNumber <= requested[i - 1].partNumber) throw invalidPartOrder();
  }
  const parts = requested.map((part) => {
    const found = stored.get(part.partNumber);
    if (!found || found.etag !== bareEtag(part.etag)) throw invalidPart();
    return found;
  });
  for (let i = 0; i < parts.length - 1; i++) if (parts[i].size < MIN_PART_BYTES) throw entityTooSmall();
  return parts;
}
