import { createHash, randomBytes, type Hash } from 'node:crypto';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { BucketInfo, ByteRange, ListOptions, ListResult, ObjectBody, ObjectHeaders, ObjectInfo, ObjectStore, UploadedPart } from './object-store.js';
import { bucketAlreadyOwnedByYou, bucketNotEmpty, noSuchBucket, noSuchKey, noSuchUpload } from './errors.js';
import { checkKey, compareKeys, insertKey, listingStart, removeKey } from './keys.js';
import { checkCompletion, checkPartNumber, multipartEtag, newUploadId, UPLOAD_ID } from './multipart.js';
import { keptHeaders } from './body.js';
import {
  DirectorySync,
  encodeTrailer,
  isHashedName,
  KeyedLock,
  keyOfFileName,
  objectFileName,
  readTrailer,
  syncDirectory,
  writeFileDurably,
} from './fs-layout.js';

/**
 * Objects as files under `<data dir>/s3/` (the embedded default):
 *
 *   s3/<bucket>/.bucket.json            creation time and region
 *   s3/<bucket>/<encoded key>           data, then the object's description (fs-layout.ts)
 *   s3/<bucket>/.uploads/<id>/.upload.json and /<part number>   unfinished multipart uploads
 *   s3/<bucket>/.tmp/                   objects being written, uploads being removed
 *   .tmp-* and .trash-*                 being written or removed (buckets, parts, upload files)
 * What is under a .tmp directory or named .tmp-*, .trash-* is an interrupted write or removal
 * when the store (or a bucket) is opened, and is swept then.
 *
 * A write streams into a temp file beside its target, fsyncs it once, renames it into place and
 * fsyncs the directory (shared by the writes that wait at the same time) before it resolves: an
 * acknowledged object survives kill -9, and a torn write leaves only a temp file that nobody lists.
 *
 * Listing: each bucket's keys are kept sorted (UTF-8 binary order) in memory, built on the
 * bucket's first listing or write (GET and HEAD do not wait for it) from the directory's file
 * names alone (names decode back to keys), and kept
 * up to date by this process, the only writer. A page is a binary search, plus a read of the
 * trailer of each key it returns that was neither listed nor written since the bucket was loaded
 * (size, ETag and time are then kept with the key), whatever the bucket's size.
 */

/** Chunks of a streamed body gathered into one write; one write is in flight while the next gathers. */
const WRITE_BATCH_BYTES = 1024 * 1024;
/** putObjectInParts: chunks below this (records) are copied into a staging batch, larger ones written as they are. */
const STAGED_CHUNK_BYTES = 64 * 1024;
/** Read size for GETs and for concatenating parts. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Trailers read at once for one listing page. */
const LIST_READ_CONCURRENCY = 32;
/** Bucket names as S3 allows them, and no more: never `.`, `..` nor one of the store's own entries. */
const SAFE_BUCKET_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,254}$/;

const BUCKET_FILE = '.bucket.json';
/** Temp files of a bucket's objects: beside the keys (one file system, so a rename moves them), not among them. */
const TEMP_DIR = '.tmp';
const UPLOADS_DIR = '.uploads';
const UPLOAD_FILE = '.upload.json';

interface ObjectDescription extends ObjectHeaders {
  key: string;
  size: number;
  etag: string;
  lastModified: number;
}

interface PartDescription {
  partNumber: number;
  etag: string;
  size: number;
  lastModified: number;
}

interface UploadDescription {
  key: string;
  headers: ObjectHeaders;
  initiated: number;
}

/** What a listing shows of an object (S3's ListObjects carries no other headers). */
type Summary = Pick<ObjectInfo, 'size' | 'etag' | 'lastModified'>;

class Bucket {
  /** Keys in UTF-8 binary order, once `index()` has read them. */
  private keys?: string[];
  private indexing?: Promise<string[]>;
  /** Listing fields of the keys listed or written since the bucket was loaded: later pages read no file. */
  readonly summaries = new Map<string, Summary>();
  readonly directorySync: DirectorySync;
  /** Writes between their start and their directory fsync. */
  writers = 0;
  /** Set while DeleteBucket waits for writers: new writes wait for its outcome. */
  closing?: Promise<void>;
  private drained?: () => void;
  gone = false;

  constructor(
    readonly info: BucketInfo,
    readonly dir: string,
    keys?: string[],
  ) {
    this.keys = keys;
    this.directorySync = new DirectorySync(dir);
  }

  get uploadsDir(): string {
    return join(this.dir, UPLOADS_DIR);
  }

  get tempDir(): string {
    return join(this.dir, TEMP_DIR);
  }

  /** The sorted keys, read from the directory's names on first use. */
  index(): Promise<string[]> {
    if (this.keys) return Promise.resolve(this.keys);
    this.indexing ??= readKeys(this.dir).then(
      (keys) => (this.keys = keys),
      (err: unknown) => {
        this.indexing = undefined;
        throw err;
      },
    );
    return this.indexing;
  }

  /** Admits a write unless the bucket is deleted meanwhile. */
  async enter(): Promise<void> {
    while (this.closing) await this.closing;
    if (this.gone) throw noSuchBucket(this.info.name);
    this.writers++;
  }

  leave(): void {
    this.writers--;
    if (this.writers === 0) this.drained?.();
  }

  /** Resolves when no write is in progress (new ones wait while `closing` is set). */
  async drain(): Promise<void> {
    if (this.writers === 0) return;
    await new Promise<void>((resolve) => (this.drained = resolve));
    this.drained = undefined;
  }
}

export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;
  private readonly buckets = new Map<string, Promise<Bucket | undefined>>();
  private readonly bucketLock = new KeyedLock();
  private readonly keyLock = new KeyedLock();
  private readonly uploadLock = new KeyedLock();
  private readonly rootSync: DirectorySync;

  private constructor(private readonly root: string) {
    this.rootSync = new DirectorySync(root);
  }

  /** Opens (creating) the store under `root`, removing what interrupted writes left behind. */
  static async open(root: string): Promise<FsObjectStore> {
    await mkdir(root, { recursive: true });
    await sweep(root);
    return new FsObjectStore(root);
  }

  async listBuckets(): Promise<BucketInfo[]> {
    const names = (await readdir(this.root)).filter((name) => SAFE_BUCKET_NAME.test(name));
    const found = await Promise.all(names.map((name) => this.headBucket(name)));
    return found.filter((b): b is BucketInfo => b !== undefined).sort((a, b) => compareKeys(a.name, b.name));
  }

  async createBucket(name: string, region: string): Promise<BucketInfo> {
    if (!SAFE_BUCKET_NAME.test(name)) throw new RangeError(`not a bucket name: ${name}`);
    return this.bucketLock.run(name, async () => {
      if (await this.find(name)) throw bucketAlreadyOwnedByYou();
      const info: BucketInfo = { name, created: Date.now(), region };
      // Built under a temp name and renamed into place: a bucket exists whole or not at all.
      const temp = join(this.root, `.tmp-${randomBytes(8).toString('hex')}`);
      await mkdir(join(temp, UPLOADS_DIR), { recursive: true });
      await mkdir(join(temp, TEMP_DIR));
      try {
        await writeFileDurably(join(temp, BUCKET_FILE), join(temp, '.tmp-bucket'), Buffer.from(JSON.stringify({ created: info.created, region })));
        await syncDirectory(join(temp, UPLOADS_DIR));
        await syncDirectory(temp);
        await rename(temp, join(this.root, name));
      } catch (err) {
        await rm(temp, { recursive: true, force: true });
        if ((err as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (err as NodeJS.ErrnoException).code === 'EEXIST') throw bucketAlreadyOwnedByYou();
        throw err;
      }
      await this.rootSync.sync();
      this.buckets.set(name, Promise.resolve(new Bucket(info, join(this.root, name), [])));
      return { ...info };
    });
  }

  async headBucket(name: string): Promise<BucketInfo | undefined> {
    const bucket = await this.find(name);
    return bucket && { ...bucket.info };
  }

  async deleteBucket(name: string): Promise<void> {
    await this.bucketLock.run(name, async () => {
      const bucket = await this.bucket(name);
      let reopen!: () => void;
      bucket.closing = new Promise<void>((resolve) => (reopen = resolve));
      try {
        await bucket.drain();
        if ((await bucket.index()).length > 0 || (await uploadIds(bucket)).length > 0) throw bucketNotEmpty();
        const trash = join(this.root, `.trash-${randomBytes(8).toString('hex')}`);
        await rename(bucket.dir, trash);
        bucket.gone = true;
        this.buckets.delete(name);
        await this.rootSync.sync();
        await rm(trash, { recursive: true, force: true });
      } finally {
        bucket.closing = undefined;
        reopen();
      }
    });
  }

  async putObject(bucketName: string, key: string, body: ObjectBody, headers: ObjectHeaders): Promise<ObjectInfo> {
    checkKey(key);
    const bucket = await this.bucket(bucketName);
    const temp = tempName(bucket.tempDir);
    const hash = createHash('md5');
    const written = await writeBodyFile(temp, body, hash, (size) => describeObject(key, size, hash.digest('hex'), headers));
    return this.commitObject(bucket, key, temp, written);
  }

  async putObjectInParts(bucketName: string, key: string, chunks: readonly Buffer[], partBytes: number, headers: ObjectHeaders): Promise<ObjectInfo> {
    checkKey(key);
    const bucket = await this.bucket(bucketName);
    const temp = tempName(bucket.tempDir);
    const written = await writeChunksFile(temp, chunks, partBytes, (size, partEtags) =>
      describeObject(key, size, partEtags.length === 1 ? partEtags[0] : multipartEtag(partEtags), headers),
    );
    return this.commitObject(bucket, key, temp, written);
  }

  async getObject(bucketName: string, key: string, range?: ByteRange): Promise<{ info: ObjectInfo; body: Readable }> {
    const bucket = await this.bucket(bucketName);
    checkKey(key);
    const handle = await this.openObject(bucket, key);
    if (!handle) throw noSuchKey();
    try {
      const { description, dataBytes } = await readTrailer<ObjectDescription>(handle);
      const start = range?.start ?? 0;
      const end = range?.end ?? dataBytes - 1;
      if (range && (start < 0 || end < start || end >= dataBytes)) throw new RangeError(`range ${start}-${end} outside an object of ${dataBytes} bytes`);
      if (end < start) {
        await handle.close();
        return { info: objectInfo(description), body: Readable.from([]) };
      }
      // The stream reads from the open file: a put that replaces the object meanwhile changes nothing.
      return { info: objectInfo(description), body: handle.createReadStream({ start, end, highWaterMark: READ_CHUNK_BYTES }) };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async headObject(bucketName: string, key: string): Promise<ObjectInfo | undefined> {
    const bucket = await this.bucket(bucketName);
    checkKey(key);
    return this.describe(bucket, key);
  }

  async deleteObject(bucketName: string, key: string): Promise<void> {
    checkKey(key);
    const bucket = await this.bucket(bucketName);
    await bucket.enter();
    try {
      const keys = await bucket.index();
      const removed = await this.keyLock.run(lockName(bucket, key), async () => {
        try {
          await unlink(join(bucket.dir, objectFileName(key)));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
          throw err;
        }
        removeKey(keys, key);
        bucket.summaries.delete(key);
        return true;
      });
      if (removed) await bucket.directorySync.sync();
    } finally {
      bucket.leave();
    }
  }

  async listObjects(bucketName: string, options: ListOptions): Promise<ListResult> {
    const bucket = await this.bucket(bucketName);
    const prefix = options.prefix ?? '';
    const sorted = await bucket.index();
    const keys: string[] = [];
    let at = listingStart(sorted, prefix, options.startAfter);
    for (; at < sorted.length && keys.length < options.limit && sorted[at].startsWith(prefix); at++) keys.push(sorted[at]);
    const truncated = at < sorted.length && sorted[at].startsWith(prefix);
    const infos: (ObjectInfo | undefined)[] = keys.map((key) => {
      const summary = bucket.summaries.get(key);
      return summary && { key, ...summary };
    });
    let next = 0;
    const reader = async () => {
      while (next < keys.length) {
        const i = next++;
        if (infos[i]) continue;
        const info = await this.describe(bucket, keys[i]);
        if (!info) continue;
        infos[i] = { key: info.key, size: info.size, etag: info.etag, lastModified: info.lastModified };
        // A write that committed meanwhile has put its own summary: that one is newer.
        if (!bucket.summaries.has(info.key)) bucket.summaries.set(info.key, { size: info.size, etag: info.etag, lastModified: info.lastModified });
      }
    };
    await Promise.all(Array.from({ length: Math.min(LIST_READ_CONCURRENCY, keys.length) }, reader));
    // A key deleted while the page was read is left out.
    return { objects: infos.filter((info): info is ObjectInfo => info !== undefined), truncated };
  }

  async copyObject(source: { bucket: string; key: string }, target: { bucket: string; key: string }, headers?: ObjectHeaders): Promise<ObjectInfo> {
    checkKey(source.key);
    checkKey(target.key);
    const from = await this.bucket(source.bucket);
    const to = await this.bucket(target.bucket);
    const temp = tempName(to.tempDir);
    try {
      // copy_file_range (or a reflink) copies one version of the source, with its trailer.
      await copyFile(join(from.dir, objectFileName(source.key)), temp);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        if (!(await this.find(source.bucket))) throw noSuchBucket(source.bucket);
        if (!(await this.find(target.bucket))) throw noSuchBucket(target.bucket);
        throw noSuchKey();
      }
      throw err;
    }
    let description: ObjectDescription;
    const handle = await open(temp, 'r+');
    try {
      const { description: old, dataBytes } = await readTrailer<ObjectDescription>(handle);
      // A copy is written whole: its ETag is the MD5 of its bytes, also when the source was multipart.
      const etag = old.etag.includes('-') ? await md5OfRange(handle, dataBytes) : old.etag;
      description = describeObject(target.key, dataBytes, etag, headers ?? old);
      await handle.truncate(dataBytes);
      await writeAll(handle, [encodeTrailer(description)], dataBytes);
      await handle.datasync();
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    } finally {
      await handle.close();
    }
    return this.commitObject(to, target.key, temp, description);
  }

  async createMultipartUpload(bucketName: string, key: string, headers: ObjectHeaders): Promise<string> {
    checkKey(key);
    const bucket = await this.bucket(bucketName);
    const uploadId = newUploadId();
    const upload: UploadDescription = { key, headers: keptHeaders(headers), initiated: Date.now() };
    await bucket.enter();
    try {
      const temp = tempName(bucket.uploadsDir);
      await mkdir(temp);
      try {
        await writeFileDurably(join(temp, UPLOAD_FILE), join(temp, '.tmp-upload'), Buffer.from(JSON.stringify(upload)));
        await syncDirectory(temp);
        await rename(temp, join(bucket.uploadsDir, uploadId));
      } catch (err) {
        await rm(temp, { recursive: true, force: true });
        throw err;
      }
      await syncDirectory(bucket.uploadsDir);
    } finally {
      bucket.leave();
    }
    return uploadId;
  }

  async uploadPart(bucketName: string, key: string, uploadId: string, partNumber: number, body: ObjectBody): Promise<UploadedPart> {
    checkPartNumber(partNumber);
    const bucket = await this.bucket(bucketName);
    const dir = await this.uploadDir(bucket, key, uploadId);
    const temp = tempName(dir);
    const hash = createHash('md5');
    const part = await writeBodyFile(temp, body, hash, (size): PartDescription => ({ partNumber, etag: hash.digest('hex'), size, lastModified: Date.now() }));
    // No bucket.enter(): DeleteBucket refuses while the upload exists, and once the upload is gone
    // (completed, aborted, or its bucket deleted) its directory is too, and the rename fails.
    // Entering here would wait on DeleteBucket while a completion that holds this upload's lock
    // waits on it as well.
    await this.uploadLock.run(uploadId, async () => {
      try {
        await rename(temp, join(dir, String(partNumber)));
      } catch (err) {
        await unlink(temp).catch(() => {});
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchUpload();
        throw err;
      }
    });
    try {
      await syncDirectory(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchUpload();
      throw err;
    }
    return part;
  }

  async listParts(bucketName: string, key: string, uploadId: string): Promise<UploadedPart[]> {
    const bucket = await this.bucket(bucketName);
    const parts = await readParts(await this.uploadDir(bucket, key, uploadId));
    return [...parts.values()].map(({ path: _path, ...part }) => part).sort((a, b) => a.partNumber - b.partNumber);
  }

  async completeMultipartUpload(bucketName: string, key: string, uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<ObjectInfo> {
    const bucket = await this.bucket(bucketName);
    return this.uploadLock.run(uploadId, async () => {
      const dir = await this.uploadDir(bucket, key, uploadId);
      const upload = await readUpload(dir);
      if (!upload) throw noSuchUpload();
      const chosen = checkCompletion(parts, await readParts(dir));
      const temp = tempName(bucket.tempDir);
      const description = await concatenate(temp, chosen, (size) =>
        describeObject(key, size, multipartEtag(chosen.map((part) => part.etag)), upload.headers),
      );
      const info = await this.commitObject(bucket, key, temp, description);
      await this.removeUpload(bucket, dir);
      return info;
    });
  }

  async abortMultipartUpload(bucketName: string, key: string, uploadId: string): Promise<void> {
    const bucket = await this.bucket(bucketName);
    await this.uploadLock.run(uploadId, async () => this.removeUpload(bucket, await this.uploadDir(bucket, key, uploadId)));
  }

  async listMultipartUploads(bucketName: string): Promise<{ key: string; uploadId: string; initiated: number }[]> {
    const bucket = await this.bucket(bucketName);
    const found = await Promise.all(
      (await uploadIds(bucket)).map(async (uploadId) => {
        const upload = await readUpload(join(bucket.uploadsDir, uploadId));
        return upload && { key: upload.key, uploadId, initiated: upload.initiated };
      }),
    );
    return found.filter((u) => u !== undefined).sort((a, b) => compareKeys(a.key, b.key) || a.initiated - b.initiated);
  }

  async close(): Promise<void> {}

  /** The bucket, or NoSuchBucket. */
  private async bucket(name: string): Promise<Bucket> {
    const bucket = await this.find(name);
    if (!bucket) throw noSuchBucket(name);
    return bucket;
  }

  private async find(name: string): Promise<Bucket | undefined> {
    if (!SAFE_BUCKET_NAME.test(name)) return undefined;
    let loading = this.buckets.get(name);
    if (!loading) {
      loading = this.load(name);
      this.buckets.set(name, loading);
      const forget = () => {
        if (this.buckets.get(name) === loading) this.buckets.delete(name);
      };
      loading.then((bucket) => bucket || forget(), forget);
    }
    const bucket = await loading;
    return bucket && !bucket.gone ? bucket : undefined;
  }

  /** Reads a bucket's description and its keys from the file names, sweeping interrupted writes. */
  private async load(name: string): Promise<Bucket | undefined> {
    const dir = join(this.root, name);
    let stored: { created: number; region: string };
    try {
      stored = JSON.parse(await readFile(join(dir, BUCKET_FILE), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
      throw err;
    }
    // Nothing of this process writes in the bucket yet: what is in its temp places is left over.
    await rm(join(dir, TEMP_DIR), { recursive: true, force: true });
    await mkdir(join(dir, TEMP_DIR));
    const uploads = join(dir, UPLOADS_DIR);
    await mkdir(uploads, { recursive: true });
    await sweep(uploads);
    for (const id of await readdir(uploads)) if (UPLOAD_ID.test(id)) await sweep(join(uploads, id));
    return new Bucket({ name, created: stored.created, region: stored.region }, dir);
  }

  /** Renames a written temp file over the key: the commit point. Durable when it resolves. */
  private async commitObject(bucket: Bucket, key: string, temp: string, description: ObjectDescription): Promise<ObjectInfo> {
    try {
      await bucket.enter();
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw err;
    }
    try {
      // Read before the rename: the directory then holds every key but this one.
      const keys = await bucket.index();
      await this.keyLock.run(lockName(bucket, key), async () => {
        try {
          await rename(temp, join(bucket.dir, objectFileName(key)));
        } catch (err) {
          await unlink(temp).catch(() => {});
          throw err;
        }
        insertKey(keys, key);
        bucket.summaries.set(key, { size: description.size, etag: description.etag, lastModified: description.lastModified });
      });
      await bucket.directorySync.sync();
    } finally {
      bucket.leave();
    }
    return objectInfo(description);
  }

  private async openObject(bucket: Bucket, key: string): Promise<FileHandle | undefined> {
    try {
      return await open(join(bucket.dir, objectFileName(key)), 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      // Deleted with its bucket meanwhile?
      await this.bucket(bucket.info.name);
      return undefined;
    }
  }

  private async describe(bucket: Bucket, key: string): Promise<ObjectInfo | undefined> {
    const handle = await this.openObject(bucket, key);
    if (!handle) return undefined;
    try {
      return objectInfo((await readTrailer<ObjectDescription>(handle)).description);
    } finally {
      await handle.close();
    }
  }

  /** The directory of an upload of `key`, or NoSuchUpload. */
  private async uploadDir(bucket: Bucket, key: string, uploadId: string): Promise<string> {
    if (!UPLOAD_ID.test(uploadId)) throw noSuchUpload();
    const dir = join(bucket.uploadsDir, uploadId);
    const upload = await readUpload(dir);
    if (!upload || upload.key !== key) throw noSuchUpload();
    return dir;
  }

  /** Moves an upload out of `.uploads` in one rename, then removes its files. */
  private async removeUpload(bucket: Bucket, dir: string): Promise<void> {
    const trash = join(bucket.tempDir, `trash-${randomBytes(8).toString('hex')}`);
    await bucket.enter();
    try {
      await rename(dir, trash);
      await syncDirectory(bucket.uploadsDir);
    } finally {
      bucket.leave();
    }
    await rm(trash, { recursive: true, force: true });
  }
}

export async function openFsObjectStore(root: string): Promise<FsObjectStore> {
  return FsObjectStore.open(root);
}

function tempName(dir: string): string {
  return join(dir, `.tmp-${randomBytes(12).toString('hex')}`);
}

function lockName(bucket: Bucket, key: string): string {
  return `${bucket.info.name}/${key}`;
}

/** Removes `.tmp-*` and `.trash-*` entries: writes and removals that a stop interrupted. */
async function sweep(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('.tmp-') || entry.startsWith('.trash-')) await rm(join(dir, entry), { recursive: true, force: true });
  }
}

/** The keys a bucket directory's names stand for, sorted. */
async function readKeys(dir: string): Promise<string[]> {
  const keys: string[] = [];
  for (const entry of await readdir(dir)) {
    const key = keyOfFileName(entry) ?? (isHashedName(entry) ? await keyOfHashedFile(join(dir, entry)) : undefined);
    if (key !== undefined) keys.push(key);
  }
  return keys.sort(compareKeys);
}

async function uploadIds(bucket: Bucket): Promise<string[]> {
  return (await readdir(bucket.uploadsDir)).filter((name) => UPLOAD_ID.test(name));
}

async function readUpload(dir: string): Promise<UploadDescription | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, UPLOAD_FILE), 'utf8')) as UploadDescription;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

async function readParts(dir: string): Promise<Map<number, PartDescription & { path: string }>> {
  const parts = new Map<number, PartDescription & { path: string }>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchUpload();
    throw err;
  }
  for (const name of names) {
    if (!/^[1-9][0-9]{0,4}$/.test(name)) continue;
    const path = join(dir, name);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    try {
      const { description } = await readTrailer<PartDescription>(handle);
      parts.set(description.partNumber, { ...description, path });
    } finally {
      await handle.close();
    }
  }
  return parts;
}

async function keyOfHashedFile(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r');
  try {
    return (await readTrailer<ObjectDescription>(handle)).description.key;
  } catch {
    return undefined;
  } finally {
    await handle.close();
  }
}

function describeObject(key: string, size: number, etag: string, headers: ObjectHeaders): ObjectDescription {
  return { ...keptHeaders(headers), key, size, etag, lastModified: Date.now() };
}

function objectInfo(description: ObjectDescription): ObjectInfo {
  return { ...description };
}

/**
 * Streams a body into a new file at `temp`, hashing it, then appends the trailer `describe` gives
 * for the size and fsyncs once. Removes the file when anything fails.
 */
async function writeBodyFile<D extends object>(temp: string, body: ObjectBody, hash: Hash, describe: (size: number) => D): Promise<D> {
  const handle = await open(temp, 'wx');
  // The write in flight, if any: awaited before the file is closed, also on failure.
  let writing: Promise<void> = Promise.resolve();
  try {
    let size = 0;
    if (Buffer.isBuffer(body)) {
      // The write runs on libuv's pool while this thread hashes.
      writing = writeAll(handle, [body], 0);
      writing.catch(() => {});
      hash.update(body);
      await writing;
      size = body.length;
    } else {
      let batch: Buffer[] = [];
      let batched = 0;
      for await (const chunk of body) {
        const data: Buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
        hash.update(data);
        batch.push(data);
        batched += data.length;
        if (batched >= WRITE_BATCH_BYTES) {
          await writing;
          writing = writeAll(handle, batch, size);
          // Keeps a rejection from being unhandled while the next batch gathers.
          writing.catch(() => {});
          size += batched;
          batch = [];
          batched = 0;
        }
      }
      await writing;
      if (batched > 0) await writeAll(handle, batch, size);
      size += batched;
    }
    const description = describe(size);
    await writeAll(handle, [encodeTrailer(description)], size);
    await handle.datasync();
    await handle.close();
    return description;
  } catch (err) {
    await writing.catch(() => {});
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/** The chosen parts' data, one after the other, into a new file with the object's trailer. */
async function concatenate(temp: string, parts: (PartDescription & { path: string })[], describe: (size: number) => ObjectDescription): Promise<ObjectDescription> {
  const handle = await open(temp, 'wx');
  let writing: Promise<void> = Promise.resolve();
  try {
    let size = 0;
    for (const part of parts) {
      const source = await open(part.path, 'r');
      try {
        const buffers = [Buffer.allocUnsafe(READ_CHUNK_BYTES), Buffer.allocUnsafe(READ_CHUNK_BYTES)];
        for (let done = 0, turn = 0; done < part.size; turn ^= 1) {
          const buffer = buffers[turn];
          const { bytesRead } = await source.read(buffer, 0, Math.min(READ_CHUNK_BYTES, part.size - done), done);
          if (bytesRead === 0) throw new Error(`part ${part.partNumber} ended early`);
          await writing;
          writing = writeAll(handle, [buffer.subarray(0, bytesRead)], size + done);
          writing.catch(() => {});
          done += bytesRead;
        }
        await writing;
      } finally {
        await writing.catch(() => {});
        await source.close();
      }
      size += part.size;
    }
    const description = describe(size);
    await writeAll(handle, [encodeTrailer(description)], size);
    await handle.datasync();
    await handle.close();
    return description;
  } catch (err) {
    await writing.catch(() => {});
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/**
 * `chunks` written to a new file with a trailer, each part of `partBytes` hashed on its own: the
 * writes of one batch run on libuv's pool while this thread hashes the next. Small chunks (records)
 * are copied into one of two staging buffers and hashed and written a staging buffer at a time:
 * one MD5 update and one iovec per MiB instead of per record. Larger chunks go as they are.
 */
async function writeChunksFile(temp: string, chunks: readonly Buffer[], partBytes: number, describe: (size: number, partEtags: string[]) => ObjectDescription): Promise<ObjectDescription> {
  const handle = await open(temp, 'wx');
  let writing: Promise<void> = Promise.resolve();
  try {
    const partEtags: string[] = [];
    let hash = createHash('md5');
    let inPart = 0;
    /** Hashes the next `data` of the file, a part's MD5 ending at each part boundary. */
    const hashNext = (data: Buffer) => {
      for (let at = 0; at < data.length; ) {
        const take = Math.min(data.length - at, partBytes - inPart);
        hash.update(take === data.length ? data : data.subarray(at, at + take));
        inPart += take;
        at += take;
        if (inPart === partBytes) {
          partEtags.push(hash.digest('hex'));
          hash = createHash('md5');
          inPart = 0;
        }
      }
    };
    let size = 0;
    let batch: Buffer[] = [];
    let batched = 0;
    // Staging buffers: the one in the write in flight, and the one filling (at most two, of at
    // most a batch, no larger than the object).
    const stageBytes = Math.min(WRITE_BATCH_BYTES, chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    const freeStages: Buffer[] = [];
    let stageInFlight: Buffer | undefined;
    let stage: Buffer | undefined;
    let staged = 0;
    /** Starts writing the batch once the write before it is done: one write in flight at a time. */
    const send = async () => {
      await writing;
      if (stageInFlight) freeStages.push(stageInFlight);
      stageInFlight = undefined;
      writing = writeAll(handle, batch, size);
      // Keeps a rejection from being unhandled while the next batch gathers.
      writing.catch(() => {});
      size += batched;
      batch = [];
      batched = 0;
    };
    const sendStage = async () => {
      const filled = stage!;
      const data = filled.subarray(0, staged);
      stage = undefined;
      staged = 0;
      hashNext(data);
      batch.push(data);
      batched += data.length;
      await send();
      stageInFlight = filled;
    };
    for (const chunk of chunks) {
      if (chunk.length < STAGED_CHUNK_BYTES) {
        if (stage && staged + chunk.length > stage.length) await sendStage();
        stage ??= freeStages.pop() ?? Buffer.allocUnsafeSlow(stageBytes);
        stage.set(chunk, staged);
        staged += chunk.length;
        continue;
      }
      if (staged > 0) await sendStage();
      hashNext(chunk);
      batch.push(chunk);
      batched += chunk.length;
      if (batched >= WRITE_BATCH_BYTES) await send();
    }
    if (staged > 0) await sendStage();
    if (batched > 0) await send();
    await writing;
    if (inPart > 0 || partEtags.length === 0) partEtags.push(hash.digest('hex'));
    const description = describe(size, partEtags);
    await writeAll(handle, [encodeTrailer(description)], size);
    await handle.datasync();
    await handle.close();
    return description;
  } catch (err) {
    await writing.catch(() => {});
    await handle.close().catch(() => {});
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/** Writes every buffer at `position`, however many calls the kernel takes. */
async function writeAll(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, position);
    position += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const buffer of pending) {
      if (skip >= buffer.length) skip -= buffer.length;
      else {
        rest.push(skip > 0 ? buffer.subarray(skip) : buffer);
        skip = 0;
      }
    }
    pending = rest;
  }
}

async function md5OfRange(handle: FileHandle, bytes: number): Promise<string> {
  const hash = createHash('md5');
  const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
  for (let done = 0; done < bytes; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(READ_CHUNK_BYTES, bytes - done), done);
    if (bytesRead === 0) throw new Error('object file ended early');
    hash.update(buffer.subarray(0, bytesRead));
    done += bytesRead;
  }
  return hash.digest('hex');
}
