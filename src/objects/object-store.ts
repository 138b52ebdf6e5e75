import type { Readable } from 'node:stream';

/**
 * Where the family keeps objects (Firehose deliveries and backups, Analytics code and reference
 * data, and whatever users put through the S3 API): one interface, implementations side by side —
 * `fs-objects.ts` (files under `<data dir>/s3/`, the embedded default), `memory-objects.ts`
 * (`--memory`), `nats-objects.ts` (JetStream Object Store, distributed mode) and
 * `external-objects.ts` (any S3-compatible server, `--s3-endpoint`). Every write resolves only once
 * it is durable, like a record. Failures the caller can act on are ObjectStoreErrors with S3's
 * error code; anything else is a fault of the store.
 */

/** Headers S3 keeps with an object and gives back on GET and HEAD. */
export interface ObjectHeaders {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  /** The Expires header as sent (an HTTP date). */
  expires?: string;
  /** `x-amz-meta-*` headers, names lower-case without the prefix. */
  metadata?: Record<string, string>;
}

export interface ObjectInfo extends ObjectHeaders {
  key: string;
  size: number;
  /** As S3 computes it, without quotes: the MD5 in hex, or `md5-of-part-md5s-N` for a multipart upload. */
  etag: string;
  /** Epoch milliseconds. */
  lastModified: number;
}

export interface BucketInfo {
  name: string;
  /** Epoch milliseconds. */
  created: number;
  /** The region the bucket was created in (LocationConstraint; us-east-1 when none). */
  region: string;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive. */
  end: number;
}

export interface ListOptions {
  prefix?: string;
  /** Keys after this one (exclusive), in UTF-8 binary order as S3 lists them. */
  startAfter?: string;
  /** At most this many keys; the caller groups by delimiter. */
  limit: number;
}

export interface ListResult {
  objects: ObjectInfo[];
  /** More keys follow the last one returned. */
  truncated: boolean;
}

export interface UploadedPart {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: number;
}

/** A body to store: a whole buffer, or a stream of unknown or declared length. */
export type ObjectBody = Buffer | Readable;

export interface ObjectStore {
  readonly kind: 'fs' | 'memory' | 'nats' | 'external';

  listBuckets(): Promise<BucketInfo[]>;
  /** BucketAlreadyOwnedByYou when it exists. */
  createBucket(name: string, region: string): Promise<BucketInfo>;
  /** undefined when there is no such bucket. */
  headBucket(name: string): Promise<BucketInfo | undefined>;
  /** NoSuchBucket; BucketNotEmpty while it holds objects or unfinished multipart uploads. */
  deleteBucket(name: string): Promise<void>;

  /** NoSuchBucket. Resolves once the object is durable; replaces any object under the key. */
  putObject(bucket: string, key: string, body: ObjectBody, headers: ObjectHeaders): Promise<ObjectInfo>;
  /**
   * NoSuchBucket. Stores `chunks` as one object left as a completed multipart upload of parts of
   * `partBytes` would leave it (ETag `md5-of-part-md5s-N`; one part: the plain MD5), in one step,
   * for a store that can skip keeping the parts (the embedded one: one file written once and
   * synced once, instead of each part and then their concatenation). Optional: callers fall back
   * to the multipart operations.
   */
  putObjectInParts?(bucket: string, key: string, chunks: readonly Buffer[], partBytes: number, headers: ObjectHeaders): Promise<ObjectInfo>;
  /** NoSuchBucket, NoSuchKey. `range` must lie within the object (the caller checks it against headObject). */
  getObject(bucket: string, key: string, range?: ByteRange): Promise<{ info: ObjectInfo; body: Readable }>;
  /** NoSuchBucket; undefined when there is no such key. */
  headObject(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  /** NoSuchBucket; deleting a missing key succeeds, as in S3. */
  deleteObject(bucket: string, key: string): Promise<void>;
  /** NoSuchBucket. Keys in UTF-8 binary order. */
  listObjects(bucket: string, options: ListOptions): Promise<ListResult>;
  /** NoSuchBucket, NoSuchKey. `headers` replace the source's when given (MetadataDirective REPLACE). */
  copyObject(source: { bucket: string; key: string }, target: { bucket: string; key: string }, headers?: ObjectHeaders): Promise<ObjectInfo>;

  /** NoSuchBucket. Resolves to the upload id. */
  createMultipartUpload(bucket: string, key: string, headers: ObjectHeaders): Promise<string>;
  /** NoSuchUpload. Replaces an earlier part of the same number. Durable when it resolves. */
  uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: ObjectBody): Promise<UploadedPart>;
  /** NoSuchUpload. In part-number order. */
  listParts(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]>;
  /**
   * NoSuchUpload, InvalidPart (unknown part or ETag), InvalidPartOrder, EntityTooSmall (a part
   * other than the last under MIN_PART_BYTES). The parts not listed are discarded.
   */
  completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<ObjectInfo>;
  /** NoSuchUpload. */
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  /** Unfinished uploads of a bucket (for BucketNotEmpty and ListMultipartUploads). */
  listMultipartUploads(bucket: string): Promise<{ key: string; uploadId: string; initiated: number }[]>;

  close(): Promise<void>;
}

/** S3's error codes that the object stores raise; the S3 API maps them to its XML errors. */
export type ObjectErrorCode =
  | 'NoSuchBucket'
  | 'NoSuchKey'
  | 'BucketAlreadyOwnedByYou'
  | 'BucketNotEmpty'
  | 'NoSuchUpload'
  | 'InvalidPart'
  | 'InvalidPartOrder'
  | 'EntityTooSmall';

export class ObjectStoreError extends Error {
  constructor(
    readonly code: ObjectErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** S3's smallest part other than the last: 5 MiB. */
export const MIN_PART_BYTES = 5 * 1024 * 1024;
/** S3's largest part number. */
export const MAX_PART_NUMBER = 10_000;
/** S3's longest key: 1,024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;
