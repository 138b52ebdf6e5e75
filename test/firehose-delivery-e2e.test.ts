import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { startTestServer, available, type TestServer } from './helpers.js';

/**
 * The whole path as a user meets it: a stream created and fed with @aws-sdk/client-firehose, the
 * objects read back from the embedded S3 with the AWS CLI.
 */
let server: TestServer;
let firehose: FirehoseClient;
const work = mkdtempSync(join(tmpdir(), 'millrace-fh-e2e-'));
before(async () => {
  server = await startTestServer();
  firehose = new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
});
after(async () => {
  firehose.destroy();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
});

// Asynchronous: the server answers from this process's event loop.
const aws = async (...args: string[]): Promise<string> => {
  const result = await promisify(execFile)('aws', ['--endpoint-url', server.endpoint, ...args], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: join(work, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return result.stdout;
};

test('PutRecordBatch with the JS SDK, GZIP objects under the prefix read back with the AWS CLI', async (t) => {
  if (!(await available('aws', ['--version']))) return t.skip('aws CLI not installed');
  await server.objects.createBucket('e2e-bucket', 'us-east-1');
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'e2e',
      ExtendedS3DestinationConfiguration: {
        BucketARN: 'arn:aws:s3:::e2e-bucket',
        RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        Prefix: 'events/',
        CompressionFormat: 'GZIP',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
      },
    }),
  );
  for (let i = 0; i < 50; i++) {
    const { StreamDescription } = { StreamDescription: (await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'e2e' }))).DeliveryStreamDescription };
    if (StreamDescription?.DeliveryStreamStatus === 'ACTIVE') break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const records = Array.from({ length: 500 }, (_, i) => JSON.stringify({ i }) + '\n');
  const out = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'e2e', Records: records.map((r) => ({ Data: Buffer.from(r) })) }));
  assert.equal(out.FailedPutCount, 0);
  await server.delivery.flush('000000000000', 'us-east-1', 'e2e');
  const listing = await aws('s3', 'ls', '--recursive', 's3://e2e-bucket/events/');
  const keys = listing.split('\n').filter(Boolean).map((line) => line.trim().split(/\s+/).pop()!);
  assert.ok(keys.length >= 1);
  let text = '';
  for (const key of keys) {
    assert.match(key, /^events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/e2e-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$/);
    const file = join(work, 'object.gz');
    await aws('s3api', 'get-object', '--bucket', 'e2e-bucket', '--key', key, file);
    text += gunzipSync(readFileSync(file)).toString();
  }
  assert.equal(text, records.join(''));
});
