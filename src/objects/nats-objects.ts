import { createHash, type Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Objm, StorageType, type ObjectInfo as NatsObjectInfo, type ObjectStore as NatsBucket } from '@nats-io/obj';
import type { MetadataStore } from '../store/store.js';
import { escapeName } from '../store/nats/names.js';
import type { BucketInfo, ByteRange, ListOptions, ListResult, ObjectBody, ObjectHeaders, ObjectInfo, ObjectStore, UploadedPart } from './object-store.js';
import { bucketAlreadyOwnedByYou, bucketNotEmpty, noSuchBucket, noSuchKey, noSuchUpload } from './errors.js';
import { checkKey, compareKeys, listingStart } from './keys.js';
import { checkCompletion, checkPartNumber, multipartEtag, newUploadId, UPLOAD_ID } from './multipart.js';
import { keptHeaders } from './body.js';

/**
 * Objects in JetStream's Object Store (distributed mode): every node sees the same buckets.
 *
 * - Each S3 bucket is an object-store bucket `S3_<name>` (NATS allows [A-Za-z0-9_-]; the name is
 *   escaped reversibly as the store's other names are), replicated `--replicas` times; its
 *   unfinished multipart parts live in a hidden one, `S3PARTS_<name>`, as `<upload id>/<part>`.
 * - The registry of buckets (creation time, region) and of unfinished uploads is in the metadata
 *   KV, written with compare-and-set: two nodes creating one bucket cannot both succeed.
 * - An object's ETag and headers are in its object-store meta, written in the same message that
 *   makes the object visible; JetStream acknowledges it once stored on the replicas.
 *
 * A listing reads the bucket's object metas (JetStream keeps the last one per name), and a ranged
 * GET streams the object from its first chunk: the object store has no index by name order nor by
 * offset.
 */

/** Chunk size of stored objects: fewer acknowledgements per object than the client's 128 KiB default. */
const CHUNK_BYTES = 1024 * 1024;
/** How long one chunk's publish may wait for its acknowledgement. */
const PUBLISH_TIMEOUT_MS = 30_000;

const bucketEntry = (bucket: string) => `objects/bucket/${bucket}`;
const uploadsPrefix = (bucket: string) => `objects/upload/${bucket}/`;
const uploadEntry = (bucket: string, uploadId: string) => `${uploadsPrefix(bucket)}${uploadId}`;
const objectsBucketName = (bucket: string) => `S3_${escapeName(bucket)}`;
const partsBucketName = (bucket: string) => `S3PARTS_${escapeName(bucket)}`;
const partName = (uploadId: string, partNumber: number) => `${uploadId}/${partNumber}`;

/**
 * The client spells a name into subjects with btoa, which takes only Latin-1: an object's name is
 * its key's UTF-8 bytes, one character each (so the subject is the base64 of the UTF-8 key, as
 * other NATS clients spell it).
 */
const objectName = (key: string) => Buffer.from(key, 'utf8').toString('latin1');
const keyOf = (name: string) => Buffer.from(name, 'latin1').toString('utf8');

/** Kept in each object's meta. */
const ETAG = 's3-etag';
const HEADERS = 's3-headers';

interface BucketDocument {
  created: number;
  region: string;
}

interface UploadDocument {
  key: string;
  headers: ObjectHeaders;
  initiated: number;
}

export class NatsObjectStore implements ObjectStore {
  readonly kind = 'nats' as const;
  private readonly objm: Objm;
  private readonly handles = new Map<string, Promise<NatsBucket>>();

  constructor(
    connection: NatsConnection,
    private readonly meta: MetadataStore,
    private readonly replicas: number,
  ) {
    this.objm = new Objm(jetstream(connection, { timeout: PUBLISH_TIMEOUT_MS }));
  }

  async listBuckets(): Promise<BucketInfo[]> {
    const entries = await this.meta.list<BucketDocument>(bucketEntry(''));
    return entries.map((e) => ({ name: e.key.slice(bucketEntry('').length), ...e.value })).sort((a, b) => compareKeys(a.name, b.name));
  }

  async createBucket(name: string, region: string): Promise<BucketInfo> {
    const document: BucketDocument = { created: Date.now(), region };
    // The registry decides between nodes creating the same bucket at once.
    if ((await this.meta.put(bucketEntry(name), document, 0)) === undefined) throw bucketAlreadyOwnedByYou();
    try {
      await this.handle(objectsBucketName(name));
      await this.handle(partsBucketName(name));
    } catch (err) {
      const entry = await this.meta.get(bucketEntry(name));
      if (entry) await this.meta.delete(bucketEntry(name), entry.revision);
      throw err;
    }
    return { name, ...document };
  }

  async headBucket(name: string): Promise<BucketInfo | undefined> {
    const entry = await this.meta.get<BucketDocument>(bucketEntry(name));
    return entry && { name, ...entry.value };
  }

  async deleteBucket(name: string): Promise<void> {
    const entry = await this.meta.get<BucketDocument>(bucketEntry(name));
    if (!entry) throw noSuchBucket(name);
    if ((await this.meta.list(uploadsPrefix(name))).length > 0) throw bucketNotEmpty();
    const objects = await this.handle(objectsBucketName(name));
    if ((await objects.list()).some((info) => !info.deleted)) throw bucketNotEmpty();
    if (!(await this.meta.delete(bucketEntry(name), entry.revision))) throw noSuchBucket(name);
    for (const bucket of [objectsBucketName(name), partsBucketName(name)]) {
      const handle = await this.handle(bucket);
      this.handles.delete(bucket);
      await handle.destroy();
    }
  }

  async putObject(bucket: string, key: string, body: ObjectBody, headers: ObjectHeaders): Promise<ObjectInfo> {
    checkKey(key);
    const objects = await this.objects(bucket);
    return objectInfo(await putWithEtag(objects, objectName(key), body, keptHeaders(headers)));
  }

  async getObject(bucket: string, key: string, range?: ByteRange): Promise<{ info: ObjectInfo; body: Readable }> {
    checkKey(key);
    const objects = await this.objects(bucket);
    const result = await objects.get(objectName(key));
    if (!result) throw noSuchKey();
    const size = result.info.size;
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    if (range && (start < 0 || end < start || end >= size)) throw new RangeError(`range ${start}-${end} outside an object of ${size} bytes`);
    return { info: objectInfo(result.info), body: Readable.from(slice(Readable.fromWeb(result.data as import('node:stream/web').ReadableStream<Uint8Array>), start, end)) };
  }

  async headObject(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    const info = await (await this.objects(bucket)).info(objectName(key));
    return info && !info.deleted ? objectInfo(info) : undefined;
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    checkKey(key);
    await (await this.objects(bucket)).delete(objectName(key));
  }

  async listObjects(bucket: string, options: ListOptions): Promise<ListResult> {
    const infos = (await (await this.objects(bucket)).list()).filter((info) => !info.deleted);
    const byKey = new Map(infos.map((info) => [keyOf(info.name), info]));
    const keys = [...byKey.keys()].sort(compareKeys);
    const prefix = options.prefix ?? '';
    const objects: ObjectInfo[] = [];
    let at = listingStart(keys, prefix, options.startAfter);
    for (; at < keys.length && objects.length < options.limit && keys[at].startsWith(prefix); at++) objects.push(objectInfo(byKey.get(keys[at])!));
    return { objects, truncated: at < keys.length && keys[at].startsWith(prefix) };
  }

  async copyObject(source: { bucket: string; key: string }, target: { bucket: string; key: string }, headers?: ObjectHeaders): Promise<ObjectInfo> {
    checkKey(source.key);
    checkKey(target.key);
    const from = await this.objects(source.bucket);
    const to = await this.objects(target.bucket);
    const result = await from.get(objectName(source.key));
    if (!result) throw noSuchKey();
    const body = Readable.fromWeb(result.data as import('node:stream/web').ReadableStream<Uint8Array>);
    // A copy is written whole: its ETag is the MD5 of its bytes, also when the source was multipart.
    const kept = headers ? keptHeaders(headers) : storedHeaders(result.info);
    return objectInfo(await putWithEtag(to, objectName(target.key), body, kept));
  }

  async createMultipartUpload(bucket: string, key: string, headers: ObjectHeaders): Promise<string> {
    checkKey(key);
    await this.objects(bucket);
    const uploadId = newUploadId();
    const document: UploadDocument = { key, headers: keptHeaders(headers), initiated: Date.now() };
    if ((await this.meta.put(uploadEntry(bucket, uploadId), document, 0)) === undefined) throw new Error(`upload id ${uploadId} drawn twice`);
    return uploadId;
  }

  async uploadPart(bucket: string, key: string, uploadId: string, partNumber: number, body: ObjectBody): Promise<UploadedPart> {
    checkPartNumber(partNumber);
    await this.upload(bucket, key, uploadId);
    const parts = await this.handle(partsBucketName(bucket));
    const stored = await putWithEtag(parts, partName(uploadId, partNumber), body, {});
    // Aborted or completed while the part arrived: it is not kept.
    if (!(await this.meta.get(uploadEntry(bucket, uploadId)))) {
      await parts.delete(stored.name);
      throw noSuchUpload();
    }
    return { partNumber, etag: stored.metadata![ETAG], size: stored.size, lastModified: Date.parse(stored.mtime) };
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    await this.upload(bucket, key, uploadId);
    const parts = await this.parts(bucket, uploadId);
    return [...parts.values()].map(({ name: _name, ...part }) => part).sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(bucket: string, key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<ObjectInfo> {
    const upload = await this.upload(bucket, key, uploadId);
    const stored = await this.parts(bucket, uploadId);
    const chosen = checkCompletion(parts, stored);
    const partsBucket = await this.handle(partsBucketName(bucket));
    const objects = await this.objects(bucket);
    const etag = multipartEtag(chosen.map((part) => part.etag));
    // The parts are read one after the other into the object's chunks, never whole in memory.
    const concatenated = Readable.from(
      (async function* () {
        for (const part of chosen) {
          const result = await partsBucket.get(part.name);
          if (!result) throw new Error(`part ${part.partNumber} vanished during completion`);
          yield* Readable.fromWeb(result.data as import('node:stream/web').ReadableStream<Uint8Array>);
        }
      })(),
    );
    const info = await objects.put(
      { name: objectName(key), metadata: { [ETAG]: etag, [HEADERS]: JSON.stringify(upload.value.headers) }, options: { max_chunk_size: CHUNK_BYTES } },
      Readable.toWeb(concatenated) as unknown as ReadableStream<Uint8Array>,
    );
    await this.meta.delete(uploadEntry(bucket, uploadId), upload.revision);
    await Promise.all([...stored.values()].map((part) => partsBucket.delete(part.name)));
    return objectInfo(info);
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    const upload = await this.upload(bucket, key, uploadId);
    if (!(await this.meta.delete(uploadEntry(bucket, uploadId), upload.revision))) throw noSuchUpload();
    const partsBucket = await this.handle(partsBucketName(bucket));
    await Promise.all([...(await this.parts(bucket, uploadId)).values()].map((part) => partsBucket.delete(part.name)));
  }

  async listMultipartUploads(bucket: string): Promise<{ key: string; uploadId: string; initiated: number }[]> {
    await this.objects(bucket);
    const entries = await this.meta.list<UploadDocument>(uploadsPrefix(bucket));
    return entries
      .map((e) => ({ key: e.value.key, uploadId: e.key.slice(uploadsPrefix(bucket).length), initiated: e.value.initiated }))
      .sort((a, b) => compareKeys(a.key, b.key) || a.initiated - b.initiated);
  }

  async close(): Promise<void> {
    // The connection belongs to the NATS store, which closes it.
  }

  /** The object-store bucket behind an S3 bucket, or NoSuchBucket. */
  private async objects(bucket: string): Promise<NatsBucket> {
    if (!(await this.meta.get(bucketEntry(bucket)))) throw noSuchBucket(bucket);
    return this.handle(objectsBucketName(bucket));
  }

  /** Opens (creating where missing) an object-store bucket, once per node. */
  private handle(name: string): Promise<NatsBucket> {
    let opening = this.handles.get(name);
    if (!opening) {
      opening = this.objm.create(name, { replicas: this.replicas, storage: StorageType.File });
      this.handles.set(name, opening);
      opening.catch(() => this.handles.delete(name));
    }
    return opening;
  }

  private async upload(bucket: string, key: string, uploadId: string) {
    await this.objects(bucket);
    if (!UPLOAD_ID.test(uploadId)) throw noSuchUpload();
    const entry = await this.meta.get<UploadDocument>(uploadEntry(bucket, uploadId));
    if (!entry || entry.value.key !== key) throw noSuchUpload();
    return entry;
  }

  private async parts(bucket: string, uploadId: string): Promise<Map<number, UploadedPart & { name: string }>> {
    const prefix = `${uploadId}/`;
    const found = new Map<number, UploadedPart & { name: string }>();
    for (const info of await (await this.handle(partsBucketName(bucket))).list()) {
      if (info.deleted || !info.name.startsWith(prefix)) continue;
      const partNumber = Number(info.name.slice(prefix.length));
      found.set(partNumber, { partNumber, etag: info.metadata?.[ETAG] ?? '', size: info.size, lastModified: Date.parse(info.mtime), name: info.name });
    }
    return found;
  }
}

/**
 * Puts a body under `name` with its MD5 as ETag in the same meta message. The meta is handed to
 * the client before the body is read and published after it ends: the ETag is filled in when the
 * body ends, and checked in what the client stored.
 */
async function putWithEtag(bucket: NatsBucket, name: string, body: ObjectBody, headers: ObjectHeaders): Promise<NatsObjectInfo> {
  const hash = createHash('md5');
  const metadata: Record<string, string> = { [HEADERS]: JSON.stringify(headers) };
  const stored = await bucket.put({ name, metadata, options: { max_chunk_size: CHUNK_BYTES } }, hashedStream(body, hash, () => (metadata[ETAG] = hash.digest('hex'))));
  if (stored.metadata?.[ETAG] === undefined || stored.metadata[ETAG] !== metadata[ETAG]) {
    throw new Error(`the object store did not keep the ETag of ${name}`);
  }
  return stored;
}

/** A web stream of the body for the NATS client, hashing as it is read; `ended` runs before the end is signalled. */
function hashedStream(body: ObjectBody, hash: Hash, ended: () => void): ReadableStream<Uint8Array> {
  const chunks: AsyncIterator<Buffer> = Buffer.isBuffer(body) ? [body][Symbol.iterator]() as unknown as AsyncIterator<Buffer> : body[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) {
        ended();
        controller.close();
        return;
      }
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      hash.update(chunk);
      controller.enqueue(chunk);
    },
    async cancel() {
      await chunks.return?.();
    },
  });
}

/** Bytes `start` to `end` (inclusive) of a stream, as Buffers; stops reading after `end`. */
async function* slice(source: Readable, start: number, end: number): AsyncGenerator<Buffer> {
  let offset = 0;
  if (end < start) {
    source.destroy();
    return;
  }
  for await (const chunk of source) {
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from((chunk as Uint8Array).buffer, (chunk as Uint8Array).byteOffset, (chunk as Uint8Array).length);
    const from = Math.max(0, start - offset);
    const to = Math.min(data.length, end + 1 - offset);
    if (to > from) yield data.subarray(from, to);
    offset += data.length;
    if (offset > end) return;
  }
}

function storedHeaders(info: NatsObjectInfo): ObjectHeaders {
  const json = info.metadata?.[HEADERS];
  return json ? (JSON.parse(json) as ObjectHeaders) : {};
}

function objectInfo(info: NatsObjectInfo): ObjectInfo {
  return { ...storedHeaders(info), key: keyOf(info.name), size: info.size, etag: info.metadata?.[ETAG] ?? '', lastModified: Date.parse(info.mtime) };
}
