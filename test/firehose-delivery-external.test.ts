import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { startMillrace, type Millrace } from '../src/server.js';
import { available } from './helpers.js';

/**
 * Delivery to an external S3 (`--s3-endpoint`, here moto_server): the objects land there, read back
 * with the S3 SDK straight from moto, with their Content-Encoding, and a body above the multipart
 * threshold goes up in parts.
 */
let moto: ChildProcess | undefined;
let motoEndpoint = '';
let server: Millrace | undefined;
let skipReason: string | undefined;
let firehose: FirehoseClient;
let s3: S3Client;

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
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  firehose = new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  s3 = new S3Client({ endpoint: motoEndpoint, region: 'us-east-1', forcePathStyle: true, credentials, maxAttempts: 1 });
});

after(async () => {
  firehose?.destroy();
  s3?.destroy();
  await server?.close();
  moto?.kill('SIGKILL');
});

async function createActive(name: string, configuration: Record<string, unknown>) {
  await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: name, ExtendedS3DestinationConfiguration: configuration as never }));
  for (let i = 0; i < 100; i++) {
    const { DeliveryStreamDescription } = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
    if (DeliveryStreamDescription?.DeliveryStreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} never became ACTIVE`);
}

test('GZIP objects and a multipart object delivered to moto_server as external S3', async (t) => {
  if (skipReason) return t.skip(skipReason);
  await server!.objects.createBucket('external-delivery', 'us-east-1');
  await createActive('external', {
    BucketARN: 'arn:aws:s3:::external-delivery',
    RoleARN: 'arn:aws:iam::000000000000:role/firehose',
    Prefix: 'gz/',
    CompressionFormat: 'GZIP',
    BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
  });
  const records = Array.from({ length: 500 }, (_, i) => JSON.stringify({ i, pad: 'p'.repeat(100) }) + '\n');
  assert.equal((await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'external', Records: records.map((r) => ({ Data: Buffer.from(r) })) }))).FailedPutCount, 0);
  await server!.delivery.flush('000000000000', 'us-east-1', 'external');
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'external-delivery', Prefix: 'gz/' }));
  const keys = (listed.Contents ?? []).map((o) => o.Key!);
  assert.ok(keys.length >= 1);
  let text = '';
  for (const key of keys) {
    const object = await s3.send(new GetObjectCommand({ Bucket: 'external-delivery', Key: key }));
    assert.equal(object.ContentEncoding, 'gzip');
    assert.equal(object.ContentType, 'application/octet-stream');
    text += gunzipSync(Buffer.from(await object.Body!.transformToByteArray())).toString();
  }
  assert.equal(text, records.join(''));

  // 20 MiB uncompressed in one object: above MULTIPART_THRESHOLD_BYTES, so it goes up in parts.
  await createActive('external-large', {
    BucketARN: 'arn:aws:s3:::external-delivery',
    RoleARN: 'arn:aws:iam::000000000000:role/firehose',
    Prefix: 'large/',
    BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 900 },
  });
  const big = Buffer.alloc(1_000_000, 'b');
  for (let i = 0; i < 20; i++) await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'external-large', Records: [{ Data: big }] }));
  await server!.delivery.flush('000000000000', 'us-east-1', 'external-large');
  const large = await s3.send(new ListObjectsV2Command({ Bucket: 'external-delivery', Prefix: 'large/' }));
  assert.equal(large.Contents?.length, 1);
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'external-delivery', Key: large.Contents![0].Key! }));
  assert.equal(head.ContentLength, 20_000_000);
  assert.match(head.ETag ?? '', /-\d+"?$/, 'a multipart ETag');
});
