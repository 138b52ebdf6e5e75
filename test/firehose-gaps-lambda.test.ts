import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { INVOKE_REQUEST_LIMIT_BYTES } from '../src/functions/invoke-limits.js';
import { abortableSleep } from '../src/firehose/abortable-sleep.js';
import { buildEvent, lambdaBatches, LambdaInputBuffer, type LambdaInput } from '../src/firehose/processing/lambda-transform.js';
import { startTestServer, sleep, type TestServer } from './helpers.js';

/**
 * The Lambda processor's buffering hints (FIREHOSE-SPEC §7 table, §10.1; docs data-transformation:
 * "Firehose buffers incoming data" up to BufferSizeInMBs (0.2–3 MB, default 1) or
 * BufferIntervalInSeconds, then "invokes the specified Lambda function synchronously with each
 * buffered batch"), and the abortable sleep Firehose's retry loops share.
 */

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const MB = 1024 * 1024;
const CONTEXT = { deliveryStreamArn: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/s`, region: REGION };

const inputs = (count: number, bytes: number, arrival = 1_700_000_000_000): LambdaInput[] =>
  Array.from({ length: count }, (_, i) => ({ data: Buffer.alloc(bytes, 97 + (i % 26)), arrival: arrival + i }));

const dataBytes = (records: LambdaInput[], batch: number[]) => batch.reduce((sum, position) => sum + records[position]!.data.length, 0);

test('batches close at BufferSizeInMBs of data: each as large as the hint allows', () => {
  const records = inputs(100, 10 * 1024);
  const hint = Math.round(0.2 * MB);
  const batches = lambdaBatches(records, hint, CONTEXT);
  assert.deepEqual(batches.flat(), records.map((_, i) => i), 'every record once, in order');
  for (const [i, batch] of batches.entries()) {
    assert.ok(dataBytes(records, batch) <= hint);
    if (i < batches.length - 1) assert.ok(dataBytes(records, batch) + records[batches[i + 1]![0]!]!.data.length > hint, 'the next record would have passed the hint');
  }
  assert.deepEqual(batches.map((b) => b.length), [20, 20, 20, 20, 20]);
  // A record larger than the hint goes alone.
  assert.deepEqual(lambdaBatches(inputs(3, 300 * 1024), hint, CONTEXT), [[0], [1], [2]]);
});

test('an event never passes Lambda\'s 6 MB request limit, and is cut only when the next record would pass it (exact event size)', () => {
  // 3 MB of 100-byte records: ~260 bytes of event each, more than 6 MB in all.
  const records = inputs(31_457, 100);
  const batches = lambdaBatches(records, 3 * MB, CONTEXT);
  assert.ok(batches.length >= 2);
  for (const [i, batch] of batches.entries()) {
    const event = buildEvent(batch.map((p) => records[p]!), CONTEXT);
    assert.ok(event.payload.length <= INVOKE_REQUEST_LIMIT_BYTES, `${event.payload.length} bytes`);
    if (i < batches.length - 1) {
      const withNext = buildEvent([...batch, batches[i + 1]![0]!].map((p) => records[p]!), CONTEXT);
      assert.ok(withNext.payload.length > INVOKE_REQUEST_LIMIT_BYTES - 1, 'the batch was cut by the limit, not by an estimate below it');
    }
  }
  // Kinesis-sourced records carry metadata (a partition key that needs escaping counts as escaped).
  const sourced: LambdaInput[] = inputs(40_000, 60).map((record, i) => ({
    ...record,
    source: {
      shardId: 'shardId-000000000001',
      partitionKey: `"quoted"\\key-${i}-é`,
      sequenceNumber: '49546986683135544286507457936321625675700192471156785154',
      approximateArrivalTimestamp: record.arrival,
    },
  }));
  const kinesis = { ...CONTEXT, sourceKinesisStreamArn: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/source` };
  const sourcedBatches = lambdaBatches(sourced, 3 * MB, kinesis);
  for (const [i, batch] of sourcedBatches.entries()) {
    assert.ok(buildEvent(batch.map((p) => sourced[p]!), kinesis).payload.length <= INVOKE_REQUEST_LIMIT_BYTES);
    if (i < sourcedBatches.length - 1) {
      assert.ok(buildEvent([...batch, sourcedBatches[i + 1]![0]!].map((p) => sourced[p]!), kinesis).payload.length > INVOKE_REQUEST_LIMIT_BYTES - 1);
    }
  }
});

test('LambdaInputBuffer: full batches go at the size hint, the rest at its interval, everything on a flush', () => {
  const buffer = new LambdaInputBuffer<{ index: number; arrival: number; data: Buffer }>({ sizeBytes: 1000, intervalMs: 60_000 });
  const record = (index: number, bytes: number, arrival: number) => ({ index, arrival, data: Buffer.alloc(bytes) });
  assert.deepEqual(buffer.takeDue(0, true), []);
  assert.equal(buffer.dueAt, Infinity);
  assert.equal(buffer.minIndex, Infinity);
  buffer.add([record(10, 400, 1_000), record(11, 400, 2_000)]);
  assert.deepEqual(buffer.takeDue(60_999), [], 'under the hint, before the interval');
  assert.equal(buffer.dueAt, 61_000);
  assert.equal(buffer.minIndex, 10);
  buffer.add([record(12, 400, 3_000), record(13, 600, 4_000), record(14, 100, 5_000)]);
  // 400+400 | 400+600 | 100: two full batches go, the last waits.
  assert.deepEqual(buffer.takeDue(10_000).map((r) => r.index), [10, 11, 12, 13]);
  assert.equal(buffer.bytes, 100);
  assert.equal(buffer.minIndex, 14);
  assert.equal(buffer.dueAt, 65_000, 'the interval of what waits counts from its own oldest record');
  assert.deepEqual(buffer.takeDue(64_999), []);
  assert.deepEqual(buffer.takeDue(65_000).map((r) => r.index), [14]);
  // Exactly the hint is a full batch; a flush takes everything.
  buffer.add([record(15, 500, 6_000), record(16, 500, 6_000)]);
  assert.deepEqual(buffer.takeDue(6_000).map((r) => r.index), [15, 16]);
  buffer.add([record(17, 1, 7_000)]);
  assert.deepEqual(buffer.takeDue(7_000, true).map((r) => r.index), [17]);
  assert.equal(buffer.length, 0);
  assert.equal(buffer.bytes, 0);
});

test('abortableSleep resolves after its time, rejects with the reason when aborted before or during', async () => {
  await abortableSleep(1, new AbortController().signal);
  const before = new AbortController();
  before.abort(new Error('already stopped'));
  await assert.rejects(abortableSleep(10_000, before.signal), /already stopped/);
  const during = new AbortController();
  const waiting = abortableSleep(60_000, during.signal);
  during.abort(new Error('lease lost'));
  await assert.rejects(waiting, /lease lost/);
  // No timer is left behind: the test process would otherwise wait 60 s to exit.
});

// ---- through the engine, with a function run by --functions ---------------------------------------

let server: TestServer;
let dir: string;
let firehose: FirehoseClient;
let s3: S3Client;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'millrace-fh-lambda-'));
  writeFileSync(
    join(dir, 'upper.mjs'),
    `import { appendFileSync } from 'node:fs';
     export const handler = async (event) => {
       appendFileSync(new URL('./upper.invocations', import.meta.url), event.records.length + ' ' + event.records.reduce((n, r) => n + Buffer.from(r.data, 'base64').length, 0) + '\\n');
       return { records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: Buffer.from(Buffer.from(r.data, 'base64').toString().toUpperCase()).toString('base64') })) };
     };`,
  );
  server = await startTestServer({ functionsDir: dir, functionTimeoutMs: 30_000 });
  const common = { endpoint: server.endpoint, region: REGION, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 };
  firehose = new FirehoseClient(common);
  s3 = new S3Client({ ...common, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'lambda-bucket' }));
});
after(async () => {
  firehose?.destroy();
  s3?.destroy();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const invocations = (): Array<{ records: number; bytes: number }> => {
  try {
    return readFileSync(join(dir, 'upper.invocations'), 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [records, bytes] = line.split(' ').map(Number);
        return { records: records!, bytes: bytes! };
      });
  } catch {
    return [];
  }
};

async function createLambdaStream(name: string, bufferSizeInMBs: string): Promise<void> {
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: 'arn:aws:s3:::lambda-bucket',
        Prefix: `${name}/`,
        ErrorOutputPrefix: `${name}-errors/!{firehose:error-output-type}/`,
        BufferingHints: { SizeInMBs: 8, IntervalInSeconds: 900 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'Lambda',
              Parameters: [
                { ParameterName: 'LambdaArn', ParameterValue: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:upper` },
                { ParameterName: 'BufferSizeInMBs', ParameterValue: bufferSizeInMBs },
                { ParameterName: 'BufferIntervalInSeconds', ParameterValue: '60' },
              ],
            },
          ],
        },
      },
    }),
  );
}

async function deliveredText(prefix: string): Promise<string> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'lambda-bucket', Prefix: prefix }));
  let text = '';
  for (const { Key } of listed.Contents ?? []) text += await (await s3.send(new GetObjectCommand({ Bucket: 'lambda-bucket', Key }))).Body!.transformToString();
  return text;
}

test('through the engine: a batch read at once reaches the function in invocations of up to BufferSizeInMBs', async () => {
  await createLambdaStream('sized', '1');
  const record = (i: number) => `${String(i).padStart(4, '0')}${'x'.repeat(8 * 1024 - 5)}\n`;
  const records = Array.from({ length: 500 }, (_, i) => record(i));
  // One put of 500 × 8 KiB (4,096,000 bytes): one read of the ingest log takes it all.
  const out = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'sized', Records: records.map((r) => ({ Data: Buffer.from(r) })) }));
  assert.equal(out.FailedPutCount, 0);
  await server.delivery.flush(ACCOUNT, REGION, 'sized');
  assert.equal(await deliveredText('sized/'), records.join('').toUpperCase());
  const seen = invocations();
  assert.equal(seen.reduce((n, i) => n + i.records, 0), 500);
  for (const invocation of seen) assert.ok(invocation.bytes <= MB, `${invocation.bytes} bytes in one invocation`);
  // 1 MiB / 8 KiB = 128 records a batch.
  assert.deepEqual(seen.map((i) => i.records).sort((a, b) => a - b), [116, 128, 128, 128]);
});

test(
  'through the engine: records put one at a time wait in the processor\'s buffer and reach the function together',
  async () => {
    writeFileSync(join(dir, 'upper.invocations'), '');
    await createLambdaStream('trickle', '1');
    const lines = Array.from({ length: 5 }, (_, i) => `trickle-${i}\n`);
    for (const line of lines) {
      await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'trickle', Records: [{ Data: Buffer.from(line) }] }));
      // Long enough for the delivering worker to have read the record before the next one comes.
      await sleep(300);
    }
    await server.delivery.flush(ACCOUNT, REGION, 'trickle');
    assert.equal(await deliveredText('trickle/'), lines.join('').toUpperCase());
    // AWS: 5 small records, far under 1 MB, are one batch at the 60 s interval.
    assert.deepEqual(invocations().map((i) => i.records), [5]);
  },
);
