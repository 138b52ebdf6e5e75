/**
 * Writing one delivery object to the object store (FIREHOSE-SPEC §8-9, §14): the key
 * `<evaluated prefix><name>-<version>-<timestamp>-<uuid><ext>`, the body compressed, Content-Type
 * application/octet-stream and the format's Content-Encoding, multipart for large bodies, and
 * retries for up to 24 hours while the bucket is missing or the store fails, nothing dropped meanwhile.
 */
import { defaultSleep } from './retry.js';
import type { Logger } from 'pino';
import type { ObjectStore, ObjectHeaders } from '../../objects/object-store.js';
import { ObjectStoreError } from '../../objects/object-store.js';
import { COMPRESSION_METADATA, compress, type CompressionFormat } from './compression.js';
import { objectName } from './object-key.js';

/** §14: "S3: retries up to 24 h, then data lost". */
export const S3_RETRY_DURATION_MS = 24 * 60 * 60 * 1000;
/** Backoff between attempts: doubling from the first to the cap. */
export const S3_RETRY_FIRST_MS = 500;
export const S3_RETRY_CAP_MS = 30_000;
/** Bodies above this go up in parts (§9: AWS's policy names the multipart permissions). */
export const MULTIPART_THRESHOLD_BYTES = 16 * 1024 * 1024;
export const MULTIPART_PART_BYTES = 8 * 1024 * 1024;
/** §9 (floci#2328): every format. */
export const OBJECT_CONTENT_TYPE = 'application/octet-stream';

/** §15 messages of the S3.* codes the delivery log uses. */
const S3_ERROR_MESSAGES: Record<string, string> = {
  NoSuchBucket: 'The specified bucket does not exist. Create the bucket or use a different bucket that does exist.',
  AccessDenied: 'Access was denied. Ensure that the trust policy for the provided IAM role allows Firehose to assume the role, and the access policy allows access to the S3 bucket.',
};

export class DeliveryExpiredError extends Error {}

/** `arn:aws:s3:::bucket` → `bucket`. */
export const bucketOfArn = (arn: unknown): string => String(arn ?? '').replace(/^arn:[^:]*:s3:::/, '');

export interface S3Target {
  bucket: string;
  compression: CompressionFormat;
  /** FileExtension override ('' = unset). */
  fileExtension?: string;
  timeZone: string;
}

/** The S3 part of an (Extended)S3 description or of a backup/S3Configuration description. */
export function s3TargetOf(description: Record<string, unknown>): S3Target {
  const extension = typeof description.FileExtension === 'string' && description.FileExtension !== '' ? description.FileExtension : undefined;
  return {
    bucket: bucketOfArn(description.BucketARN),
    compression: ((description.CompressionFormat as CompressionFormat | undefined) ?? 'UNCOMPRESSED'),
    ...(extension ? { fileExtension: extension } : {}),
    timeZone: typeof description.CustomTimeZone === 'string' && description.CustomTimeZone ? description.CustomTimeZone : 'UTC',
  };
}

export interface S3WriteContext {
  objects: ObjectStore;
  log: Logger;
  signal: AbortSignal;
  now: () => number;
  streamName: string;
  version: number;
  /** Waits (tests replace it). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The abortable wait of every destination's retries (retry.ts). */
export const sleepFor = defaultSleep;

/** The AWS error code a failure is logged with: `S3.NoSuchBucket`, …, or InternalError. */
export const awsS3ErrorCode = (err: unknown): string => (err instanceof ObjectStoreError ? `S3.${err.code}` : 'InternalError');

/**
 * Compresses `chunks` into one object under `prefix` and writes it; resolves once it is durable
 * with its key and sizes. `kind` names the object in the log (delivery, backup, error output).
 */
export async function writeDeliveryObject(
  target: S3Target,
  prefix: string,
  chunks: Buffer[],
  oldestArrival: number,
  context: S3WriteContext,
  kind: string,
  precompressed?: { body: Buffer; extension: string },
): Promise<{ key: string; bytes: number; attempts: number }> {
  // Uncompressed records are not copied into one body: they go up as they are, in parts when large.
  const compressed: { body: Buffer | Buffer[]; extension: string; contentEncoding?: string } =
    precompressed ?? (target.compression === 'UNCOMPRESSED' ? { body: chunks, extension: COMPRESSION_METADATA.UNCOMPRESSED.extension } : await compress(target.compression, chunks));
  const size = Array.isArray(compressed.body) ? compressed.body.reduce((sum, chunk) => sum + chunk.length, 0) : compressed.body.length;
  const extension = target.fileExtension ?? compressed.extension;
  const key = prefix + objectName(context.streamName, context.version, oldestArrival, target.timeZone, extension);
  const headers: ObjectHeaders = { contentType: OBJECT_CONTENT_TYPE };
  if (compressed.contentEncoding) headers.contentEncoding = compressed.contentEncoding;
  const started = context.now();
  const sleep = context.sleep ?? sleepFor;
  for (let attempt = 1; ; attempt++) {
    try {
      await putBody(context.objects, target.bucket, key, compressed.body, size, headers);
      context.log.debug({ kind, bucket: target.bucket, key, bytes: size, attempt }, 'Firehose delivery attempt succeeded');
      return { key, bytes: size, attempts: attempt };
    } catch (err) {
      if (context.signal.aborted) throw context.signal.reason;
      const errorCode = awsS3ErrorCode(err);
      const errorMessage = (err instanceof ObjectStoreError && S3_ERROR_MESSAGES[err.code]) || (err as Error).message;
      context.log.warn({ kind, bucket: target.bucket, key, attempt, errorCode, errorMessage }, 'Firehose delivery to S3 failed; retrying');
      if (context.now() - started >= S3_RETRY_DURATION_MS) throw new DeliveryExpiredError(`${errorCode}: ${errorMessage}`);
      await sleep(Math.min(S3_RETRY_CAP_MS, S3_RETRY_FIRST_MS * 2 ** Math.min(attempt - 1, 16)), context.signal);
    }
  }
}

/** Groups chunks into parts of at least `partBytes` (the last may be smaller), copying one part at a time. */
function* partsOf(chunks: Buffer[], partBytes: number): Generator<Buffer> {
  let group: Buffer[] = [];
  let groupBytes = 0;
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; ) {
      const piece = chunk.subarray(at, at + (partBytes - groupBytes));
      group.push(piece);
      groupBytes += piece.length;
      at += piece.length;
      if (groupBytes === partBytes) {
        yield group.length === 1 ? group[0] : Buffer.concat(group, groupBytes);
        group = [];
        groupBytes = 0;
      }
    }
  }
  if (groupBytes > 0) yield group.length === 1 ? group[0] : Buffer.concat(group, groupBytes);
}

async function putBody(objects: ObjectStore, bucket: string, key: string, body: Buffer | Buffer[], size: number, headers: ObjectHeaders): Promise<void> {
  if (objects.putObjectInParts) {
    // The same object and ETag as below, without copying the records into parts or keeping them.
    await objects.putObjectInParts(bucket, key, Array.isArray(body) ? body : [body], size <= MULTIPART_THRESHOLD_BYTES ? Math.max(1, size) : MULTIPART_PART_BYTES, headers);
    return;
  }
  if (size <= MULTIPART_THRESHOLD_BYTES) {
    await objects.putObject(bucket, key, Array.isArray(body) ? (body.length === 1 ? body[0] : Buffer.concat(body, size)) : body, headers);
    return;
  }
  const uploadId = await objects.createMultipartUpload(bucket, key, headers);
  try {
    const parts: { partNumber: number; etag: string }[] = [];
    let partNumber = 1;
    for (const part of partsOf(Array.isArray(body) ? body : [body], MULTIPART_PART_BYTES)) {
      const uploaded = await objects.uploadPart(bucket, key, uploadId, partNumber, part);
      parts.push({ partNumber, etag: uploaded.etag });
      partNumber++;
    }
    await objects.completeMultipartUpload(bucket, key, uploadId, parts);
  } catch (err) {
    await objects.abortMultipartUpload(bucket, key, uploadId).catch(() => undefined);
    throw err;
  }
}
