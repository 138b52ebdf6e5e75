import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DESTINATION_ID, ingestLogName, progressKey, type DeliveryStreamDocument } from '../src/firehose/domain/delivery-stream.js';
import { runKinesisSource } from '../src/firehose/source/kinesis-source.js';
import { maxBacklogBytes, SOURCE_READ_AHEAD_BYTES } from '../src/firehose/source/backlog.js';
import type { ProgressRecord } from '../src/leases/progress.js';
import { startTestServer, sleep, type TestServer } from './helpers.js';

/**
 * Back-pressure of the Kinesis source (issue 14: "memory bounded by the buffers configured, not by
 * the backlog"): a KinesisStreamAsSource stream whose delivery is slow or down leaves its backlog in
 * the Kinesis stream; the ingest log runs at most a bounded amount ahead of delivery's checkpoint,
 * and reading goes on as delivery catches up, every record once.
 */

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/firehose`;
const KIB = 1024;
const MIB = 1024 * KIB;
const RECORD_BYTES = 64 * KIB;
/** Waits give up after this long (a failure, not a timing assertion). */
const DEADLINE_MS = 180_000;
const log = pino({ level: 'silent' });

let server: TestServer;
let kinesis: KinesisClient;

before(async () => {
  server = await startTestServer();
  kinesis = server.client();
});
after(async () => {
  await server.stop();
});

/** A record of exactly RECORD_BYTES whose first bytes name it: `rec-000042|xxxx…`. */
const record = (i: number) => {
  const data = Buffer.alloc(RECORD_BYTES, 120);
  data.write(`rec-${String(i).padStart(6, '0')}|`);
  return data;
};
const nameOf = (data: Buffer) => data.subarray(0, 10).toString();

async function putRecords(stream: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 64) {
    const entries = Array.from({ length: Math.min(64, count - i) }, (_, j) => ({ Data: record(i + j), PartitionKey: `key-${i + j}` }));
    const out = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
    assert.equal(out.FailedRecordCount, 0);
  }
}

async function waitActive(stream: string): Promise<void> {
  for (const until = Date.now() + DEADLINE_MS; ; await sleep(50)) {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (out.StreamDescriptionSummary!.StreamStatus === 'ACTIVE') return;
    assert.ok(Date.now() < until);
  }
}

/** Bytes (data and stored metadata) and records of the ingest log from `from` to its tip. */
async function ingestLogFrom(doc: Pick<DeliveryStreamDocument, 'incarnation'>, from: number): Promise<{ bytes: number; records: Buffer[]; tip: number }> {
  const logName = ingestLogName(doc);
  const records: Buffer[] = [];
  let bytes = 0;
  let index = from;
  for (;;) {
    const read = await server.store.records.read(logName, index, { limit: 10_000, maxBytes: 16 * MIB, notBefore: 0 });
    for (const stored of read.records) {
      bytes += stored.data.length + stored.partitionKey.length;
      records.push(stored.data);
    }
    index = read.nextIndex;
    if (read.records.length === 0 || index >= read.tipIndex) return { bytes, records, tip: read.tipIndex };
  }
}

const deliveredIndex = async (doc: DeliveryStreamDocument) =>
  (await server.store.meta.get<ProgressRecord<{ index: number }>>(progressKey(doc, 'delivered')))?.value.value.index ?? 0;

test('the source reads no further than its limit ahead of delivery, and on as delivery moves (every record once, in shard order)', async () => {
  const name = `bp-${randomUUID().slice(0, 8)}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  await waitActive(name);
  const start = Date.now();
  await sleep(5);
  const doc: DeliveryStreamDocument = {
    account: ACCOUNT,
    region: REGION,
    name: `fh-${name}`,
    arn: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/fh-${name}`,
    status: 'ACTIVE',
    type: 'KinesisStreamAsSource',
    version: 1,
    createTimestamp: start,
    incarnation: randomUUID(),
    destination: { DestinationId: DESTINATION_ID },
    secrets: {},
    source: { KinesisStreamARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`, RoleARN: ROLE, DeliveryStartTimestamp: start },
    tags: [],
  };
  const total = 128; // 8 MiB
  await putRecords(name, total);

  const limit = 1 * MIB;
  // Each of the two shard readers may pass the limit by the one record a read always returns.
  const bound = limit + 2 * (RECORD_BYTES + KIB);
  const leaseName = `test/firehose-gaps/${doc.incarnation}`;
  let done: Promise<void> | undefined;
  server.leases.register(leaseName, async (lease) => {
    done = runKinesisSource(doc, lease, { kinesis: server.kinesis, log, maxBacklogBytes: limit });
    await done;
  });
  try {
    // Delivery has checkpointed nothing: the log fills up to the limit, then stays there.
    for (const until = Date.now() + DEADLINE_MS; (await ingestLogFrom(doc, 0)).bytes < limit / 2; await sleep(50)) assert.ok(Date.now() < until, 'the source read nothing');
    for (let sample = 0; sample < 10; sample++) {
      const { bytes, records } = await ingestLogFrom(doc, 0);
      assert.ok(bytes <= bound, `${bytes} bytes ahead of delivery, over ${bound}`);
      assert.ok(records.length < total);
      await sleep(200);
    }

    // Delivery checkpoints whatever is in the log, again and again: the source goes on, never
    // more than the bound ahead, until every record is in.
    let delivered = 0;
    let term = 0;
    const seen: Buffer[] = [];
    for (const until = Date.now() + DEADLINE_MS; seen.length < total; await sleep(100)) {
      assert.ok(Date.now() < until, `only ${seen.length} of ${total} records taken in`);
      const { bytes, records, tip } = await ingestLogFrom(doc, delivered);
      assert.ok(bytes <= bound, `${bytes} bytes ahead of delivery, over ${bound}`);
      seen.push(...records);
      const key = progressKey(doc, 'delivered');
      const current = await server.store.meta.get<ProgressRecord<{ index: number }>>(key);
      await server.store.meta.put<ProgressRecord<{ index: number }>>(key, { term: ++term, value: { index: tip } }, current?.revision ?? 0);
      delivered = tip;
    }
    await sleep(500);
    assert.equal((await ingestLogFrom(doc, delivered)).records.length, 0, 'nothing more than was put');
    const names = seen.map(nameOf);
    assert.equal(new Set(names).size, total, 'every record once');
    assert.deepEqual([...names].sort(), Array.from({ length: total }, (_, i) => nameOf(record(i))));
  } finally {
    await server.leases.unregister(leaseName);
    await done;
  }
});

test('a new term counts what earlier terms left in the log: it reads nothing until delivery has passed it', async () => {
  const name = `bp-term-${randomUUID().slice(0, 8)}`;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  await waitActive(name);
  const start = Date.now();
  await sleep(5);
  const doc: DeliveryStreamDocument = {
    account: ACCOUNT,
    region: REGION,
    name: `fh-${name}`,
    arn: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/fh-${name}`,
    status: 'ACTIVE',
    type: 'KinesisStreamAsSource',
    version: 1,
    createTimestamp: start,
    incarnation: randomUUID(),
    destination: { DestinationId: DESTINATION_ID },
    secrets: {},
    source: { KinesisStreamARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`, RoleARN: ROLE, DeliveryStartTimestamp: start },
    tags: [],
  };
  await putRecords(name, 16); // 1 MiB
  // An earlier term (or a Millrace without the limit) left 3 MiB undelivered in the ingest log.
  const left = Array.from({ length: 48 }, (_, i) => ({ partitionKey: '{"shardId":"shardId-000000000000"}', data: record(1000 + i) }));
  await server.store.records.append(ingestLogName(doc), left);
  const leaseName = `test/firehose-gaps/${doc.incarnation}`;
  let done: Promise<void> | undefined;
  server.leases.register(leaseName, async (lease) => {
    done = runKinesisSource(doc, lease, { kinesis: server.kinesis, log, maxBacklogBytes: 1 * MIB });
    await done;
  });
  try {
    for (let sample = 0; sample < 10; sample++) {
      await sleep(200);
      assert.equal((await ingestLogFrom(doc, 0)).records.length, left.length, 'nothing read while the earlier backlog is over the limit');
    }
    // Delivery passes half of it: still over the limit.
    await server.store.meta.put<ProgressRecord<{ index: number }>>(progressKey(doc, 'delivered'), { term: 1, value: { index: 24 } }, 0);
    await sleep(1_500);
    assert.equal((await ingestLogFrom(doc, 0)).records.length, left.length);
    // Delivery passes all of it, and then whatever the source appends: the source reads the Kinesis records.
    const key = progressKey(doc, 'delivered');
    for (const until = Date.now() + DEADLINE_MS; (await ingestLogFrom(doc, left.length)).records.length < 16; await sleep(100)) {
      assert.ok(Date.now() < until, 'the source never read on');
      const entry = await server.store.meta.get<ProgressRecord<{ index: number }>>(key);
      await server.store.meta.put<ProgressRecord<{ index: number }>>(key, { term: 1, value: { index: (await ingestLogFrom(doc, 0)).tip } }, entry!.revision);
    }
    assert.deepEqual((await ingestLogFrom(doc, left.length)).records.map(nameOf), Array.from({ length: 16 }, (_, i) => nameOf(record(i))));
  } finally {
    await server.leases.unregister(leaseName);
    await done;
  }
});

test('maxBacklogBytes: twice what delivery may hold (its buffer, at least one 8 MiB read, and the backup) plus the read-ahead', () => {
  const doc = (destination: Record<string, unknown>) => ({ destination: { DestinationId: DESTINATION_ID, ...destination } }) as unknown as DeliveryStreamDocument;
  const s3 = (size: number) => ({ BucketARN: 'arn:aws:s3:::b', BufferingHints: { SizeInMBs: size, IntervalInSeconds: 300 } });
  assert.equal(maxBacklogBytes(doc({ ExtendedS3DestinationDescription: s3(5), S3DestinationDescription: s3(5) })), 2 * 8 * MIB + SOURCE_READ_AHEAD_BYTES);
  assert.equal(maxBacklogBytes(doc({ ExtendedS3DestinationDescription: s3(128), S3DestinationDescription: s3(128) })), 2 * 128 * MIB + SOURCE_READ_AHEAD_BYTES);
  assert.equal(
    maxBacklogBytes(doc({ ExtendedS3DestinationDescription: { ...s3(64), S3BackupMode: 'Enabled', S3BackupDescription: s3(10) }, S3DestinationDescription: s3(64) })),
    2 * (64 + 10) * MIB + SOURCE_READ_AHEAD_BYTES,
  );
  assert.equal(
    maxBacklogBytes(doc({ HttpEndpointDestinationDescription: { BufferingHints: { SizeInMBs: 20, IntervalInSeconds: 60 }, S3DestinationDescription: s3(5) } })),
    2 * (20 + 5) * MIB + SOURCE_READ_AHEAD_BYTES,
  );
  // No hints: the §7 default of 5 MB, below one read.
  assert.equal(maxBacklogBytes(doc({ S3DestinationDescription: { BucketARN: 'arn:aws:s3:::b' } })), 2 * 8 * MIB + SOURCE_READ_AHEAD_BYTES);
});

test('through the engine: with the bucket missing the ingest log stops at the limit, the rest waits in Kinesis; once the bucket exists every record is delivered once', async (t) => {
  const name = `bp-e2e-${randomUUID().slice(0, 8)}`;
  const common = { endpoint: server.endpoint, region: REGION, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 };
  const firehose = new FirehoseClient(common);
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
    await waitActive(name);
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: name,
        DeliveryStreamType: 'KinesisStreamAsSource',
        KinesisStreamSourceConfiguration: { KinesisStreamARN: `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/${name}`, RoleARN: ROLE },
        ExtendedS3DestinationConfiguration: {
          RoleARN: ROLE,
          BucketARN: `arn:aws:s3:::${name}`,
          Prefix: 'out/',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
        },
      }),
    );
    const doc = (await server.firehose.streams.find({ account: ACCOUNT, region: REGION }, name))!;
    const limit = maxBacklogBytes(doc);
    assert.equal(limit, 2 * 8 * MIB + SOURCE_READ_AHEAD_BYTES);
    const total = Math.ceil((limit + 24 * MIB) / RECORD_BYTES); // 24 MiB more than may be read ahead
    await putRecords(name, total);

    // The source stops once the log is at its limit: the tip stays put while delivery fails.
    let last = -1;
    let still = 0;
    for (const until = Date.now() + DEADLINE_MS; still < 6; await sleep(500)) {
      assert.ok(Date.now() < until, 'the ingest log never stopped growing');
      const tip = await server.store.records.tip(ingestLogName(doc));
      still = tip === last && tip > 0 ? still + 1 : 0;
      last = tip;
    }
    assert.equal(await deliveredIndex(doc), 0, 'nothing delivered: the bucket does not exist');
    const ahead = await ingestLogFrom(doc, 0);
    assert.ok(ahead.bytes <= limit + 2 * (RECORD_BYTES + KIB), `${ahead.bytes} bytes ahead of delivery, limit ${limit}`);
    assert.ok(ahead.records.length < total, 'the rest of the backlog stayed in the Kinesis stream');
    t.diagnostic(`put ${((total * RECORD_BYTES) / MIB).toFixed(1)} MiB into Kinesis; ingest log ${(ahead.bytes / MIB).toFixed(1)} MiB ahead of delivery (limit ${(limit / MIB).toFixed(1)} MiB) while the bucket was missing`);

    // The bucket appears: delivery retries, succeeds, checkpoints; the source reads the rest.
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    const delivered: string[] = [];
    for (const until = Date.now() + DEADLINE_MS; ; await sleep(1_000)) {
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: name, Prefix: 'out/' }));
      const sizes = (listed.Contents ?? []).reduce((sum, object) => sum + object.Size!, 0);
      if (sizes >= total * RECORD_BYTES) {
        for (const { Key } of listed.Contents ?? []) {
          const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: name, Key }))).Body!.transformToByteArray());
          assert.equal(body.length % RECORD_BYTES, 0);
          for (let at = 0; at < body.length; at += RECORD_BYTES) delivered.push(nameOf(body.subarray(at, at + RECORD_BYTES)));
        }
        break;
      }
      assert.ok(Date.now() < until, `${sizes} of ${total * RECORD_BYTES} bytes delivered`);
    }
    assert.equal(delivered.length, total, 'none twice');
    assert.deepEqual(delivered.sort(), Array.from({ length: total }, (_, i) => nameOf(record(i))));
  } finally {
    firehose.destroy();
    s3.destroy();
  }
});
