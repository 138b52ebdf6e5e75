import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import type { Readable } from 'node:stream';
import pino from 'pino';
import { Writable } from 'node:stream';
import { openMemoryStore } from '../src/store/memory-store.js';
import { MemoryObjectStore } from '../src/objects/memory-objects.js';
import { Leases } from '../src/leases/leases.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { startDelivery, type DeliveryEngine } from '../src/firehose/delivery/engine.js';
import { countIncoming } from '../src/firehose/delivery/metrics.js';
import { COMPRESSION_METADATA, decompress } from '../src/firehose/delivery/compression.js';
import {
  DESTINATION_ID,
  deliveryStreamArn,
  deliveryStreamKey,
  ingestLogName,
  progressKey,
  type DeliveryStreamDocument,
} from '../src/firehose/domain/delivery-stream.js';
import type { FunctionInvoker } from '../src/functions/invoker.js';
import type { Kinesis } from '../src/kinesis/context.js';

/**
 * The delivery engine over the memory store and object store, with a clock the test moves: a
 * buffer's interval runs out when the test says so, never by waiting for it.
 */
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
let offset = 0;
/** The Lambda function the processor tests call (set by each test). */
let invokeFunction: FunctionInvoker['invoke'] = async () => {
  throw new Error('no function in this test');
};
const now = () => Date.now() + offset;
const logLines: Array<Record<string, unknown>> = [];
const log = pino(
  { level: 'debug' },
  new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  }),
);
const store = openMemoryStore();
const objects = new MemoryObjectStore();
const leases = new Leases(store.meta, { exclusive: true, log });
leases.start();
const engine: DeliveryEngine = startDelivery({
  store,
  objects,
  functions: { kind: 'local', invoke: (arn, payload, options) => invokeFunction(arn, payload, options), close: async () => undefined } as FunctionInvoker,
  leases,
  log,
  kinesis: {} as Kinesis,
  config: DEFAULT_CONFIG,
  now,
  // Retries wait a moment, not their real backoff.
  sleep: (_ms, signal) => new Promise((resolve, reject) => (signal.aborted ? reject(signal.reason) : setTimeout(resolve, 20))),
});
after(async () => {
  await engine.stop();
  await leases.stop();
  await store.close();
});

let streams = 0;
async function createStream(destination: Record<string, unknown>, name = `stream-${++streams}`): Promise<DeliveryStreamDocument> {
  const doc: DeliveryStreamDocument = {
    account: ACCOUNT,
    region: REGION,
    name,
    arn: deliveryStreamArn('aws', REGION, ACCOUNT, name),
    status: 'ACTIVE',
    type: 'DirectPut',
    version: 1,
    createTimestamp: Date.now(),
    incarnation: `${name}-${Math.random().toString(36).slice(2)}`,
    destination: { DestinationId: DESTINATION_ID, ...destination },
    secrets: {},
    tags: [],
  };
  assert.ok(await store.meta.put(deliveryStreamKey(ACCOUNT, REGION, name), doc, 0));
  await engine.rescan();
  return doc;
}

const s3 = (bucket: string, extra: Record<string, unknown> = {}) => ({
  ExtendedS3DestinationDescription: {
    RoleARN: 'arn:aws:iam::000000000000:role/firehose',
    BucketARN: `arn:aws:s3:::${bucket}`,
    BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
    CompressionFormat: 'UNCOMPRESSED',
    EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
    S3BackupMode: 'Disabled',
    ...extra,
  },
});

async function put(doc: DeliveryStreamDocument, records: string[]) {
  const stored = await store.records.append(
    ingestLogName(doc),
    records.map((data) => ({ partitionKey: '', data: Buffer.from(data) })),
  );
  countIncoming(doc.arn, records.length, records.reduce((sum, r) => sum + r.length, 0));
  return stored;
}

async function bodyOf(bucket: string, key: string): Promise<Buffer> {
  const { body } = await objects.getObject(bucket, key);
  const chunks: Buffer[] = [];
  for await (const chunk of body as Readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function keys(bucket: string, prefix = ''): Promise<string[]> {
  const result = await objects.listObjects(bucket, { prefix, limit: 1000 });
  return result.objects.map((o) => o.key);
}

/** Waits (in real time, briefly) until `check` holds: delivery runs in the background. */
async function eventually<T>(check: () => Promise<T | undefined | false>, what: string, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const pad = (n: number) => String(n).padStart(2, '0');
const hourPrefix = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`;
};

test('buffering by size: an object once SizeInMBs is reached, the rest waits for the interval', async () => {
  offset = 0; // records arrive by the real clock: the test clock starts there
  await objects.createBucket('size-bucket', REGION);
  const doc = await createStream(s3('size-bucket', { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 } }));
  const record = 'x'.repeat(1023) + '\n';
  const stored = await put(doc, Array.from({ length: 1536 }, () => record)); // 1.5 MiB
  const first = await eventually(async () => (await keys('size-bucket')).length === 1 && keys('size-bucket'), 'the size-triggered object');
  const body = await bodyOf('size-bucket', first[0]);
  assert.ok(body.length >= 1024 * 1024 && body.length < 1.5 * 1024 * 1024, `first object ${body.length} bytes`);
  assert.equal(body.length % 1024, 0);
  // Key: default prefix and <name>-<version>-<timestamp of the oldest record>-<uuid>, all in UTC.
  const arrival = stored[0].arrival;
  const d = new Date(arrival);
  const stamp = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
  assert.match(first[0], new RegExp(`^${hourPrefix(arrival)}${doc.name}-1-${stamp}-[0-9a-f-]{36}$`));
  const info = await objects.headObject('size-bucket', first[0]);
  assert.equal(info?.contentType, 'application/octet-stream');
  assert.equal(info?.contentEncoding, undefined);
  // Nothing else until the interval runs out on the test's clock.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal((await keys('size-bucket')).length, 1);
  offset += 900_000;
  engine.wake();
  const both = await eventually(async () => (await keys('size-bucket')).length === 2 && keys('size-bucket'), 'the interval-triggered object');
  const total = (await Promise.all(both.map((key) => bodyOf('size-bucket', key)))).reduce((sum, b) => sum + b.length, 0);
  assert.equal(total, 1536 * 1024, 'every record delivered exactly once');
  // The checkpoint is past every record and the log has been trimmed.
  const progress = await eventually(async () => {
    const entry = await store.meta.get<{ value: { index: number } }>(progressKey(doc, 'delivered'));
    return entry?.value.value.index === 1536 && entry;
  }, 'the checkpoint');
  assert.ok(progress);
  const metrics = engine.metrics(doc.arn)!;
  assert.equal(metrics.DeliveryToS3.records, 1536);
  assert.equal(metrics.DeliveryToS3.bytes, 1536 * 1024);
  assert.equal(metrics.IncomingRecords, 1536);
  assert.ok(logLines.some((line) => line.msg === 'Firehose delivery attempt succeeded' && line.level === 20));
});

test('zero buffering: delivered without the clock moving', async () => {
  offset = 0; // records arrive by the real clock: the test clock starts there
  await objects.createBucket('zero-bucket', REGION);
  const doc = await createStream(s3('zero-bucket', { BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 0 }, Prefix: 'zero/' }));
  await put(doc, ['{"a":1}\n']);
  const [key] = await eventually(async () => (await keys('zero-bucket')).length === 1 && keys('zero-bucket'), 'zero-buffered object');
  assert.ok(key.startsWith('zero/'));
  assert.equal((await bodyOf('zero-bucket', key)).toString(), '{"a":1}\n');
});

test('compression, FileExtension, CustomTimeZone and prefix expressions', async () => {
  offset = 0; // records arrive by the real clock: the test clock starts there
  await objects.createBucket('gz-bucket', REGION);
  const formats = [
    { format: 'GZIP', extension: '.gz', encoding: 'gzip' },
    { format: 'ZIP', extension: '.zip', encoding: 'zip' },
    { format: 'Snappy', extension: '.snappy', encoding: 'snappy-java' },
    // §9: AWS's objects carry .snappy for HADOOP_SNAPPY too (floci#2328), whatever the docs say.
    { format: 'HADOOP_SNAPPY', extension: COMPRESSION_METADATA.HADOOP_SNAPPY.extension, encoding: 'hadoop-snappy' },
  ] as const;
  for (const { format, extension, encoding } of formats) {
    const doc = await createStream(
      s3('gz-bucket', {
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        CompressionFormat: format,
        Prefix: `${format}/!{timestamp:yyyy-MM-dd'T'HH}/`,
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        CustomTimeZone: 'Asia/Kolkata',
      }),
    );
    const records = Array.from({ length: 100 }, (_, i) => JSON.stringify({ i, text: 'hello' }) + '\n');
    const stored = await put(doc, records);
    const [key] = await eventually(async () => {
      const found = await keys('gz-bucket', `${format}/`);
      return found.length > 0 && found;
    }, `${format} object`);
    const local = new Date(stored[0].arrival + 5.5 * 3600_000);
    const hour = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}`;
    assert.ok(key.startsWith(`${format}/${hour}/${doc.name}-1-`), key);
    assert.ok(key.endsWith(extension), key);
    const info = await objects.headObject('gz-bucket', key);
    assert.equal(info?.contentEncoding, encoding);
    const body = await bodyOf('gz-bucket', key);
    const plain = format === 'GZIP' ? gunzipSync(body) : await decompress(format, body);
    await eventually(async () => (await keys('gz-bucket', `${format}/`)).length >= 1, 'all');
    assert.equal(plain.toString(), records.join(''));
  }
  const doc = await createStream(s3('gz-bucket', { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 }, CompressionFormat: 'GZIP', Prefix: 'ext/', FileExtension: '.json.gz' }));
  await put(doc, ['{}\n']);
  const [key] = await eventually(async () => {
    const found = await keys('gz-bucket', 'ext/');
    return found.length > 0 && found;
  }, 'FileExtension object');
  assert.ok(key.endsWith('.json.gz'), key);
});

test('the bucket missing: retried with S3.NoSuchBucket in the log, delivered once it exists, nothing lost', async () => {
  offset = 0; // records arrive by the real clock: the test clock starts there
  const doc = await createStream(s3('late-bucket', { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 }, Prefix: 'late/' }));
  await put(doc, ['one\n', 'two\n']);
  await eventually(async () => logLines.some((line) => line.errorCode === 'S3.NoSuchBucket' && line.level === 40), 'the warning');
  await put(doc, ['three\n']);
  await objects.createBucket('late-bucket', REGION);
  const text = await eventually(async () => {
    const found = await keys('late-bucket');
    const bodies = await Promise.all(found.map((key) => bodyOf('late-bucket', key)));
    const all = bodies.map(String).join('');
    return all.split('\n').filter(Boolean).length === 3 && all;
  }, 'delivery after the bucket appeared');
  assert.deepEqual(text.split('\n').filter(Boolean).sort(), ['one', 'three', 'two']);
  assert.ok(engine.metrics(doc.arn)!.DeliveryToS3.attempts > engine.metrics(doc.arn)!.DeliveryToS3.successes);
});

test('S3 backup Enabled: untransformed records to the backup bucket with its own settings', async () => {
  offset = 0; // records arrive by the real clock: the test clock starts there
  await objects.createBucket('main-bucket', REGION);
  await objects.createBucket('backup-bucket', REGION);
  const doc = await createStream(
    s3('main-bucket', {
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
      Prefix: 'data/',
      S3BackupMode: 'Enabled',
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }],
      },
      S3BackupDescription: {
        RoleARN: 'arn:aws:iam::000000000000:role/firehose',
        BucketARN: 'arn:aws:s3:::backup-bucket',
        Prefix: 'source/',
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 120 },
        CompressionFormat: 'GZIP',
      },
    }),
  );
  await put(doc, ['a', 'b']);
  offset += 60_000;
  engine.wake();
  const [dataKey] = await eventually(async () => {
    const found = await keys('main-bucket', 'data/');
    return found.length > 0 && found;
  }, 'the data object');
  assert.equal((await bodyOf('main-bucket', dataKey)).toString(), 'a\nb\n');
  assert.equal((await keys('backup-bucket')).length, 0, 'the backup waits for its own interval');
  offset += 60_000;
  engine.wake();
  const [backupKey] = await eventually(async () => {
    const found = await keys('backup-bucket', 'source/');
    return found.length > 0 && found;
  }, 'the backup object');
  assert.ok(backupKey.endsWith('.gz'));
  assert.equal(gunzipSync(await bodyOf('backup-bucket', backupKey)).toString(), 'ab');
  assert.equal(engine.metrics(doc.arn)!.BackupToS3.records, 2);
});

test('error output: records dynamic partitioning cannot place go under the error prefix as §8.4 documents', async () => {
  offset = 0; // records arrive by the real clock: the test clock starts there
  await objects.createBucket('dp-bucket', REGION);
  const doc = await createStream(
    s3('dp-bucket', {
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
      Prefix: 'customer=!{partitionKeyFromQuery:customer}/',
      ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
      DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          {
            Type: 'MetadataExtraction',
            Parameters: [
              { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{customer: .customer}' },
              { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
            ],
          },
        ],
      },
    }),
  );
  await put(doc, ['{"customer":"a","n":1}', '{"customer":"b","n":2}', '{"customer":"a","n":3}', 'not json']);
  offset += 60_000;
  engine.wake();
  await engine.flush(ACCOUNT, REGION, doc.name);
  const a = await eventually(async () => {
    const found = await keys('dp-bucket', 'customer=a/');
    return found.length > 0 && found;
  }, 'partition a');
  assert.equal((await bodyOf('dp-bucket', a[0])).toString(), '{"customer":"a","n":1}{"customer":"a","n":3}');
  const b = await keys('dp-bucket', 'customer=b/');
  assert.equal(b.length, 1);
  const errors = await eventually(async () => {
    const found = await keys('dp-bucket', 'errors/');
    return found.length > 0 && found;
  }, 'the error object');
  assert.match(errors[0], /^errors\/[a-z-]+-failed\//);
  const text = (await bodyOf('dp-bucket', errors[0])).toString();
  assert.ok(text.endsWith('\n'));
  const document = JSON.parse(text.trim());
  assert.equal(Buffer.from(document.rawData, 'base64').toString(), 'not json');
  assert.equal(typeof document.errorCode, 'string');
  assert.equal(typeof document.arrivalTimestamp, 'number');
  assert.equal(engine.metrics(doc.arn)!.PartitionCount, 0);
});

test('a DELETING stream: buffers dropped, log and progress removed, nothing delivered', async () => {
  offset = 0; // records arrive by the real clock: the test clock starts there
  await objects.createBucket('gone-bucket', REGION);
  const doc = await createStream(s3('gone-bucket', { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 } }));
  await put(doc, ['1\n']);
  await engine.flush(ACCOUNT, REGION, doc.name);
  await put(doc, ['2\n']);
  const key = deliveryStreamKey(ACCOUNT, REGION, doc.name);
  const entry = (await store.meta.get<DeliveryStreamDocument>(key))!;
  await store.meta.put(key, { ...entry.value, status: 'DELETING' }, entry.revision);
  await eventually(async () => (await store.meta.list(progressKey(doc, ''))).length === 0 && (await store.records.tip(ingestLogName(doc))) === 0, 'log and progress removed');
  offset += 60_000;
  engine.wake();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal((await keys('gone-bucket')).length, 1, 'only what was flushed before the delete');
});

test('HTTP endpoint: records delivered as AWS sends them; a failing endpoint leaves http-endpoint-failed objects', async () => {
  offset = 0;
  const http = await import('node:http');
  const received: string[] = [];
  let fail = false;
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { requestId: string; records: Array<{ data: string }> };
      // §12: a JSON body with Content-Length, nothing else counts.
      const answer = (status: number, text: string) => res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
      if (fail) return answer(500, '{"error":"down"}');
      for (const record of body.records) received.push(Buffer.from(record.data, 'base64').toString());
      answer(200, JSON.stringify({ requestId: body.requestId, timestamp: Date.now() }));
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`;
    await objects.createBucket('http-backup', REGION);
    const doc = await createStream({
      HttpEndpointDestinationDescription: {
        EndpointConfiguration: { Url: url, Name: 'receiver' },
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        RequestConfiguration: { ContentEncoding: 'NONE' },
        RetryOptions: { DurationInSeconds: 0 },
        S3BackupMode: 'FailedDataOnly',
        S3DestinationDescription: {
          BucketARN: 'arn:aws:s3:::http-backup',
          Prefix: 'http/',
          BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
          CompressionFormat: 'UNCOMPRESSED',
        },
      },
    });
    await put(doc, ['one', 'two']);
    await eventually(async () => received.length === 2, 'the endpoint receiving both records');
    assert.deepEqual(received, ['one', 'two']);
    fail = true;
    const failures = () => logLines.filter((line) => line.msg === 'Firehose delivery failed' && line.destination === 'http').length;
    const failedBefore = failures();
    await put(doc, ['three']);
    await eventually(async () => failures() === failedBefore + 1, 'the first failed delivery');
    await put(doc, ['four']);
    await eventually(async () => failures() === failedBefore + 2, 'the second failed delivery');
    // Error documents wait in their buffer, under the S3 configuration's hints (300 s here).
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(await keys('http-backup', 'http/http-endpoint-failed/'), []);
    offset += 300_000;
    engine.wake();
    const [key] = await eventually(async () => {
      const found = await keys('http-backup', 'http/http-endpoint-failed/');
      return found.length > 0 && found;
    }, 'the http-endpoint-failed object');
    assert.equal((await keys('http-backup', 'http/http-endpoint-failed/')).length, 1, 'both failures in one object');
    const text = (await bodyOf('http-backup', key)).toString();
    const documents = text.trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(documents.length, 2, text);
    const document = documents[0];
    assert.equal(Buffer.from(document.rawData, 'base64').toString(), 'three');
    assert.equal(Buffer.from(documents[1].rawData, 'base64').toString(), 'four');
    assert.match(document.errorCode, /^HttpEndpoint\./);
    assert.equal(engine.metrics(doc.arn)!.DeliveryToHttpEndpoint.records, 2);
  } finally {
    receiver.close();
  }
});

test('Lambda processor: records wait for its BufferIntervalInSeconds, then go to the function in one invocation', async () => {
  offset = 0; // records arrive by the real clock: the test clock starts there
  await objects.createBucket('lambda-interval-bucket', REGION);
  const events: Array<{ records: Array<{ recordId: string; data: string }> }> = [];
  invokeFunction = async (_arn, payload) => {
    const event = JSON.parse(payload.toString()) as { records: Array<{ recordId: string; data: string }> };
    events.push(event);
    const records = event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: Buffer.from(Buffer.from(r.data, 'base64').toString().toUpperCase()).toString('base64') }));
    return { statusCode: 200, payload: Buffer.from(JSON.stringify({ records })), executedVersion: '$LATEST' };
  };
  const doc = await createStream(
    s3('lambda-interval-bucket', {
      // Zero buffering at the destination: what the processor lets through is written at once.
      BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 0 },
      ProcessingConfiguration: {
        Enabled: true,
        Processors: [
          {
            Type: 'Lambda',
            Parameters: [
              { ParameterName: 'LambdaArn', ParameterValue: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:upper` },
              { ParameterName: 'BufferSizeInMBs', ParameterValue: '1' },
              { ParameterName: 'BufferIntervalInSeconds', ParameterValue: '60' },
            ],
          },
        ],
      },
    }),
  );
  for (const line of ['one\n', 'two\n', 'three\n']) {
    await put(doc, [line]);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the worker reads each record on its own
  }
  assert.equal(events.length, 0, 'no invocation before the processor interval');
  assert.deepEqual(await keys('lambda-interval-bucket'), []);
  // The waiting records hold the checkpoint: a restart would read them again.
  const before = await store.meta.get<{ value: { index: number } }>(progressKey(doc, 'delivered'));
  assert.ok(!before || before.value.value.index === 0, JSON.stringify(before?.value));
  offset += 59_000;
  engine.wake();
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(events.length, 0, 'still waiting one second before the interval');
  offset += 1_000;
  engine.wake();
  const written = await eventually(async () => (await keys('lambda-interval-bucket')).length === 1 && keys('lambda-interval-bucket'), 'the transformed object');
  assert.equal((await bodyOf('lambda-interval-bucket', written[0])).toString(), 'ONE\nTWO\nTHREE\n');
  assert.deepEqual(events.map((e) => e.records.length), [3]);
  await eventually(async () => (await store.meta.get<{ value: { index: number } }>(progressKey(doc, 'delivered')))?.value.value.index === 3, 'the checkpoint past the three records');
});

test('Lambda processor: BufferSizeInMBs reached sends a batch at once, BufferIntervalInSeconds 0 sends every read', async () => {
  offset = 0;
  await objects.createBucket('lambda-size-bucket', REGION);
  const sizes: number[] = [];
  invokeFunction = async (_arn, payload) => {
    const event = JSON.parse(payload.toString()) as { records: Array<{ recordId: string; data: string }> };
    sizes.push(event.records.length);
    return { statusCode: 200, payload: Buffer.from(JSON.stringify({ records: event.records.map((r) => ({ ...r, result: 'Ok' })) })), executedVersion: '$LATEST' };
  };
  const lambdaStream = (bucket: string, size: string, interval: string) =>
    createStream(
      s3(bucket, {
        BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 0 },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'Lambda',
              Parameters: [
                { ParameterName: 'LambdaArn', ParameterValue: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:echo` },
                { ParameterName: 'BufferSizeInMBs', ParameterValue: size },
                { ParameterName: 'BufferIntervalInSeconds', ParameterValue: interval },
              ],
            },
          ],
        },
      }),
    );
  // 0.2 MB = 209,715 bytes: 3 × 100,000-byte records make one full batch of 2 (the third would pass it).
  const sized = await lambdaStream('lambda-size-bucket', '0.2', '900');
  const big = 'y'.repeat(99_999) + '\n';
  for (let i = 0; i < 3; i++) {
    await put(sized, [big]);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  await eventually(async () => sizes.length === 1, 'the size-triggered invocation');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(sizes, [2], 'the third record waits for more or for the interval');
  offset += 900_000;
  engine.wake();
  await eventually(async () => sizes.length === 2, 'the interval-triggered invocation');
  assert.deepEqual(sizes, [2, 1]);
  offset = 0;
  sizes.length = 0;
  await objects.createBucket('lambda-zero-bucket', REGION);
  const zero = await lambdaStream('lambda-zero-bucket', '1', '0');
  await put(zero, ['a\n']);
  await eventually(async () => (await keys('lambda-zero-bucket')).length === 1, 'the zero-interval object');
  assert.deepEqual(sizes, [1]);
});

test('HTTP endpoint AllData: the S3 backup holds the source records, not what the Lambda processor made of them', async () => {
  offset = 0;
  const http = await import('node:http');
  const received: string[] = [];
  invokeFunction = async (_arn, payload) => {
    const event = JSON.parse(payload.toString()) as { records: Array<{ recordId: string; data: string }> };
    const records = event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: Buffer.from(Buffer.from(r.data, 'base64').toString().toUpperCase()).toString('base64') }));
    return { statusCode: 200, payload: Buffer.from(JSON.stringify({ records })), executedVersion: '$LATEST' };
  };
  const receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { requestId: string; records: Array<{ data: string }> };
      for (const record of body.records) received.push(Buffer.from(record.data, 'base64').toString());
      const text = JSON.stringify({ requestId: body.requestId, timestamp: Date.now() });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }).end(text);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  try {
    await objects.createBucket('http-all-data', REGION);
    const doc = await createStream({
      HttpEndpointDestinationDescription: {
        EndpointConfiguration: { Url: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/`, Name: 'receiver' },
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        RequestConfiguration: { ContentEncoding: 'NONE' },
        RetryOptions: { DurationInSeconds: 0 },
        S3BackupMode: 'AllData',
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'Lambda',
              Parameters: [
                { ParameterName: 'LambdaArn', ParameterValue: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:upper` },
                { ParameterName: 'BufferIntervalInSeconds', ParameterValue: '0' },
              ],
            },
          ],
        },
        S3DestinationDescription: { BucketARN: 'arn:aws:s3:::http-all-data', Prefix: 'all/', BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 }, CompressionFormat: 'UNCOMPRESSED' },
      },
    });
    await put(doc, ['one\n', 'two\n']);
    await eventually(async () => received.length === 2, 'the endpoint receiving both records');
    assert.deepEqual(received, ['ONE\n', 'TWO\n']);
    offset += 60_000;
    engine.wake();
    const [key] = await eventually(async () => {
      const found = await keys('http-all-data', 'all/');
      return found.length > 0 && found;
    }, 'the backup object');
    assert.equal((await bodyOf('http-all-data', key)).toString(), 'one\ntwo\n');
  } finally {
    receiver.close();
  }
});
