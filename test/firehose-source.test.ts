import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  StartStreamEncryptionCommand,
  UpdateShardCountCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { startTestServer, sleep, type TestServer } from './helpers.js';
import {
  findSourceStream,
  newKinesisSourceMetrics,
  runKinesisSource,
  sourceMetadataOf,
  type KinesisSourceMetrics,
  type ShardProgress,
} from '../src/firehose/source/kinesis-source.js';
import { DESTINATION_ID, ingestLogName, progressKey, type DeliveryStreamDocument, type SourceMetadata } from '../src/firehose/domain/delivery-stream.js';
import type { Lease } from '../src/leases/leases.js';
import { throughput } from '../src/kinesis/domain/throughput.js';
import { leaseKey, type LeaseRecord } from '../src/leases/lease-record.js';
import type { StoredRecord } from '../src/store/store.js';

let server: TestServer;
let client: KinesisClient;
const account = '000000000000';
const region = 'us-east-1';

/** What the server logged at warn and above, as parsed JSON lines. */
const warnings: Array<Record<string, unknown>> = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) warnings.push(JSON.parse(line));
      done();
    },
  }),
);

before(async () => {
  server = await startTestServer();
  client = server.client();
});
after(async () => {
  await server.stop();
});

const streamArn = (name: string) => `arn:aws:kinesis:${region}:${account}:stream/${name}`;

function deliveryStream(sourceName: string, startAt: number): DeliveryStreamDocument {
  const name = `fh-${randomUUID().slice(0, 8)}`;
  return {
    account,
    region,
    name,
    arn: `arn:aws:firehose:${region}:${account}:deliverystream/${name}`,
    status: 'ACTIVE',
    type: 'KinesisStreamAsSource',
    version: 1,
    createTimestamp: startAt,
    incarnation: randomUUID(),
    destination: { DestinationId: DESTINATION_ID },
    secrets: {},
    source: { KinesisStreamARN: streamArn(sourceName), RoleARN: `arn:aws:iam::${account}:role/firehose`, DeliveryStartTimestamp: startAt },
    tags: [],
  };
}

/**
 * Runs the source under a real lease of the server's Leases (as the delivery engine will), until
 * `stop()`: the lease is handed over (its signal aborts) and the source must have resolved.
 */
function runUnderLease(stream: DeliveryStreamDocument, metrics?: KinesisSourceMetrics) {
  const name = `test/firehose-source/${stream.incarnation}`;
  const runs: Array<{ lease: Lease; done: Promise<'resolved' | Error> }> = [];
  server.leases.register(name, async (lease) => {
    const done = runKinesisSource(stream, lease, { kinesis: server.kinesis, log: logger, metrics }).then(
      () => 'resolved' as const,
      (err: Error) => err,
    );
    runs.push({ lease, done });
    await done;
    // Beside the delivery loop, the engine keeps the lease when the source ends: so does this.
    if (!lease.signal.aborted) await new Promise((resolve) => lease.signal.addEventListener('abort', resolve, { once: true }));
  });
  return {
    runs,
    async stop() {
      await server.leases.unregister(name);
      for (const run of runs) assert.equal(await run.done, 'resolved');
    },
  };
}

async function ingested(stream: DeliveryStreamDocument): Promise<StoredRecord[]> {
  const read = await server.store.records.read(ingestLogName(stream), 0, { limit: 1_000_000, maxBytes: 1 << 30, notBefore: 0 });
  return read.records;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Waits until the ingest log holds `count` records, and returns them. */
const waitForIngested = (stream: DeliveryStreamDocument, count: number) =>
  waitFor(`${count} ingested records`, async () => {
    const records = await ingested(stream);
    assert.ok(records.length <= count, `more records than expected: ${records.length} > ${count}`);
    return records.length === count ? records : undefined;
  });

async function createStream(name: string, shards: number): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
}

/** PutRecords takes up to 500 records. */
const PUT_RECORDS_MAX = 500;
const HASH_LOW = '1';
const HASH_HIGH = (2n ** 127n + 5n).toString();

async function put(stream: string, data: Buffer | string, partitionKey: string, explicitHashKey?: string) {
  const out = await client.send(
    new PutRecordCommand({ StreamName: stream, Data: Buffer.from(data), PartitionKey: partitionKey, ExplicitHashKey: explicitHashKey }),
  );
  return { shardId: out.ShardId!, sequenceNumber: out.SequenceNumber! };
}

/** A KPL aggregated record (awslabs/amazon-kinesis-producer aggregation-format.md), built by hand. */
function kplAggregate(keys: string[], records: Array<{ key: number; data: Buffer }>): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return Buffer.from(out);
  };
  const field = (tag: number, bytes: Buffer) => Buffer.concat([varint((tag << 3) | 2), varint(bytes.length), bytes]);
  const body = Buffer.concat([
    ...keys.map((key) => field(1, Buffer.from(key))),
    ...records.map((r) => field(3, Buffer.concat([varint(1 << 3), varint(r.key), field(3, r.data)]))),
  ]);
  return Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), body, createHash('md5').update(body).digest()]);
}

const metadataOf = (record: StoredRecord) => sourceMetadataOf(record)!;

test('findSourceStream finds the stream an ARN names, and nothing for others', async () => {
  const name = `src-find-${randomUUID().slice(0, 8)}`;
  await createStream(name, 1);
  const found = await findSourceStream(server.kinesis, streamArn(name));
  assert.equal(found?.name, name);
  assert.equal(found?.arn, streamArn(name));
  assert.equal(await findSourceStream(server.kinesis, streamArn(`${name}-missing`)), undefined);
  assert.equal(await findSourceStream(server.kinesis, `arn:aws:kinesis:${region}:111111111111:stream/${name}`), undefined);
  assert.equal(await findSourceStream(server.kinesis, 'not-an-arn'), undefined);
});

test('reads every shard from DeliveryStartTimestamp on, with the source metadata, data untouched (KPL aggregates too)', async () => {
  const name = `src-start-${randomUUID().slice(0, 8)}`;
  await createStream(name, 2);
  for (let i = 0; i < 5; i++) {
    await put(name, `before-low-${i}`, `k${i}`, HASH_LOW);
    await put(name, `before-high-${i}`, `k${i}`, HASH_HIGH);
  }
  await sleep(5); // the start is after every record above, at a millisecond of its own
  const stream = deliveryStream(name, Date.now());
  await sleep(5);
  const metrics = newKinesisSourceMetrics();
  const expected: Array<{ data: Buffer; partitionKey: string; shardId: string; sequenceNumber: string }> = [];
  const putAndRemember = async (data: Buffer, partitionKey: string, hash: string) => {
    expected.push({ data, partitionKey, ...(await put(name, data, partitionKey, hash)) });
  };
  // Some records arrive before the reader starts (it must not begin at its own LATEST) …
  for (let i = 0; i < 3; i++) await putAndRemember(Buffer.from(`after-low-${i}`), `pk-${i}`, HASH_LOW);
  const aggregate = kplAggregate(['a', 'b'], [
    { key: 0, data: Buffer.from('sub-0') },
    { key: 1, data: Buffer.from([0, 1, 2, 255]) },
  ]);
  await putAndRemember(aggregate, 'kpl-key', HASH_HIGH);
  const reader = runUnderLease(stream, metrics);
  // … and some after, read at the once-a-second cadence.
  for (let i = 0; i < 3; i++) await putAndRemember(Buffer.from(`after-high-${i}`), `pk-${i}`, HASH_HIGH);
  await putAndRemember(Buffer.from('quote " and unicode é'), 'pk "odd" ✓', HASH_LOW);

  const records = await waitForIngested(stream, expected.length);
  for (const record of records) assert.doesNotMatch(record.data.toString('latin1'), /^before-/);
  const bySequence = new Map(records.map((record) => [metadataOf(record).sequenceNumber, record]));
  for (const want of expected) {
    const record = bySequence.get(want.sequenceNumber);
    assert.ok(record, `record ${want.sequenceNumber} (${want.data.toString('latin1')}) was ingested`);
    assert.deepEqual(record.data, want.data);
    const metadata = metadataOf(record);
    assert.deepEqual(Object.keys(metadata).sort(), ['approximateArrivalTimestamp', 'partitionKey', 'sequenceNumber', 'shardId']);
    // Exactly the JSON of a SourceMetadata, in its field order.
    const expectedMetadata: SourceMetadata = {
      shardId: want.shardId,
      partitionKey: want.partitionKey,
      sequenceNumber: want.sequenceNumber,
      approximateArrivalTimestamp: metadata.approximateArrivalTimestamp,
    };
    assert.equal(record.partitionKey, JSON.stringify(expectedMetadata));
    assert.equal(metadata.shardId, want.shardId);
    assert.equal(metadata.partitionKey, want.partitionKey);
  }
  assert.deepEqual(new Set(records.map((r) => metadataOf(r).shardId)), new Set(['shardId-000000000000', 'shardId-000000000001']));
  // Within a shard, the ingest log keeps the shard's order.
  for (const shardId of ['shardId-000000000000', 'shardId-000000000001']) {
    const sequences = records.map(metadataOf).filter((m) => m.shardId === shardId).map((m) => BigInt(m.sequenceNumber));
    assert.deepEqual(sequences, [...sequences].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  // The arrival timestamp and sequence number are GetRecords' own.
  const iterator = await client.send(
    new GetShardIteratorCommand({ StreamName: name, ShardId: 'shardId-000000000001', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(stream.source!.DeliveryStartTimestamp) }),
  );
  const got = await client.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator! }));
  assert.equal(got.Records!.length, 4);
  for (const record of got.Records!) {
    const metadata = metadataOf(bySequence.get(record.SequenceNumber!)!);
    assert.equal(metadata.approximateArrivalTimestamp, record.ApproximateArrivalTimestamp!.getTime());
    assert.ok(metadata.approximateArrivalTimestamp >= stream.source!.DeliveryStartTimestamp);
  }
  assert.deepEqual(bySequence.get(expected[3].sequenceNumber)!.data, aggregate);

  assert.equal(metrics.dataReadFromKinesisStreamRecords, expected.length);
  assert.equal(metrics.dataReadFromKinesisStreamBytes, expected.reduce((sum, e) => sum + e.data.length, 0));
  await reader.stop();
});

test('records of an encrypted stream reach the ingest log in clear', async () => {
  const name = `src-kms-${randomUUID().slice(0, 8)}`;
  await createStream(name, 1);
  await client.send(new StartStreamEncryptionCommand({ StreamName: name, EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
  const stream = deliveryStream(name, Date.now());
  const reader = runUnderLease(stream);
  await put(name, 'secret payload', 'pk');
  const [record] = await waitForIngested(stream, 1);
  assert.equal(record.data.toString(), 'secret payload');
  await reader.stop();
});

test('follows a split and a merge parent before children, and a restart resumes from its progress without loss or duplicates', async () => {
  const name = `src-reshard-${randomUUID().slice(0, 8)}`;
  await createStream(name, 1);
  const stream = deliveryStream(name, Date.now());
  let reader = runUnderLease(stream);
  const sent: string[] = [];
  const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
  let n = 0;
  const nextRecord = (phase: string) => {
    const key = keys[n % keys.length];
    const data = `${phase}-${n++}-${key}`;
    sent.push(data);
    return { Data: Buffer.from(data), PartitionKey: key };
  };
  const putSome = async (phase: string, count: number) => {
    for (let i = 0; i < count; i += PUT_RECORDS_MAX) {
      const entries = Array.from({ length: Math.min(PUT_RECORDS_MAX, count - i) }, () => nextRecord(phase));
      const out = await client.send(new PutRecordsCommand({ StreamName: name, Records: entries }));
      assert.equal(out.FailedRecordCount, 0);
    }
  };
  const progressOf = async (shardId: string) => (await server.store.meta.get<{ value: ShardProgress }>(progressKey(stream, `source/${shardId}`)))?.value.value;

  await putSome('parent', 12);
  await waitForIngested(stream, sent.length);
  // A restart at a quiet moment: the next run reads from its progress, not from DeliveryStartTimestamp.
  await reader.stop();
  assert.equal((await progressOf('shardId-000000000000'))?.index, 12);
  // While stopped, a backlog of more than one read (10,000 records) builds up in the parent, then
  // the split; the parent takes writes until its children are created (the next second).
  await putSome('backlog', 10_500);
  await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }));
  await putSome('split', 30);
  await sleep(1_100);
  await putSome('children', 30);
  reader = runUnderLease(stream);
  await waitForIngested(stream, sent.length);
  assert.equal((await progressOf('shardId-000000000000'))?.closed, true);
  assert.equal((await progressOf('shardId-000000000001'))?.closed, undefined);

  await client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: 'shardId-000000000001', AdjacentShardToMerge: 'shardId-000000000002' }));
  await putSome('merge', 20);
  await sleep(1_100);
  await putSome('merged', 20);

  const records = await waitForIngested(stream, sent.length);
  // Every record exactly once.
  const data = records.map((r) => r.data.toString());
  assert.deepEqual([...data].sort(), [...sent].sort());
  // Parents before children: every record of shard 0 precedes those of 1 and 2, which precede those of 3.
  const generation = (shardId: string) => ({ 'shardId-000000000000': 0, 'shardId-000000000001': 1, 'shardId-000000000002': 1, 'shardId-000000000003': 2 })[shardId]!;
  const generations = records.map((r) => generation(metadataOf(r).shardId));
  assert.deepEqual(new Set(generations), new Set([0, 1, 2]));
  const firstOutOfOrder = generations.findIndex((g, i) => i > 0 && g < generations[i - 1]);
  assert.equal(firstOutOfOrder, -1, `record ${firstOutOfOrder} of the ingest log comes from a parent after a child's record`);
  // Each partition key's records in the order they were put.
  for (const key of keys) {
    assert.deepEqual(
      data.filter((d) => d.endsWith(`-${key}`)),
      sent.filter((d) => d.endsWith(`-${key}`)),
    );
  }
  await waitFor('the merged shards closed', async () => ((await progressOf('shardId-000000000002'))?.closed ? true : undefined));
  assert.equal((await progressOf('shardId-000000000001'))?.closed, true);
  assert.equal((await progressOf('shardId-000000000003'))?.closed, undefined);
  await reader.stop();
});

test('UpdateShardCount (splits and merges at once, short-lived shards between) loses and repeats nothing, and keeps each key in order', async () => {
  const name = `src-scale-${randomUUID().slice(0, 8)}`;
  await createStream(name, 2);
  const stream = deliveryStream(name, Date.now());
  const reader = runUnderLease(stream);
  const sent: string[] = [];
  const keys = Array.from({ length: 16 }, (_, i) => `key-${i}`);
  let n = 0;
  const putSome = async (count: number) => {
    const entries = Array.from({ length: count }, () => {
      const key = keys[n % keys.length];
      const data = `${n++}:${key}`;
      sent.push(data);
      return { Data: Buffer.from(data), PartitionKey: key };
    });
    const out = await client.send(new PutRecordsCommand({ StreamName: name, Records: entries }));
    assert.equal(out.FailedRecordCount, 0);
  };
  await putSome(100);
  await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 3, ScalingType: 'UNIFORM_SCALING' }));
  for (let i = 0; i < 5; i++) {
    await putSome(100);
    await sleep(300);
  }
  const records = await waitForIngested(stream, sent.length);
  const data = records.map((r) => r.data.toString());
  assert.deepEqual([...data].sort(), [...sent].sort());
  for (const key of keys) assert.deepEqual(data.filter((d) => d.endsWith(`:${key}`)), sent.filter((d) => d.endsWith(`:${key}`)));
  assert.ok(new Set(records.map((r) => metadataOf(r).shardId)).size > 2, 'records came from the new shards too');
  await reader.stop();
});

test('a backlog is read in reads of GetRecords size (10,000 records); caught up, each shard is read at most once a second', async () => {
  const name = `src-cadence-${randomUUID().slice(0, 8)}`;
  await createStream(name, 2);
  const stream = deliveryStream(name, Date.now());
  // A backlog of three reads' worth (10,000 records a read) on one shard before the source starts.
  for (let i = 0; i < 25_000; i += PUT_RECORDS_MAX) {
    const entries = Array.from({ length: PUT_RECORDS_MAX }, (_, j) => ({ Data: Buffer.from(`r${i + j}`), PartitionKey: 'k', ExplicitHashKey: HASH_LOW }));
    await client.send(new PutRecordsCommand({ StreamName: name, Records: entries }));
  }
  const reads: Array<{ log: string; at: number; count: number }> = [];
  const records = server.store.records;
  const counting = {
    ...server.kinesis,
    store: {
      ...server.store,
      meta: server.store.meta,
      records: Object.assign(Object.create(records), {
        read: async (...args: Parameters<typeof records.read>) => {
          const result = await records.read(...args);
          reads.push({ log: args[0], at: Date.now(), count: result.records.length });
          return result;
        },
      }),
    },
  };
  const lease = `test/firehose-source/${stream.incarnation}`;
  let done: Promise<void> | undefined;
  server.leases.register(lease, async (l) => {
    done = runKinesisSource(stream, l, { kinesis: counting, log: logger });
    await done;
  });
  await waitForIngested(stream, 25_000);
  const logs = [...new Set(reads.map((r) => r.log))];
  assert.equal(logs.length, 2);
  const backlog = reads.filter((r) => r.count > 0);
  assert.deepEqual(backlog.map((r) => r.count), [10_000, 10_000, 5_000]);
  // The backlog's reads came one after the other on its shard (no empty read between them).
  const ofBacklogLog = reads.filter((r) => r.log === backlog[0].log);
  assert.deepEqual(ofBacklogLog.slice(0, 3).map((r) => r.count), [10_000, 10_000, 5_000]);
  // Caught up: no more than one read per second and shard.
  const from = reads.length;
  const started = Date.now();
  await sleep(2_500);
  const elapsed = Date.now() - started;
  for (const log of logs) {
    const idleReads = reads.slice(from).filter((r) => r.log === log).length;
    assert.ok(idleReads <= Math.ceil(elapsed / 1000) + 1, `${idleReads} reads of ${log} in ${elapsed} ms`);
  }
  await server.leases.unregister(lease);
  await done;
});

test('a restart re-reads at most the batch whose progress was not written', async () => {
  const name = `src-crash-${randomUUID().slice(0, 8)}`;
  await createStream(name, 1);
  const stream = deliveryStream(name, Date.now());
  let reader = runUnderLease(stream);
  for (let i = 0; i < 5; i++) await put(name, `first-${i}`, 'k');
  await waitForIngested(stream, 5);
  await reader.stop();
  // As if the process died after appending a batch and before writing its progress: the progress
  // record is put back to where it stood before the last batch (3 records).
  const key = progressKey(stream, 'source/shardId-000000000000');
  const entry = (await server.store.meta.get<{ term: number; value: ShardProgress }>(key))!;
  assert.equal(entry.value.value.index, 5);
  await server.store.meta.put(key, { ...entry.value, value: { index: 2 } }, entry.revision);
  for (let i = 0; i < 2; i++) await put(name, `second-${i}`, 'k');
  reader = runUnderLease(stream);
  const records = await waitForIngested(stream, 10);
  assert.deepEqual(
    records.map((r) => r.data.toString()),
    ['first-0', 'first-1', 'first-2', 'first-3', 'first-4', 'first-2', 'first-3', 'first-4', 'second-0', 'second-1'],
  );
  await reader.stop();
});

test('with --enforce-limits, reads count against the shard read limits it shares with GetRecords', async () => {
  const name = `src-limits-${randomUUID().slice(0, 8)}`;
  await createStream(name, 1);
  // The same server's domain with limits on: its own limiter, as a server started with --enforce-limits has.
  const limited = { ...server.kinesis, config: { ...server.kinesis.config, enforceLimits: true } };
  const source = (await findSourceStream(limited, streamArn(name)))!;
  // Another consumer's read just took 8 MiB from the shard's 2 MiB/s: the shard is in debt for about 3 s.
  throughput(limited).chargeRead(source, source.shards[0], 8 * 1024 * 1024);
  const stream = deliveryStream(name, Date.now());
  await put(name, 'limited', 'k');
  const metrics = newKinesisSourceMetrics();
  const name2 = `test/firehose-source/${stream.incarnation}`;
  let done: Promise<void> | undefined;
  server.leases.register(name2, async (lease) => {
    done = runKinesisSource(stream, lease, { kinesis: limited, log: logger, metrics });
    await done;
  });
  await waitFor('a throttled read', async () => (metrics.throttledGetRecords > 0 ? true : undefined));
  assert.equal((await ingested(stream)).length, 0, 'nothing is read while the shard is over its read rate');
  const [record] = await waitForIngested(stream, 1);
  assert.equal(record.data.toString(), 'limited');
  await server.leases.unregister(name2);
  await done;
});

test('a lost lease stops the source quietly, before it appends; the next term reads on without duplicates', async () => {
  const name = `src-lost-${randomUUID().slice(0, 8)}`;
  await createStream(name, 1);
  const stream = deliveryStream(name, Date.now());
  const reader = runUnderLease(stream);
  await put(name, 'first', 'k');
  await waitForIngested(stream, 1);
  const first = reader.runs[0];
  // Another node takes the lease (a later term in the lease record).
  const key = leaseKey(`test/firehose-source/${stream.incarnation}`);
  const held = (await server.store.meta.get<LeaseRecord>(key))!;
  assert.equal(held.value.term, first.lease.term);
  await server.store.meta.put<LeaseRecord>(key, { ...held.value, owner: 'another-node', term: held.value.term + 1 }, held.revision);
  await put(name, 'second', 'k');
  assert.equal(await first.done, 'resolved');
  assert.ok(!warnings.some((w) => w.deliveryStream === stream.name), 'no warning for a lost lease');
  // Over the embedded store this node takes the lease back (a new term) and reads on from the progress.
  const records = await waitForIngested(stream, 2);
  assert.deepEqual(records.map((r) => r.data.toString()), ['first', 'second']);
  assert.ok(reader.runs.length >= 2 && reader.runs[reader.runs.length - 1].lease.term > first.lease.term);
  await reader.stop();
});

test('a failing store delays the source, which retries and loses nothing', async () => {
  const name = `src-failing-${randomUUID().slice(0, 8)}`;
  await createStream(name, 1);
  let failures = 3;
  const records = server.store.records;
  const flaky = {
    ...server.kinesis,
    store: {
      ...server.store,
      meta: server.store.meta,
      records: Object.assign(Object.create(records), {
        read: (...args: Parameters<typeof records.read>) => (failures-- > 0 ? Promise.reject(new Error('store unreachable')) : records.read(...args)),
      }),
    },
  };
  const stream = deliveryStream(name, Date.now());
  await put(name, 'survives', 'k');
  const name2 = `test/firehose-source/${stream.incarnation}`;
  let done: Promise<void> | undefined;
  server.leases.register(name2, async (lease) => {
    done = runKinesisSource(stream, lease, { kinesis: flaky, log: logger });
    await done;
  });
  const [record] = await waitForIngested(stream, 1);
  assert.equal(record.data.toString(), 'survives');
  assert.ok(failures < 0);
  assert.equal(warnings.filter((w) => w.deliveryStream === stream.name && /failed; retrying/.test(String(w.msg))).length, 3);
  await server.leases.unregister(name2);
  await done;
});

test('a deleted source stream: the reader stops and says so at warn', async () => {
  const name = `src-deleted-${randomUUID().slice(0, 8)}`;
  await createStream(name, 1);
  const stream = deliveryStream(name, Date.now());
  const reader = runUnderLease(stream);
  await put(name, 'one', 'k');
  await waitForIngested(stream, 1);
  await client.send(new DeleteStreamCommand({ StreamName: name }));
  const run = await waitFor('the source run', async () => reader.runs[0]);
  assert.equal(await run.done, 'resolved');
  assert.equal(run.lease.signal.aborted, false, 'the source ended on its own, not by the lease');
  const warning = warnings.find((w) => w.deliveryStream === stream.name);
  assert.ok(warning, 'a warning names the delivery stream');
  assert.equal(warning.sourceStream, streamArn(name));
  assert.match(String(warning.msg), /source stream was deleted/);

  // Created again under the same name: a different stream, not read.
  await createStream(name, 1);
  await reader.stop();
  const again = runUnderLease(stream);
  const second = await waitFor('the second run', async () => again.runs[0]);
  assert.equal(await second.done, 'resolved');
  assert.ok(warnings.some((w) => w.deliveryStream === stream.name && /created again/.test(String(w.msg))));
  await again.stop();
  assert.equal((await ingested(stream)).length, 1);
});

test('a source stream missing at start: resolves with a warning, reads nothing', async () => {
  const stream = deliveryStream(`src-never-${randomUUID().slice(0, 8)}`, Date.now());
  const reader = runUnderLease(stream);
  const run = await waitFor('the source run', async () => reader.runs[0]);
  assert.equal(await run.done, 'resolved');
  assert.ok(warnings.some((w) => w.deliveryStream === stream.name && /does not exist/.test(String(w.msg))));
  await reader.stop();
});
