import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  StartStreamEncryptionCommand,
  UpdateShardCountCommand,
  UpdateStreamModeCommand,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { kinesisJson, sleep, startTestServer, type TestServer } from './helpers.js';
import { parseSequenceNumber } from '../src/kinesis/domain/sequence-number.js';
import { hashKeyOf, shardRouter, writesEndAt } from '../src/kinesis/domain/routing.js';
import type { StreamMeta } from '../src/kinesis/domain/stream.js';

/**
 * Behaviour kinesalite recorded against AWS (2015–2019) where Millrace answered differently, each
 * with AWS's exact `__type`, status and message; and the stream lifecycle lines logged at info.
 */

const ACCOUNT = '000000000000';
const SCOPE = { account: ACCOUNT, region: 'us-east-1' };
const hex = (digits: string) => BigInt('0x' + digits).toString();

/** Every line the server logs, parsed. */
const lines: Record<string, any>[] = [];
const capture = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
    done();
  },
});

let server: TestServer;
let kinesis: KinesisClient;
before(async () => {
  // Short CREATING and DELETING phases so that a test can act on them; low on-demand thresholds so that a shard can get hot.
  server = await startTestServer(
    { createStreamMs: 300, deleteStreamMs: 300, onDemandScaleRecords: 40, onDemandScaleBytes: 1 << 30, onDemandScaleSeconds: 1 },
    pino({ level: 'info' }, capture),
  );
  kinesis = server.client();
});
after(async () => {
  await server.stop();
});

async function status(name: string): Promise<string | undefined> {
  const raw = await kinesisJson(server.endpoint, 'DescribeStreamSummary', { StreamName: name });
  return raw.json?.StreamDescriptionSummary?.StreamStatus;
}

async function createActive(name: string, shards?: number, mode: 'PROVISIONED' | 'ON_DEMAND' = 'PROVISIONED'): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards, StreamModeDetails: { StreamMode: mode } }));
  while ((await status(name)) !== 'ACTIVE') await sleep(50);
}

const meta = async (name: string) => (await server.kinesis.streams.find(SCOPE, name))!;

/** A hand-built call (exact status and `__type`), then its error. */
async function awsError(operation: string, body: Record<string, unknown>, statusCode: number, type: string, message?: string): Promise<void> {
  const raw = await kinesisJson(server.endpoint, operation, body);
  assert.equal(raw.status, statusCode, JSON.stringify(raw.json));
  assert.equal(raw.json.__type, type);
  if (message === undefined) assert.deepEqual(raw.json, { __type: type });
  else assert.equal(raw.json.message, message);
}

test('GetShardIterator with old and odd sequence numbers answers as AWS did (kinesalite getShardIterator tests)', async () => {
  await createActive('gsi-old', 1);
  const gsi = (StartingSequenceNumber: string) => ({
    StreamName: 'gsi-old',
    ShardId: 'shardId-000000000000',
    ShardIteratorType: 'AT_SEQUENCE_NUMBER',
    StartingSequenceNumber,
  });
  const invalid = (seq: string) => `StartingSequenceNumber ${seq} used in GetShardIterator on shard shardId-000000000000 in stream gsi-old under account ${ACCOUNT} is invalid.`;
  // A version-0 number whose shard creation time is far in the future (0x3bb2cc3d8 s): invalid, not a server fault.
  const largeDate = hex('13bb2cc3d80000000000000000000000');
  assert.equal(largeDate, '26227199374822427428162556223570313216');
  await awsError('GetShardIterator', gsi(largeDate), 400, 'InvalidArgumentException', invalid(largeDate));
  // `0` reads as a version-0 number of shard 0: AWS failed on it.
  await awsError('GetShardIterator', gsi('0'), 500, 'InternalFailure');
  // `5` reads as a version-0 number of shard 5.
  await awsError(
    'GetShardIterator',
    gsi('5'),
    400,
    'InvalidArgumentException',
    'Invalid StartingSequenceNumber. It encodes shardId-000000000005, while it was used in a call to a shard with shardId-000000000000',
  );
  // A sequence index with its high bit set is no sequence number.
  const highIndex = hex('20000000000800000000000000000000000000000000002');
  await awsError('GetShardIterator', gsi(highIndex), 400, 'InvalidArgumentException', invalid(highIndex));
  // The shard index is 32-bit two's complement: AWS named the negative one.
  await awsError(
    'GetShardIterator',
    gsi(hex('20000000000000000000000000000000000000800000002')),
    400,
    'InvalidArgumentException',
    'Invalid StartingSequenceNumber. It encodes shardId--02147483648, while it was used in a call to a shard with shardId-000000000000',
  );
  // A version-1 number of the right shard is well-formed but not this shard's (inferred from kinesalite's model; unrecorded).
  const version1 = hex('20000000000000000000000000000000000000000000001');
  await awsError('GetShardIterator', gsi(version1), 400, 'InvalidArgumentException', invalid(version1).replace(/\.$/, ' because it did not come from this stream.'));
});

test('SequenceNumberForOrdering: the recorded invalid and valid numbers (kinesalite putRecord tests)', async () => {
  await createActive('ordering', 3);
  const put = (SequenceNumberForOrdering: string) => ({ StreamName: 'ordering', PartitionKey: 'a', Data: '', SequenceNumberForOrdering });
  for (const digits of [
    '20000000000000000000000000000000000000000000000', // version 0 in the versioned layout
    '20000000000000000000000000000000000000000000004', // version 4
    '20000000000000000000000000000000000000000000003', // version 3
    '30000000000000000000000000000000000000000000001', // initial 3
    '1ffffffffff7fffffffffffffff000000000007fffffff2', // initial 1
    '20000000000800000000000000000000000000000000002', // 8 in the sequence index
    '13bb2cc3d80000000000000000000000', // version 0 with a large date
    '2ffffffffff7fffffffffffffff000000000007fffffff2', // all f: shard creation time far in the future
  ]) {
    const seq = hex(digits);
    await awsError('PutRecord', put(seq), 400, 'InvalidArgumentException', `ExclusiveMinimumSequenceNumber ${seq} used in PutRecord on stream ordering under account ${ACCOUNT} is invalid.`);
  }
  for (const digits of [
    '20000000000000000000000000000000000000000000002', // all 0
    '20000000000000000000000000000000000000000000001', // all 0, version 1
    '20000000000000000000000000000000000000800000002', // 8 near the end: a negative shard index is fine here
  ]) {
    const raw = await kinesisJson(server.endpoint, 'PutRecord', put(hex(digits)));
    assert.equal(raw.status, 200, JSON.stringify(raw.json));
    assert.equal(raw.json.ShardId, 'shardId-000000000000');
    assert.match(raw.json.SequenceNumber, /^\d{56}$/);
  }
});

test('tag operations look the stream up before checking the tags (kinesalite add/removeTagsFromStream tests)', async () => {
  const missing = `Stream no-such-stream under account ${ACCOUNT} not found.`;
  await awsError('AddTagsToStream', { StreamName: 'no-such-stream', Tags: { 'a;b': 'c' } }, 400, 'ResourceNotFoundException', missing);
  await awsError('AddTagsToStream', { StreamName: 'no-such-stream', Tags: { a: '%' } }, 400, 'ResourceNotFoundException', missing);
  await awsError('RemoveTagsFromStream', { StreamName: 'no-such-stream', TagKeys: [';'] }, 400, 'ResourceNotFoundException', missing);
  // On a stream that exists, the characters are checked as before.
  await createActive('tagged', 1);
  await awsError(
    'RemoveTagsFromStream',
    { StreamName: 'tagged', TagKeys: ['abc;def'] },
    400,
    'InvalidArgumentException',
    'Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @.',
  );
  const removed = await kinesisJson(server.endpoint, 'RemoveTagsFromStream', { StreamName: 'tagged', TagKeys: ['ü0 _.', '/=+-@'] });
  assert.equal(removed.status, 200);
});

test('DeleteStream while CREATING succeeds: DELETING with no shards, then gone (kinesalite deleteStream test)', async () => {
  await kinesis.send(new CreateStreamCommand({ StreamName: 'short-lived', ShardCount: 1 }));
  assert.equal(await status('short-lived'), 'CREATING');
  await kinesis.send(new DeleteStreamCommand({ StreamName: 'short-lived' }));
  const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: 'short-lived' }));
  assert.equal(StreamDescription!.StreamStatus, 'DELETING');
  assert.deepEqual(StreamDescription!.Shards, []);
  assert.equal(StreamDescription!.HasMoreShards, false);
  assert.equal(StreamDescription!.RetentionPeriodHours, 24);
  assert.equal(StreamDescription!.EncryptionType, 'NONE');
  assert.deepEqual(StreamDescription!.EnhancedMonitoring, [{ ShardLevelMetrics: [] }]);
  while ((await status('short-lived')) !== undefined) await sleep(50);
  await awsError('DescribeStream', { StreamName: 'short-lived' }, 400, 'ResourceNotFoundException', `Stream short-lived under account ${ACCOUNT} not found.`);
});

/** Every record of every shard, by shard index, read from the trim horizon to the end of what is there. */
async function allRecords(stream: StreamMeta): Promise<Map<number, _Record[]>> {
  const out = new Map<number, _Record[]>();
  for (const shard of stream.shards) {
    const records: _Record[] = [];
    let { ShardIterator } = await kinesis.send(
      new GetShardIteratorCommand({ StreamName: stream.name, ShardId: `shardId-${String(shard.index).padStart(12, '0')}`, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    for (;;) {
      const read = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
      records.push(...read.Records!);
      if (!read.NextShardIterator || read.Records!.length === 0) break;
      ShardIterator = read.NextShardIterator;
    }
    out.set(shard.index, records);
  }
  return out;
}

/**
 * No record arrives in a shard before its creation, nor in a closed shard after its children's
 * creation; a closed shard's records all precede its EndingSequenceNumber and arrived no later than
 * its close second (recorded: "Kinesis will continue to put records in the closed shard until the
 * time has clocked over to the new shard's create time").
 */
async function assertArrivalsWithinShardLifetimes(name: string): Promise<number> {
  const stream = await meta(name);
  const records = await allRecords(stream);
  let count = 0;
  for (const shard of stream.shards) {
    const end = writesEndAt(stream, shard);
    for (const record of records.get(shard.index)!) {
      count++;
      const arrival = record.ApproximateArrivalTimestamp!.getTime();
      assert.ok(arrival >= shard.createdAt, `shard ${shard.index}: a record arrived at ${arrival}, before the shard's creation at ${shard.createdAt}`);
      assert.equal(parseSequenceNumber(record.SequenceNumber!)!.shardCreatedSec, Math.floor(shard.createdAt / 1000));
      if (end !== undefined) {
        assert.ok(arrival < end, `closed shard ${shard.index}: a record arrived at ${arrival}, after its children's creation at ${end}`);
        assert.ok(parseSequenceNumber(record.SequenceNumber!)!.arrivalSec <= Math.floor(shard.closedAt! / 1000));
      }
    }
  }
  return count;
}

/** Writes to each key until every one of them has landed in a shard created by the latest reshard. */
async function writeUntilChildrenTakeOver(name: string, keys: bigint[], children: (stream: StreamMeta) => number[]): Promise<string[][]> {
  const wanted = new Set(children(await meta(name)));
  const shardsHit: string[][] = [];
  for (let attempt = 0; attempt < 200; attempt++) {
    const { Records } = await kinesis.send(
      new PutRecordsCommand({ StreamName: name, Records: keys.map((key) => ({ PartitionKey: 'k', ExplicitHashKey: key.toString(), Data: Buffer.from('x') })) }),
    );
    const ids = Records!.map((r) => r.ShardId!);
    shardsHit.push(ids);
    if (ids.every((id) => wanted.has(Number(id.slice('shardId-'.length))))) return shardsHit;
    await sleep(20);
  }
  throw new Error('the children never took the writes');
}

test('after MergeShards, SplitShard and UpdateShardCount records go to the parents until the children exist (kinesalite mergeShards test)', async () => {
  const third = (1n << 128n) / 3n;
  const keys = [0n, third + 10n, 2n * third + 10n];
  await createActive('merging', 3);
  await kinesis.send(new MergeShardsCommand({ StreamName: 'merging', ShardToMerge: 'shardId-000000000000', AdjacentShardToMerge: 'shardId-000000000001' }));
  const merged = await meta('merging');
  const child = merged.shards[3];
  const [parent0, parent1] = merged.shards;
  // The two parents close together; the child is created at the start of the next second.
  assert.equal(parent0.closedAt, parent1.closedAt);
  assert.equal(child.createdAt, Math.floor(parent0.closedAt! / 1000) * 1000 + 1000);
  const route = (at: number) => shardRouter(merged, at)(hashKeyOf(keys[1]))!.index;
  assert.equal(route(child.createdAt - 1), 1);
  assert.equal(route(child.createdAt), 3);
  const hits = await writeUntilChildrenTakeOver('merging', keys.slice(0, 2), () => [3]);
  // Writes after the merge in the parents' close second went to the parents.
  for (const ids of hits.slice(0, -1)) assert.ok(ids.every((id) => id === 'shardId-000000000000' || id === 'shardId-000000000001'), ids.join());
  assert.ok((await assertArrivalsWithinShardLifetimes('merging')) >= 2);
  // The parents end, with their child, once it exists (§4.7).
  const end = await kinesis.send(
    new GetRecordsCommand({
      ShardIterator: (await kinesis.send(new GetShardIteratorCommand({ StreamName: 'merging', ShardId: 'shardId-000000000001', ShardIteratorType: 'LATEST' }))).ShardIterator,
    }),
  );
  assert.equal(end.NextShardIterator, undefined);
  assert.deepEqual(end.ChildShards?.map((c) => c.ShardId), ['shardId-000000000003']);

  await createActive('splitting', 1);
  await kinesis.send(new SplitShardCommand({ StreamName: 'splitting', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (1n << 127n).toString() }));
  await writeUntilChildrenTakeOver('splitting', [5n, (1n << 127n) + 5n], () => [1, 2]);
  assert.ok((await assertArrivalsWithinShardLifetimes('splitting')) >= 2);

  // 2 → 3 takes splits and merges with short-lived shards in between: each takes writes for its second.
  await createActive('rescaling', 2);
  await kinesis.send(new UpdateShardCountCommand({ StreamName: 'rescaling', TargetShardCount: 3, ScalingType: 'UNIFORM_SCALING' }));
  const spread = Array.from({ length: 12 }, (_, i) => ((1n << 128n) / 12n) * BigInt(i) + 7n);
  await writeUntilChildrenTakeOver('rescaling', spread, (stream) => stream.shards.filter((s) => s.closedAt === undefined).map((s) => s.index));
  assert.ok((await assertArrivalsWithinShardLifetimes('rescaling')) >= spread.length);
});

test('stream lifecycle events are logged at info, one structured line each; requests are not', async () => {
  const events = (event: string, stream: string) => lines.filter((line) => line.event === `stream ${event}` && line.stream === stream);
  const one = (event: string, stream: string) => {
    const found = events(event, stream);
    assert.equal(found.length, 1, `one "${event}" line for ${stream}: ${JSON.stringify(found)}`);
    assert.equal(found[0].level, 30);
    assert.equal(found[0].account, ACCOUNT);
    assert.equal(found[0].region, 'us-east-1');
    assert.equal(found[0].msg, `stream ${event}`);
    return found[0];
  };
  await createActive('logged', 2);
  assert.equal(one('created', 'logged').shards, 2);
  assert.equal(one('created', 'logged').mode, 'PROVISIONED');
  const before = lines.length;
  for (let i = 0; i < 5; i++) await kinesis.send(new PutRecordCommand({ StreamName: 'logged', PartitionKey: `k${i}`, Data: Buffer.from('x') }));
  await allRecords(await meta('logged'));
  assert.deepEqual(lines.slice(before), [], 'no line per request at info');

  await kinesis.send(new SplitShardCommand({ StreamName: 'logged', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '5' }));
  await kinesis.send(new MergeShardsCommand({ StreamName: 'logged', ShardToMerge: 'shardId-000000000002', AdjacentShardToMerge: 'shardId-000000000003' }));
  await kinesis.send(new UpdateShardCountCommand({ StreamName: 'logged', TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
  assert.deepEqual(
    events('resharded', 'logged').map(({ operation, from, to }) => ({ operation, from, to })),
    [
      { operation: 'SplitShard', from: 2, to: 3 },
      { operation: 'MergeShards', from: 3, to: 2 },
      { operation: 'UpdateShardCount', from: 2, to: 4 },
    ],
  );
  await kinesis.send(new StartStreamEncryptionCommand({ StreamName: 'logged', EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' }));
  assert.deepEqual((({ from, to, keyId }) => ({ from, to, keyId }))(one('encryption changed', 'logged')), { from: 'NONE', to: 'KMS', keyId: 'alias/aws/kinesis' });
  await kinesis.send(new UpdateStreamModeCommand({ StreamARN: (await meta('logged')).arn, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
  assert.deepEqual((({ from, to }) => ({ from, to }))(one('mode changed', 'logged')), { from: 'PROVISIONED', to: 'ON_DEMAND' });
  await kinesis.send(new DeleteStreamCommand({ StreamName: 'logged' }));
  assert.deepEqual((({ from, to }) => ({ from, to }))(one('deleted', 'logged')), { from: 'ACTIVE', to: 'DELETING' });

  // On-demand scaling, by the background sweep: this server's threshold is 40 records/s per shard.
  await createActive('hot', undefined, 'ON_DEMAND');
  for (let waited = 0; events('scaled', 'hot').length === 0 && waited < 15_000; waited += 100) {
    await kinesis.send(new PutRecordsCommand({ StreamName: 'hot', Records: Array.from({ length: 100 }, () => ({ PartitionKey: 'same', Data: Buffer.from('x') })) }));
    await sleep(100);
  }
  const scaled = events('scaled', 'hot')[0];
  assert.ok(scaled, 'the hot stream scaled');
  assert.equal(scaled.from, 4);
  assert.equal(scaled.to, 5);
  // Every info line is a lifecycle event.
  for (const line of lines.filter((l) => l.level === 30)) assert.match(line.event, /^stream /, JSON.stringify(line));
});
