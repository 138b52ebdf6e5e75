import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  PutRecordsCommand,
  type KinesisClient,
  type GetShardIteratorCommandInput,
} from '@aws-sdk/client-kinesis';
import { available, kinesisCbor, kinesisJson, startTestServer, type TestServer } from './helpers.js';
import { hashPartitionKey } from '../src/kinesis/domain/hash-key.js';
import { formatSequenceNumber, parseSequenceNumber } from '../src/kinesis/domain/sequence-number.js';
import { recordSequenceNumber, shardLogName, type StreamMeta } from '../src/kinesis/domain/stream.js';
import { appendRecords, ShardSequences } from '../src/kinesis/domain/records.js';
import { javaDateString, setClockOffset } from '../src/kinesis/domain/clock.js';
import { uniformRanges } from '../src/kinesis/domain/hash-key.js';
import { hashKeyOf, recordHashKey } from '../src/kinesis/domain/routing.js';

const ACCOUNT = '000000000000';
const HOUR = 3_600_000;

let server: TestServer;
let kinesis: KinesisClient;
before(async () => {
  server = await startTestServer();
  kinesis = server.client();
});
after(async () => {
  setClockOffset(0);
  await server.stop();
});

async function createStream(name: string, shards: number, client = kinesis) {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
}

async function iterator(input: Partial<GetShardIteratorCommandInput> & { StreamName: string }, client = kinesis) {
  const out = await client.send(new GetShardIteratorCommand({ ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON', ...input } as GetShardIteratorCommandInput));
  assert.ok(out.ShardIterator);
  return out.ShardIterator;
}

async function rejects(promise: Promise<unknown>, name: string, message: string | RegExp) {
  await assert.rejects(promise, (err: any) => {
    assert.equal(err.name, name, err.message);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

const streamMeta = async (name: string) => (await server.kinesis.streams.find({ account: ACCOUNT, region: 'us-east-1' }, name))!;

test('PutRecords routes by MD5(partition key), keeps order per shard, and GetRecords reads it back', async () => {
  await createStream('routing', 4);
  const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: 'routing' }));
  const ranges = new Map(StreamDescription!.Shards!.map((s) => [s.ShardId!, [BigInt(s.HashKeyRange!.StartingHashKey!), BigInt(s.HashKeyRange!.EndingHashKey!)]]));
  const entries = Array.from({ length: 300 }, (_, i) => ({ PartitionKey: `key-${i % 37}`, Data: Buffer.from(`payload ${i}`) }));
  const out = await kinesis.send(new PutRecordsCommand({ StreamName: 'routing', Records: entries }));
  assert.equal(out.FailedRecordCount, 0);
  assert.equal(out.EncryptionType, undefined);
  assert.equal(out.Records!.length, 300);
  const perShard = new Map<string, { seq: bigint; data: string }[]>();
  out.Records!.forEach((result, i) => {
    const [start, end] = ranges.get(result.ShardId!)!;
    const hash = hashPartitionKey(entries[i].PartitionKey);
    assert.ok(hash >= start && hash <= end, `${entries[i].PartitionKey} is in ${result.ShardId}`);
    assert.match(result.SequenceNumber!, /^\d{56}$/);
    const list = perShard.get(result.ShardId!) ?? [];
    list.push({ seq: BigInt(result.SequenceNumber!), data: entries[i].Data.toString() });
    perShard.set(result.ShardId!, list);
  });
  assert.ok(perShard.size > 1, 'keys spread over several shards');
  for (const [shardId, written] of perShard) {
    for (let i = 1; i < written.length; i++) assert.ok(written[i].seq > written[i - 1].seq, 'sequence numbers increase in request order');
    const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: 'routing', ShardId: shardId }) }));
    assert.deepEqual(
      got.Records!.map((r) => [BigInt(r.SequenceNumber!), Buffer.from(r.Data!).toString()]),
      written.map((w) => [w.seq, w.data]),
    );
    assert.ok(got.Records!.every((r) => r.ApproximateArrivalTimestamp instanceof Date && r.EncryptionType === undefined));
    assert.equal(got.MillisBehindLatest, 0);
    assert.ok(got.NextShardIterator);
    assert.equal(got.ChildShards, undefined);
    // The next iterator continues after the last record: nothing new yet.
    const next = await kinesis.send(new GetRecordsCommand({ ShardIterator: got.NextShardIterator }));
    assert.deepEqual(next.Records, []);
    assert.ok(next.NextShardIterator);
  }
});

test('PutRecord: ExplicitHashKey routing, SequenceNumberForOrdering and every error text', async () => {
  await createStream('single', 3);
  const last = await kinesis.send(new PutRecordCommand({ StreamName: 'single', PartitionKey: 'x', Data: Buffer.from('a'), ExplicitHashKey: '340282366920938463463374607431768211455' }));
  assert.equal(last.ShardId, 'shardId-000000000002');
  const first = await kinesis.send(new PutRecordCommand({ StreamName: 'single', PartitionKey: 'x', Data: Buffer.from('b'), ExplicitHashKey: '0' }));
  assert.equal(first.ShardId, 'shardId-000000000000');
  const ordered = await kinesis.send(
    new PutRecordCommand({ StreamName: 'single', PartitionKey: 'x', Data: Buffer.from('c'), ExplicitHashKey: '1', SequenceNumberForOrdering: first.SequenceNumber }),
  );
  assert.ok(BigInt(ordered.SequenceNumber!) > BigInt(first.SequenceNumber!));
  // Empty data is a record too.
  await kinesis.send(new PutRecordCommand({ StreamName: 'single', PartitionKey: 'x', Data: new Uint8Array(0) }));

  await rejects(
    kinesis.send(new PutRecordCommand({ StreamName: 'single', PartitionKey: 'x', Data: Buffer.from('a'), ExplicitHashKey: '340282366920938463463374607431768211456' })),
    'InvalidArgumentException',
    'Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was 340282366920938463463374607431768211456',
  );
  const future = formatSequenceNumber({ shardCreatedSec: 1_700_000_000, shardIndex: 0, sequenceIndex: 5n, arrivalSec: Math.floor(Date.now() / 1000) + 3600 });
  for (const bad of ['12345', future]) {
    await rejects(
      kinesis.send(new PutRecordCommand({ StreamName: 'single', PartitionKey: 'x', Data: Buffer.from('a'), SequenceNumberForOrdering: bad })),
      'InvalidArgumentException',
      `ExclusiveMinimumSequenceNumber ${bad} used in PutRecord on stream single under account ${ACCOUNT} is invalid.`,
    );
  }
  await rejects(
    kinesis.send(new PutRecordCommand({ StreamName: 'nope', PartitionKey: 'x', Data: Buffer.from('a') })),
    'ResourceNotFoundException',
    `Stream nope under account ${ACCOUNT} not found.`,
  );
  await rejects(
    kinesis.send(new PutRecordsCommand({ StreamName: 'nope', Records: [{ PartitionKey: 'x', Data: Buffer.from('a') }] })),
    'ResourceNotFoundException',
    `Stream nope under account ${ACCOUNT} not found.`,
  );
  // A stream still CREATING is "not found" to writers.
  await createStream('creating', 1);
  await server.kinesis.streams.update({ account: ACCOUNT, region: 'us-east-1' }, 'creating', (s) => ({ ...s, status: 'CREATING', statusUntil: Date.now() + HOUR }));
  await rejects(
    kinesis.send(new PutRecordCommand({ StreamName: 'creating', PartitionKey: 'x', Data: Buffer.from('a') })),
    'ResourceNotFoundException',
    `Stream creating under account ${ACCOUNT} not found.`,
  );
  await rejects(
    kinesis.send(new GetShardIteratorCommand({ StreamName: 'creating', ShardId: 'shardId-0', ShardIteratorType: 'LATEST' })),
    'ResourceNotFoundException',
    `Shard shardId-000000000000 in stream creating under account ${ACCOUNT} does not exist`,
  );
  // One bad ExplicitHashKey fails the whole PutRecords call and stores nothing.
  const before = await server.kinesis.store.records.tip(shardLogName(await streamMeta('single'), (await streamMeta('single')).shards[0]));
  await rejects(
    kinesis.send(
      new PutRecordsCommand({
        StreamName: 'single',
        Records: [
          { PartitionKey: 'x', Data: Buffer.from('a'), ExplicitHashKey: '0' },
          { PartitionKey: 'x', Data: Buffer.from('a'), ExplicitHashKey: '999999999999999999999999999999999999999' },
        ],
      }),
    ),
    'InvalidArgumentException',
    'Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was 999999999999999999999999999999999999999',
  );
  const meta = await streamMeta('single');
  assert.equal(await server.kinesis.store.records.tip(shardLogName(meta, meta.shards[0])), before);
});

test('record and request size limits', async () => {
  await createStream('sizes', 1);
  const max = 1024 * 1024;
  // data + partition key bytes may reach the limit exactly…
  await kinesis.send(new PutRecordCommand({ StreamName: 'sizes', PartitionKey: 'ab', Data: Buffer.alloc(max - 2, 1) }));
  // …but not exceed it.
  await rejects(
    kinesis.send(new PutRecordCommand({ StreamName: 'sizes', PartitionKey: 'abc', Data: Buffer.alloc(max - 2, 1) })),
    'ValidationException',
    `1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=${max - 2} cap=${max - 2}]' at 'data' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
  );
  await rejects(
    kinesis.send(new PutRecordsCommand({ StreamName: 'sizes', Records: [{ PartitionKey: 'a', Data: Buffer.alloc(1) }, { PartitionKey: 'a', Data: Buffer.alloc(max) }] })),
    'ValidationException',
    `1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=${max} cap=${max}]' at 'records.2.member.data' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
  );
  // Six records just under 1 MiB are over the 5 MiB request limit.
  const big = Array.from({ length: 6 }, () => ({ PartitionKey: 'k', Data: Buffer.alloc(max - 1024, 7) }));
  await rejects(kinesis.send(new PutRecordsCommand({ StreamName: 'sizes', Records: big })), 'InvalidArgumentException', 'Records size exceeds 5 MB limit');
  // 500 entries are fine, 501 are a model violation.
  const small = (n: number) => Array.from({ length: n }, (_, i) => ({ PartitionKey: `p${i}`, Data: Buffer.from([i & 0xff]) }));
  const ok = await kinesis.send(new PutRecordsCommand({ StreamName: 'sizes', Records: small(500) }));
  assert.equal(ok.Records!.length, 500);
  await rejects(kinesis.send(new PutRecordsCommand({ StreamName: 'sizes', Records: small(501) })), 'ValidationException', /at 'records' failed to satisfy constraint: Member must have length less than or equal to 500/);
  // The stream's own limit applies (MaxRecordSizeInKiB).
  await server.kinesis.streams.update({ account: ACCOUNT, region: 'us-east-1' }, 'sizes', (s) => ({ ...s, maxRecordSizeKiB: 1 }));
  await rejects(
    kinesis.send(new PutRecordCommand({ StreamName: 'sizes', PartitionKey: 'k', Data: Buffer.alloc(1024) })),
    'ValidationException',
    "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1024 cap=1024]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 1024",
  );

  // GetRecords: Limit, and a read of 1 MiB records stops at 10 MiB but returns at least one.
  const tenRecords = (await kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: 'sizes' }), Limit: 2 })));
  assert.equal(tenRecords.Records!.length, 2);
  assert.equal(tenRecords.Records![0].Data!.length, max - 2);
  assert.ok(tenRecords.MillisBehindLatest! >= 0);
  await rejects(
    kinesis.send(new GetRecordsCommand({ ShardIterator: tenRecords.NextShardIterator, Limit: 10001 })),
    'ValidationException',
    "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000",
  );
  const rest = await kinesis.send(new GetRecordsCommand({ ShardIterator: tenRecords.NextShardIterator }));
  assert.equal(rest.Records!.length, 499);
});

test('GetRecords stops at 10 MiB, with at least one record', async () => {
  await createStream('ten-mib', 1);
  const MiB = 1024 * 1024;
  for (let i = 0; i < 3; i++) {
    await kinesis.send(new PutRecordsCommand({ StreamName: 'ten-mib', Records: Array.from({ length: 4 }, () => ({ PartitionKey: 'k', Data: Buffer.alloc(MiB - 1, i) })) }));
  }
  const first = await kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: 'ten-mib' }) }));
  assert.equal(first.Records!.length, 10);
  assert.ok(first.MillisBehindLatest! >= 0);
  const second = await kinesis.send(new GetRecordsCommand({ ShardIterator: first.NextShardIterator }));
  assert.equal(second.Records!.length, 2);
  assert.equal(second.MillisBehindLatest, 0);
});

test('every iterator type', async () => {
  await createStream('types', 1);
  const put = async (text: string) => kinesis.send(new PutRecordCommand({ StreamName: 'types', PartitionKey: 'k', Data: Buffer.from(text) }));
  const latest = await iterator({ StreamName: 'types', ShardId: 'shardId-0', ShardIteratorType: 'LATEST' });
  const a = await put('a');
  const b = await put('b');
  const c = await put('c');
  const read = async (ShardIterator: string) => (await kinesis.send(new GetRecordsCommand({ ShardIterator }))).Records!.map((r) => Buffer.from(r.Data!).toString()).join('');
  assert.equal(await read(latest), 'abc');
  assert.equal(await read(await iterator({ StreamName: 'types', ShardIteratorType: 'TRIM_HORIZON' })), 'abc');
  assert.equal(await read(await iterator({ StreamName: 'types', ShardIteratorType: 'LATEST' })), '');
  assert.equal(await read(await iterator({ StreamName: 'types', ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: b.SequenceNumber })), 'bc');
  assert.equal(await read(await iterator({ StreamName: 'types', ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: b.SequenceNumber })), 'c');
  assert.equal(await read(await iterator({ StreamName: 'types', ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: c.SequenceNumber })), '');
  // The shard's StartingSequenceNumber reads from the start.
  const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: 'types' }));
  const startSeq = StreamDescription!.Shards![0].SequenceNumberRange!.StartingSequenceNumber!;
  assert.ok(BigInt(a.SequenceNumber!) > BigInt(startSeq));
  assert.equal(await read(await iterator({ StreamName: 'types', ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: startSeq })), 'abc');
  // AT_TIMESTAMP: from the first record that arrived at or after the time; an old time is TRIM_HORIZON.
  const records = (await kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: 'types' }) }))).Records!;
  const arrivalC = records[2].ApproximateArrivalTimestamp!;
  const expectAtC = records.filter((r) => r.ApproximateArrivalTimestamp! >= arrivalC).map((r) => Buffer.from(r.Data!).toString()).join('');
  assert.equal(await read(await iterator({ StreamName: 'types', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: arrivalC })), expectAtC);
  assert.equal(await read(await iterator({ StreamName: 'types', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(0) })), 'abc');
  assert.equal(await read(await iterator({ StreamName: 'types', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date() })), '');
  // Arrival timestamps have millisecond precision and never decrease along a shard.
  for (let i = 1; i < records.length; i++) assert.ok(records[i].ApproximateArrivalTimestamp! >= records[i - 1].ApproximateArrivalTimestamp!);
  // Lenient shard ids, iterator wrapped in quotes (§3.8), and a Limit.
  const quoted = `"${await iterator({ StreamName: 'types', ShardId: '0' })}"`;
  const limited = await kinesis.send(new GetRecordsCommand({ ShardIterator: quoted, Limit: 1 }));
  assert.equal(Buffer.from(limited.Records![0].Data!).toString(), 'a');
  assert.ok(limited.MillisBehindLatest! >= 0);
  assert.equal(await read(limited.NextShardIterator!), 'bc');
  // The same iterator can be read twice (iterators are positions, not cursors).
  assert.equal(await read(limited.NextShardIterator!), 'bc');
});

test('GetShardIterator errors in the recorded order and texts', async () => {
  await createStream('gsi', 2);
  const shard1 = await kinesis.send(new PutRecordCommand({ StreamName: 'gsi', PartitionKey: 'k', Data: Buffer.from('x'), ExplicitHashKey: '340282366920938463463374607431768211455' }));
  assert.equal(shard1.ShardId, 'shardId-000000000001');
  const get = (input: Partial<GetShardIteratorCommandInput>) =>
    kinesis.send(new GetShardIteratorCommand({ StreamName: 'gsi', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON', ...input } as GetShardIteratorCommandInput));
  await rejects(get({ ShardId: 'shardId-002147483648' }), 'ResourceNotFoundException', `Could not find shard shardId-002147483648 in stream gsi under account ${ACCOUNT}.`);
  await rejects(get({ ShardId: 'ABKLFD8', StreamName: 'missing' }), 'ResourceNotFoundException', `Could not find shard ABKLFD8 in stream missing under account ${ACCOUNT}.`);
  await rejects(get({ ShardId: 'shard-1', StreamName: 'missing' }), 'ResourceNotFoundException', `Shard shardId-000000000001 in stream missing under account ${ACCOUNT} does not exist`);
  await rejects(get({ ShardId: '5' }), 'ResourceNotFoundException', `Shard shardId-000000000005 in stream gsi under account ${ACCOUNT} does not exist`);
  const mustEither = 'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. ';
  await rejects(get({ ShardIteratorType: 'LATEST', StartingSequenceNumber: '1' }), 'InvalidArgumentException', `${mustEither}Request specified LATEST and also a StartingSequenceNumber.`);
  await rejects(get({ ShardIteratorType: 'TRIM_HORIZON', StartingSequenceNumber: '1' }), 'InvalidArgumentException', `${mustEither}Request specified TRIM_HORIZON and also a StartingSequenceNumber.`);
  await rejects(get({ ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' }), 'InvalidArgumentException', `${mustEither}Request specified AFTER_SEQUENCE_NUMBER and no StartingSequenceNumber.`);
  await rejects(get({ ShardIteratorType: 'AT_SEQUENCE_NUMBER' }), 'InvalidArgumentException', `${mustEither}Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.`);
  const garbage = '9'.repeat(60);
  await rejects(
    get({ ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: garbage }),
    'InvalidArgumentException',
    `StartingSequenceNumber ${garbage} used in GetShardIterator on shard shardId-000000000000 in stream gsi under account ${ACCOUNT} is invalid.`,
  );
  await rejects(
    get({ ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: shard1.SequenceNumber }),
    'InvalidArgumentException',
    'Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in a call to a shard with shardId-000000000000',
  );
  const parts = parseSequenceNumber(shard1.SequenceNumber!)!;
  const otherStream = formatSequenceNumber({ ...parts, shardCreatedSec: parts.shardCreatedSec - 100 });
  await rejects(
    get({ ShardId: 'shardId-000000000001', ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: otherStream }),
    'InvalidArgumentException',
    `StartingSequenceNumber ${otherStream} used in GetShardIterator on shard shardId-000000000001 in stream gsi under account ${ACCOUNT} is invalid because it did not come from this stream.`,
  );
  await rejects(
    get({ ShardIteratorType: 'AT_TIMESTAMP' }),
    'InvalidArgumentException',
    'Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.',
  );
  const future = new Date(Date.now() + HOUR);
  await rejects(
    get({ ShardIteratorType: 'AT_TIMESTAMP', Timestamp: future }),
    'InvalidArgumentException',
    new RegExp(`^The timestampInMillis parameter cannot be greater than the currentTimestampInMillis\\. timestampInMillis: ${future.getTime()}, currentTimestampInMillis: \\d{13}$`),
  );
  // A version-0 sequence number of the right shard: AWS answers a bare InternalFailure (§4.4).
  const v0 = ((1n << 124n) + 0n).toString();
  const raw = await kinesisJson(server.endpoint, 'GetShardIterator', { StreamName: 'gsi', ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: v0 });
  assert.equal(raw.status, 500);
  assert.deepEqual(raw.json, { __type: 'InternalFailure' });
});

test('GetRecords rejects forged, truncated, expired and orphaned iterators', async () => {
  await createStream('iters', 1);
  await kinesis.send(new PutRecordCommand({ StreamName: 'iters', PartitionKey: 'k', Data: Buffer.from('x') }));
  const good = await iterator({ StreamName: 'iters' });
  const flipped = Buffer.from(good, 'base64');
  flipped[flipped.length - 20] ^= 1;
  for (const bad of [flipped.toString('base64'), good.slice(0, 40), Buffer.alloc(120).toString('base64'), 'AAAAAAAAAAE=']) {
    await rejects(kinesis.send(new GetRecordsCommand({ ShardIterator: bad })), 'InvalidArgumentException', 'Invalid ShardIterator.');
  }
  // Five minutes later the iterator has expired.
  setClockOffset(300_001);
  try {
    await rejects(
      kinesis.send(new GetRecordsCommand({ ShardIterator: good })),
      'ExpiredIteratorException',
      /^Iterator expired\. The iterator was created at time \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} while right now it is \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} which is further in the future than the tolerated delay of 300000 milliseconds\.$/,
    );
  } finally {
    setClockOffset(0);
  }
  assert.equal((await kinesis.send(new GetRecordsCommand({ ShardIterator: good }))).Records!.length, 1);
  // Deleted and re-created under the same name: the old iterator names a shard that no longer exists.
  const entry = (await server.kinesis.streams.findVersioned({ account: ACCOUNT, region: 'us-east-1' }, 'iters'))!;
  assert.ok(await server.kinesis.store.meta.delete(entry.key, entry.revision));
  await createStream('iters', 1);
  await rejects(kinesis.send(new GetRecordsCommand({ ShardIterator: good })), 'ResourceNotFoundException', `Shard shardId-000000000000 in stream iters under account ${ACCOUNT} does not exist`);
  assert.deepEqual((await kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: 'iters' }) }))).Records, []);
});

test('Java Date#toString formatting for expiry messages', () => {
  assert.equal(javaDateString(Date.UTC(2015, 0, 22, 1, 22, 2)), 'Thu Jan 22 01:22:02 UTC 2015');
  assert.equal(javaDateString(Date.UTC(2024, 1, 5, 13, 4, 9)), 'Mon Feb 05 13:04:09 UTC 2024');
});

test('sequence numbers: the per-shard formatter matches the reference layout', () => {
  const shard = { index: 17, startingHashKey: '0', endingHashKey: '1', createdAt: 1_700_000_123_456 };
  const sequences = new ShardSequences(shard);
  for (const [index, arrival] of [[0, 1_700_000_200_000], [1, 1_700_000_200_999], [123456789, 1_800_000_000_000]]) {
    assert.equal(sequences.format(index, arrival), recordSequenceNumber(shard, index, arrival));
  }
});

test('the end of a closed shard: no iterator, the child shards (§4.7); writes re-route when a shard is sealed', async () => {
  await createStream('closing', 1);
  await kinesis.send(new PutRecordsCommand({ StreamName: 'closing', Records: ['a', 'b', 'c'].map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })) }));
  const stale = await streamMeta('closing');
  const beforeClose = await iterator({ StreamName: 'closing' });
  // Split shard 0 in two as resharding leaves it once the children exist: the parent closed a
  // second ago, its log sealed (the first write to a child or a reader at its end seals it).
  const log = shardLogName(stale, stale.shards[0]);
  const sealedTip = await server.kinesis.store.records.seal(log);
  assert.equal(sealedTip, 3);
  const halves = uniformRanges(2);
  const closedAt = Date.now() - 1000;
  await server.kinesis.streams.update({ account: ACCOUNT, region: 'us-east-1' }, 'closing', (s): StreamMeta => ({
    ...s,
    shards: [
      { ...s.shards[0], closedAt },
      ...halves.map((range, i) => ({ index: 1 + i, parent: 0, startingHashKey: range.start.toString(), endingHashKey: range.end.toString(), createdAt: closedAt + 1000 })),
    ],
    nextShardIndex: 3,
  }));
  // A write that routed by the stale layout meets the sealed log and is routed again.
  const outcomes = await appendRecords(server.kinesis, stale, [{ data: Buffer.from('d'), partitionKey: 'd', hashKey: hashKeyOf(5n) }]);
  assert.equal(outcomes[0].shard.index, 1);
  const put = await kinesis.send(new PutRecordCommand({ StreamName: 'closing', PartitionKey: 'e', Data: Buffer.from('e'), ExplicitHashKey: halves[1].start.toString() }));
  assert.equal(put.ShardId, 'shardId-000000000002');

  const children = halves.map((range, i) => ({
    ShardId: `shardId-00000000000${1 + i}`,
    ParentShards: ['shardId-000000000000'],
    HashKeyRange: { StartingHashKey: range.start.toString(), EndingHashKey: range.end.toString() },
  }));
  // Not yet at the end: an iterator and no children.
  const partial = await kinesis.send(new GetRecordsCommand({ ShardIterator: beforeClose, Limit: 2 }));
  assert.equal(partial.Records!.length, 2);
  assert.ok(partial.NextShardIterator);
  assert.equal(partial.ChildShards, undefined);
  // The read that reaches the end returns the last record, no iterator and the children.
  const end = await kinesis.send(new GetRecordsCommand({ ShardIterator: partial.NextShardIterator }));
  assert.deepEqual(end.Records!.map((r) => Buffer.from(r.Data!).toString()), ['c']);
  assert.equal(end.NextShardIterator, undefined);
  assert.deepEqual(end.ChildShards, children);
  assert.equal(end.MillisBehindLatest, 0);
  // LATEST on the closed shard is already at its end.
  const atEnd = await kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: 'closing', ShardIteratorType: 'LATEST' }) }));
  assert.deepEqual(atEnd.Records, []);
  assert.equal(atEnd.NextShardIterator, undefined);
  assert.deepEqual(atEnd.ChildShards, children);
});

test('retention: expired records are never returned, and trimming keeps the log position', async () => {
  await createStream('retention', 1);
  // Two calls: the store may keep a call's records together, and trimming keeps the newest batch.
  for (const d of ['a', 'b']) await kinesis.send(new PutRecordCommand({ StreamName: 'retention', PartitionKey: d, Data: Buffer.from(d) }));
  const read = async (type: 'TRIM_HORIZON' | 'AT_TIMESTAMP') =>
    (await kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: 'retention', ShardIteratorType: type, Timestamp: type === 'AT_TIMESTAMP' ? new Date(0) : undefined }) }))).Records!;
  const iteratorBefore = await iterator({ StreamName: 'retention' });
  setClockOffset(25 * HOUR);
  try {
    assert.deepEqual(await read('TRIM_HORIZON'), []);
    assert.deepEqual(await read('AT_TIMESTAMP'), []);
    // IncreaseStreamRetentionPeriod takes effect for reads at once.
    await server.kinesis.streams.update({ account: ACCOUNT, region: 'us-east-1' }, 'retention', (s) => ({ ...s, retentionHours: 48 }));
    assert.equal((await read('TRIM_HORIZON')).length, 2);
    await server.kinesis.streams.update({ account: ACCOUNT, region: 'us-east-1' }, 'retention', (s) => ({ ...s, retentionHours: 24 }));
    assert.deepEqual(await read('TRIM_HORIZON'), []);
  } finally {
    setClockOffset(0);
  }
  // An iterator issued before the records expired skips them too (via the store's notBefore).
  const meta = await streamMeta('retention');
  const log = shardLogName(meta, meta.shards[0]);
  const store = server.kinesis.store.records;
  const later = Date.now() + 25 * HOUR;
  assert.deepEqual((await store.read(log, 0, { limit: 10, maxBytes: 1 << 20, notBefore: later })).records, []);
  // Trimming removes what expired but keeps the newest batch, so the log's tip survives restarts.
  await store.trim(log, later);
  const left = await store.read(log, 0, { limit: 10, maxBytes: 1 << 20, notBefore: 0 });
  assert.deepEqual(left.records.map((r) => r.index), [1]);
  assert.equal(await store.tip(log), 2);
  assert.equal((await kinesis.send(new GetRecordsCommand({ ShardIterator: iteratorBefore }))).Records!.length, 1);
});

test('JSON and CBOR bodies carry Data and millisecond arrival timestamps', async () => {
  await createStream('wire', 1);
  const put = await kinesisCbor(server.endpoint, 'PutRecord', { StreamName: 'wire', PartitionKey: 'k', Data: Buffer.from([0, 1, 2, 255]) });
  assert.equal(put.status, 200, put.body.toString());
  const gsi = await kinesisJson(server.endpoint, 'GetShardIterator', { StreamName: 'wire', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' });
  const json = await kinesisJson(server.endpoint, 'GetRecords', { ShardIterator: gsi.json.ShardIterator });
  assert.equal(json.json.Records[0].Data, Buffer.from([0, 1, 2, 255]).toString('base64'));
  assert.equal(json.json.Records[0].SequenceNumber, put.json.SequenceNumber);
  assert.match(json.body.toString(), /"ApproximateArrivalTimestamp":\d+(\.\d{1,3})?[,}]/);
  const cbor = await kinesisCbor(server.endpoint, 'GetRecords', { ShardIterator: gsi.json.ShardIterator });
  assert.ok(Buffer.isBuffer(cbor.json.Records[0].Data) || cbor.json.Records[0].Data instanceof Uint8Array);
  assert.ok(cbor.json.Records[0].ApproximateArrivalTimestamp instanceof Date);
  assert.equal(cbor.json.Records[0].ApproximateArrivalTimestamp.getTime() * 1, Math.round(json.json.Records[0].ApproximateArrivalTimestamp * 1000));
});

test('a restart keeps records and sequence numbers keep increasing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-restart-'));
  try {
    let node = await startTestServer({ dataDir });
    let client = node.client();
    await createStream('durable', 2, client);
    const first = await client.send(new PutRecordsCommand({ StreamName: 'durable', Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`r${i}`) })) }));
    await node.stop();
    node = await startTestServer({ dataDir });
    client = node.client();
    try {
      const second = await client.send(new PutRecordsCommand({ StreamName: 'durable', Records: Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`s${i}`) })) }));
      for (const shardId of ['shardId-000000000000', 'shardId-000000000001']) {
        const before = first.Records!.filter((r) => r.ShardId === shardId).map((r) => BigInt(r.SequenceNumber!));
        const after = second.Records!.filter((r) => r.ShardId === shardId).map((r) => BigInt(r.SequenceNumber!));
        assert.ok(before.length && after.length);
        assert.ok(after[0] > before.at(-1)!, 'sequence numbers continue after a restart');
        const got = await client.send(new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: 'durable', ShardId: shardId }, client) }));
        assert.deepEqual(got.Records!.map((r) => BigInt(r.SequenceNumber!)), [...before, ...after]);
      }
    } finally {
      await node.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('--memory has the same data-plane semantics', async () => {
  const node = await startTestServer({ memory: true });
  try {
    const client = node.client({ http1: true });
    await createStream('mem', 1, client);
    const put = await client.send(new PutRecordsCommand({ StreamName: 'mem', Records: ['a', 'b', 'c'].map((d) => ({ PartitionKey: d, Data: Buffer.from(d) })) }));
    const got = await client.send(new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: 'mem' }, client), Limit: 2 }));
    assert.deepEqual(got.Records!.map((r) => r.SequenceNumber), put.Records!.slice(0, 2).map((r) => r.SequenceNumber));
    const rest = await client.send(new GetRecordsCommand({ ShardIterator: got.NextShardIterator }));
    assert.deepEqual(rest.Records!.map((r) => Buffer.from(r.Data!).toString()), ['c']);
    const at = await client.send(new GetRecordsCommand({ ShardIterator: await iterator({ StreamName: 'mem', ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: put.Records![0].SequenceNumber }, client) }));
    assert.deepEqual(at.Records!.map((r) => Buffer.from(r.Data!).toString()), ['b', 'c']);
  } finally {
    await node.stop();
  }
});

test('boto3 round trip: put_record, get_shard_iterator, get_records', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) {
    t.skip('python3 with boto3 is not installed');
    return;
  }
  await createStream('boto', 1);
  const dir = mkdtempSync(join(tmpdir(), 'millrace-boto-'));
  const script = join(dir, 'roundtrip.py');
  writeFileSync(
    script,
    `import boto3, sys, json
k = boto3.client('kinesis', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret')
put = k.put_record(StreamName='boto', Data=b'hello boto', PartitionKey='p')
it = k.get_shard_iterator(StreamName='boto', ShardId=put['ShardId'], ShardIteratorType='AT_SEQUENCE_NUMBER', StartingSequenceNumber=put['SequenceNumber'])['ShardIterator']
got = k.get_records(ShardIterator=it, Limit=10)
r = got['Records'][0]
print(json.dumps({'seq': put['SequenceNumber'], 'got': r['SequenceNumber'], 'data': r['Data'].decode(), 'ts': r['ApproximateArrivalTimestamp'].timestamp(), 'behind': got['MillisBehindLatest'], 'next': 'NextShardIterator' in got}))
`,
  );
  try {
    // Asynchronously: the server answering boto3 runs in this process.
    const result = await promisify(execFile)('python3', [script, server.endpoint], { encoding: 'utf8', timeout: 20_000 });
    const out = JSON.parse(result.stdout);
    assert.equal(out.got, out.seq);
    assert.equal(out.data, 'hello boto');
    assert.equal(out.behind, 0);
    assert.equal(out.next, true);
    assert.ok(out.ts > 1.6e9);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('record hash keys: MD5 of the UTF-8 partition key, or the ExplicitHashKey (§4.1)', () => {
  for (const key of ['a', 'hello', 'ключ', '🐟'.repeat(60)]) assert.equal(BigInt('0x' + recordHashKey(key)), hashPartitionKey(key));
  assert.equal(recordHashKey('a', '42'), '0000000000000000000000000000002a');
  assert.equal(recordHashKey('a', '0'), '0'.repeat(32));
  assert.equal(recordHashKey('a', (2n ** 128n - 1n).toString()), 'f'.repeat(32));
  assert.equal(recordHashKey('a', (2n ** 128n).toString()).length, 33, 'beyond the hash key space');
});
