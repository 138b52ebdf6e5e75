import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { CreateStreamCommand, KinesisClient, ListStreamsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startMillrace, type Millrace } from '../src/server.js';

/**
 * The S3 API on Millrace's port, through the official JS SDK v3 (path-style and virtual-hosted),
 * lib-storage's multipart Upload, and hand-built requests for what the SDK will not send (malformed
 * XML, bad digests, aws-chunked bodies with bad trailers). One server over the embedded fs object
 * store; it is restarted once on the same directory to show that objects survive.
 */

let server: Millrace;
let dataDir: string;
let s3: S3Client;
let hosted: S3Client;
let kinesis: KinesisClient;
const clients: { destroy(): void }[] = [];

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** bucket.localhost may not resolve on this machine: every name goes to loopback, the Host header stays the SDK's. */
const loopbackAgent = () =>
  new http.Agent({
    keepAlive: true,
    lookup: ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
      else callback(null, '127.0.0.1', 4);
    }) as never,
  });

function clientsFor(endpoint: string): void {
  s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
  const port = new URL(endpoint).port;
  hosted = new S3Client({
    endpoint: `http://localhost:${port}`,
    region: 'us-east-1',
    forcePathStyle: false,
    credentials,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpAgent: loopbackAgent() }),
  });
  kinesis = new KinesisClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  clients.push(s3, hosted, kinesis);
}

async function start(): Promise<void> {
  server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  clientsFor(server.endpoint);
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'millrace-s3-'));
  await start();
});

after(async () => {
  for (const client of clients) client.destroy();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** The SDK's error for a call, asserted to carry S3's code, status and message. */
async function rejects(promise: Promise<unknown>, code: string, status: number, message?: string): Promise<S3ServiceException> {
  try {
    await promise;
  } catch (err) {
    const error = err as S3ServiceException;
    assert.equal(error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, status);
    if (message !== undefined) assert.equal(error.message, message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A hand-built S3 request, signed-looking with an `s3` scope (signatures are not verified on this server). */
function raw(method: string, path: string, body: Buffer | string = '', headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, server.endpoint),
      {
        method,
        agent: false,
        headers: {
          Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc',
          'X-Amz-Date': '20240101T000000Z',
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function errorCode(xml: string): { code?: string; message?: string } {
  return { code: /<Code>([^<]*)<\/Code>/.exec(xml)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] };
}

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');

describe('buckets', () => {
  test('create, head, location, list and delete; S3 errors for names and states', async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'alpha' }));
    await s3.send(new CreateBucketCommand({ Bucket: 'beta.eu', CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    const head = await s3.send(new HeadBucketCommand({ Bucket: 'beta.eu' }));
    assert.equal(head.BucketRegion, 'eu-west-1');
    assert.equal((await s3.send(new GetBucketLocationCommand({ Bucket: 'beta.eu' }))).LocationConstraint, 'eu-west-1');
    assert.equal((await s3.send(new GetBucketLocationCommand({ Bucket: 'alpha' }))).LocationConstraint, undefined);
    const list = await s3.send(new ListBucketsCommand({}));
    assert.deepEqual(
      list.Buckets?.map((b) => b.Name).filter((n) => n === 'alpha' || n === 'beta.eu'),
      ['alpha', 'beta.eu'],
    );
    assert.match(list.Owner?.ID ?? '', /^[0-9a-f]{64}$/);

    await rejects(s3.send(new CreateBucketCommand({ Bucket: 'alpha' })), 'BucketAlreadyOwnedByYou', 409, 'Your previous request to create the named bucket succeeded and you already own it.');
    for (const name of ['ab', 'a'.repeat(64), 'Upper', 'a..b', '192.168.5.4', 'xn--abc', 'name-s3alias', '-dash', 'dot.']) {
      await rejects(s3.send(new CreateBucketCommand({ Bucket: name })), 'InvalidBucketName', 400, 'The specified bucket is not valid.');
    }
    await rejects(s3.send(new HeadBucketCommand({ Bucket: 'missing-bucket' })), 'NotFound', 404);
    await rejects(s3.send(new ListObjectsV2Command({ Bucket: 'missing-bucket' })), 'NoSuchBucket', 404, 'The specified bucket does not exist');

    await s3.send(new PutObjectCommand({ Bucket: 'beta.eu', Key: 'k', Body: 'x' }));
    await rejects(s3.send(new DeleteBucketCommand({ Bucket: 'beta.eu' })), 'BucketNotEmpty', 409, 'The bucket you tried to delete is not empty');
    await s3.send(new DeleteObjectCommand({ Bucket: 'beta.eu', Key: 'k' }));
    await s3.send(new DeleteBucketCommand({ Bucket: 'beta.eu' }));
    await rejects(s3.send(new HeadBucketCommand({ Bucket: 'beta.eu' })), 'NotFound', 404);

    const reject = await raw('PUT', '/Bad_Name');
    assert.equal(reject.status, 400);
    assert.match(reject.body, /<Code>InvalidBucketName<\/Code><Message>The specified bucket is not valid.<\/Message><BucketName>Bad_Name<\/BucketName><RequestId>[0-9A-F]{16}<\/RequestId><HostId>/);
  });
});

describe('objects', () => {
  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'objects' }));
  });

  test('put, get, head with headers, metadata and checksums', async () => {
    const body = 'hello, millrace';
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: 'objects',
        Key: 'dir/hello world+ü.txt',
        Body: body,
        ContentType: 'text/plain',
        CacheControl: 'no-cache',
        Metadata: { colour: 'blue' },
        ChecksumAlgorithm: 'CRC32',
      }),
    );
    assert.equal(put.ETag, `"${md5(body)}"`);
    assert.ok(put.ChecksumCRC32);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'dir/hello world+ü.txt', ChecksumMode: 'ENABLED' }));
    assert.equal(await got.Body!.transformToString(), body);
    assert.equal(got.ContentType, 'text/plain');
    assert.equal(got.CacheControl, 'no-cache');
    assert.deepEqual(got.Metadata, { colour: 'blue' });
    assert.equal(got.ETag, put.ETag);
    assert.equal(got.ChecksumCRC32, put.ChecksumCRC32);
    assert.equal(got.ContentLength, body.length);
    assert.equal(got.AcceptRanges, 'bytes');
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'dir/hello world+ü.txt' }));
    assert.equal(head.ContentLength, body.length);
    assert.ok(head.LastModified instanceof Date);
    await rejects(s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'missing' })), 'NotFound', 404);
    await rejects(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'missing' })), 'NoSuchKey', 404, 'The specified key does not exist.');
  });

  test('streamed uploads arrive aws-chunked with a CRC32 trailer; the stored checksum comes back', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    for (const algorithm of ['CRC32', 'CRC32C', 'SHA256', 'SHA1', 'CRC64NVME'] as const) {
      const key = `chunked-${algorithm}`;
      await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: key, Body: Readable.from([data.subarray(0, 1000), data.subarray(1000)]), ContentLength: data.length, ChecksumAlgorithm: algorithm }));
      const got = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: key, ChecksumMode: 'ENABLED' }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      assert.ok(bytes.equals(data), algorithm);
      assert.ok(got[`Checksum${algorithm}`], `${algorithm} returned`);
    }
  });

  test('a checksum or Content-MD5 that does not match is refused and nothing is stored', async () => {
    await rejects(
      s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'bad-crc', Body: 'abc', ChecksumCRC32: 'AAAAAA==' })),
      'BadDigest',
      400,
      'The CRC32 you specified did not match the calculated checksum.',
    );
    const badMd5 = await raw('PUT', '/objects/bad-md5', 'abc', { 'Content-MD5': createHash('md5').update('abd').digest('base64') });
    assert.equal(badMd5.status, 400);
    assert.deepEqual(errorCode(badMd5.body), { code: 'BadDigest', message: 'The Content-MD5 you specified did not match what we received.' });
    const invalidMd5 = await raw('PUT', '/objects/bad-md5', 'abc', { 'Content-MD5': 'nope' });
    assert.deepEqual(errorCode(invalidMd5.body), { code: 'InvalidDigest', message: 'The Content-MD5 you specified was invalid.' });
    const badSha = await raw('PUT', '/objects/bad-sha', 'abc', { 'x-amz-content-sha256': createHash('sha256').update('abd').digest('hex') });
    assert.equal(errorCode(badSha.body).code, 'XAmzContentSHA256Mismatch');
    // aws-chunked by hand: a trailer whose CRC32 is wrong, then one that is right.
    const chunked = (trailer: string) => `5\r\nhello\r\n0\r\nx-amz-checksum-crc32:${trailer}\r\n\r\n`;
    const chunkedHeaders = {
      'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
      'Content-Encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '5',
      'x-amz-trailer': 'x-amz-checksum-crc32',
    };
    const wrong = await raw('PUT', '/objects/bad-trailer', chunked('AAAAAA=='), chunkedHeaders);
    assert.deepEqual(errorCode(wrong.body), { code: 'BadDigest', message: 'The CRC32 you specified did not match the calculated checksum.' });
    const right = await raw('PUT', '/objects/good-trailer', chunked('NhCmhg=='), chunkedHeaders);
    assert.equal(right.status, 200, right.body);
    assert.equal(right.headers['x-amz-checksum-crc32'], 'NhCmhg==');
    const short = await raw('PUT', '/objects/short-chunked', '5\r\nhel', { ...chunkedHeaders, 'x-amz-trailer': '' });
    assert.equal(errorCode(short.body).code, 'IncompleteBody');
    for (const key of ['bad-crc', 'bad-md5', 'bad-sha', 'bad-trailer', 'short-chunked']) {
      await rejects(s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: key })), 'NotFound', 404);
    }
    const good = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'good-trailer' }));
    assert.equal(await good.Body!.transformToString(), 'hello');
  });

  test('an upload cut off mid-body leaves the object it would have replaced', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'kept', Body: 'the original' }));
    await new Promise<void>((resolve, reject) => {
      const req = http.request(new URL('/objects/kept', server.endpoint), {
        method: 'PUT',
        agent: false,
        headers: {
          Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=abc',
          'X-Amz-Date': '20240101T000000Z',
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
          'Content-Length': String(4 * 1024 * 1024),
        },
      });
      req.on('error', () => resolve());
      req.on('response', () => reject(new Error('a cut-off upload was answered')));
      req.write(randomBytes(256 * 1024), () => setTimeout(() => req.destroy(), 50));
    });
    const got = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'kept' }));
    assert.equal(await got.Body!.transformToString(), 'the original');
  });

  test('Range and conditional requests', async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'digits', Body: '0123456789' }));
    const read = async (Range: string) => {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'digits', Range }));
      return { text: await got.Body!.transformToString(), range: got.ContentRange, length: got.ContentLength };
    };
    assert.deepEqual(await read('bytes=2-4'), { text: '234', range: 'bytes 2-4/10', length: 3 });
    assert.deepEqual(await read('bytes=7-'), { text: '789', range: 'bytes 7-9/10', length: 3 });
    assert.deepEqual(await read('bytes=-2'), { text: '89', range: 'bytes 8-9/10', length: 2 });
    assert.deepEqual(await read('bytes=5-100'), { text: '56789', range: 'bytes 5-9/10', length: 5 });
    const error = await rejects(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'digits', Range: 'bytes=10-20' })), 'InvalidRange', 416, 'The requested range is not satisfiable');
    assert.equal((error as unknown as { ActualObjectSize: string }).ActualObjectSize, '10');
    assert.equal((error as unknown as { RangeRequested: string }).RangeRequested, 'bytes=10-20');

    await rejects(s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'digits', IfMatch: '"0000"' })), 'PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
    const matched = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'digits', IfMatch: put.ETag }));
    assert.equal(await matched.Body!.transformToString(), '0123456789');
    const notModified = await raw('GET', '/objects/digits', '', { 'If-None-Match': put.ETag! });
    assert.equal(notModified.status, 304);
    const since = await raw('GET', '/objects/digits', '', { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() });
    assert.equal(since.status, 304);
    const modified = await raw('GET', '/objects/digits', '', { 'If-Modified-Since': new Date(0).toUTCString() });
    assert.equal(modified.status, 200);
    const unmodified = await raw('GET', '/objects/digits', '', { 'If-Unmodified-Since': new Date(0).toUTCString() });
    assert.equal(unmodified.status, 412);
  });

  test('keys over 1,024 bytes are refused', async () => {
    await rejects(s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'k'.repeat(1025), Body: 'x' })), 'KeyTooLongError', 400, 'Your key is too long');
    await rejects(s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'é'.repeat(513), Body: 'x' })), 'KeyTooLongError', 400, 'Your key is too long');
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'k'.repeat(1024), Body: 'x' }));
    await s3.send(new DeleteObjectCommand({ Bucket: 'objects', Key: 'k'.repeat(1024) }));
  });

  test('copy: metadata copied or replaced; copying onto itself unchanged is refused', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'source', Body: 'copied bytes', ContentType: 'text/x-source', Metadata: { a: '1' } }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'copy', CopySource: 'objects/source' }));
    assert.equal(copy.CopyObjectResult?.ETag, `"${md5('copied bytes')}"`);
    const copied = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'copy' }));
    assert.equal(await copied.Body!.transformToString(), 'copied bytes');
    assert.equal(copied.ContentType, 'text/x-source');
    assert.deepEqual(copied.Metadata, { a: '1' });
    await s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'copy', CopySource: '/objects/source', MetadataDirective: 'REPLACE', ContentType: 'text/x-new', Metadata: { b: '2' } }));
    const replaced = await s3.send(new HeadObjectCommand({ Bucket: 'objects', Key: 'copy' }));
    assert.equal(replaced.ContentType, 'text/x-new');
    assert.deepEqual(replaced.Metadata, { b: '2' });
    await rejects(s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'source', CopySource: 'objects/source' })), 'InvalidRequest', 400);
    await rejects(s3.send(new CopyObjectCommand({ Bucket: 'objects', Key: 'x', CopySource: 'objects/no-such-source' })), 'NoSuchKey', 404);
  });

  test('DeleteObjects, quiet and not; malformed documents', async () => {
    for (const key of ['d1', 'd2', 'd3']) await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: key, Body: key }));
    const loud = await s3.send(new DeleteObjectsCommand({ Bucket: 'objects', Delete: { Objects: [{ Key: 'd1' }, { Key: 'never-there' }] } }));
    assert.deepEqual(loud.Deleted?.map((d) => d.Key).sort(), ['d1', 'never-there']);
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: 'objects', Delete: { Objects: [{ Key: 'd2' }, { Key: 'd3' }], Quiet: true } }));
    assert.equal(quiet.Deleted, undefined);
    const left = await s3.send(new ListObjectsV2Command({ Bucket: 'objects', Prefix: 'd' }));
    assert.deepEqual(left.Contents?.map((c) => c.Key) ?? [], ['digits', 'dir/hello world+ü.txt']);

    const md5Header = (body: string) => ({ 'Content-MD5': createHash('md5').update(body).digest('base64') });
    for (const body of ['<Delete><Object><Key>a</Key></Object>', 'not xml', '<Delete></Delete>', '<Other/>']) {
      const res = await raw('POST', '/objects?delete', body, md5Header(body));
      assert.equal(res.status, 400, body);
      assert.deepEqual(errorCode(res.body), { code: 'MalformedXML', message: 'The XML you provided was not well-formed or did not validate against our published schema' });
    }
  });
});

describe('listing', () => {
  const keys = ['a/1', 'a/2', 'a/b/3', 'b/4', 'c', 'd e/5', 'z'];
  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: 'listing', Key: key, Body: key }));
  });

  test('ListObjectsV2: prefix, delimiter, pages, StartAfter, url encoding, owner', async () => {
    const all = await s3.send(new ListObjectsV2Command({ Bucket: 'listing' }));
    assert.deepEqual(all.Contents?.map((c) => c.Key), keys);
    assert.equal(all.KeyCount, keys.length);
    assert.equal(all.IsTruncated, false);
    assert.equal(all.Contents?.[0]?.Owner, undefined);

    const grouped = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    assert.deepEqual(grouped.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'b/', 'd e/']);
    assert.deepEqual(grouped.Contents?.map((c) => c.Key), ['c', 'z']);
    const inner = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/', Prefix: 'a/' }));
    assert.deepEqual(inner.Contents?.map((c) => c.Key), ['a/1', 'a/2']);
    assert.deepEqual(inner.CommonPrefixes?.map((p) => p.Prefix), ['a/b/']);

    // Pages of two entries, prefixes counting as entries, until the end.
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/', MaxKeys: 2, ContinuationToken: token }));
      seen.push(...(page.CommonPrefixes ?? []).map((p) => p.Prefix!), ...(page.Contents ?? []).map((c) => c.Key!));
      token = page.NextContinuationToken;
      assert.equal(page.IsTruncated, token !== undefined);
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(seen.sort(), ['a/', 'b/', 'c', 'd e/', 'z']);

    const afterB = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', StartAfter: 'b/4' }));
    assert.deepEqual(afterB.Contents?.map((c) => c.Key), ['c', 'd e/5', 'z']);
    const encoded = await s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'd e', EncodingType: 'url', FetchOwner: true }));
    assert.equal(encoded.Contents?.[0]?.Key, 'd%20e/5');
    assert.match(encoded.Contents?.[0]?.Owner?.ID ?? '', /^[0-9a-f]{64}$/);
    await rejects(s3.send(new ListObjectsV2Command({ Bucket: 'listing', ContinuationToken: 'garbage' })), 'InvalidArgument', 400, 'The continuation token provided is incorrect');
  });

  test('ListObjects (v1): Marker and NextMarker', async () => {
    const first = await s3.send(new ListObjectsCommand({ Bucket: 'listing', MaxKeys: 3, Delimiter: '/' }));
    assert.equal(first.IsTruncated, true);
    assert.deepEqual(first.CommonPrefixes?.map((p) => p.Prefix), ['a/', 'b/']);
    assert.deepEqual(first.Contents?.map((c) => c.Key), ['c']);
    assert.equal(first.NextMarker, 'c');
    const rest = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Marker: first.NextMarker, Delimiter: '/' }));
    assert.deepEqual(rest.CommonPrefixes?.map((p) => p.Prefix), ['d e/']);
    assert.deepEqual(rest.Contents?.map((c) => c.Key), ['z']);
    assert.equal(rest.IsTruncated, false);
    const plain = await s3.send(new ListObjectsCommand({ Bucket: 'listing', Marker: 'a/2' }));
    assert.deepEqual(plain.Contents?.map((c) => c.Key), keys.slice(2));
    assert.ok(plain.Contents?.[0]?.Owner?.ID);
  });
});

describe('multipart', () => {
  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: 'multipart' }));
  });

  test('lib-storage Upload of 21 MiB in 5 MiB parts reads back whole, ETag -N', async () => {
    const data = randomBytes(21 * 1024 * 1024);
    const upload = new Upload({ client: s3, params: { Bucket: 'multipart', Key: 'big/blob', Body: Readable.from([data]) }, partSize: 5 * 1024 * 1024, queueSize: 2 });
    const done = await upload.done();
    const partMd5s = [];
    for (let at = 0; at < data.length; at += 5 * 1024 * 1024) partMd5s.push(createHash('md5').update(data.subarray(at, at + 5 * 1024 * 1024)).digest());
    const expected = `"${createHash('md5').update(Buffer.concat(partMd5s)).digest('hex')}-${partMd5s.length}"`;
    assert.equal(done.ETag, expected);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'multipart', Key: 'big/blob', ChecksumMode: 'ENABLED' }));
    assert.equal(got.ETag, expected);
    assert.equal(got.ContentLength, data.length);
    const hash = createHash('sha256');
    for await (const chunk of got.Body as Readable) hash.update(chunk);
    assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
    const ranged = await s3.send(new GetObjectCommand({ Bucket: 'multipart', Key: 'big/blob', Range: 'bytes=5242878-5242881' }));
    assert.ok(Buffer.from(await ranged.Body!.transformToByteArray()).equals(data.subarray(5242878, 5242882)));
  });

  test('parts listed, copied, completed out of order, too small, unknown; uploads listed and aborted', async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'multipart', Key: 'manual', ContentType: 'text/x-parts' }));
    const big = randomBytes(5 * 1024 * 1024);
    const one = await s3.send(new UploadPartCommand({ Bucket: 'multipart', Key: 'manual', UploadId, PartNumber: 1, Body: big }));
    await s3.send(new PutObjectCommand({ Bucket: 'multipart', Key: 'copy-source', Body: 'tail from a copy' }));
    const two = await s3.send(new UploadPartCopyCommand({ Bucket: 'multipart', Key: 'manual', UploadId, PartNumber: 2, CopySource: 'multipart/copy-source', CopySourceRange: 'bytes=5-15' }));
    assert.equal(two.CopyPartResult?.ETag, `"${md5('from a copy')}"`);
    const parts = await s3.send(new ListPartsCommand({ Bucket: 'multipart', Key: 'manual', UploadId }));
    assert.deepEqual(parts.Parts?.map((p) => [p.PartNumber, p.Size]), [[1, big.length], [2, 11]]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: 'multipart' }));
    assert.ok(uploads.Uploads?.some((u) => u.UploadId === UploadId && u.Key === 'manual'));

    await rejects(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: 'multipart', Key: 'manual', UploadId, MultipartUpload: { Parts: [{ PartNumber: 2, ETag: two.CopyPartResult?.ETag }, { PartNumber: 1, ETag: one.ETag }] } })),
      'InvalidPartOrder',
      400,
      'The list of parts was not in ascending order. Parts must be ordered by part number.',
    );
    await rejects(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: 'multipart', Key: 'manual', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0123"' }] } })),
      'InvalidPart',
      400,
    );
    const malformed = await raw('POST', `/multipart/manual?uploadId=${encodeURIComponent(UploadId!)}`, '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>');
    assert.equal(malformed.status, 400);
    assert.deepEqual(errorCode(malformed.body), { code: 'MalformedXML', message: 'The XML you provided was not well-formed or did not validate against our published schema' });
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: 'multipart', Key: 'manual', UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.CopyPartResult?.ETag }] } }),
    );
    assert.match(done.ETag ?? '', /-2"$/);
    const whole = await s3.send(new GetObjectCommand({ Bucket: 'multipart', Key: 'manual' }));
    const bytes = Buffer.from(await whole.Body!.transformToByteArray());
    assert.ok(bytes.equals(Buffer.concat([big, Buffer.from('from a copy')])));
    assert.equal(whole.ContentType, 'text/x-parts');

    const small = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'multipart', Key: 'small' }));
    const s1 = await s3.send(new UploadPartCommand({ Bucket: 'multipart', Key: 'small', UploadId: small.UploadId, PartNumber: 1, Body: 'tiny' }));
    const s2 = await s3.send(new UploadPartCommand({ Bucket: 'multipart', Key: 'small', UploadId: small.UploadId, PartNumber: 2, Body: 'tail' }));
    await rejects(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: 'multipart', Key: 'small', UploadId: small.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: s1.ETag }, { PartNumber: 2, ETag: s2.ETag }] } })),
      'EntityTooSmall',
      400,
      'Your proposed upload is smaller than the minimum allowed size',
    );
    await s3.send(new AbortMultipartUploadCommand({ Bucket: 'multipart', Key: 'small', UploadId: small.UploadId }));
    await rejects(s3.send(new ListPartsCommand({ Bucket: 'multipart', Key: 'small', UploadId: small.UploadId })), 'NoSuchUpload', 404);
    await rejects(s3.send(new UploadPartCommand({ Bucket: 'multipart', Key: 'small', UploadId: 'no-such-upload', PartNumber: 1, Body: 'x' })), 'NoSuchUpload', 404);
    await rejects(
      s3.send(new CompleteMultipartUploadCommand({ Bucket: 'multipart', Key: 'small', UploadId: 'no-such-upload', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: s1.ETag }] } })),
      'NoSuchUpload',
      404,
    );
    await rejects(s3.send(new UploadPartCommand({ Bucket: 'multipart', Key: 'manual', UploadId, PartNumber: 10001, Body: 'x' })), 'InvalidArgument', 400, 'Part number must be an integer between 1 and 10000, inclusive');
  });
});

describe('the shared port', () => {
  test('virtual-hosted requests: Host bucket.localhost:PORT', async () => {
    await hosted.send(new CreateBucketCommand({ Bucket: 'hosted' }));
    await hosted.send(new PutObjectCommand({ Bucket: 'hosted', Key: 'nested/key', Body: 'by host' }));
    const got = await hosted.send(new GetObjectCommand({ Bucket: 'hosted', Key: 'nested/key' }));
    assert.equal(await got.Body!.transformToString(), 'by host');
    const list = await hosted.send(new ListObjectsV2Command({ Bucket: 'hosted' }));
    assert.deepEqual(list.Contents?.map((c) => c.Key), ['nested/key']);
    // The same object path-style.
    const path = await s3.send(new GetObjectCommand({ Bucket: 'hosted', Key: 'nested/key' }));
    assert.equal(await path.Body!.transformToString(), 'by host');
    // Unsigned, by Host alone.
    const anonymous = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: server.port, path: '/nested/key', headers: { Host: `hosted.localhost:${server.port}` }, agent: false }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    assert.equal(anonymous, 'by host');
  });

  test('Kinesis calls between S3 calls; an unsigned GET / is still Kinesis’s', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'beside-s3', ShardCount: 1 }));
    await s3.send(new PutObjectCommand({ Bucket: 'objects', Key: 'between', Body: 'one' }));
    const record = await kinesis.send(new PutRecordCommand({ StreamName: 'beside-s3', PartitionKey: 'p', Data: Buffer.from('r') }));
    assert.ok(record.SequenceNumber);
    const got = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'between' }));
    assert.equal(await got.Body!.transformToString(), 'one');
    assert.ok((await kinesis.send(new ListStreamsCommand({}))).StreamNames?.includes('beside-s3'));
    const root = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: server.port, path: '/', agent: false }, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        })
        .on('error', reject);
    });
    assert.doesNotMatch(root.body, /ListAllMyBucketsResult/);
    const unknown = await raw('GET', '/objects/between?acl');
    assert.equal(unknown.status, 501);
    assert.equal(errorCode(unknown.body).code, 'NotImplemented');
    const wrongMethod = await raw('PATCH', '/objects/between');
    assert.equal(wrongMethod.status, 405);
    assert.equal(errorCode(wrongMethod.body).code, 'MethodNotAllowed');
  });

  test('objects survive a restart, and the server kept serving after every bad request', async () => {
    const before = await s3.send(new ListObjectsV2Command({ Bucket: 'objects' }));
    for (const client of clients.splice(0)) client.destroy();
    await server.close();
    await start();
    const afterRestart = await s3.send(new ListObjectsV2Command({ Bucket: 'objects' }));
    assert.deepEqual(
      afterRestart.Contents?.map((c) => [c.Key, c.ETag, c.Size]),
      before.Contents?.map((c) => [c.Key, c.ETag, c.Size]),
    );
    const digits = await s3.send(new GetObjectCommand({ Bucket: 'objects', Key: 'digits', ChecksumMode: 'ENABLED' }));
    assert.equal(await digits.Body!.transformToString(), '0123456789');
    const big = await s3.send(new HeadObjectCommand({ Bucket: 'multipart', Key: 'big/blob' }));
    assert.equal(big.ContentLength, 21 * 1024 * 1024);
  });
});
