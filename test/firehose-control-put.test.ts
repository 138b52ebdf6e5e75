import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { FirehoseClient, CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, PutRecordBatchCommand, PutRecordCommand } from '@aws-sdk/client-firehose';
import { deliveryStreamKey, ingestLogName, type DeliveryStreamDocument } from '../src/firehose/domain/delivery-stream.js';
import { PutThroughput, LARGE_QUOTA, SMALL_QUOTA } from '../src/firehose/domain/throughput.js';
import { RECORD_ID_BYTES } from '../src/firehose/domain/record-id.js';
import { available, startTestServer, type TestServer } from './helpers.js';

/**
 * PutRecord / PutRecordBatch (FIREHOSE-SPEC §5, §17; issue item 2): limits and their texts,
 * RecordIds, the ingest log as the durable acknowledgement, opt-in quotas.
 */

let server: TestServer;
let firehose: FirehoseClient;
const ACCOUNT = '000000000000';
const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const BUCKET = 'arn:aws:s3:::bucket';

function client(): FirehoseClient {
  return new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
}

before(async () => {
  server = await startTestServer();
  firehose = client();
  await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'puts', ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET } }));
});
after(async () => {
  firehose.destroy();
  const dataDir = server.dataDir;
  await server.stop();
  // The server reopened on the first one's directory leaves it in place.
  rmSync(dataDir, { recursive: true, force: true });
});

async function fails(call: Promise<unknown>, type: string, message: string | RegExp): Promise<void> {
  await assert.rejects(call, (err: any) => {
    assert.equal(err.name, type, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

async function stored(name: string): Promise<DeliveryStreamDocument> {
  return (await server.store.meta.get<DeliveryStreamDocument>(deliveryStreamKey(ACCOUNT, 'us-east-1', name)))!.value;
}

async function ingestLog(name: string) {
  return (await server.store.records.read(ingestLogName(await stored(name)), 0, { limit: 10_000, maxBytes: 64 * 1024 * 1024, notBefore: 0 })).records;
}

const BASE64_224 = /^[A-Za-z0-9+/]{224}$/;

test('PutRecord answers an AWS-shaped RecordId once the record is in the ingest log', async () => {
  const before = (await ingestLog('puts')).length;
  const put = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'puts', Record: { Data: Buffer.from('{"a":1}\n') } }));
  assert.match(put.RecordId!, BASE64_224);
  assert.equal(Buffer.from(put.RecordId!, 'base64').length, RECORD_ID_BYTES);
  assert.equal(put.Encrypted, false);
  const log = await ingestLog('puts');
  assert.equal(log.length, before + 1);
  assert.equal(log.at(-1)!.data.toString(), '{"a":1}\n');
  assert.equal(log.at(-1)!.partitionKey, '');
  // Empty data is allowed (model: Data min 0).
  const empty = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'puts', Record: { Data: new Uint8Array(0) } }));
  assert.match(empty.RecordId!, BASE64_224);
  assert.notEqual(empty.RecordId, put.RecordId);
});

test('PutRecordBatch: one result per record in order, unique ids, 500 records', async () => {
  const records = Array.from({ length: 500 }, (_, i) => ({ Data: Buffer.from(`record-${i}`) }));
  const before = (await ingestLog('puts')).length;
  const batch = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'puts', Records: records }));
  assert.equal(batch.FailedPutCount, 0);
  assert.equal(batch.Encrypted, false);
  assert.equal(batch.RequestResponses!.length, 500);
  const ids = batch.RequestResponses!.map((r) => r.RecordId!);
  for (const id of ids) assert.match(id, BASE64_224);
  assert.equal(new Set(ids).size, 500);
  const log = await ingestLog('puts');
  assert.deepEqual(
    log.slice(before).map((r) => r.data.toString()),
    records.map((r) => r.Data.toString()),
  );
});

test('limits with the recorded texts (§5, §17)', async () => {
  const big = Buffer.alloc(1_024_001, 1);
  await fails(
    firehose.send(new PutRecordCommand({ DeliveryStreamName: 'puts', Record: { Data: big } })),
    'ValidationException',
    "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1024001 cap=1024001]' at 'record.data' failed to satisfy constraint: Member must have length less than or equal to 1024000",
  );
  await fails(
    firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'puts', Records: [{ Data: Buffer.from('ok') }, { Data: big }, { Data: big }] })),
    'ValidationException',
    "2 validation errors detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1024001 cap=1024001]' at 'records.2.member.data' failed to satisfy constraint: Member must have length less than or equal to 1024000; Value 'java.nio.HeapByteBuffer[pos=0 lim=1024001 cap=1024001]' at 'records.3.member.data' failed to satisfy constraint: Member must have length less than or equal to 1024000",
  );
  // Exactly 1,024,000 bytes is allowed.
  await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'puts', Record: { Data: Buffer.alloc(1_024_000, 2) } }));
  const fiveMiB = Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(1_000_000, 3) }));
  const before = (await ingestLog('puts')).length;
  await fails(firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'puts', Records: fiveMiB })), 'InvalidArgumentException', 'Records size exceeds 4 MB limit');
  assert.equal((await ingestLog('puts')).length, before, 'a refused batch stores nothing');
  await fails(
    firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'puts', Records: Array.from({ length: 501 }, () => ({ Data: Buffer.from('x') })) })),
    'ValidationException',
    /^1 validation error detected: Value '\[.*\]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500$/,
  );
  await fails(
    firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'puts', Records: [] })),
    'ValidationException',
    "1 validation error detected: Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1",
  );
  await fails(
    firehose.send(new PutRecordCommand({ DeliveryStreamName: 'nowhere', Record: { Data: Buffer.from('x') } })),
    'ResourceNotFoundException',
    `Firehose nowhere under account ${ACCOUNT} not found.`,
  );
  await fails(
    firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'nowhere', Records: [{ Data: Buffer.from('x') }] })),
    'ResourceNotFoundException',
    `Firehose nowhere under account ${ACCOUNT} not found.`,
  );
});

test('with the Decompression processor on, only CloudWatch Logs payloads are taken (InvalidSourceException)', async () => {
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'cwl',
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: BUCKET,
        ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Decompression', Parameters: [{ ParameterName: 'CompressionFormat', ParameterValue: 'GZIP' }] }] },
      },
    }),
  );
  await fails(
    firehose.send(new PutRecordCommand({ DeliveryStreamName: 'cwl', Record: { Data: Buffer.from('plain text') } })),
    'InvalidSourceException',
    'Only requests from CloudWatch Logs are supported when CloudWatch Logs decompression is enabled.',
  );
  const envelope = {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: 'group',
    logStream: 'stream',
    subscriptionFilters: ['filter'],
    logEvents: [{ id: '1', timestamp: 1700000000000, message: 'hello' }],
  };
  const put = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'cwl', Record: { Data: gzipSync(JSON.stringify(envelope)) } }));
  assert.match(put.RecordId!, BASE64_224);
});

test('an acknowledged put survives closing and reopening the server on the same data directory', async () => {
  const dataDir = server.dataDir;
  const put = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'puts', Records: [{ Data: Buffer.from('durable-1') }, { Data: Buffer.from('durable-2') }] }));
  assert.equal(put.FailedPutCount, 0);
  firehose.destroy();
  await server.close();
  server = await startTestServer({ dataDir });
  firehose = client();
  const log = await ingestLog('puts');
  assert.deepEqual(
    log.slice(-2).map((r) => r.data.toString()),
    ['durable-1', 'durable-2'],
  );
  // RecordIds stay unique across the restart: the index goes on from the log's tip.
  const again = await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'puts', Record: { Data: Buffer.from('after') } }));
  assert.notEqual(again.RecordId, put.RequestResponses![0].RecordId);
  assert.equal((await ingestLog('puts')).at(-1)!.data.toString(), 'after');
});

test('DirectPut quotas under --enforce-limits: per stream, by region, requests/records/bytes (§5, §16)', () => {
  let now = 1_000_000;
  const limits = new PutThroughput(true, () => now);
  const arn = 'arn:aws:firehose:us-east-1:1:deliverystream/a';
  // Request rate: 2,000/s in us-east-1.
  for (let i = 0; i < LARGE_QUOTA.requestsPerSecond; i++) assert.ok(limits.admit(arn, 'us-east-1', 1, 1));
  assert.equal(limits.admit(arn, 'us-east-1', 1, 1), false);
  now += 1000;
  assert.ok(limits.admit(arn, 'us-east-1', 1, 1), 'a second later the bucket is full again');
  // Bytes: 1 MiB/s elsewhere; a refused request takes nothing.
  const small = 'arn:aws:firehose:ap-south-1:1:deliverystream/b';
  assert.ok(limits.admit(small, 'ap-south-1', 1, SMALL_QUOTA.bytesPerSecond));
  assert.equal(limits.admit(small, 'ap-south-1', 1, 1024), false);
  now += 500;
  assert.ok(limits.admit(small, 'ap-south-1', 1, 1024));
  // Control plane: 5 calls a second per account and operation; puts are not counted there.
  for (let i = 0; i < 5; i++) assert.ok(limits.admitControlCall('DescribeDeliveryStream', '1'));
  assert.equal(limits.admitControlCall('DescribeDeliveryStream', '1'), false);
  assert.ok(limits.admitControlCall('DescribeDeliveryStream', '2'), 'another account has its own');
  assert.ok(limits.admitControlCall('ListDeliveryStreams', '1'), 'another operation has its own');
  for (let i = 0; i < 100; i++) assert.ok(limits.admitControlCall('PutRecord', '1'));
  now += 1000;
  assert.ok(limits.admitControlCall('DescribeDeliveryStream', '1'));
  // PutRecordBatch: the request counts once, then records fit one by one until a bucket runs dry.
  const batchArn = 'arn:aws:firehose:ap-south-1:1:deliverystream/c';
  assert.equal(limits.admitBatch(batchArn, 'ap-south-1', [400_000, 400_000, 400_000, 1]), 2);
  assert.equal(limits.admitBatch(batchArn, 'ap-south-1', [1]), 1, 'a small record fits in what was left');
  for (let i = 0; i < SMALL_QUOTA.requestsPerSecond - 2; i++) limits.admitBatch(batchArn, 'ap-south-1', []);
  assert.equal(limits.admitBatch(batchArn, 'ap-south-1', [1]), undefined, 'past the request rate the whole call is refused');
  // Off by default: nothing is ever refused.
  const off = new PutThroughput(false, () => now);
  for (let i = 0; i < 5000; i++) assert.ok(off.admit(arn, 'us-east-1', 500, 4 * 1024 * 1024));
  assert.equal(off.admitBatch(arn, 'us-east-1', Array.from({ length: 500 }, () => 8000)), 500);
  for (let i = 0; i < 50; i++) assert.ok(off.admitControlCall('CreateDeliveryStream', '1'));
});

test('under --enforce-limits a throttled put answers ServiceUnavailableException, a control call LimitExceededException', async () => {
  const limits = server.firehose.throughput as unknown as { enforced: boolean };
  const tight = new PutThroughput(true);
  const original = server.firehose.throughput;
  server.firehose.throughput = tight;
  try {
    // Drain the stream's byte bucket (5 MiB/s in us-east-1) with large records: PutRecord is refused whole.
    await assert.rejects(async () => {
      for (let i = 0; i < 20; i++) await firehose.send(new PutRecordCommand({ DeliveryStreamName: 'puts', Record: { Data: Buffer.alloc(1_000_000) } }));
    }, (err: any) => err.name === 'ServiceUnavailableException' && err.message === 'Slow down.' && err.$metadata.httpStatusCode === 500);
    // A clock that stands still: the buckets do not refill between the calls.
    const frozen = Date.now();
    server.firehose.throughput = new PutThroughput(true, () => frozen);
    // PutRecordBatch answers per entry: 5 MiB a second holds 5 of these records; the first batch
    // of 4 fits, of the second only the first record does; its other entries are throttled.
    const batch = Array.from({ length: 4 }, (_, i) => ({ Data: Buffer.alloc(1_000_000, 97 + i) }));
    const logBefore = (await ingestLog('puts')).length;
    const first = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'puts', Records: batch }));
    assert.equal(first.FailedPutCount, 0);
    const second = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'puts', Records: batch }));
    assert.equal(second.FailedPutCount, 3);
    assert.ok(second.RequestResponses![0]!.RecordId);
    assert.equal(second.RequestResponses![0]!.ErrorCode, undefined);
    for (const entry of second.RequestResponses!.slice(1)) {
      assert.deepEqual({ ...entry }, { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' });
    }
    // Only what was acknowledged is stored: 4 + 1 records, the last one the second batch's first.
    const log = await ingestLog('puts');
    assert.equal(log.length, logBefore + 5);
    assert.equal(log.at(-1)!.data[0], 97);
    // A batch none of whose records fit is still answered 200, every entry failed.
    const third = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'puts', Records: batch.slice(0, 2) }));
    assert.equal(third.FailedPutCount, 2);
    assert.equal((await ingestLog('puts')).length, logBefore + 5);
    await assert.rejects(async () => {
      for (let i = 0; i < 6; i++) await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'puts' }));
    }, (err: any) => err.name === 'LimitExceededException' && err.message === `Rate exceeded for DescribeDeliveryStream under account ${ACCOUNT}.`);
  } finally {
    server.firehose.throughput = original;
  }
  assert.equal(limits.enforced, false);
});

const BOTO3_SCRIPT = `
import json, sys, base64
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
c = boto3.client('firehose', endpoint_url=sys.argv[1], region_name='us-east-1',
    aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret',
    config=Config(retries={'max_attempts': 1, 'mode': 'standard'}))
out = {}
r = c.put_record(DeliveryStreamName='puts', Record={'Data': b'boto-one'})
out['one'] = [r['RecordId'], r['Encrypted']]
b = c.put_record_batch(DeliveryStreamName='puts', Records=[{'Data': b'boto-two'}, {'Data': b'boto-three'}])
out['batch'] = [b['FailedPutCount'], [e['RecordId'] for e in b['RequestResponses']]]
try:
    c.put_record_batch(DeliveryStreamName='puts', Records=[{'Data': b'x' * 1000000}] * 5)
except ClientError as e:
    out['big'] = [e.response['Error']['Code'], e.response['Error']['Message']]
print(json.dumps(out))
`;

test('boto3 puts records and batches', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) return t.skip("`python3 -c 'import boto3'` fails here");
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile('python3', ['-c', BOTO3_SCRIPT, server.endpoint], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, stdout, stderr }),
    ),
  );
  assert.equal(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout);
  assert.match(out.one[0], BASE64_224);
  assert.equal(out.one[1], false);
  assert.equal(out.batch[0], 0);
  assert.equal(out.batch[1].length, 2);
  assert.deepEqual(out.big, ['InvalidArgumentException', 'Records size exceeds 4 MB limit']);
  const log = await ingestLog('puts');
  assert.deepEqual(
    log.slice(-3).map((r) => r.data.toString()),
    ['boto-one', 'boto-two', 'boto-three'],
  );
});

test('the AWS CLI puts a record (v1 sends the text as given; v2 told raw-in-base64-out does the same)', async (t) => {
  if (!(await available('aws', ['--version']))) return t.skip('`aws --version` does not run here');
  const env = { ...process.env, AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/nonexistent/c', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/s', AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1' };
  const put = (extra: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        'aws',
        ['--endpoint-url', server.endpoint, '--output', 'json', 'firehose', 'put-record', '--delivery-stream-name', 'puts', '--record', 'Data=from-cli', ...extra],
        { env, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? 1 : 0, stdout, stderr }),
      ),
    );
  let result = await put(['--cli-binary-format', 'raw-in-base64-out']);
  if (result.code !== 0 && result.stderr.includes('cli-binary-format')) result = await put([]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(JSON.parse(result.stdout).RecordId, BASE64_224);
  assert.equal((await ingestLog('puts')).at(-1)!.data.toString(), 'from-cli');
});

test('records acknowledged before a SIGKILL are in the ingest log after restart (issue item 2)', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-fh-kill-'));
  const child = spawn(process.execPath, [fileURLToPath(new URL('./crash-child.js', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line).endpoint));
      child.once('exit', (code) => reject(new Error(`child exited with ${code} before serving`)));
    });
    const producer = new FirehoseClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
    await producer.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'crash', ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: BUCKET } }));
    const acked: string[] = [];
    let killed = false;
    const produce = async (p: number) => {
      for (let i = 0; !killed; i++) {
        const records = Array.from({ length: 10 }, (_, j) => `p${p}-${i}-${j}`);
        try {
          await producer.send(new PutRecordBatchCommand({ DeliveryStreamName: 'crash', Records: records.map((r) => ({ Data: Buffer.from(r) })) }));
          acked.push(...records);
        } catch {
          return; // the server is gone: this batch was never acknowledged
        }
        if (acked.length >= 400 && !killed) {
          killed = true;
          child.kill('SIGKILL');
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(produce));
    await exited;
    producer.destroy();
    assert.ok(acked.length >= 400);
    const reopened = await startTestServer({ dataDir: dir });
    try {
      const stream = (await reopened.store.meta.get<DeliveryStreamDocument>(deliveryStreamKey(ACCOUNT, 'us-east-1', 'crash')))!.value;
      const log = await reopened.store.records.read(ingestLogName(stream), 0, { limit: 100_000, maxBytes: 64 * 1024 * 1024, notBefore: 0 });
      const present = new Set(log.records.map((r) => r.data.toString()));
      const lost = acked.filter((r) => !present.has(r));
      assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged records lost`);
    } finally {
      await reopened.close();
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
