import { MAX_PART_NUMBER, type ObjectHeaders } from '../objects/object-store.js';
import type { UploadBody } from './upload-body.js';
import { CHECKSUM_METADATA_PREFIX } from './checksums.js';
import { entityTooLarge, invalidArgument } from './errors.js';

/** "The largest object that can be uploaded in a single PUT is 5 GiB", and so is a part (S3 User Guide, "Uploading objects"; multipart limits). */
export const MAX_SINGLE_UPLOAD_BYTES = 5 * 1024 ** 3;

/** EntityTooLarge for a declared length past a single upload's bound. */
export function checkUploadSize(body: UploadBody): void {
  const declared = body.declaredLength;
  if (declared !== undefined && declared > MAX_SINGLE_UPLOAD_BYTES) throw entityTooLarge(declared, MAX_SINGLE_UPLOAD_BYTES);
}

/**
 * Keeps the upload's checksum in the headers the store writes with the object. A checksum sent as
 * a header goes in at once: the body fails before its end if it does not match, so the store never
 * keeps a wrong one. One sent in an aws-chunked trailer is known only once the body has ended; it
 * is added then, which the fs and memory stores see (they write headers after the body) but the
 * NATS and external stores do not (they take them at the start), so such objects are kept there
 * without a checksum and GET returns none (the SDKs then skip their validation).
 */
export function keepChecksum(body: UploadBody, headers: ObjectHeaders): ObjectHeaders {
  const metadata: Record<string, string> = { ...headers.metadata };
  const declared = body.declaredChecksum;
  if (declared) metadata[CHECKSUM_METADATA_PREFIX + declared.algorithm] = declared.value;
  body.onChecksum = (checksum) => {
    metadata[CHECKSUM_METADATA_PREFIX + checksum.algorithm] = checksum.value;
  };
  return { ...headers, metadata };
}

/** A store's failure while reading an upload is the upload's own check failing, when one did. */
export async function storing<T>(body: UploadBody, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    throw body.failure ?? err;
  }
}

/** The checksum headers an upload's answer carries (S3 echoes the verified value). */
export function checksumHeaders(body: UploadBody): Record<string, string> {
  return body.checksum ? { [`x-amz-checksum-${body.checksum.algorithm}`]: body.checksum.value } : {};
}

/** partNumber: 1 to MAX_PART_NUMBER (UploadPart in the API reference). */
export function partNumberOf(value: string | null): number {
  const number = Number(value);
  if (value === null || !/^\d+$/.test(value) || number < 1 || number > MAX_PART_NUMBER) {
    throw invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive`, 'partNumber', value ?? '');
  }
  return number;
}
