import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { startMillrace, type Millrace } from '../src/server.js';
import { available } from './helpers.js';

/**
 * The S3 API over an external S3 (`--s3-endpoint`, here moto_server): the same operations through
 * the same interface, with the objects landing in the external server (read back from it
 * directly, past Millrace).
 */
let moto: ChildProcess | undefined;
let motoEndpoint = '';
let server: Millrace | undefined;
let skipReason: string | undefined;
const clients: S3Client[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

before(async () => {
  if (!(await available('moto_server', ['--help']))) {
    skipReason = 'moto_server is not installed (pip install "moto[server]")';
    return;
  }
  const port = await freePort();
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  motoEndpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await (await fetch(`${motoEndpoint}/moto-api/`)).arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline || moto.exitCode !== null) throw new Error('moto_server did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  server = await startMillrace({ port: 0, host: '127.0.0.1', memory: true, s3Endpoint: motoEndpoint, s3AccessKeyId: 'test', s3SecretAccessKey: 'test', logLevel: 'silent' });
});

after(async () => {
  for (const client of clients) client.destroy();
  await server?.close();
  moto?.kill('SIGKILL');
});

function client(endpoint: string): S3Client {
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  clients.push(s3);
  return s3;
}

test('put, get, list, copy, multipart and delete through Millrace land in the external S3', async (t) => {
  if (skipReason) return t.skip(skipReason);
  const s3 = client(server!.endpoint);
  const direct = client(motoEndpoint);
  await s3.send(new CreateBucketCommand({ Bucket: 'external-bucket' }));
  await s3.send(new PutObjectCommand({ Bucket: 'external-bucket', Key: 'dir/a.txt', Body: 'through millrace', ContentType: 'text/plain', Metadata: { m: '1' } }));
  const streamed = randomBytes(300_000);
  await s3.send(new PutObjectCommand({ Bucket: 'external-bucket', Key: 'dir/streamed', Body: Readable.from([streamed]), ContentLength: streamed.length }));

  const viaMoto = await direct.send(new GetObjectCommand({ Bucket: 'external-bucket', Key: 'dir/a.txt' }));
  assert.equal(await viaMoto.Body!.transformToString(), 'through millrace');
  const viaMillrace = await s3.send(new GetObjectCommand({ Bucket: 'external-bucket', Key: 'dir/a.txt', ChecksumMode: 'ENABLED' }));
  assert.equal(viaMillrace.ContentType, 'text/plain');
  assert.deepEqual(viaMillrace.Metadata, { m: '1' });
  // The SDK sent its CRC32 as a header: kept with the object in the external store, and validated by the SDK on the way back.
  assert.equal(viaMillrace.ChecksumCRC32, Buffer.from([0, 0, 0, 0].map((_, i) => (zlibCrc32('through millrace') >>> (24 - 8 * i)) & 0xff)).toString('base64'));
  const streamedBack = await s3.send(new GetObjectCommand({ Bucket: 'external-bucket', Key: 'dir/streamed' }));
  assert.ok(Buffer.from(await streamedBack.Body!.transformToByteArray()).equals(streamed));

  const big = randomBytes(11 * 1024 * 1024);
  const uploaded = await new Upload({ client: s3, params: { Bucket: 'external-bucket', Key: 'big', Body: big }, partSize: 5 * 1024 * 1024 }).done();
  assert.match(uploaded.ETag ?? '', /-3"$/);
  const bigBack = await direct.send(new GetObjectCommand({ Bucket: 'external-bucket', Key: 'big' }));
  const md5 = (data: Uint8Array) => createHash('md5').update(data).digest('hex');
  assert.equal(md5(await bigBack.Body!.transformToByteArray()), md5(big));

  await s3.send(new CopyObjectCommand({ Bucket: 'external-bucket', Key: 'copy', CopySource: 'external-bucket/dir/a.txt' }));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'external-bucket', Delimiter: '/' }));
  assert.deepEqual(listed.Contents?.map((c) => c.Key), ['big', 'copy']);
  assert.deepEqual(listed.CommonPrefixes?.map((p) => p.Prefix), ['dir/']);

  await s3.send(new DeleteObjectCommand({ Bucket: 'external-bucket', Key: 'copy' }));
  await assert.rejects(direct.send(new HeadObjectCommand({ Bucket: 'external-bucket', Key: 'copy' })), { name: 'NotFound' });
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: 'external-bucket', Key: 'copy' })), { name: 'NoSuchKey', message: 'The specified key does not exist.' });
});
