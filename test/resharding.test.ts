import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  MergeShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  SplitShardCommand,
  UpdateShardCountCommand,
  UpdateStreamModeCommand,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { sleep, startTestServer, type TestServer } from './helpers.js';
import { MAX_HASH_KEY, uniformRanges } from '../src/kinesis/domain/hash-key.js';
import { applySteps, uniformScalingPlan } from '../src/kinesis/domain/resharding.js';
import { parseSequenceNumber } from '../src/kinesis/domain/sequence-number.js';
import { openShards, shardLogName, type StreamMeta } from '../src/kinesis/domain/stream.js';
import { appendRecords } from '../src/kinesis/domain/records.js';
import { hashKeyOf } from '../src/kinesis/domain/routing.js';
import { SealedLogError } from '../src/store/store.js';

const ACCOUNT = '000000000000';
const MAX = MAX_HASH_KEY.toString();

/** Main server: no UPDATING delay; low on-demand thresholds so that a test can make a shard hot. */
let server: TestServer;
let client: KinesisClient;
/** UPDATING lasts a while and the account shard limit is small. */
let slow: TestServer;
let slowClient: KinesisClient;

before(async () => {
  server = await startTestServer({ shardLimit: 20_000, onDemandScaleRecords: 40, onDemandScaleBytes: 1 << 30, onDemandScaleSeconds: 1 });
  client = server.client();
  slow = await startTestServer({ updateStreamMs: 800, shardLimit: 5 });
  slowClient = slow.client({ http1: true });
});
after(async () => {
  await server.stop();
  await slow.stop();
});

async function rejects(promise: Promise<unknown>, name: string, message: string): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, name);
    assert.equal(err.message, message);
    return true;
  });
}

async function listShards(c: KinesisClient, StreamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let NextToken: string | undefined;
  do {
    const page = await c.send(NextToken ? new ListShardsCommand({ NextToken }) : new ListShardsCommand({ StreamName }));
    shards.push(...(page.Shards ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  return shards;
}

async function describe(c: KinesisClient, StreamName: string) {
  const { StreamDescription } = await c.send(new DescribeStreamCommand({ StreamName }));
  return StreamDescription!;
}

/** [id, parent, adjacent parent, start, end, closed] — and ListShards must agree with DescribeStream. */
async function layout(c: KinesisClient, name: string) {
  const described = (await describe(c, name)).Shards!;
  assert.deepEqual(await listShards(c, name), described);
  return described.map((s) => [
    s.ShardId,
    s.ParentShardId,
    s.AdjacentParentShardId,
    s.HashKeyRange!.StartingHashKey,
    s.HashKeyRange!.EndingHashKey,
    s.SequenceNumberRange!.EndingSequenceNumber !== undefined,
  ]);
}

const openRanges = (shards: Shard[]) =>
  shards
    .filter((s) => !s.SequenceNumberRange!.EndingSequenceNumber)
    .map((s) => [s.HashKeyRange!.StartingHashKey, s.HashKeyRange!.EndingHashKey])
    .sort((a, b) => (BigInt(a[0]!) < BigInt(b[0]!) ? -1 : 1));

const uniform = (n: number) => uniformRanges(n).map((r) => [r.start.toString(), r.end.toString()]);

/** §4.2's partition for n, up to the rounding the scaling plan keeps (boundaries within n keys). */
function assertNearlyUniform(ranges: (string | undefined)[][], n: number, message?: string): void {
  assert.equal(ranges.length, n, message);
  const want = uniformRanges(n);
  ranges.forEach(([start, end], i) => {
    const distance = BigInt(start!) - want[i].start;
    assert.ok(distance <= BigInt(n) && distance >= -BigInt(n), message);
    if (i > 0) assert.equal(BigInt(start!), BigInt(ranges[i - 1][1]!) + 1n, message);
    if (i === n - 1) assert.equal(end, MAX, message);
  });
  assert.equal(ranges[0][0], '0', message);
}

/** Children begin one second after their parents close; the numbers keep the 56-digit layout (§4.4, §5.2). */
function assertSequenceRanges(shards: Shard[]): void {
  const byId = new Map(shards.map((s) => [s.ShardId!, s]));
  for (const shard of shards) {
    const { StartingSequenceNumber, EndingSequenceNumber } = shard.SequenceNumberRange!;
    assert.match(StartingSequenceNumber!, /^\d{56}$/);
    const start = parseSequenceNumber(StartingSequenceNumber!)!;
    assert.equal(start.sequenceIndex, 0n);
    if (EndingSequenceNumber) {
      assert.match(EndingSequenceNumber, /^\d{56}$/);
      assert.equal(parseSequenceNumber(EndingSequenceNumber)!.sequenceIndex, 0x7fffffffffffffffn);
      assert.ok(BigInt(EndingSequenceNumber) > BigInt(StartingSequenceNumber!));
    }
    const parents = [shard.ParentShardId, shard.AdjacentParentShardId].flatMap((id) => (id && byId.get(id)) || []);
    if (parents.length === 0) continue;
    const closedSec = Math.max(...parents.map((p) => parseSequenceNumber(p.SequenceNumberRange!.EndingSequenceNumber!)!.arrivalSec));
    assert.equal(start.shardCreatedSec, closedSec + 1, `${shard.ShardId} created a second after its parents closed`);
  }
}

test('SplitShard closes the parent and adds two children with the next ids (§3.11, §5.2)', async () => {
  const name = 'split-one';
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  // The lowest key accepted for a shard starting at 0 is 2 (§3.11).
  await client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '2' }));
  assert.equal((await describe(client, name)).StreamStatus, 'ACTIVE');
  assert.deepEqual(await layout(client, name), [
    ['shardId-000000000000', undefined, undefined, '0', MAX, true],
    ['shardId-000000000001', 'shardId-000000000000', undefined, '0', '1', false],
    ['shardId-000000000002', 'shardId-000000000000', undefined, '2', MAX, false],
  ]);
  assertSequenceRanges((await describe(client, name)).Shards!);

  // ListShards filters over a closed parent (§3.6): only the children are open now; at the trim
  // horizon only the parent existed.
  const filtered = async (Type: 'AT_LATEST' | 'AT_TRIM_HORIZON' | 'FROM_TRIM_HORIZON') =>
    (await client.send(new ListShardsCommand({ StreamName: name, ShardFilter: { Type } }))).Shards!.map((s) => s.ShardId);
  assert.deepEqual(await filtered('AT_LATEST'), ['shardId-000000000001', 'shardId-000000000002']);
  assert.deepEqual(await filtered('AT_TRIM_HORIZON'), ['shardId-000000000000']);
  assert.deepEqual(await filtered('FROM_TRIM_HORIZON'), ['shardId-000000000000', 'shardId-000000000001', 'shardId-000000000002']);

  // Once the children exist, the first write to one seals the parent's log (§5.2). A writer still
  // holding the pre-split shard list has its append refused and the record routed again, to the
  // child that now holds its hash key.
  const scope = { account: ACCOUNT, region: 'us-east-1' };
  const after = (await server.kinesis.streams.find(scope, name))!;
  await sleep(Math.max(0, after.shards[2].createdAt - Date.now()));
  const first = await client.send(new PutRecordCommand({ StreamName: name, PartitionKey: 'p', Data: Buffer.from('x'), ExplicitHashKey: MAX }));
  assert.equal(first.ShardId, 'shardId-000000000002');
  const stale: StreamMeta = { ...after, shards: [{ ...after.shards[0], closedAt: undefined }], nextShardIndex: 1 };
  await assert.rejects(server.kinesis.store.records.append(shardLogName(after, after.shards[0]), [{ partitionKey: 'p', data: Buffer.from('x') }]), SealedLogError);
  const [outcome] = await appendRecords(server.kinesis, stale, [{ partitionKey: 'late', data: Buffer.from('late'), hashKey: hashKeyOf(5n) }]);
  assert.equal(outcome.shard.index, 2);
  assert.equal((await server.kinesis.store.records.tip(shardLogName(after, after.shards[0]))), 0);

  // Lenient ids name shards too (§2.2); the lower shard is ShardToMerge.
  await client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: 'shard-1', AdjacentShardToMerge: '2' }));
  assert.deepEqual((await layout(client, name)).slice(1), [
    ['shardId-000000000001', 'shardId-000000000000', undefined, '0', '1', true],
    ['shardId-000000000002', 'shardId-000000000000', undefined, '2', MAX, true],
    ['shardId-000000000003', 'shardId-000000000001', 'shardId-000000000002', '0', MAX, false],
  ]);
  assertSequenceRanges((await describe(client, name)).Shards!);
});

test('UpdateShardCount doubles by splitting at midpoints and halves by merging pairs (§3.13)', async () => {
  const name = 'scale-updown';
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  const up = await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
  assert.deepEqual(
    { StreamName: up.StreamName, StreamARN: up.StreamARN, CurrentShardCount: up.CurrentShardCount, TargetShardCount: up.TargetShardCount },
    { StreamName: name, StreamARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${name}`, CurrentShardCount: 2, TargetShardCount: 4 },
  );
  const [q1, q2, q3, q4] = uniform(4);
  assert.deepEqual(await layout(client, name), [
    ['shardId-000000000000', undefined, undefined, q1[0], q2[1], true],
    ['shardId-000000000001', undefined, undefined, q3[0], q4[1], true],
    ['shardId-000000000002', 'shardId-000000000000', undefined, ...q1, false],
    ['shardId-000000000003', 'shardId-000000000000', undefined, ...q2, false],
    ['shardId-000000000004', 'shardId-000000000001', undefined, ...q3, false],
    ['shardId-000000000005', 'shardId-000000000001', undefined, ...q4, false],
  ]);

  const down = await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }));
  assert.equal(down.CurrentShardCount, 4);
  assert.equal(down.TargetShardCount, 2);
  const shards = (await describe(client, name)).Shards!;
  assert.deepEqual((await layout(client, name)).slice(6), [
    ['shardId-000000000006', 'shardId-000000000002', 'shardId-000000000003', q1[0], q2[1], false],
    ['shardId-000000000007', 'shardId-000000000004', 'shardId-000000000005', q3[0], q4[1], false],
  ]);
  assert.deepEqual(openRanges(shards), uniform(2));
  assertSequenceRanges(shards);

  // Uneven targets end with exactly CreateStream's partition; short-lived shards close at once.
  for (const target of [3, 5, 4, 2]) {
    await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: target, ScalingType: 'UNIFORM_SCALING' }));
    const after = (await describe(client, name)).Shards!;
    assertNearlyUniform(openRanges(after), target, `open shards after scaling to ${target}`);
    assertSequenceRanges(after);
    for (const shard of after.filter((s) => s.SequenceNumberRange!.EndingSequenceNumber)) {
      assert.ok(
        after.some((s) => s.ParentShardId === shard.ShardId || s.AdjacentParentShardId === shard.ShardId),
        `closed ${shard.ShardId} has children`,
      );
    }
  }
  // The same count again is accepted and changes nothing.
  const same = await client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' }));
  assert.equal(same.CurrentShardCount, 2);
  assert.equal((await describe(client, name)).Shards!.length, (await listShards(client, name)).length);
});

test('uniform scaling plans: every child has one or two parents and the result is the §4.2 partition', () => {
  const base = (count: number): StreamMeta =>
    ({
      shards: uniformRanges(count).map((r, index) => ({ index, startingHashKey: r.start.toString(), endingHashKey: r.end.toString(), createdAt: 0 })),
      nextShardIndex: count,
    }) as unknown as StreamMeta;
  for (let from = 1; from <= 12; from++) {
    for (let to = Math.ceil(from / 2); to <= from * 2; to++) {
      const plan = uniformScalingPlan(base(from), to);
      const { stream } = applySteps(base(from), plan, 1_000_000);
      const open = openShards(stream).map((s) => [s.startingHashKey, s.endingHashKey]);
      open.sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1));
      assertNearlyUniform(open, to, `${from} → ${to}`);
      // Powers of two divide 2^128: those partitions are exact.
      if (Number.isInteger(Math.log2(from)) && Number.isInteger(Math.log2(to))) assert.deepEqual(open, uniform(to), `${from} → ${to}`);
      if (to === from) assert.equal(plan.length, 0);
      if (to === from * 2) assert.deepEqual(plan.map((s) => s.op), Array(from).fill('split'), `${from} → ${to}`);
      if (to * 2 === from) assert.deepEqual(plan.map((s) => s.op), Array(to).fill('merge'), `${from} → ${to}`);
      for (const shard of stream.shards.slice(from)) {
        const parents = [shard.parent, shard.adjacentParent].filter((p) => p !== undefined);
        assert.ok(parents.length >= 1 && parents.length <= 2);
      }
    }
  }
});

test('SplitShard and MergeShards errors: exact types and texts, in AWS order (§2.2, §3.11, §3.12, §5.3)', async () => {
  const name = 'reshard-errors';
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 3 }));
  const split = (ShardToSplit: string, NewStartingHashKey: string, StreamName = name) =>
    client.send(new SplitShardCommand({ StreamName, ShardToSplit, NewStartingHashKey }));
  const merge = (ShardToMerge: string, AdjacentShardToMerge: string, StreamName = name) =>
    client.send(new MergeShardsCommand({ StreamName, ShardToMerge, AdjacentShardToMerge }));

  // An unparsable id fails before the stream is looked up, and is quoted as given.
  await rejects(split('ABKLFD8', '5', 'no-such-stream'), 'ResourceNotFoundException', `Could not find shard ABKLFD8 in stream no-such-stream under account ${ACCOUNT}.`);
  await rejects(merge('0', '2147483648', 'no-such-stream'), 'ResourceNotFoundException', `Could not find shard 2147483648 in stream no-such-stream under account ${ACCOUNT}.`);
  await rejects(split('0', '5', 'no-such-stream'), 'ResourceNotFoundException', `Stream no-such-stream under account ${ACCOUNT} not found.`);
  await rejects(split('shardId-5', '5'), 'ResourceNotFoundException', `Could not find shard shardId-000000000005 in stream ${name} under account ${ACCOUNT}.`);
  await rejects(merge('0', '7'), 'ResourceNotFoundException', `Could not find shard shardId-000000000007 in stream ${name} under account ${ACCOUNT}.`);

  const [first] = uniformRanges(3);
  const hashKeyText = (k: string) =>
    `NewStartingHashKey ${k} used in SplitShard() on shard shardId-000000000000 in stream ${name} under account ${ACCOUNT} ` +
    `is not both greater than one plus the shard's StartingHashKey 0 and less than the shard's EndingHashKey ${first.end}.`;
  await rejects(split('0', '1'), 'InvalidArgumentException', hashKeyText('1'));
  await rejects(split('0', first.end.toString()), 'InvalidArgumentException', hashKeyText(first.end.toString()));
  await rejects(split('0', MAX), 'InvalidArgumentException', hashKeyText(MAX));

  const notAdjacent = (a: number, b: number) =>
    `Shards shardId-00000000000${a} and shardId-00000000000${b} in stream ${name} under account ${ACCOUNT} are not an adjacent pair of shards eligible for merging`;
  await rejects(merge('0', '2'), 'InvalidArgumentException', notAdjacent(0, 2));
  await rejects(merge('1', '0'), 'InvalidArgumentException', notAdjacent(1, 0));

  await merge('0', '1');
  const closed = (id: string) =>
    `Shard ${id} in stream ${name} under account ${ACCOUNT} has already been merged or split, and thus is not eligible for merging or splitting.`;
  await rejects(split('0', '5'), 'InvalidArgumentException', closed('shardId-000000000000'));
  await rejects(merge('1', '2'), 'InvalidArgumentException', closed('shardId-000000000001'));

  await client.send(new CreateStreamCommand({ StreamName: 'reshard-on-demand', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
  const onDemand = `Request is invalid. Stream reshard-on-demand under account ${ACCOUNT} is in On-Demand mode.`;
  await rejects(split('0', '5', 'reshard-on-demand'), 'ValidationException', onDemand);
  await rejects(merge('0', '1', 'reshard-on-demand'), 'ValidationException', onDemand);
  await rejects(
    client.send(new UpdateShardCountCommand({ StreamName: 'reshard-on-demand', TargetShardCount: 8, ScalingType: 'UNIFORM_SCALING' })),
    'ValidationException',
    onDemand,
  );
});

test('UpdateShardCount limits (§3.13)', async () => {
  const scale = (StreamName: string, TargetShardCount: number) =>
    client.send(new UpdateShardCountCommand({ StreamName, TargetShardCount, ScalingType: 'UNIFORM_SCALING' }));
  await client.send(new CreateStreamCommand({ StreamName: 'limits-6', ShardCount: 6 }));
  await rejects(scale('limits-6', 13), 'LimitExceededException', 'UpdateShardCount cannot scale up over double your current open shard count. Current open shard count: 6, Target shard count: 13');
  await rejects(scale('limits-6', 2), 'LimitExceededException', 'UpdateShardCount cannot scale down below half your current open shard count. Current open shard count: 6, Target shard count: 2');
  await rejects(scale('nope', 2), 'ResourceNotFoundException', `Stream nope under account ${ACCOUNT} not found.`);
  await scale('limits-6', 3); // half is allowed

  await client.send(new CreateStreamCommand({ StreamName: 'limits-big', ShardCount: 5001 }));
  await rejects(
    scale('limits-big', 10_001),
    'LimitExceededException',
    'Target shard count or number of open shards cannot be greater than 10000. Current open shard count: 5001, Target shard count: 10001',
  );
  await client.send(new DeleteStreamCommand({ StreamName: 'limits-big' }));

  // Ten scalings per rolling 24 hours; the eleventh is refused.
  await client.send(new CreateStreamCommand({ StreamName: 'limits-often', ShardCount: 1 }));
  for (let i = 0; i < 10; i++) await scale('limits-often', i % 2 === 0 ? 2 : 1);
  await rejects(
    scale('limits-often', 2),
    'LimitExceededException',
    `UpdateShardCount cannot scale stream limits-often under account ${ACCOUNT} more than 10 times in a rolling 24-hour period.`,
  );
});

test('the stream is UPDATING for the configured time, then the change applies; account shard limit', async () => {
  const name = 'slow-split';
  await slowClient.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  await slowClient.send(new SplitShardCommand({ StreamName: name, ShardToSplit: 'shardId-000000000000', NewStartingHashKey: '1000' }));
  let described = await describe(slowClient, name);
  assert.equal(described.StreamStatus, 'UPDATING');
  assert.equal(described.Shards!.length, 2, 'children are not visible while UPDATING (§5.2)');
  const notActive = `Stream ${name} under account ${ACCOUNT} not ACTIVE, instead in state UPDATING`;
  await rejects(slowClient.send(new SplitShardCommand({ StreamName: name, ShardToSplit: '1', NewStartingHashKey: MAX })), 'ResourceInUseException', notActive);
  await rejects(slowClient.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: '0', AdjacentShardToMerge: '1' })), 'ResourceInUseException', notActive);
  await rejects(
    slowClient.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 3, ScalingType: 'UNIFORM_SCALING' })),
    'ResourceInUseException',
    notActive,
  );
  await rejects(
    slowClient.send(new UpdateStreamModeCommand({ StreamARN: described.StreamARN, StreamModeDetails: { StreamMode: 'ON_DEMAND' } })),
    'ResourceInUseException',
    notActive,
  );
  while (described.StreamStatus === 'UPDATING') {
    await sleep(100);
    described = await describe(slowClient, name);
  }
  assert.deepEqual(
    described.Shards!.map((s) => [s.ShardId, s.HashKeyRange!.StartingHashKey]),
    [
      ['shardId-000000000000', '0'],
      ['shardId-000000000001', uniformRanges(2)[1].start.toString()],
      ['shardId-000000000002', '0'],
      ['shardId-000000000003', '1000'],
    ],
  );

  // Three open shards of a limit of five: +3 is refused, with the text CreateStream uses.
  const limitText = (additional: number) =>
    `This request would exceed the shard limit for the account ${ACCOUNT} in us-east-1. Current shard count for the account: 3. Limit: 5. ` +
    `Number of additional shards that would have resulted from this request: ${additional}. Refer to the AWS Service Limits page ` +
    '(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.';
  await rejects(
    slowClient.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 6, ScalingType: 'UNIFORM_SCALING' })),
    'LimitExceededException',
    limitText(3),
  );
  await slowClient.send(new CreateStreamCommand({ StreamName: 'slow-two', ShardCount: 2 }));
  await rejects(
    slowClient.send(new SplitShardCommand({ StreamName: 'slow-two', ShardToSplit: '0', NewStartingHashKey: '1000' })),
    'LimitExceededException',
    limitText(1).replace('account: 3.', 'account: 5.'),
  );
  // Give the small account limit back to the tests that follow.
  await slowClient.send(new DeleteStreamCommand({ StreamName: 'slow-two' }));
  await slowClient.send(new DeleteStreamCommand({ StreamName: name }));
});

test('UpdateStreamMode switches both ways through UPDATING and keeps the shards (§3.23)', async () => {
  const name = 'mode-switch';
  await slowClient.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  const arn = (await describe(slowClient, name)).StreamARN!;
  const summary = async () => (await slowClient.send(new DescribeStreamSummaryCommand({ StreamARN: arn }))).StreamDescriptionSummary!;
  const waitActive = async () => {
    let s = await summary();
    while (s.StreamStatus !== 'ACTIVE') {
      await sleep(100);
      s = await summary();
    }
    return s;
  };
  const before = await listShards(slowClient, name);

  // The mode it already has: accepted, nothing changes (our choice; AWS UNVERIFIED).
  await slowClient.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'PROVISIONED' } }));
  assert.equal((await summary()).StreamStatus, 'ACTIVE');

  await slowClient.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
  const updating = await summary();
  assert.equal(updating.StreamStatus, 'UPDATING');
  assert.equal(updating.StreamModeDetails?.StreamMode, 'PROVISIONED');
  assert.equal((await waitActive()).StreamModeDetails?.StreamMode, 'ON_DEMAND');
  assert.deepEqual(await listShards(slowClient, name), before);

  await rejects(
    slowClient.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'PROVISIONED' }, WarmThroughputMiBps: 10 })),
    'InvalidArgumentException',
    'WarmThroughputMiBps is not expected when StreamMode=PROVISIONED',
  );
  await slowClient.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'PROVISIONED' } }));
  assert.equal((await waitActive()).StreamModeDetails?.StreamMode, 'PROVISIONED');
  assert.deepEqual(await listShards(slowClient, name), before);

  // Two switches within 24 hours are the documented limit; asking for the current mode is not a switch.
  await slowClient.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'PROVISIONED' } }));
  await rejects(
    slowClient.send(new UpdateStreamModeCommand({ StreamARN: arn, StreamModeDetails: { StreamMode: 'ON_DEMAND' } })),
    'LimitExceededException',
    `UpdateStreamMode cannot switch the capacity mode of stream ${name} under account ${ACCOUNT} more than 2 times in a rolling 24-hour period.`,
  );
  assert.equal((await summary()).StreamModeDetails?.StreamMode, 'PROVISIONED');

  await rejects(
    slowClient.send(
      new UpdateStreamModeCommand({ StreamARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/mode-missing`, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }),
    ),
    'ResourceNotFoundException',
    `Stream mode-missing under account ${ACCOUNT} not found.`,
  );
});

// ---------------------------------------------------------------------------------------------
// Writers and a KCL-like reader through resharding.

interface Producer {
  sent: Map<string, number>;
  stop(): Promise<void>;
}

/**
 * Workers own disjoint keys and write each key's next counter only after the previous write of
 * that key was acknowledged, so every key has a defined order. PutRecords and PutRecord alternate.
 */
function produce(c: KinesisClient, StreamName: string, workers: number, keysPerWorker: number): Producer {
  const sent = new Map<string, number>();
  let stopping = false;
  const loops = Array.from({ length: workers }, async (_, w) => {
    const keys = Array.from({ length: keysPerWorker }, (_, k) => `key-${w}-${k}`);
    for (const key of keys) sent.set(key, 0);
    for (let round = 0; !stopping; round++) {
      if (round % 2 === 0) {
        const Records = keys.map((key) => ({ PartitionKey: key, Data: Buffer.from(`${key}:${sent.get(key)}`) }));
        const result = await c.send(new PutRecordsCommand({ StreamName, Records }));
        assert.equal(result.FailedRecordCount, 0);
        for (const key of keys) sent.set(key, sent.get(key)! + 1);
      } else {
        const key = keys[round % keys.length];
        await c.send(new PutRecordCommand({ StreamName, PartitionKey: key, Data: Buffer.from(`${key}:${sent.get(key)}`) }));
        sent.set(key, sent.get(key)! + 1);
      }
    }
  });
  return {
    sent,
    async stop() {
      stopping = true;
      await Promise.all(loops);
    },
  };
}

/**
 * Reads a stream as KCL does: lists shards, starts a shard only once its parents are finished, and
 * follows GetRecords until the null NextShardIterator with ChildShards (§4.7). Open shards are read
 * until `writesDone()` holds and a read comes back empty. Returns every key's counters in read order.
 */
async function consume(c: KinesisClient, StreamName: string, writesDone: () => boolean): Promise<Map<string, number[]>> {
  const received = new Map<string, number[]>();
  const started = new Set<string>();
  const finished = new Set<string>();
  const readers: Promise<void>[] = [];
  const read = async (shard: Shard) => {
    let iterator = (await c.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (;;) {
      const doneBefore = writesDone();
      const result = await c.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 500 }));
      for (const record of result.Records ?? []) {
        const [key, n] = Buffer.from(record.Data!).toString().split(':');
        assert.equal(record.PartitionKey, key);
        (received.get(key) ?? received.set(key, []).get(key)!).push(Number(n));
      }
      if (result.NextShardIterator === undefined) {
        // KCL's validity rule: a null iterator comes with children, and they are this shard's.
        assert.ok(result.ChildShards && result.ChildShards.length > 0, `${shard.ShardId} ended without ChildShards`);
        const listed = await listShards(c, StreamName);
        const expected = listed.filter((s) => s.ParentShardId === shard.ShardId || s.AdjacentParentShardId === shard.ShardId);
        assert.deepEqual(
          result.ChildShards.map((child) => [child.ShardId, child.ParentShards, child.HashKeyRange]),
          expected.map((s) => [s.ShardId, [s.ParentShardId, s.AdjacentParentShardId].filter(Boolean), s.HashKeyRange]),
        );
        finished.add(shard.ShardId!);
        return;
      }
      assert.ok(!result.ChildShards || result.ChildShards.length === 0, 'ChildShards only with a null iterator');
      iterator = result.NextShardIterator;
      if ((result.Records ?? []).length === 0) {
        if (doneBefore && shard.SequenceNumberRange!.EndingSequenceNumber === undefined && result.MillisBehindLatest === 0) {
          const now = (await listShards(c, StreamName)).find((s) => s.ShardId === shard.ShardId);
          if (now && now.SequenceNumberRange!.EndingSequenceNumber === undefined) {
            finished.add(shard.ShardId!);
            return;
          }
        }
        await sleep(30);
      }
    }
  };
  for (;;) {
    const doneBefore = writesDone();
    const shards = await listShards(c, StreamName);
    const listed = new Set(shards.map((s) => s.ShardId!));
    for (const shard of shards) {
      if (started.has(shard.ShardId!)) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter((p): p is string => p !== undefined && listed.has(p));
      if (!parents.every((p) => finished.has(p))) continue;
      started.add(shard.ShardId!);
      readers.push(read(shard));
    }
    if (doneBefore && shards.every((s) => finished.has(s.ShardId!))) break;
    // Surface a failed reader at once rather than waiting forever for its shard.
    await Promise.race([Promise.all(readers), sleep(100)]);
  }
  await Promise.all(readers);
  return received;
}

function assertExactlyOnceInOrder(sent: Map<string, number>, received: Map<string, number[]>): number {
  let total = 0;
  assert.deepEqual([...received.keys()].sort(), [...sent.keys()].sort());
  for (const [key, count] of sent) {
    assert.deepEqual(received.get(key), Array.from({ length: count }, (_, i) => i), `records of ${key}`);
    total += count;
  }
  return total;
}

/** Records written before each resharding step and after the last (7 waits: more than 200 in all). */
const WRITES_BETWEEN_STEPS = 30;

test('a producer writing through splits, merges and rescales loses nothing; a KCL-like reader gets every record once, in key order', async () => {
  const name = 'through-resharding';
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 2 }));
  let done = false;
  const producer = produce(client, name, 4, 6);
  const consumer = consume(client, name, () => done);
  const ranges = uniformRanges(2);
  const steps: (() => Promise<unknown>)[] = [
    () => client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: '0', NewStartingHashKey: (ranges[0].end / 2n).toString() })),
    () => client.send(new MergeShardsCommand({ StreamName: name, ShardToMerge: '2', AdjacentShardToMerge: '3' })),
    () => client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' })),
    () => client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 3, ScalingType: 'UNIFORM_SCALING' })),
    async () => {
      // Split whichever open shard holds this key, just above its start.
      const at = ranges[1].start + 12345n;
      const holder = (await listShards(client, name)).find(
        (s) => !s.SequenceNumberRange!.EndingSequenceNumber && BigInt(s.HashKeyRange!.StartingHashKey!) + 1n < at && at < BigInt(s.HashKeyRange!.EndingHashKey!),
      )!;
      return client.send(new SplitShardCommand({ StreamName: name, ShardToSplit: holder.ShardId, NewStartingHashKey: at.toString() }));
    },
    () => client.send(new UpdateShardCountCommand({ StreamName: name, TargetShardCount: 2, ScalingType: 'UNIFORM_SCALING' })),
  ];
  // Each step waits for writes, not for time: on a loaded machine a quarter second may see none.
  const written = () => [...producer.sent.values()].reduce((a, b) => a + b, 0);
  const writesBetweenSteps = async () => {
    const target = written() + WRITES_BETWEEN_STEPS;
    while (written() < target) await sleep(20);
  };
  for (const step of steps) {
    await writesBetweenSteps();
    await step();
  }
  await writesBetweenSteps();
  await producer.stop();
  done = true;
  const received = await consumer;
  const total = assertExactlyOnceInOrder(producer.sent, received);
  assert.ok(total > 200, `wrote ${total} records`);
  const shards = await listShards(client, name);
  assertNearlyUniform(openRanges(shards), 2);
});

test('an on-demand stream under sustained load splits its hot shards by itself, losing and reordering nothing (§5.3)', async () => {
  const name = 'on-demand-hot';
  await client.send(new CreateStreamCommand({ StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
  assert.equal((await listShards(client, name)).length, 4);
  let done = false;
  const producer = produce(client, name, 4, 16);
  const consumer = consume(client, name, () => done);
  // Thresholds of this server: 40 records/s per shard over one second; the producer writes far more.
  let open = 4;
  for (let waited = 0; open <= 4 && waited < 15_000; waited += 200) {
    await sleep(200);
    open = openRanges(await listShards(client, name)).length;
  }
  await sleep(300);
  await producer.stop();
  done = true;
  assert.ok(open > 4, `open shards grew beyond 4 (now ${open})`);
  const shards = await listShards(client, name);
  // Splits at midpoints: every child has one parent and half its range.
  for (const shard of shards.filter((s) => s.ParentShardId)) {
    const parent = shards.find((s) => s.ShardId === shard.ParentShardId)!;
    assert.equal(shard.AdjacentParentShardId, undefined);
    const width = (s: Shard) => BigInt(s.HashKeyRange!.EndingHashKey!) - BigInt(s.HashKeyRange!.StartingHashKey!) + 1n;
    assert.ok(width(parent) / 2n <= width(shard) && width(shard) <= width(parent) / 2n + 1n);
  }
  assert.equal((await describe(client, name)).StreamModeDetails?.StreamMode, 'ON_DEMAND');
  const received = await consumer;
  assertExactlyOnceInOrder(producer.sent, received);
});

test('writes continue while UPDATING; the reshard lands when the delay ends, under concurrent writers (§5.1)', async () => {
  const name = 'slow-live';
  await slowClient.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  let done = false;
  const producer = produce(slowClient, name, 3, 4);
  const consumer = consume(slowClient, name, () => done);
  await sleep(200);
  await slowClient.send(new SplitShardCommand({ StreamName: name, ShardToSplit: '0', NewStartingHashKey: (1n << 127n).toString() }));
  // Every writer's request now races to settle the change once it is due: one applies it.
  let status = (await describe(slowClient, name)).StreamStatus;
  assert.equal(status, 'UPDATING');
  while (status === 'UPDATING') {
    await sleep(100);
    status = (await describe(slowClient, name)).StreamStatus;
  }
  await sleep(200);
  await producer.stop();
  done = true;
  assertExactlyOnceInOrder(producer.sent, await consumer);
  assert.deepEqual(openRanges(await listShards(slowClient, name)), uniform(2));
});
