import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateStreamCommand,
  DescribeLimitsCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { startTestServer, type TestServer } from './helpers.js';
import { throughput } from '../src/kinesis/domain/throughput.js';
import { writeMeter } from '../src/kinesis/domain/write-meter.js';
import { recordHashKey, routeHashKey } from '../src/kinesis/domain/routing.js';

/**
 * Throughput limits (KINESIS-SPEC §4.9, §3.9, §3.10, §4.6) with the limiter's clock frozen, so that
 * what trips depends on the requests sent, not on how fast this machine sends them.
 */

const ACCOUNT = '000000000000';
const HALF = (1n << 127n).toString(); // first hash key of shard 1 in a 2-shard stream (§4.2)

async function rejection(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (err) {
    return err as { name: string; message: string };
  }
  assert.fail('expected the call to fail');
}

async function readAll(client: KinesisClient, stream: string, shardId: string): Promise<Buffer[]> {
  const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
  const out = await client.send(new GetRecordsCommand({ ShardIterator }));
  return (out.Records ?? []).map((r) => Buffer.from(r.Data!));
}

describe('throughput limits (--enforce-limits)', () => {
  let server: TestServer;
  let client: KinesisClient;
  let at = 1_700_000_000_000;
  const advance = (ms: number) => {
    at += ms;
  };

  before(async () => {
    server = await startTestServer({ enforceLimits: true });
    throughput(server.kinesis).clock = () => at;
    client = server.client();
  });
  after(() => server.stop());

  async function stream(name: string, shards = 1) {
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    advance(1000); // control-plane buckets refill: each test starts from a rested account
  }

  it('PutRecord: the 1,001st record within a second is throttled with AWS text, and nothing of it is stored', async () => {
    await stream('w-records');
    const batch = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({ Data: Buffer.from(`${tag}${i}`), PartitionKey: 'k' }));
    for (const tag of ['a', 'b']) {
      const out = await client.send(new PutRecordsCommand({ StreamName: 'w-records', Records: batch(500, tag) }));
      assert.equal(out.FailedRecordCount, 0);
    }
    const err = await rejection(client.send(new PutRecordCommand({ StreamName: 'w-records', Data: Buffer.from('late'), PartitionKey: 'k' })));
    assert.equal(err.name, 'ProvisionedThroughputExceededException');
    assert.equal(err.message, `Rate exceeded for shard shardId-000000000000 in stream w-records under account ${ACCOUNT}.`);
    advance(1000);
    const records = await readAll(client, 'w-records', 'shardId-000000000000');
    assert.equal(records.length, 1000);
    assert.ok(!records.some((d) => d.toString() === 'late'));
    // A second later the shard takes records again.
    const ok = await client.send(new PutRecordCommand({ StreamName: 'w-records', Data: Buffer.from('later'), PartitionKey: 'k' }));
    assert.equal(ok.ShardId, 'shardId-000000000000');
  });

  it('PutRecords: throttled entries fail one by one inside a 200 answer; other shards are unaffected', async () => {
    await stream('w-mixed', 2);
    // 1 MiB/s of data + keys per shard: fill shard 0 with one record of exactly 1 MiB.
    const full = await client.send(
      new PutRecordCommand({ StreamName: 'w-mixed', Data: Buffer.alloc(1024 * 1024 - 1), PartitionKey: 'k', ExplicitHashKey: '0' }),
    );
    assert.equal(full.ShardId, 'shardId-000000000000');
    const out = await client.send(
      new PutRecordsCommand({
        StreamName: 'w-mixed',
        Records: [
          { Data: Buffer.from('to-0'), PartitionKey: 'k', ExplicitHashKey: '1' },
          { Data: Buffer.from('to-1'), PartitionKey: 'k', ExplicitHashKey: HALF },
          { Data: Buffer.from('to-0-again'), PartitionKey: 'k', ExplicitHashKey: '2' },
        ],
      }),
    );
    assert.equal(out.FailedRecordCount, 2);
    const message = `Rate exceeded for shard shardId-000000000000 in stream w-mixed under account ${ACCOUNT}.`;
    assert.deepEqual(out.Records![0], { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: message });
    assert.equal(out.Records![1].ShardId, 'shardId-000000000001');
    assert.match(out.Records![1].SequenceNumber!, /^\d{56}$/);
    assert.deepEqual(out.Records![2], { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: message });
    advance(1000);
    const shard0 = await readAll(client, 'w-mixed', 'shardId-000000000000');
    assert.deepEqual(shard0.map((d) => d.length), [1024 * 1024 - 1]);
    const shard1 = await readAll(client, 'w-mixed', 'shardId-000000000001');
    assert.deepEqual(shard1.map((d) => d.toString()), ['to-1']);
  });

  it('refused writes still count as demand for on-demand scaling', async () => {
    await client.send(new CreateStreamCommand({ StreamName: 'w-demand', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    advance(1000);
    const records = Array.from({ length: 500 }, (_, i) => ({ Data: Buffer.from(`d${i}`), PartitionKey: 'one-key' }));
    let failed = 0;
    for (let call = 0; call < 3; call++) failed += (await client.send(new PutRecordsCommand({ StreamName: 'w-demand', Records: records }))).FailedRecordCount!;
    assert.equal(failed, 500, '1,000 records per second per shard are admitted');
    const meta = (await server.kinesis.streams.find({ account: ACCOUNT, region: 'us-east-1' }, 'w-demand'))!;
    const shard = routeHashKey(meta, recordHashKey('one-key'))!;
    const meter = writeMeter(server.kinesis);
    const rate = meter.rate(meta, shard, Date.now() + 1000);
    assert.equal(Math.round(rate.recordsPerSecond * meter.windowSeconds), 1500, 'all 1,500 attempted records are metered');
  });

  it('GetRecords: the 6th call within a second is throttled; GetShardIterator: the 6th likewise', async () => {
    await stream('r-calls');
    const shardId = 'shardId-000000000000';
    const iterators: string[] = [];
    for (let i = 0; i < 5; i++) {
      const out = await client.send(new GetShardIteratorCommand({ StreamName: 'r-calls', ShardId: shardId, ShardIteratorType: 'LATEST' }));
      iterators.push(out.ShardIterator!);
    }
    const iteratorErr = await rejection(client.send(new GetShardIteratorCommand({ StreamName: 'r-calls', ShardId: shardId, ShardIteratorType: 'LATEST' })));
    assert.equal(iteratorErr.name, 'ProvisionedThroughputExceededException');
    assert.equal(iteratorErr.message, `Rate exceeded for shard ${shardId} in stream r-calls under account ${ACCOUNT}.`);
    for (let i = 0; i < 5; i++) await client.send(new GetRecordsCommand({ ShardIterator: iterators[i] }));
    const err = await rejection(client.send(new GetRecordsCommand({ ShardIterator: iterators[0] })));
    assert.equal(err.name, 'ProvisionedThroughputExceededException');
    assert.equal(err.message, `Rate exceeded for Shard - ${ACCOUNT}/r-calls/${shardId}`);
    advance(200); // one call's worth at 5 calls/s
    await client.send(new GetRecordsCommand({ ShardIterator: iterators[0] }));
  });

  it('GetRecords: a 10 MiB call makes calls within the next 5 s fail', async () => {
    await stream('r-large');
    const size = 1_048_000;
    for (let i = 0; i < 10; i++) {
      await client.send(new PutRecordCommand({ StreamName: 'r-large', Data: Buffer.alloc(size, i), PartitionKey: 'k' }));
      advance(1000);
    }
    const shardId = 'shardId-000000000000';
    const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: 'r-large', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const big = await client.send(new GetRecordsCommand({ ShardIterator }));
    assert.equal(big.Records!.length, 10);
    advance(4999);
    const err = await rejection(client.send(new GetRecordsCommand({ ShardIterator: big.NextShardIterator })));
    assert.equal(err.name, 'ProvisionedThroughputExceededException');
    assert.equal(err.message, `Rate exceeded for Shard - ${ACCOUNT}/r-large/${shardId}`);
    advance(1);
    const next = await client.send(new GetRecordsCommand({ ShardIterator: big.NextShardIterator }));
    assert.deepEqual(next.Records, []);
  });

  it('SubscribeToShard: a second call within a second for one consumer and shard is LimitExceededException; other shards pass', async () => {
    await stream('s-rate', 2);
    const { Consumer } = await client.send(
      new RegisterStreamConsumerCommand({ StreamARN: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/s-rate`, ConsumerName: 'app' }),
    );
    const consumerArn = Consumer!.ConsumerARN!;
    advance(1000);
    const controller = new AbortController();
    const subscribe = (shardId: string) =>
      client.send(new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: shardId, StartingPosition: { Type: 'LATEST' } }), {
        abortSignal: controller.signal,
      });
    try {
      await subscribe('shardId-000000000000');
      const err = await rejection(subscribe('shardId-000000000000'));
      assert.equal(err.name, 'LimitExceededException');
      assert.equal(err.message, `Rate exceeded for consumer ${consumerArn} and shard shardId-000000000000.`);
      // The rate is per consumer and shard: the other shard subscribes at once.
      await subscribe('shardId-000000000001');
      // A second later the call is admitted and meets the 5-second rule (§6.4) of the live subscription.
      advance(1000);
      const inUse = await rejection(subscribe('shardId-000000000000'));
      assert.equal(inUse.name, 'ResourceInUseException');
    } finally {
      controller.abort();
    }
  });

  it('control plane: DescribeStream 10 TPS and DescribeLimits 1 TPS per account, LimitExceededException "Rate exceeded"', async () => {
    await stream('c-describe');
    for (let i = 0; i < 10; i++) await client.send(new DescribeStreamCommand({ StreamName: 'c-describe' }));
    const err = await rejection(client.send(new DescribeStreamCommand({ StreamName: 'c-describe' })));
    assert.equal(err.name, 'LimitExceededException');
    assert.equal(err.message, `Rate exceeded for stream c-describe under account ${ACCOUNT}.`);
    // Per account: another account has its own budget.
    const other = server.client({ accessKeyId: '111111111111' });
    const otherErr = await rejection(other.send(new DescribeStreamCommand({ StreamName: 'c-describe' })));
    assert.equal(otherErr.name, 'ResourceNotFoundException');

    await client.send(new DescribeLimitsCommand({}));
    const limitsErr = await rejection(client.send(new DescribeLimitsCommand({})));
    assert.equal(limitsErr.name, 'LimitExceededException');
    assert.equal(limitsErr.message, `Rate exceeded for account ${ACCOUNT}.`);
    // ListShards has 1,000 TPS per stream: far from tripping here.
    for (let i = 0; i < 20; i++) await client.send(new ListShardsCommand({ StreamName: 'c-describe' }));
    advance(1000);
    await client.send(new DescribeLimitsCommand({}));
  });
});

describe('throughput limits are off by default', () => {
  it('1,500 records, 10 reads and 15 DescribeStreams at once all pass', async () => {
    const server = await startTestServer();
    try {
      assert.equal(server.kinesis.config.enforceLimits, false);
      const client = server.client({ http1: true });
      await client.send(new CreateStreamCommand({ StreamName: 'free', ShardCount: 1 }));
      for (let b = 0; b < 3; b++) {
        const out = await client.send(
          new PutRecordsCommand({ StreamName: 'free', Records: Array.from({ length: 500 }, () => ({ Data: Buffer.from('x'), PartitionKey: 'k' })) }),
        );
        assert.equal(out.FailedRecordCount, 0);
      }
      for (let i = 0; i < 15; i++) await client.send(new DescribeStreamCommand({ StreamName: 'free' }));
      const { ShardIterator } = await client.send(new GetShardIteratorCommand({ StreamName: 'free', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
      let total = 0;
      for (let i = 0; i < 10; i++) total += (await client.send(new GetRecordsCommand({ ShardIterator }))).Records!.length;
      assert.equal(total, 15_000);
    } finally {
      await server.stop();
    }
  });
});
