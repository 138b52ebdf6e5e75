import type { Readable } from 'node:stream';
import type { BucketInfo, ByteRange, ListOptions, ListResult, ObjectBody, ObjectHeaders, ObjectInfo, ObjectStore, UploadedPart } from './object-store.js';
import { bucketAlreadyOwnedByYou, bucketNotEmpty, noSuchBucket, noSuchKey, noSuchUpload } from './errors.js';
import { checkKey, compareKeys, insertKey, listingStart, removeKey } from './keys.js';
import { checkCompletion, checkPartNumber, multipartEtag, newUploadId } from './multipart.js';
import { bodyBuffer, bodyStream, keptHeaders, md5Hex } from './body.js';

interface StoredObject {
  info: ObjectInfo;
  data: Buffer;
}

interface Upload {
  key: string;
  headers: ObjectHeaders;
  initiated: number;
  parts: Map<number, UploadedPart & { data: Buffer }>;
}

interface Bucket {
  info: BucketInfo;
  objects: Map<string, StoredObject>;
  /** The keys in UTF-8 binary order, kept sorted so a listing is a binary search and a slice. */
  keys: string[];
  uploads: Map<string, Upload>;
}

/** Objects in this process's memory (`--memory`): gone when it exits, like everything else then. */
export class MemoryObjectStore implements ObjectStore {
  readonly kind = 'memory' as const;
  private readonly buckets = new Map<string, Bucket>();

  async listBuckets(): Promise<BucketInfo[]> {
    return [...this.buckets.values()].map((b) => ({ ...b.info })).sort((a, b) => compareKeys(a.name, b.name));
  }

  async createBucket(name: string, region: string): Promise<BucketInfo> {
    if (this.buckets.has(name)) throw bucketAlreadyOwnedByYou();
    const info = { name, created: Date.now(), region };
    this.buckets.set(name, { info, objects: new Map(), keys: [], uploads: new Map() });
    return { ...info };
  }

  async headBucket(name: string): Promise<BucketInfo | undefined> {
    const bucket = this.buckets.get(name);
    return bucket && { ...bucket.info };
  }

  async deleteBucket(name: string): Promise<void> {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0 || bucket.uploads.size > 0) throw bucketNotEmpty();
    this.buckets.delete(name);
  }

  async putObject(bucketName: string, key: string, body: ObjectBody, headers: ObjectHeaders): Promise<ObjectInfo> {
    checkKey(key);
    this.bucket(bucketName);
    const data = await bodyBuffer(body);
    // The bucket may have gone while the body arrived.
    return this.store(this.bucket(bucketName), key, data, md5Hex(data), headers);
  }

  async getObject(bucketName: string, key: string, range?: ByteRange): Promise<{ info: ObjectInfo; body: Readable }> {
    const found = this.bucket(bucketName).objects.get(key);
    if (!found) throw noSuchKey();
    const data = range ? found.data.subarray(range.start, range.end + 1) : found.data;
    return { info: copyInfo(found.info), body: bodyStream(data) };
  }

  async headObject(bucketName: string, key: string): Promise<ObjectInfo | undefined> {
    const found = this.bucket(bucketName).objects.get(key);
    return found && copyInfo(found.info);
  }

  async deleteObject(bucketName: string, key: string): Promise<void> {
    const bucket = this.bucket(bucketName);
    if (bucket.objects.delete(key)) removeKey(bucket.keys, key);
  }

  async listObjects(bucketName: string, options: ListOptions): Promise<ListResult> {
    const bucket = this.bucket(bucketName);
    const prefix = options.prefix ?? '';
    const objects: ObjectInfo[] = [];
    let at = listingStart(bucket.keys, prefix, options.startAfter);
    for (; at < bucket.keys.length && objects.length < options.limit; at++) {
      const key = bucket.keys[at];
      if (!key.startsWith(prefix)) return { objects, truncated: false };
      objects.push(copyInfo(bucket.objects.get(key)!.info));
    }
    const truncated = at < bucket.keys.length && bucket.keys[at].startsWith(prefix);
    return { objects, truncated };
  }

  async copyObject(source: { bucket: string; key: string }, target: { bucket: string; key: string }, headers?: ObjectHeaders): Promise<ObjectInfo> {
    checkKey(target.key);
    const found = this.bucket(source.bucket).objects.get(source.key);
    if (!found) throw noSuchKey();
    const bucket = this.bucket(target.bucket);
    // A copy is written whole, so its ETag is the MD5 of its bytes even when the source was multipart.
    const etag = found.info.etag.includes('-') ? md5Hex(found.data) : found.info.etag;
    return this.store(bucket, target.key, found.data, etag, headers ?? found.info);
  }

  async createMultipartUpload(bucketName: string, key: string, headers: ObjectHeaders): Promise<string> {
    checkKey(key);
    const uploadId = newUploadId();
    this.bucket(bucketName).uploads.set(uploadId, { key, headers: keptHeaders(headers), initiated: Date.now(), parts: new Map() });
    return uploadId;
  }

  async uploadPart(bucketName: string, key: string, uploadId: string, partNumber: number, body: ObjectBody): Promise<UploadedPart> {
    checkPartNumber(partNumber);
    this.upload(bucketName, key, uploadId);
    const data = await bodyBuffer(body);
    const part = { partNumber, etag: md5Hex(data), size: data.length, lastModified: Date.now(), data };
    // Aborted or completed while the body arrived: NoSuchUpload, as S3 answers.
    this.upload(bucketName, key, uploadId).parts.set(partNumber, part);
    return partInfo(part);
  }

  async listParts(bucketName: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    const upload = this.upload(bucketName, key, uploadId);
    return [...upload.parts.values()].sort((a, b) => a.partNumber - b.partNumber).map(partInfo);
  }

  async completeMultipartUpload(bucketName: string, key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<ObjectInfo> {
    const bucket = this.bucket(bucketName);
    const upload = this.upload(bucketName, key, uploadId);
    const chosen = checkCompletion(parts, upload.parts);
    bucket.uploads.delete(uploadId);
    const data = Buffer.concat(chosen.map((part) => part.data));
    return this.store(bucket, key, data, multipartEtag(chosen.map((part) => part.etag)), upload.headers);
  }

  async abortMultipartUpload(bucketName: string, key: string, uploadId: string): Promise<void> {
    this.upload(bucketName, key, uploadId);
    this.bucket(bucketName).uploads.delete(uploadId);
  }

  async listMultipartUploads(bucketName: string): Promise<{ key: string; uploadId: string; initiated: number }[]> {
    const uploads = [...this.bucket(bucketName).uploads].map(([uploadId, u]) => ({ key: u.key, uploadId, initiated: u.initiated }));
    return uploads.sort((a, b) => compareKeys(a.key, b.key) || a.initiated - b.initiated);
  }

  async close(): Promise<void> {}

  private bucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  private upload(bucketName: string, key: string, uploadId: string): Upload {
    const upload = this.bucket(bucketName).uploads.get(uploadId);
    if (!upload || upload.key !== key) throw noSuchUpload();
    return upload;
  }

  private store(bucket: Bucket, key: string, data: Buffer, etag: string, headers: ObjectHeaders): ObjectInfo {
    const info: ObjectInfo = { ...keptHeaders(headers), key, size: data.length, etag, lastModified: Date.now() };
    if (!bucket.objects.has(key)) insertKey(bucket.keys, key);
    bucket.objects.set(key, { info, data });
    return copyInfo(info);
  }
}

function copyInfo(info: ObjectInfo): ObjectInfo {
  return info.metadata ? { ...info, metadata: { ...info.metadata } } : { ...info };
}

function partInfo(part: UploadedPart): UploadedPart {
  return { partNumber: part.partNumber, etag: part.etag, size: part.size, lastModified: part.lastModified };
}
