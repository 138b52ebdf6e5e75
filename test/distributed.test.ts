import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SplitShardCommand,
  SubscribeToShardCommand,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { startMillrace, type Millrace } from '../src/server.js';
import { logStreamName } from '../src/store/nats/names.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';
import { sleep } from './helpers.js';
import { parseSequenceNumber } from '../src/kinesis/domain/sequence-number.js';

const skip = natsServerMissing();
if (skip) console.log(`# skipping distributed tests: ${skip}`);

const ACCOUNT = '000000000000';
const SCOPE = { account: ACCOUNT, region: 'us-east-1' };

describe('distributed mode: two Millrace nodes over a 3-node JetStream cluster', { skip, timeout: 300_000 }, () => {
  let cluster: NatsCluster;
  let nodeA: Millrace;
  let nodeB: Millrace;
  const clients: KinesisClient[] = [];

  const startNode = () => startMillrace({ port: 0, host: '127.0.0.1', store: cluster.url, replicas: 3, logLevel: 'silent' });
  /** `retries` lets the SDK retry 503s, as applications do while the cluster elects a leader. */
  const clientOf = (node: Millrace, retries = false) => {
    const client = new KinesisClient({
      endpoint: node.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: retries ? 10 : 1,
    });
    clients.push(client);
    return client;
  };

  before(async () => {
    cluster = await NatsCluster.start(3);
    nodeA = await startNode();
    nodeB = await startNode();
  });

  after(async () => {
    for (const client of clients) client.destroy();
    await nodeA?.close().catch(() => {});
    await nodeB?.close().catch(() => {});
    await cluster?.stop();
  });

  async function readAll(client: KinesisClient, iterator: string): Promise<{ records: _Record[]; next: string }> {
    const records: _Record[] = [];
    let next = iterator;
    for (;;) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: next }));
      records.push(...out.Records!);
      next = out.NextShardIterator!;
      if (out.Records!.length === 0 && out.MillisBehindLatest === 0) return { records, next };
    }
  }

  async function trimHorizon(client: KinesisClient, stream: string, shard = 'shardId-000000000000'): Promise<string> {
    const out = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }));
    return out.ShardIterator!;
  }

  test('a record put through node A is read through node B, with an iterator node A issued', async () => {
    const a = clientOf(nodeA);
    const b = clientOf(nodeB);
    await a.send(new CreateStreamCommand({ StreamName: 'orders', ShardCount: 2 }));
    const summary = await b.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' }));
    assert.equal(summary.StreamDescriptionSummary!.StreamStatus, 'ACTIVE');
    const put = await a.send(
      new PutRecordsCommand({
        StreamName: 'orders',
        Records: Array.from({ length: 50 }, (_, i) => ({ PartitionKey: `key-${i}`, Data: Buffer.from(`order-${i}`) })),
      }),
    );
    assert.equal(put.FailedRecordCount, 0);
    for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
      const iteratorFromA = await trimHorizon(a, 'orders', shard);
      const { records } = await readAll(b, iteratorFromA);
      const expected = put.Records!.map((r, i) => ({ ...r, i })).filter((r) => r.ShardId === shard);
      assert.ok(expected.length > 0);
      assert.deepEqual(
        records.map((r) => [r.SequenceNumber, Buffer.from(r.Data!).toString(), r.PartitionKey]),
        expected.map((r) => [r.SequenceNumber, `order-${r.i}`, `key-${r.i}`]),
      );
    }
  });

  test('concurrent CreateStream of one name: exactly one node succeeds', async () => {
    for (let round = 0; round < 3; round++) {
      const name = `race-${round}`;
      const results = await Promise.allSettled([
        clientOf(nodeA).send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })),
        clientOf(nodeB).send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 })),
      ]);
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(failed.length, 1, `round ${round}`);
      assert.equal(failed[0].reason.name, 'ResourceInUseException');
      assert.equal(failed[0].reason.message, `Stream ${name} under account ${ACCOUNT} already exists.`);
    }
  });

  test('concurrent SplitShard from both nodes splits once; records reach the children', async () => {
    const a = clientOf(nodeA);
    const b = clientOf(nodeB);
    await a.send(new CreateStreamCommand({ StreamName: 'splitting', ShardCount: 1 }));
    await a.send(new PutRecordCommand({ StreamName: 'splitting', PartitionKey: 'p', Data: Buffer.from('before') }));
    const split = (client: KinesisClient) =>
      client.send(new SplitShardCommand({ StreamName: 'splitting', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (2n ** 127n).toString() }));
    const results = await Promise.allSettled([split(a), split(b)]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(failed.length, 1);
    // The loser's compare-and-set failed; it re-read the stream and found the shard already split.
    assert.equal(failed[0].reason.name, 'InvalidArgumentException');
    assert.equal(
      failed[0].reason.message,
      `Shard shardId-000000000000 in stream splitting under account ${ACCOUNT} has already been merged or split, and thus is not eligible for merging or splitting.`,
    );
    const shards = (await b.send(new ListShardsCommand({ StreamName: 'splitting' }))).Shards!;
    assert.deepEqual(
      shards.map((s) => [s.ShardId, s.ParentShardId, s.SequenceNumberRange!.EndingSequenceNumber !== undefined]),
      [
        ['shardId-000000000000', undefined, true],
        ['shardId-000000000001', 'shardId-000000000000', false],
        ['shardId-000000000002', 'shardId-000000000000', false],
      ],
    );
    // Records go to the parent until its children's creation second (§5.2, as recorded); after it, to a child.
    await sleep(Math.max(0, parseSequenceNumber(shards[1].SequenceNumberRange!.StartingSequenceNumber!)!.shardCreatedSec * 1000 - Date.now()));
    const after = await b.send(new PutRecordCommand({ StreamName: 'splitting', PartitionKey: 'p', Data: Buffer.from('after') }));
    assert.notEqual(after.ShardId, 'shardId-000000000000');
    // The parent, sealed through one node by the first write to a child, ends for a reader on the other with its children.
    let iterator = await trimHorizon(a, 'splitting');
    const seen: string[] = [];
    for (let i = 0; i < 10 && iterator; i++) {
      const out = await b.send(new GetRecordsCommand({ ShardIterator: iterator }));
      seen.push(...out.Records!.map((r) => Buffer.from(r.Data!).toString()));
      if (out.ChildShards) {
        assert.deepEqual(out.ChildShards.map((c) => c.ShardId).sort(), ['shardId-000000000001', 'shardId-000000000002']);
        assert.equal(out.NextShardIterator, undefined);
        break;
      }
      iterator = out.NextShardIterator!;
    }
    assert.deepEqual(seen, ['before']);
  });

  test('SubscribeToShard through node B pushes a record put through node A', async () => {
    const a = clientOf(nodeA);
    const b = clientOf(nodeB);
    await a.send(new CreateStreamCommand({ StreamName: 'pushed', ShardCount: 1 }));
    const arn = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/pushed`;
    const { Consumer } = await a.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'app' }));
    for (let i = 0; i < 100; i++) {
      const summary = await b.send(new DescribeStreamSummaryCommand({ StreamName: 'pushed' }));
      if (summary.StreamDescriptionSummary!.ConsumerCount === 1) break;
      await sleep(50);
    }
    const controller = new AbortController();
    const { EventStream } = await b.send(
      new SubscribeToShardCommand({ ConsumerARN: Consumer!.ConsumerARN, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } }),
      { abortSignal: controller.signal },
    );
    const received: string[] = [];
    let put: string | undefined;
    try {
      for await (const event of EventStream!) {
        const records = event.SubscribeToShardEvent?.Records ?? [];
        received.push(...records.map((r) => `${r.SequenceNumber}:${Buffer.from(r.Data!).toString()}`));
        if (received.length) break;
        // The first (empty) event means the subscription is live: now produce through the other node.
        if (!put) put = (await a.send(new PutRecordCommand({ StreamName: 'pushed', PartitionKey: 'p', Data: Buffer.from('pushed') }))).SequenceNumber;
      }
    } finally {
      controller.abort();
    }
    assert.deepEqual(received, [`${put}:pushed`]);
  });

  test('kill a JetStream follower, then the leader, during sustained writes: nothing acknowledged is lost', async () => {
    const a = clientOf(nodeA, true);
    await a.send(new CreateStreamCommand({ StreamName: 'sustained', ShardCount: 1 }));
    const meta = (await nodeA.kinesis.streams.find(SCOPE, 'sustained'))!;
    const logStream = logStreamName(`${meta.id}/0`);
    const acknowledged = new Map<string, string>();
    let failures = 0;
    let writing = true;
    let n = 0;
    const writer = async () => {
      while (writing) {
        const data = `w-${n++}`;
        try {
          const out = await a.send(new PutRecordCommand({ StreamName: 'sustained', PartitionKey: data, Data: Buffer.from(data) }));
          acknowledged.set(out.SequenceNumber!, data);
        } catch {
          failures++; // not acknowledged: may or may not be stored
        }
      }
    };
    const writers = Array.from({ length: 4 }, writer);
    // Generous: an election after a kill takes seconds, and may need more than one round on a
    // loaded machine. What the servers logged is printed when writes stay stuck.
    const progress = async (more: number, what: string) => {
      const target = acknowledged.size + more;
      for (let i = 0; i < 1200 && acknowledged.size < target; i++) await sleep(50);
      if (acknowledged.size < target) console.error(cluster.logTail());
      assert.ok(acknowledged.size >= target, `writes did not continue ${what} (${acknowledged.size}/${target}, ${failures} failed)`);
    };
    let killedLeader: string | undefined;
    try {
      await progress(50, 'at the start');
      const leader = await cluster.leaderOf(logStream);
      const follower = cluster.nodes.find((node) => node.name !== leader)!.name;
      await cluster.kill(follower);
      await progress(100, 'with a follower down');
      cluster.restart(follower);
      await cluster.ready();
      await cluster.waitCurrent();
      const leaderNow = await cluster.leaderOf(logStream);
      killedLeader = leaderNow;
      await cluster.kill(leaderNow);
      await progress(100, 'after the leader was killed');
      const elected = await cluster.leaderOf(logStream);
      assert.ok(elected && elected !== leaderNow, `a new leader (${elected}) replaced ${leaderNow}`);
    } finally {
      writing = false;
      await Promise.all(writers);
    }
    // Read through node B while the old leader stays down: the new leader has everything.
    const { records } = await readAll(clientOf(nodeB, true), await trimHorizon(clientOf(nodeB, true), 'sustained'));
    const stored = new Map(records.map((r) => [r.SequenceNumber!, Buffer.from(r.Data!).toString()]));
    for (const [sequence, data] of acknowledged) assert.equal(stored.get(sequence), data, `acknowledged record ${data} lost`);
    const sequences = records.map((r) => BigInt(r.SequenceNumber!));
    for (let i = 1; i < sequences.length; i++) assert.ok(sequences[i] > sequences[i - 1], 'sequence numbers increase');

    // Leave a whole cluster to the next test.
    if (killedLeader) {
      cluster.restart(killedLeader);
      await cluster.ready();
      await cluster.waitCurrent();
    }
  });

  test('restarting a Millrace node loses nothing and keeps iterators valid', async () => {
    const a = clientOf(nodeA, true);
    await a.send(new CreateStreamCommand({ StreamName: 'restart', ShardCount: 1 }));
    const put = await a.send(new PutRecordsCommand({ StreamName: 'restart', Records: [1, 2, 3].map((i) => ({ PartitionKey: `${i}`, Data: Buffer.from(`r${i}`) })) }));
    const iterator = await trimHorizon(a, 'restart');
    await nodeA.close();
    nodeA = await startNode();
    const { records } = await readAll(clientOf(nodeA, true), iterator);
    assert.deepEqual(
      records.map((r) => r.SequenceNumber),
      put.Records!.map((r) => r.SequenceNumber),
    );
  });
});
