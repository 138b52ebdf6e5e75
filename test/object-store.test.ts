import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { MAX_KEY_BYTES, MIN_PART_BYTES, ObjectStoreError, type ObjectStore } from '../src/objects/object-store.js';
import { FsObjectStore } from '../src/objects/fs-objects.js';
import { openObjectStore } from '../src/objects/open.js';
import { DEFAULT_CONFIG, type Config } from '../src/config.js';
import { openMemoryStore } from '../src/store/memory-store.js';
import { openLmdbStore } from '../src/store/lmdb-store.js';
import type { Store } from '../src/store/store.js';
import { available } from './helpers.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';

/**
 * One contract for every object store (src/objects/): the same behaviour from memory, files,
 * JetStream and an external S3 (moto_server). Each suite shares one store; each test uses its own
 * buckets.
 */

interface Subject {
  store: ObjectStore;
  stop(): Promise<void>;
}

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

async function text(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ObjectStoreError, `expected ObjectStoreError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  });
}

/** Keys S3 allows and file systems do not like, with a 1,024-byte one and code points on both sides of the surrogates. */
const ODD_KEYS = [
  'a',
  'a/',
  'a//b',
  '/leading',
  '../escape',
  './here',
  '.',
  '..',
  'dir/../../up',
  '.hidden',
  '~tilde',
  'per%cent%2F',
  'with space',
  'unicode/ünï/日本語',
  'emoji/😀',
  'private/\uE000',
  'replacement/\uFFFD',
  'x'.repeat(1024),
  'é'.repeat(512),
  'trailing/',
  'UPPER',
];

function byUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function contract(name: string, open: () => Promise<Subject | string>): void {
  describe(`object store contract: ${name}`, () => {
    let subject: Subject | undefined;
    let skip: string | undefined;
    let buckets = 0;
    before(async () => {
      const opened = await open();
      if (typeof opened === 'string') {
        skip = opened;
        console.log(`# ${name}: skipped, ${opened}`);
      } else subject = opened;
    });
    after(async () => subject?.stop());
    const bucketName = (label: string) => `t${++buckets}-${label}`;

    /** A test that needs the store; passes as skipped (with its reason printed once) when it is absent. */
    const test = (title: string, body: (store: ObjectStore) => Promise<void>) =>
      it(title, async (t) => {
        if (!subject) return t.skip(skip);
        await body(subject.store);
      });

    test('bucket lifecycle and its errors', async (store) => {
      const name = bucketName('life');
      assert.equal(await store.headBucket(name), undefined);
      const created = await store.createBucket(name, 'us-east-1');
      assert.equal(created.name, name);
      assert.equal(created.region, 'us-east-1');
      assert.ok(Math.abs(created.created - Date.now()) < 60_000);
      const head = await store.headBucket(name);
      assert.equal(head?.name, name);
      assert.equal(head?.region, 'us-east-1');
      assert.ok((await store.listBuckets()).some((b) => b.name === name));
      await rejectsWith(store.createBucket(name, 'us-east-1'), 'BucketAlreadyOwnedByYou');
      await store.putObject(name, 'k', Buffer.from('v'), {});
      await rejectsWith(store.deleteBucket(name), 'BucketNotEmpty');
      await store.deleteObject(name, 'k');
      const uploadId = await store.createMultipartUpload(name, 'mp', {});
      await rejectsWith(store.deleteBucket(name), 'BucketNotEmpty');
      await store.abortMultipartUpload(name, 'mp', uploadId);
      await store.deleteBucket(name);
      assert.equal(await store.headBucket(name), undefined);
      assert.ok(!(await store.listBuckets()).some((b) => b.name === name));
      await rejectsWith(store.deleteBucket(name), 'NoSuchBucket');
      await rejectsWith(store.putObject(name, 'k', Buffer.from('v'), {}), 'NoSuchBucket');
      await rejectsWith(store.getObject(name, 'k'), 'NoSuchBucket');
      await rejectsWith(store.headObject(name, 'k'), 'NoSuchBucket');
      await rejectsWith(store.listObjects(name, { limit: 10 }), 'NoSuchBucket');
      await rejectsWith(store.createMultipartUpload(name, 'k', {}), 'NoSuchBucket');
      // The name is free again.
      await store.createBucket(name, 'us-east-1');
      assert.deepEqual((await store.listObjects(name, { limit: 10 })).objects, []);
    });

    test('put, get, head and delete, from a buffer and from a stream', async (store) => {
      const bucket = bucketName('rw');
      await store.createBucket(bucket, 'us-east-1');
      const data = Buffer.from('hello, objects');
      const put = await store.putObject(bucket, 'greeting', data, { contentType: 'text/plain' });
      assert.equal(put.etag, md5(data));
      assert.equal(put.size, data.length);
      const head = await store.headObject(bucket, 'greeting');
      assert.equal(head?.etag, md5(data));
      assert.equal(head?.size, data.length);
      assert.equal(head?.contentType, 'text/plain');
      assert.ok(Math.abs(head!.lastModified - Date.now()) < 60_000);
      const got = await store.getObject(bucket, 'greeting');
      assert.equal(got.info.etag, md5(data));
      assert.deepEqual(await text(got.body), data);

      const chunks = Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024 + i, i));
      const whole = Buffer.concat(chunks);
      const streamed = await store.putObject(bucket, 'streamed', Readable.from(chunks), {});
      assert.equal(streamed.etag, md5(whole));
      assert.equal(streamed.size, whole.length);
      assert.deepEqual(await text((await store.getObject(bucket, 'streamed')).body), whole);

      const empty = await store.putObject(bucket, 'empty', Buffer.alloc(0), {});
      assert.equal(empty.etag, 'd41d8cd98f00b204e9800998ecf8427e');
      assert.equal((await text((await store.getObject(bucket, 'empty')).body)).length, 0);

      // Replaced whole.
      await store.putObject(bucket, 'greeting', Buffer.from('bye'), {});
      assert.equal((await text((await store.getObject(bucket, 'greeting')).body)).toString(), 'bye');
      // The headers are replaced too (an S3 server may give its default Content-Type).
      assert.notEqual((await store.headObject(bucket, 'greeting'))?.contentType, 'text/plain');

      await store.deleteObject(bucket, 'greeting');
      assert.equal(await store.headObject(bucket, 'greeting'), undefined);
      await rejectsWith(store.getObject(bucket, 'greeting'), 'NoSuchKey');
      await store.deleteObject(bucket, 'greeting');
      await store.deleteObject(bucket, 'never-was');
    });

    test('ranges', async (store) => {
      const bucket = bucketName('range');
      await store.createBucket(bucket, 'us-east-1');
      const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
      await store.putObject(bucket, 'r', data, {});
      const cases = [
        [0, 0],
        [0, 2999],
        [10, 19],
        [2999, 2999],
        [1024, 2047],
      ];
      for (const [start, end] of cases) {
        const got = await store.getObject(bucket, 'r', { start, end });
        assert.deepEqual(await text(got.body), data.subarray(start, end + 1), `bytes ${start}-${end}`);
        assert.equal(got.info.size, data.length);
      }
    });

    test('odd keys round trip and list in UTF-8 binary order', async (store) => {
      const bucket = bucketName('odd');
      await store.createBucket(bucket, 'us-east-1');
      for (const key of ODD_KEYS) {
        await store.putObject(bucket, key, Buffer.from(key), { metadata: { k: 'v' } });
      }
      for (const key of ODD_KEYS) {
        const got = await store.getObject(bucket, key);
        assert.equal((await text(got.body)).toString(), key, `key ${JSON.stringify(key.slice(0, 40))}`);
        assert.equal(got.info.key, key);
      }
      const listed = await store.listObjects(bucket, { limit: 1000 });
      const expected = [...ODD_KEYS].sort(byUtf8);
      assert.deepEqual(
        listed.objects.map((o) => o.key),
        expected,
      );
      assert.equal(listed.truncated, false);
      // U+E000 sorts before U+1F600 in UTF-8, after it in UTF-16.
      assert.ok(expected.indexOf('private/\uE000') < expected.indexOf('replacement/\uFFFD'));
      for (const o of listed.objects) assert.equal(o.etag, md5(o.key));
      await store.deleteObject(bucket, '..');
      assert.equal(await store.headObject(bucket, '..'), undefined);
      assert.equal((await store.headObject(bucket, '.'))?.size, 1);
    });

    test('list: order, prefix, startAfter, limit, truncated', async (store) => {
      const bucket = bucketName('list');
      await store.createBucket(bucket, 'us-east-1');
      const keys = [...Array.from({ length: 25 }, (_, i) => `logs/${String(i).padStart(2, '0')}`), 'logs', 'logs0', 'a', 'z/1', 'log'];
      await Promise.all(keys.map((key) => store.putObject(bucket, key, Buffer.from(key), {})));
      const all = [...keys].sort(byUtf8);
      const full = await store.listObjects(bucket, { limit: 1000 });
      assert.deepEqual(
        full.objects.map((o) => o.key),
        all,
      );
      // Pages of 7 in order, the last one not truncated.
      const paged: string[] = [];
      let startAfter: string | undefined;
      for (;;) {
        const page = await store.listObjects(bucket, { limit: 7, startAfter });
        paged.push(...page.objects.map((o) => o.key));
        if (!page.truncated) break;
        assert.equal(page.objects.length, 7);
        startAfter = page.objects.at(-1)!.key;
      }
      assert.deepEqual(paged, all);
      const prefixed = await store.listObjects(bucket, { prefix: 'logs/', limit: 10 });
      assert.deepEqual(
        prefixed.objects.map((o) => o.key),
        all.filter((k) => k.startsWith('logs/')).slice(0, 10),
      );
      assert.equal(prefixed.truncated, true);
      const rest = await store.listObjects(bucket, { prefix: 'logs/', startAfter: 'logs/19', limit: 10 });
      assert.deepEqual(
        rest.objects.map((o) => o.key),
        ['logs/20', 'logs/21', 'logs/22', 'logs/23', 'logs/24'],
      );
      assert.equal(rest.truncated, false);
      // startAfter before the prefix, and after everything.
      assert.equal((await store.listObjects(bucket, { prefix: 'logs/', startAfter: 'a', limit: 100 })).objects.length, 25);
      const none = await store.listObjects(bucket, { startAfter: 'zz', limit: 100 });
      assert.deepEqual(none, { objects: [], truncated: false });
      assert.deepEqual((await store.listObjects(bucket, { prefix: 'nothing', limit: 100 })).objects, []);
      // A startAfter that is not a key.
      assert.deepEqual(
        (await store.listObjects(bucket, { startAfter: 'logs/055', limit: 3 })).objects.map((o) => o.key),
        ['logs/06', 'logs/07', 'logs/08'],
      );
      // Exactly `limit` keys left: not truncated.
      const exact = await store.listObjects(bucket, { prefix: 'z', limit: 1 });
      assert.deepEqual(
        exact.objects.map((o) => o.key),
        ['z/1'],
      );
      assert.equal(exact.truncated, false);
    });

    test('copy keeps or replaces the headers', async (store) => {
      const source = bucketName('copy-src');
      const target = bucketName('copy-dst');
      await store.createBucket(source, 'us-east-1');
      await store.createBucket(target, 'us-east-1');
      const data = Buffer.from('copied bytes');
      await store.putObject(source, 'src', data, { contentType: 'text/plain', cacheControl: 'no-cache', metadata: { color: 'blue' } });
      const kept = await store.copyObject({ bucket: source, key: 'src' }, { bucket: target, key: 'kept' });
      assert.equal(kept.etag, md5(data));
      const keptHead = await store.headObject(target, 'kept');
      assert.equal(keptHead?.contentType, 'text/plain');
      assert.equal(keptHead?.cacheControl, 'no-cache');
      assert.deepEqual(keptHead?.metadata, { color: 'blue' });
      assert.deepEqual(await text((await store.getObject(target, 'kept')).body), data);

      await store.copyObject({ bucket: source, key: 'src' }, { bucket: source, key: 'replaced' }, { contentType: 'application/json', metadata: { shape: 'round' } });
      const replaced = await store.headObject(source, 'replaced');
      assert.equal(replaced?.contentType, 'application/json');
      assert.equal(replaced?.cacheControl, undefined);
      assert.deepEqual(replaced?.metadata, { shape: 'round' });
      assert.equal(replaced?.etag, md5(data));
      // In place, with new headers.
      await store.copyObject({ bucket: source, key: 'src' }, { bucket: source, key: 'src' }, { contentType: 'text/csv' });
      assert.equal((await store.headObject(source, 'src'))?.contentType, 'text/csv');
      assert.deepEqual(await text((await store.getObject(source, 'src')).body), data);

      await rejectsWith(store.copyObject({ bucket: source, key: 'missing' }, { bucket: target, key: 'x' }), 'NoSuchKey');
      await rejectsWith(store.copyObject({ bucket: source, key: 'src' }, { bucket: bucketName('absent'), key: 'x' }), 'NoSuchBucket');
      await rejectsWith(store.copyObject({ bucket: bucketName('absent'), key: 'src' }, { bucket: target, key: 'x' }), 'NoSuchBucket');
    });

    test('every stored header round trips', async (store) => {
      const bucket = bucketName('headers');
      await store.createBucket(bucket, 'us-east-1');
      const headers = {
        contentType: 'image/png',
        contentEncoding: 'gzip',
        contentDisposition: 'attachment; filename="a b.png"',
        contentLanguage: 'de-CH',
        cacheControl: 'max-age=60, public',
        expires: 'Wed, 21 Oct 2099 07:28:00 GMT',
        metadata: { 'first-name': 'Ada', plain: 'x y z', empty: '' },
      };
      await store.putObject(bucket, 'h', Buffer.from('x'), headers);
      const head = await store.headObject(bucket, 'h');
      const got = await store.getObject(bucket, 'h');
      await text(got.body);
      for (const info of [head!, got.info]) {
        for (const [name, value] of Object.entries(headers)) assert.deepEqual((info as unknown as Record<string, unknown>)[name], value, name);
      }
    });

    test('multipart upload: ETag as S3 computes it, parts replaced, listParts, listMultipartUploads', async (store) => {
      const bucket = bucketName('mpu');
      await store.createBucket(bucket, 'us-east-1');
      const uploadId = await store.createMultipartUpload(bucket, 'big', { contentType: 'application/octet-stream', metadata: { origin: 'parts' } });
      assert.deepEqual(
        (await store.listMultipartUploads(bucket)).map((u) => [u.key, u.uploadId]),
        [['big', uploadId]],
      );
      const part1 = Buffer.alloc(MIN_PART_BYTES, 1);
      const part2old = Buffer.alloc(1000, 2);
      const part2 = Buffer.alloc(MIN_PART_BYTES, 3);
      const part3 = Buffer.from('the small last part');
      const first = await store.uploadPart(bucket, 'big', uploadId, 1, part1);
      assert.equal(first.etag, md5(part1));
      assert.equal(first.size, part1.length);
      await store.uploadPart(bucket, 'big', uploadId, 2, part2old);
      // Replaced, streamed.
      await store.uploadPart(bucket, 'big', uploadId, 2, Readable.from([part2.subarray(0, 1000), part2.subarray(1000)]));
      await store.uploadPart(bucket, 'big', uploadId, 3, part3);
      const parts = await store.listParts(bucket, 'big', uploadId);
      assert.deepEqual(
        parts.map((p) => [p.partNumber, p.etag, p.size]),
        [
          [1, md5(part1), part1.length],
          [2, md5(part2), part2.length],
          [3, md5(part3), part3.length],
        ],
      );
      // moto does not check that an upload id goes with its key; S3 and the embedded stores do.
      if (store.kind !== 'external') await rejectsWith(store.listParts(bucket, 'other-key', uploadId), 'NoSuchUpload');
      const completed = await store.completeMultipartUpload(bucket, 'big', uploadId, parts.map((p) => ({ partNumber: p.partNumber, etag: `"${p.etag}"` })));
      const expectedEtag = md5(Buffer.concat([part1, part2, part3].map((p) => createHash('md5').update(p).digest()))) + '-3';
      assert.equal(completed.etag, expectedEtag);
      const whole = Buffer.concat([part1, part2, part3]);
      assert.equal(completed.size, whole.length);
      const got = await store.getObject(bucket, 'big');
      assert.equal(got.info.etag, expectedEtag);
      assert.equal(got.info.contentType, 'application/octet-stream');
      assert.deepEqual(got.info.metadata, { origin: 'parts' });
      assert.ok((await text(got.body)).equals(whole));
      const tail = await store.getObject(bucket, 'big', { start: MIN_PART_BYTES - 2, end: MIN_PART_BYTES + 1 });
      assert.deepEqual(await text(tail.body), Buffer.from([1, 1, 3, 3]));
      assert.deepEqual(await store.listMultipartUploads(bucket), []);
      await rejectsWith(store.listParts(bucket, 'big', uploadId), 'NoSuchUpload');
      // moto answers UploadPart to an unknown upload with a 500 (its own TypeError).
      if (store.kind !== 'external') await rejectsWith(store.uploadPart(bucket, 'big', uploadId, 4, Buffer.from('late')), 'NoSuchUpload');
      // moto (like S3 for a while) answers a repeated completion with the object.
      if (store.kind !== 'external') {
        await rejectsWith(store.completeMultipartUpload(bucket, 'big', uploadId, [{ partNumber: 1, etag: md5(part1) }]), 'NoSuchUpload');
      }
      // A copy of a multipart object is written whole.
      const copy = await store.copyObject({ bucket, key: 'big' }, { bucket, key: 'big-copy' });
      assert.equal(copy.etag, md5(whole));
      await store.deleteObject(bucket, 'big');
      await store.deleteObject(bucket, 'big-copy');
      await store.deleteBucket(bucket);
    });

    test('putObjectInParts: the object and ETag a multipart upload of those parts leaves, from chunks that straddle parts', async (store) => {
      if (!store.putObjectInParts) return; // optional: callers use the multipart operations
      const bucket = bucketName('inparts');
      await store.createBucket(bucket, 'us-east-1');
      const partBytes = 1000;
      // Chunks of odd sizes: parts begin and end inside chunks, and one chunk spans a whole part.
      const chunks = [Buffer.alloc(333, 1), Buffer.alloc(2500, 2), Buffer.alloc(0), Buffer.alloc(167, 3), Buffer.from('tail')];
      const whole = Buffer.concat(chunks);
      const parts = [0, 1000, 2000, 3000].map((at) => whole.subarray(at, at + partBytes));
      const expected = md5(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))) + '-4';
      const info = await store.putObjectInParts(bucket, 'chunked', chunks, partBytes, { contentType: 'application/octet-stream' });
      assert.equal(info.etag, expected);
      assert.equal(info.size, whole.length);
      const got = await store.getObject(bucket, 'chunked');
      assert.equal(got.info.etag, expected);
      assert.equal(got.info.contentType, 'application/octet-stream');
      assert.ok((await text(got.body)).equals(whole));
      // Within one part: a plain PUT's ETag, the MD5 of the bytes; an empty body too.
      assert.equal((await store.putObjectInParts(bucket, 'small', chunks, whole.length, {})).etag, md5(whole));
      assert.equal((await store.putObjectInParts(bucket, 'empty', [], 1, {})).etag, md5(Buffer.alloc(0)));
      assert.equal((await store.headObject(bucket, 'empty'))?.size, 0);
      await rejectsWith(store.putObjectInParts(bucketName('missing'), 'k', chunks, partBytes, {}), 'NoSuchBucket');
      for (const key of ['chunked', 'small', 'empty']) await store.deleteObject(bucket, key);
      await store.deleteBucket(bucket);
    });

    test('putObjectInParts: thousands of record-sized chunks mixed with large ones, over several parts, as a delivery writes them', async (store) => {
      if (!store.putObjectInParts) return;
      const bucket = bucketName('inparts-many');
      await store.createBucket(bucket, 'us-east-1');
      // Records of 1-3000 bytes (more than a MiB of them between the large chunks), each chunk's
      // bytes distinct, so a chunk written out of order, twice or from a reused buffer shows.
      const chunks: Buffer[] = [];
      let seed = 7;
      for (let i = 0; i < 6000; i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        const large = i % 1500 === 700;
        const chunk = Buffer.alloc(large ? 300_000 + (seed % 5000) : 1 + (seed % 3000));
        for (let at = 0; at < chunk.length; at++) chunk[at] = (i * 31 + at) & 0xff;
        chunks.push(chunk);
      }
      const whole = Buffer.concat(chunks);
      const partBytes = 5 * 1024 * 1024;
      const parts: Buffer[] = [];
      for (let at = 0; at < whole.length; at += partBytes) parts.push(whole.subarray(at, at + partBytes));
      const expected = md5(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))) + `-${parts.length}`;
      assert.ok(parts.length >= 2);
      const info = await store.putObjectInParts(bucket, 'records', chunks, partBytes, { contentType: 'application/octet-stream' });
      assert.equal(info.etag, expected);
      assert.equal(info.size, whole.length);
      const got = await store.getObject(bucket, 'records');
      assert.ok((await text(got.body)).equals(whole));
      await store.deleteObject(bucket, 'records');
      await store.deleteBucket(bucket);
    });

    test('multipart upload: InvalidPart, InvalidPartOrder, EntityTooSmall, abort, unlisted parts dropped', async (store) => {
      const bucket = bucketName('mpu-errors');
      await store.createBucket(bucket, 'us-east-1');
      const uploadId = await store.createMultipartUpload(bucket, 'k', {});
      const small = Buffer.from('too small to be followed');
      const big = Buffer.alloc(MIN_PART_BYTES, 7);
      const p1 = await store.uploadPart(bucket, 'k', uploadId, 1, small);
      const p2 = await store.uploadPart(bucket, 'k', uploadId, 2, big);
      const p3 = await store.uploadPart(bucket, 'k', uploadId, 3, Buffer.from('end'));
      await rejectsWith(store.completeMultipartUpload(bucket, 'k', uploadId, [{ partNumber: 1, etag: md5('not it') }]), 'InvalidPart');
      await rejectsWith(store.completeMultipartUpload(bucket, 'k', uploadId, [{ partNumber: 9, etag: p1.etag }]), 'InvalidPart');
      await rejectsWith(
        store.completeMultipartUpload(bucket, 'k', uploadId, [
          { partNumber: 2, etag: p2.etag },
          { partNumber: 1, etag: p1.etag },
        ]),
        'InvalidPartOrder',
      );
      await rejectsWith(
        store.completeMultipartUpload(bucket, 'k', uploadId, [
          { partNumber: 1, etag: p1.etag },
          { partNumber: 2, etag: p2.etag },
        ]),
        'EntityTooSmall',
      );
      // Still there after the failures; parts 2 and 3 only: part 1 is dropped.
      const done = await store.completeMultipartUpload(bucket, 'k', uploadId, [
        { partNumber: 2, etag: p2.etag },
        { partNumber: 3, etag: p3.etag },
      ]);
      assert.equal(done.size, big.length + 3);
      assert.match(done.etag, /^[0-9a-f]{32}-2$/);
      assert.ok((await text((await store.getObject(bucket, 'k')).body)).equals(Buffer.concat([big, Buffer.from('end')])));

      const aborted = await store.createMultipartUpload(bucket, 'gone', {});
      await store.uploadPart(bucket, 'gone', aborted, 1, small);
      await store.abortMultipartUpload(bucket, 'gone', aborted);
      await rejectsWith(store.listParts(bucket, 'gone', aborted), 'NoSuchUpload');
      await rejectsWith(store.abortMultipartUpload(bucket, 'gone', aborted), 'NoSuchUpload');
      if (store.kind !== 'external') await rejectsWith(store.uploadPart(bucket, 'gone', 'no-such-upload-id', 1, small), 'NoSuchUpload');
      assert.equal(await store.headObject(bucket, 'gone'), undefined);
      assert.deepEqual(await store.listMultipartUploads(bucket), []);
    });

    test('what the S3 API must have refused is refused, not stored', async (store) => {
      const bucket = bucketName('checks');
      await store.createBucket(bucket, 'us-east-1');
      const tooLong = 'k'.repeat(MAX_KEY_BYTES + 1);
      await assert.rejects(store.putObject(bucket, tooLong, Buffer.from('x'), {}), RangeError);
      await assert.rejects(store.putObject(bucket, '', Buffer.from('x'), {}), RangeError);
      // 1,023 bytes plus a two-byte character: over by one.
      await assert.rejects(store.putObject(bucket, 'k'.repeat(MAX_KEY_BYTES - 1) + 'é', Buffer.from('x'), {}), RangeError);
      await assert.rejects(store.putObject(bucket, 'lone \uD800 surrogate', Buffer.from('x'), {}), RangeError);
      const uploadId = await store.createMultipartUpload(bucket, 'k', {});
      for (const partNumber of [0, 10_001, 1.5, -1]) {
        await assert.rejects(store.uploadPart(bucket, 'k', uploadId, partNumber, Buffer.from('x')), RangeError, `part ${partNumber}`);
      }
      await assert.rejects(store.completeMultipartUpload(bucket, 'k', uploadId, [{ partNumber: 0, etag: md5('x') }]), RangeError);
      await store.abortMultipartUpload(bucket, 'k', uploadId);
      assert.deepEqual((await store.listObjects(bucket, { limit: 10 })).objects, []);
    });

    test('a body that fails midway stores nothing and keeps the previous version', async (store) => {
      const bucket = bucketName('torn');
      await store.createBucket(bucket, 'us-east-1');
      await store.putObject(bucket, 'doc', Buffer.from('first'), { contentType: 'text/plain' });
      const failing = Readable.from(
        (async function* () {
          yield Buffer.alloc(1024 * 1024, 1);
          yield Buffer.alloc(1024 * 1024, 2);
          throw new Error('the client went away');
        })(),
      );
      await assert.rejects(store.putObject(bucket, 'doc', failing, {}), /client went away/);
      const got = await store.getObject(bucket, 'doc');
      assert.equal((await text(got.body)).toString(), 'first');
      assert.equal(got.info.contentType, 'text/plain');
      const never = Readable.from(
        (async function* () {
          yield Buffer.from('partial');
          throw new Error('the client went away');
        })(),
      );
      await assert.rejects(store.putObject(bucket, 'never', never, {}), /client went away/);
      assert.equal(await store.headObject(bucket, 'never'), undefined);
      assert.deepEqual(
        (await store.listObjects(bucket, { limit: 10 })).objects.map((o) => o.key),
        ['doc'],
      );
    });

    test('concurrent puts of one key: one of them, whole', async (store) => {
      const bucket = bucketName('race');
      await store.createBucket(bucket, 'us-east-1');
      const bodies = Array.from({ length: 6 }, (_, i) => Buffer.alloc(300 * 1024, i + 1));
      const chunked = (data: Buffer) => Readable.from(Array.from({ length: 10 }, (_, i) => data.subarray(i * 30 * 1024, (i + 1) * 30 * 1024)));
      const results = await Promise.all(bodies.map((data) => store.putObject(bucket, 'contended', chunked(data), {})));
      results.forEach((r, i) => assert.equal(r.etag, md5(bodies[i])));
      const got = await store.getObject(bucket, 'contended');
      const data = await text(got.body);
      assert.ok(
        bodies.some((b) => b.equals(data)),
        'the object is one of the bodies, whole',
      );
      assert.equal(got.info.etag, md5(data));
      assert.equal((await store.listObjects(bucket, { limit: 10 })).objects.length, 1);
    });
  });
}

const silent = pino({ level: 'silent' });

/** The object store openObjectStore picks for a node's configuration and store, checked to be of `kind`. */
async function opened(kind: ObjectStore['kind'], config: Partial<Config>, nodeStore: Store): Promise<Subject> {
  const store = await openObjectStore({ config: { ...DEFAULT_CONFIG, ...config }, store: nodeStore, log: silent });
  assert.equal(store.kind, kind);
  return {
    store,
    stop: async () => {
      await store.close();
      await nodeStore.close();
    },
  };
}

contract('memory', async () => opened('memory', { memory: true }, openMemoryStore()));

const fsRoots: string[] = [];
function fsRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-objects-'));
  fsRoots.push(dir);
  return join(dir, 's3');
}
after(() => {
  for (const dir of fsRoots) rmSync(dir, { recursive: true, force: true });
});

contract('fs', async () => {
  const dataDir = join(fsRoot(), '..');
  const subject = await opened('fs', { dataDir }, openLmdbStore({ path: join(dataDir, 'lmdb') }));
  // Objects go under <data dir>/s3/.
  await subject.store.createBucket('placed', 'us-east-1');
  assert.ok(readdirSync(join(dataDir, 's3')).includes('placed'));
  await subject.store.deleteBucket('placed');
  return subject;
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** moto_server on a free loopback port, ready when it answers. */
async function startMoto(): Promise<{ endpoint: string; process: ChildProcess } | string> {
  if (!(await available('moto_server', ['--help']))) return 'moto_server is not installed (pip install "moto[server]")';
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const answer = await fetch(`${endpoint}/moto-api/`);
      await answer.arrayBuffer();
      return { endpoint, process: child };
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        return 'moto_server did not start';
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

contract('external (moto_server)', async () => {
  const moto = await startMoto();
  if (typeof moto === 'string') return moto;
  const subject = await opened('external', { s3Endpoint: moto.endpoint, s3AccessKeyId: 'test', s3SecretAccessKey: 'test', memory: true }, openMemoryStore());
  return {
    store: subject.store,
    stop: async () => {
      await subject.stop();
      moto.process.kill('SIGKILL');
    },
  };
});

describe('file object store: restarts, crashes and races', () => {
  const moduleUrl = new URL('../src/objects/fs-objects.js', import.meta.url).href;

  /** Runs `script` in a child that opens the store at `root`; resolves once it prints `signal`, then kills it with SIGKILL. */
  async function killAfter(root: string, signal: string, script: string): Promise<void> {
    const code = `const { FsObjectStore } = await import(${JSON.stringify(moduleUrl)});
      const { Readable } = await import('node:stream');
      const root = ${JSON.stringify(root)};
      const store = await FsObjectStore.open(root);
      setInterval(() => {}, 60_000);
      ${script}`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        let seen = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.includes(signal)) resolve();
        });
        child.once('exit', (code) => reject(new Error(`child exited (${code}) before "${signal}"`)));
      });
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    }
  }

  it('a reopened store finds buckets, objects, headers and unfinished uploads', async () => {
    const root = fsRoot();
    const first = await FsObjectStore.open(root);
    await first.createBucket('kept', 'eu-west-1');
    const created = (await first.headBucket('kept'))!;
    for (const key of ODD_KEYS) await first.putObject('kept', key, Buffer.from(key), { contentType: 'text/plain', metadata: { key: 'yes' } });
    const uploadId = await first.createMultipartUpload('kept', 'pending', { cacheControl: 'no-store' });
    const part = await first.uploadPart('kept', 'pending', uploadId, 1, Buffer.from('only part'));
    await first.close();

    const second = await FsObjectStore.open(root);
    assert.deepEqual(await second.headBucket('kept'), created);
    assert.deepEqual(await second.listBuckets(), [created]);
    const listed = await second.listObjects('kept', { limit: 1000 });
    assert.deepEqual(
      listed.objects.map((o) => o.key),
      [...ODD_KEYS].sort(byUtf8),
    );
    for (const key of ODD_KEYS) {
      const got = await second.getObject('kept', key);
      assert.equal((await text(got.body)).toString(), key);
      assert.equal(got.info.contentType, 'text/plain');
      assert.deepEqual(got.info.metadata, { key: 'yes' });
    }
    assert.deepEqual(
      (await second.listMultipartUploads('kept')).map((u) => [u.key, u.uploadId]),
      [['pending', uploadId]],
    );
    assert.deepEqual(
      (await second.listParts('kept', 'pending', uploadId)).map((p) => p.etag),
      [part.etag],
    );
    const done = await second.completeMultipartUpload('kept', 'pending', uploadId, [{ partNumber: 1, etag: part.etag }]);
    assert.equal((await second.headObject('kept', 'pending'))?.etag, done.etag);
    assert.equal((await second.headObject('kept', 'pending'))?.cacheControl, 'no-store');
    // Every file stayed inside the bucket's directory, whatever the key.
    assert.deepEqual(readdirSync(root).sort(), ['kept']);
    await second.close();
  });

  it('DeleteBucket racing puts: an acknowledged object is never deleted with its bucket', async () => {
    const store = await FsObjectStore.open(fsRoot());
    const outcomes = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const bucket = `race-${round}`;
      await store.createBucket(bucket, 'us-east-1');
      const puts = Array.from({ length: 8 }, (_, i) =>
        store.putObject(bucket, `k${i}`, Readable.from([Buffer.alloc(64 * 1024, i), Buffer.alloc(64 * 1024, i)]), {}),
      );
      // Later in each round, so that some deletions meet puts that are committing.
      await new Promise((resolve) => setTimeout(resolve, round * 3));
      const deletion = store.deleteBucket(bucket).then(
        () => true,
        (err: unknown) => {
          assert.equal((err as ObjectStoreError).code, 'BucketNotEmpty');
          return false;
        },
      );
      const settled = await Promise.allSettled(puts);
      const deleted = await deletion;
      const stored = settled.filter((s) => s.status === 'fulfilled').length;
      for (const s of settled) if (s.status === 'rejected') assert.equal((s.reason as ObjectStoreError).code, 'NoSuchBucket');
      outcomes.add(deleted ? 'deleted' : `kept ${stored}`);
      if (deleted) {
        assert.equal(stored, 0, 'no put resolved into a bucket that was then deleted');
        assert.equal(await store.headBucket(bucket), undefined);
      } else {
        assert.equal((await store.listObjects(bucket, { limit: 100 })).objects.length, stored);
      }
    }
    console.log(`# DeleteBucket against puts: ${[...outcomes].join(', ')}`);
    await store.close();
  });

  it('an acknowledged put survives kill -9 right after it resolved', async () => {
    const root = fsRoot();
    await killAfter(
      root,
      'acknowledged',
      `await store.createBucket('crash', 'us-east-1');
       await store.putObject('crash', 'acknowledged', Buffer.alloc(4 * 1024 * 1024, 7), { metadata: { n: '1' } });
       process.stdout.write('acknowledged\\n');`,
    );
    const store = await FsObjectStore.open(root);
    const head = await store.headObject('crash', 'acknowledged');
    assert.equal(head?.size, 4 * 1024 * 1024);
    assert.equal(head?.etag, md5(Buffer.alloc(4 * 1024 * 1024, 7)));
    assert.deepEqual(head?.metadata, { n: '1' });
    assert.deepEqual(
      (await store.listObjects('crash', { limit: 10 })).objects.map((o) => o.key),
      ['acknowledged'],
    );
    await store.close();
  });

  it('a put killed mid-stream leaves the previous version and no visible garbage', async () => {
    const root = fsRoot();
    await killAfter(
      root,
      'streaming',
      `await store.createBucket('torn', 'us-east-1');
       await store.putObject('torn', 'doc', Buffer.from('version one'), { contentType: 'text/plain' });
       let pushed = 0;
       const body = new Readable({
         read() {
           // Three chunks, then the body stalls as a client that stopped sending would.
           if (pushed === 3) return;
           this.push(Buffer.alloc(2 * 1024 * 1024, 9));
           if (++pushed === 3) setTimeout(() => process.stdout.write('streaming\\n'), 100);
         },
       });
       store.putObject('torn', 'doc', body, {});`,
    );
    const tempDir = join(root, 'torn', '.tmp');
    assert.equal(readdirSync(tempDir).length, 1, 'the torn write left its temp file');
    const store = await FsObjectStore.open(root);
    const got = await store.getObject('torn', 'doc');
    assert.equal((await text(got.body)).toString(), 'version one');
    assert.equal(got.info.contentType, 'text/plain');
    assert.deepEqual(
      (await store.listObjects('torn', { limit: 10 })).objects.map((o) => o.key),
      ['doc'],
    );
    // The bucket's first use swept the temp file.
    assert.deepEqual(readdirSync(tempDir), []);
    await store.close();
  });
});

contract('nats (one nats-server)', async () => {
  const missing = natsServerMissing();
  if (missing) return missing;
  const cluster = await NatsCluster.start(1);
  try {
    const { openNatsStore } = await import('../src/store/nats-store.js');
    const natsStore = await openNatsStore({ url: cluster.url, replicas: 1 });
    const subject = await opened('nats', { store: cluster.url, replicas: 1 }, natsStore);
    return {
      store: subject.store,
      stop: async () => {
        await subject.stop();
        await cluster.stop();
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
});

describe('NATS object store: two nodes over one cluster', () => {
  let cluster: NatsCluster | undefined;
  const stores: Store[] = [];
  const skip = natsServerMissing();
  before(async () => {
    if (!skip) cluster = await NatsCluster.start(1);
  });
  after(async () => {
    for (const store of stores) await store.close();
    await cluster?.stop();
  });

  it('every node sees the same buckets and objects; one of two concurrent creates wins', { skip }, async () => {
    const { openNatsStore } = await import('../src/store/nats-store.js');
    const nodes = await Promise.all(
      [0, 1].map(async () => {
        const natsStore = await openNatsStore({ url: cluster!.url, replicas: 1 });
        stores.push(natsStore);
        return openObjectStore({ config: { ...DEFAULT_CONFIG, store: cluster!.url, replicas: 1 }, store: natsStore, log: silent });
      }),
    );
    const [a, b] = nodes;
    const outcomes = await Promise.allSettled([a.createBucket('shared', 'eu-central-1'), b.createBucket('shared', 'eu-central-1')]);
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    assert.equal((lost.reason as ObjectStoreError).code, 'BucketAlreadyOwnedByYou');
    assert.equal((await b.headBucket('shared'))?.region, 'eu-central-1');
    await a.putObject('shared', 'from/a', Buffer.from('written by node a'), { contentType: 'text/plain' });
    const got = await b.getObject('shared', 'from/a');
    assert.equal((await text(got.body)).toString(), 'written by node a');
    assert.equal(got.info.contentType, 'text/plain');
    const uploadId = await b.createMultipartUpload('shared', 'parts', {});
    await rejectsWith(a.deleteBucket('shared'), 'BucketNotEmpty');
    await a.abortMultipartUpload('shared', 'parts', uploadId);
    await b.deleteObject('shared', 'from/a');
    await a.deleteBucket('shared');
    assert.equal(await b.headBucket('shared'), undefined);
    await rejectsWith(b.putObject('shared', 'k', Buffer.from('x'), {}), 'NoSuchBucket');
  });
});
