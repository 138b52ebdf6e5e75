import { Transform, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type BucketLocationConstraint,
  type HeadObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BucketInfo, ByteRange, ListOptions, ListResult, ObjectBody, ObjectErrorCode, ObjectHeaders, ObjectInfo, ObjectStore, UploadedPart } from './object-store.js';
import { ObjectStoreError } from './object-store.js';
import { bucketAlreadyOwnedByYou, bucketNotEmpty, invalidPartOrder, noSuchBucket, noSuchKey } from './errors.js';
import { checkKey, compareKeys } from './keys.js';
import { bareEtag, checkPartNumber } from './multipart.js';
import { bodyBuffer, keptHeaders } from './body.js';

export interface ExternalObjectsOptions {
  endpoint: string;
  region: string;
  /** Address buckets as `bucket.host` instead of `host/bucket`. */
  virtualHosted: boolean;
  /** Without keys the SDK's default chain (environment, profile, instance role) signs. */
  accessKeyId?: string;
  secretAccessKey?: string;
}

/** S3's region when a bucket has no LocationConstraint. */
const DEFAULT_REGION = 'us-east-1';
/**
 * A streamed body of unknown length goes up as one PutObject while it fits in a part of this size
 * (an MD5 ETag, as S3 gives a PUT); beyond that as a multipart upload of such parts.
 */
const STREAM_PART_BYTES = 16 * 1024 * 1024;

/** The error codes the object-store interface carries, as S3 names them. */
const KNOWN_CODES = new Set<ObjectErrorCode>([
  'NoSuchBucket',
  'NoSuchKey',
  'BucketAlreadyOwnedByYou',
  'BucketNotEmpty',
  'NoSuchUpload',
  'InvalidPart',
  'InvalidPartOrder',
  'EntityTooSmall',
]);

/**
 * Objects in any S3-compatible server (`--s3-endpoint`: AWS, MinIO, Ceph, moto), every call through
 * the official SDK. The server keeps the objects; this adapter maps its answers to the interface.
 */
export class ExternalObjectStore implements ObjectStore {
  readonly kind = 'external' as const;
  private readonly client: S3Client;
  /** Creation times from ListBuckets: HeadBucket does not carry them, and they never change. */
  private readonly created = new Map<string, number>();

  constructor(options: ExternalObjectsOptions) {
    this.client = new S3Client({
      endpoint: options.endpoint,
      region: options.region,
      forcePathStyle: !options.virtualHosted,
      credentials: options.accessKeyId ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey ?? '' } : undefined,
      // Flexible checksums only where S3 requires them: not every S3-compatible server knows them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async listBuckets(): Promise<BucketInfo[]> {
    const found: BucketInfo[] = [];
    let token: string | undefined;
    do {
      const page = await this.call(() => this.client.send(new ListBucketsCommand({ ContinuationToken: token })));
      for (const bucket of page.Buckets ?? []) {
        const name = bucket.Name!;
        const created = bucket.CreationDate?.getTime() ?? Date.now();
        this.created.set(name, created);
        found.push({ name, created, region: bucket.BucketRegion ?? (await this.regionOf(name)) });
      }
      token = page.ContinuationToken;
    } while (token);
    return found.sort((a, b) => compareKeys(a.name, b.name));
  }

  async createBucket(name: string, region: string): Promise<BucketInfo> {
    // In us-east-1 S3 answers 200 to creating a bucket one already owns; the interface says otherwise.
    if (await this.headBucket(name)) throw bucketAlreadyOwnedByYou();
    const configuration = region === DEFAULT_REGION ? undefined : { LocationConstraint: region as BucketLocationConstraint };
    await this.call(() => this.client.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: configuration })));
    const created = Date.now();
    this.created.set(name, created);
    return { name, created, region };
  }

  async headBucket(name: string): Promise<BucketInfo | undefined> {
    let region: string | undefined;
    try {
      const head = await this.call(() => this.client.send(new HeadBucketCommand({ Bucket: name })));
      region = head.BucketRegion;
    } catch (err) {
      if (err instanceof ObjectStoreError && err.code === 'NoSuchBucket') return undefined;
      throw err;
    }
    if (!this.created.has(name)) await this.listBuckets();
    return { name, created: this.created.get(name) ?? Date.now(), region: region ?? (await this.regionOf(name)) };
  }

  async deleteBucket(name: string): Promise<void> {
    // S3 deletes a bucket that only holds unfinished uploads; the interface keeps them.
    const uploads = await this.call(() => this.client.send(new ListMultipartUploadsCommand({ Bucket: name, MaxUploads: 1 })), name);
    if ((uploads.Uploads ?? []).length > 0) throw bucketNotEmpty();
    await this.call(() => this.client.send(new DeleteBucketCommand({ Bucket: name })), name);
    this.created.delete(name);
  }

  async putObject(bucket: string, key: string, body: ObjectBody, headers: ObjectHeaders): Promise<ObjectInfo> {
    checkKey(key);
    if (Buffer.isBuffer(body)) {
      const put = await this.call(
        () => this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.length, ...sdkHeaders(headers) })),
        bucket,
      );
      // PutObject answers no Last-Modified: the time of the answer stands in for it.
      return { ...keptHeaders(headers), key, size: body.length, etag: bareEtag(put.ETag ?? ''), lastModified: Date.now() };
    }
    let size = 0;
    const counted = body.pipe(
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          size += chunk.length;
          done(null, chunk);
        },
      }),
    );
    body.once('error', (err) => counted.destroy(err));
    const upload = new Upload({
      client: this.client,
      params: { Bucket: bucket, Key: key, Body: counted, ...sdkHeaders(headers) },
      partSize: STREAM_PART_BYTES,
      queueSize: 1,
      leavePartsOnError: false,
    });
    const done = await this.call(() => upload.done(), bucket);
    // Not a HEAD afterwards: another writer may have replaced the object by then.
    return { ...keptHeaders(headers), key, size, etag: bareEtag(done.ETag ?? ''), lastModified: Date.now() };
  }

  async getObject(bucket: string, key: string, range?: ByteRange): Promise<{ info: ObjectInfo; body: Readable }> {
    checkKey(key);
    const got = await this.call(
      () => this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end}` : undefined })),
      bucket,
    );
    // A ranged answer's Content-Length is the range's; the object's size follows the slash.
    const total = /\/(\d+)$/.exec(got.ContentRange ?? '')?.[1];
    const size = total !== undefined ? Number(total) : (got.ContentLength ?? 0);
    return { info: describe(key, size, got), body: got.Body as Readable };
  }

  async headObject(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    try {
      const head = await this.call(() => this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key })));
      return describe(key, head.ContentLength ?? 0, head);
    } catch (err) {
      if (!(err instanceof ObjectStoreError) || (err.code !== 'NoSuchKey' && err.code !== 'NoSuchBucket')) throw err;
      // A HEAD answers a bare 404 for both: the bucket tells which.
      if (!(await this.headBucket(bucket))) throw noSuchBucket(bucket);
      return undefined;
    }
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    checkKey(key);
    await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })), bucket);
  }

  async listObjects(bucket: string, options: ListOptions): Promise<ListResult> {
    const page = await this.call(
      () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: options.prefix || undefined, StartAfter: options.startAfter, MaxKeys: options.limit }),
        ),
      bucket,
    );
    const objects = (page.Contents ?? []).map((o) => ({
      key: o.Key!,
      size: o.Size ?? 0,
      etag: bareEtag(o.ETag ?? ''),
      lastModified: o.LastModified?.getTime() ?? 0,
    }));
    return { objects, truncated: page.IsTruncated === true };
  }

  async copyObject(source: { bucket: string; key: string }, target: { bucket: string; key: string }, headers?: ObjectHeaders): Promise<ObjectInfo> {
    checkKey(source.key);
    checkKey(target.key);
    const copySource = `${source.bucket}/${source.key.split('/').map(encodeURIComponent).join('/')}`;
    try {
      await this.call(() =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: target.bucket,
            Key: target.key,
            CopySource: copySource,
            ...(headers ? { MetadataDirective: 'REPLACE', ...sdkHeaders(headers) } : {}),
          }),
        ),
      );
    } catch (err) {
      if (!(err instanceof ObjectStoreError) || err.code !== 'NoSuchBucket') throw err;
      // S3 names no bucket in the error: say which one is missing.
      throw (await this.headBucket(source.bucket)) ? noSuchBucket(target.bucket) : noSuchBucket(source.bucket);
    }
    return (await this.headObject(target.bucket, target.key)) ?? Promise.reject(noSuchKey());
  }

  async createMultipartUpload(bucket: string, key: string, headers: ObjectHeaders): Promise<string> {
    checkKey(key);
    const created = await this.call(() => this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...sdkHeaders(headers) })), bucket);
    return created.UploadId!;
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: ObjectBody): Promise<UploadedPart> {
    checkKey(key);
    checkPartNumber(partNumber);
    // UploadPart needs the length up front: a streamed part is gathered first.
    const data = await bodyBuffer(body);
    const part = await this.call(
      () =>
        this.client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: data, ContentLength: data.length })),
      bucket,
    );
    return { partNumber, etag: bareEtag(part.ETag ?? ''), size: data.length, lastModified: Date.now() };
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    checkKey(key);
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await this.call(() => this.client.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumberMarker: marker })), bucket);
      for (const p of page.Parts ?? []) {
        parts.push({ partNumber: p.PartNumber!, etag: bareEtag(p.ETag ?? ''), size: p.Size ?? 0, lastModified: p.LastModified?.getTime() ?? 0 });
      }
      if (!page.IsTruncated) break;
      marker = page.NextPartNumberMarker;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<ObjectInfo> {
    checkKey(key);
    for (const part of parts) checkPartNumber(part.partNumber);
    // S3 checks the order before the parts; not every S3-compatible server does.
    for (let i = 1; i < parts.length; i++) if (parts[i].partNumber <= parts[i - 1].partNumber) throw invalidPartOrder();
    await this.call(
      () =>
        this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: key,
            UploadId: uploadId,
            MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: `"${bareEtag(p.etag)}"` })) },
          }),
        ),
      bucket,
    );
    return (await this.headObject(bucket, key)) ?? Promise.reject(noSuchKey());
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    checkKey(key);
    await this.call(() => this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })), bucket);
  }

  async listMultipartUploads(bucket: string): Promise<{ key: string; uploadId: string; initiated: number }[]> {
    const uploads: { key: string; uploadId: string; initiated: number }[] = [];
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      const page = await this.call(
        () => this.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker })),
        bucket,
      );
      for (const u of page.Uploads ?? []) uploads.push({ key: u.Key!, uploadId: u.UploadId!, initiated: u.Initiated?.getTime() ?? 0 });
      if (!page.IsTruncated) break;
      keyMarker = page.NextKeyMarker;
      uploadIdMarker = page.NextUploadIdMarker;
    }
    return uploads.sort((a, b) => compareKeys(a.key, b.key) || a.initiated - b.initiated);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async regionOf(bucket: string): Promise<string> {
    const location = await this.call(() => this.client.send(new GetBucketLocationCommand({ Bucket: bucket })), bucket);
    return location.LocationConstraint || DEFAULT_REGION;
  }

  /** Runs an SDK call, turning S3's errors that the interface names into ObjectStoreErrors. */
  private async call<T>(send: () => Promise<T>, bucket?: string): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw toObjectStoreError(err, bucket);
    }
  }
}

function toObjectStoreError(err: unknown, bucket: string | undefined): unknown {
  const failure = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = failure.Code ?? failure.name;
  if (code && KNOWN_CODES.has(code as ObjectErrorCode)) {
    return code === 'NoSuchBucket' && bucket ? noSuchBucket(bucket) : new ObjectStoreError(code as ObjectErrorCode, failure.message ?? code);
  }
  // HEAD answers carry no body: a 404 is a missing key or bucket, told apart by the caller.
  if (code === 'NotFound' || (failure.$metadata?.httpStatusCode === 404 && code === 'UnknownError')) {
    return bucket ? noSuchKey() : new ObjectStoreError('NoSuchBucket', 'The specified bucket does not exist');
  }
  return err;
}

/** The interface's headers as the SDK's request members. */
function sdkHeaders(headers: ObjectHeaders) {
  return {
    ContentType: headers.contentType,
    ContentEncoding: headers.contentEncoding,
    ContentDisposition: headers.contentDisposition,
    ContentLanguage: headers.contentLanguage,
    CacheControl: headers.cacheControl,
    Expires: headers.expires ? new Date(headers.expires) : undefined,
    Metadata: headers.metadata,
  };
}

function describe(key: string, size: number, out: Pick<HeadObjectCommandOutput, 'ETag' | 'LastModified' | 'ContentType' | 'ContentEncoding' | 'ContentDisposition' | 'ContentLanguage' | 'CacheControl' | 'Expires' | 'ExpiresString' | 'Metadata'>): ObjectInfo {
  return {
    ...keptHeaders({
      contentType: out.ContentType,
      contentEncoding: out.ContentEncoding,
      contentDisposition: out.ContentDisposition,
      contentLanguage: out.ContentLanguage,
      cacheControl: out.CacheControl,
      expires: out.ExpiresString ?? out.Expires?.toUTCString(),
      metadata: out.Metadata,
    }),
    key,
    size,
    etag: bareEtag(out.ETag ?? ''),
    lastModified: out.LastModified?.getTime() ?? 0,
  };
}
