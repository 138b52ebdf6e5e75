import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddTagsToStreamCommand,
  CreateStreamCommand,
  DecreaseStreamRetentionPeriodCommand,
  DeleteStreamCommand,
  DescribeLimitsCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  IncreaseStreamRetentionPeriodCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamsCommand,
  ListTagsForResourceCommand,
  ListTagsForStreamCommand,
  RemoveTagsFromStreamCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateListStreams,
  waitUntilStreamExists,
  waitUntilStreamNotExists,
} from '@aws-sdk/client-kinesis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { javaCbor, kinesisJson, rawRequest, startTestServer, type TestServer } from './helpers.js';
import { filterShards, type ShardFilter } from '../src/kinesis/domain/shard-filter.js';
import type { ShardMeta, StreamMeta } from '../src/kinesis/domain/stream.js';
import { sealToken, tokenKey } from '../src/kinesis/domain/tokens.js';
import { consumerArn, consumerKey, type ConsumerMeta } from '../src/kinesis/domain/consumers.js';

/** Each test works in its own account (12-digit access keys name the account, §1.7). */
let nextAccount = 100000000000;
const newAccount = () => String(nextAccount++);

async function rejects(promise: Promise<unknown>, type: string, message: string): Promise<void> {
  await assert.rejects(promise, (err: any) => {
    assert.equal(err.name, type);
    assert.equal(err.message, message);
    assert.equal(err.$metadata?.httpStatusCode, 400);
    return true;
  });
}

const shardIds = (shards: { ShardId?: string }[] | undefined) => (shards ?? []).map((s) => s.ShardId);
const id = (n: number) => 'shardId-' + String(n).padStart(12, '0');

describe('filterShards (KINESIS-SPEC §3.6)', () => {
  const HOUR = 3_600_000;
  const now = 1_700_000_000_000;
  const shard = (index: number, createdAt: number, extra: Partial<ShardMeta> = {}): ShardMeta => ({
    index,
    startingHashKey: '0',
    endingHashKey: '1',
    createdAt,
    ...extra,
  });
  // Shard 0 split into 2 and 3 ten hours ago; shard 4 is an ancient parent whose records aged out.
  const split = now - 10 * HOUR;
  const stream = {
    retentionHours: 24,
    shards: [
      shard(0, now - 20 * HOUR, { closedAt: split }),
      shard(1, now - 20 * HOUR),
      shard(2, split + 1000, { parent: 0 }),
      shard(3, split + 1000, { parent: 0 }),
    ],
  } as StreamMeta;
  const ids = (filter: ShardFilter | undefined, s: StreamMeta = stream) => filterShards(s, filter, now).map((x) => x.index);

  test('without a filter and FROM_TRIM_HORIZON: every shard still readable', () => {
    assert.deepEqual(ids(undefined), [0, 1, 2, 3]);
    assert.deepEqual(ids({ type: 'FROM_TRIM_HORIZON' }), [0, 1, 2, 3]);
  });
  test('AT_LATEST: open shards only', () => {
    assert.deepEqual(ids({ type: 'AT_LATEST' }), [1, 2, 3]);
  });
  test('AT_TRIM_HORIZON: the oldest readable generation', () => {
    assert.deepEqual(ids({ type: 'AT_TRIM_HORIZON' }), [0, 1]);
    // Once the parent has aged out, its children are the oldest generation.
    const old = { ...stream, retentionHours: 5 } as StreamMeta;
    assert.deepEqual(ids({ type: 'AT_TRIM_HORIZON' }, old), [1, 2, 3]);
    assert.deepEqual(ids(undefined, old), [1, 2, 3]);
  });
  test('AT_TIMESTAMP: the shards readable at T, covering the hash range without a gap', () => {
    assert.deepEqual(ids({ type: 'AT_TIMESTAMP', timestamp: split - 1 }), [0, 1]);
    // Inside the second between the parent's close and its children's creation stamp.
    assert.deepEqual(ids({ type: 'AT_TIMESTAMP', timestamp: split + 500 }), [1, 2, 3]);
    assert.deepEqual(ids({ type: 'AT_TIMESTAMP', timestamp: now + HOUR }), [1, 2, 3]);
    // Before the trim horizon means the trim horizon.
    assert.deepEqual(ids({ type: 'AT_TIMESTAMP', timestamp: 0 }), [0, 1]);
  });
  test('FROM_TIMESTAMP: every shard alive at or after T', () => {
    assert.deepEqual(ids({ type: 'FROM_TIMESTAMP', timestamp: split - 1 }), [0, 1, 2, 3]);
    assert.deepEqual(ids({ type: 'FROM_TIMESTAMP', timestamp: split + 1 }), [1, 2, 3]);
    assert.deepEqual(ids({ type: 'FROM_TIMESTAMP', timestamp: 0 }), [0, 1, 2, 3]);
  });
  test('AFTER_SHARD_ID: ids greater than the given one, parsed leniently', () => {
    assert.deepEqual(ids({ type: 'AFTER_SHARD_ID', shardId: id(1) }), [2, 3]);
    assert.deepEqual(ids({ type: 'AFTER_SHARD_ID', shardId: 'shardId-1' }), [2, 3]);
    assert.deepEqual(ids({ type: 'AFTER_SHARD_ID', shardId: id(99) }), []);
  });
});

describe('control plane over the SDK', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ shardLimit: 10 });
  });
  after(() => server.stop());

  const client = (account: string, http1 = false) => server.client({ accessKeyId: account, http1 });
  const authorization = (account: string) =>
    `AWS4-HMAC-SHA256 Credential=${account}/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abc`;
  const raw = (account: string, op: string, body: unknown) => kinesisJson(server.endpoint, op, body, { Authorization: authorization(account) });

  test('CreateStream: ON_DEMAND and no count give 4 shards; mode is reported everywhere', async () => {
    const account = newAccount();
    const kinesis = client(account);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'od', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'plain' }));
    for (const name of ['od', 'plain']) {
      const { StreamDescription: d } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
      assert.equal(d?.Shards?.length, 4);
      assert.deepEqual(d?.StreamModeDetails, { StreamMode: 'ON_DEMAND' });
      assert.equal(d?.Shards?.[3].HashKeyRange?.EndingHashKey, '340282366920938463463374607431768211455');
    }
    const { StreamDescriptionSummary: s } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'od' }));
    assert.equal(s?.OpenShardCount, 4);
    assert.equal(s?.ConsumerCount, 0);
    assert.equal(s?.RetentionPeriodHours, 24);
    assert.equal(s?.EncryptionType, 'NONE');
    assert.deepEqual(s?.EnhancedMonitoring, [{ ShardLevelMetrics: [] }]);
    assert.equal(s?.StreamARN, `arn:aws:kinesis:us-east-1:${account}:stream/od`);
    assert.equal(s?.MaxRecordSizeInKiB, 1024);
    const { StreamSummaries } = await kinesis.send(new ListStreamsCommand({}));
    assert.deepEqual(
      StreamSummaries?.map((x) => [x.StreamName, x.StreamModeDetails?.StreamMode, x.StreamStatus, x.StreamARN]),
      [
        ['od', 'ON_DEMAND', 'ACTIVE', `arn:aws:kinesis:us-east-1:${account}:stream/od`],
        ['plain', 'ON_DEMAND', 'ACTIVE', `arn:aws:kinesis:us-east-1:${account}:stream/plain`],
      ],
    );
    assert.ok(StreamSummaries?.[0].StreamCreationTimestamp instanceof Date);
  });

  test('CreateStream errors: duplicate name, mode/count conflicts, invalid tags', async () => {
    const account = newAccount();
    const kinesis = client(account);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'dup', ShardCount: 1 }));
    await rejects(kinesis.send(new CreateStreamCommand({ StreamName: 'dup', ShardCount: 1 })), 'ResourceInUseException', `Stream dup under account ${account} already exists.`);
    await rejects(
      kinesis.send(new CreateStreamCommand({ StreamName: 'x', ShardCount: 2, StreamModeDetails: { StreamMode: 'ON_DEMAND' } })),
      'InvalidArgumentException',
      'ShardCount is not expected when StreamMode=ON_DEMAND',
    );
    await rejects(
      kinesis.send(new CreateStreamCommand({ StreamName: 'x', StreamModeDetails: { StreamMode: 'PROVISIONED' } })),
      'InvalidArgumentException',
      'ShardCount is required when StreamMode=PROVISIONED',
    );
    await rejects(
      kinesis.send(new CreateStreamCommand({ StreamName: 'x', ShardCount: 1, Tags: { 'a;b': 'v' } })),
      'InvalidArgumentException',
      'Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @.',
    );
    const { StreamNames } = await kinesis.send(new ListStreamsCommand({}));
    assert.deepEqual(StreamNames, ['dup']);
  });

  test('shard limit: LimitExceededException text and DescribeLimits counts', async () => {
    const account = newAccount();
    const kinesis = client(account, true);
    assert.deepEqual(
      { ...(await kinesis.send(new DescribeLimitsCommand({}))), $metadata: undefined },
      { ShardLimit: 10, OpenShardCount: 0, OnDemandStreamCount: 0, OnDemandStreamCountLimit: 50, $metadata: undefined },
    );
    await kinesis.send(new CreateStreamCommand({ StreamName: 'six', ShardCount: 6 }));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'od', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
    await rejects(
      kinesis.send(new CreateStreamCommand({ StreamName: 'five', ShardCount: 5 })),
      'LimitExceededException',
      `This request would exceed the shard limit for the account ${account} in us-east-1. Current shard count for the account: 6. Limit: 10. ` +
        'Number of additional shards that would have resulted from this request: 5. Refer to the AWS Service Limits page ' +
        '(http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits and how to request higher limits.',
    );
    await kinesis.send(new CreateStreamCommand({ StreamName: 'four', ShardCount: 4 }));
    const limits = await kinesis.send(new DescribeLimitsCommand({}));
    assert.equal(limits.OpenShardCount, 10);
    assert.equal(limits.OnDemandStreamCount, 1);
    // Another account has its own quota.
    assert.equal((await client(newAccount()).send(new DescribeLimitsCommand({}))).OpenShardCount, 0);
  });

  test('ListStreams: Limit, ExclusiveStartStreamName, NextToken and the paginator', async () => {
    const account = newAccount();
    const kinesis = client(account);
    const names = ['e', 'a', 'c', 'b', 'd'];
    for (const name of names) await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
    const first = await kinesis.send(new ListStreamsCommand({ Limit: 2 }));
    assert.deepEqual(first.StreamNames, ['a', 'b']);
    assert.equal(first.HasMoreStreams, true);
    assert.match(first.NextToken!, /^AAAAAAAAAA[E-H]/);
    const second = await kinesis.send(new ListStreamsCommand({ Limit: 2, NextToken: first.NextToken }));
    assert.deepEqual(second.StreamNames, ['c', 'd']);
    const last = await kinesis.send(new ListStreamsCommand({ ExclusiveStartStreamName: 'c' }));
    assert.deepEqual(last.StreamNames, ['d', 'e']);
    assert.equal(last.HasMoreStreams, false);
    assert.equal(last.NextToken, undefined);
    const paged: string[] = [];
    for await (const page of paginateListStreams({ client: kinesis, pageSize: 2 }, {})) paged.push(...(page.StreamNames ?? []));
    assert.deepEqual(paged, ['a', 'b', 'c', 'd', 'e']);
    await rejects(kinesis.send(new ListStreamsCommand({ NextToken: 'bm90IGEgdG9rZW4=' })), 'InvalidArgumentException', 'Invalid NextToken.');
  });

  test('DescribeStream: Limit, ExclusiveStartShardId, HasMoreShards, StreamARN, not found', async () => {
    const account = newAccount();
    const kinesis = client(account);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'five', ShardCount: 5 }));
    const page = await kinesis.send(new DescribeStreamCommand({ StreamName: 'five', Limit: 2 }));
    assert.deepEqual(shardIds(page.StreamDescription?.Shards), [id(0), id(1)]);
    assert.equal(page.StreamDescription?.HasMoreShards, true);
    const rest = await kinesis.send(new DescribeStreamCommand({ StreamName: 'five', ExclusiveStartShardId: id(1) }));
    assert.deepEqual(shardIds(rest.StreamDescription?.Shards), [id(2), id(3), id(4)]);
    assert.equal(rest.StreamDescription?.HasMoreShards, false);
    // Lenient shard ids (§2.2) compare by index.
    const lenient = await kinesis.send(new DescribeStreamCommand({ StreamName: 'five', ExclusiveStartShardId: 'shardId-3' }));
    assert.deepEqual(shardIds(lenient.StreamDescription?.Shards), [id(4)]);
    const arn = `arn:aws:kinesis:us-east-1:${account}:stream/five`;
    const byArn = await kinesis.send(new DescribeStreamCommand({ StreamARN: arn }));
    assert.equal(byArn.StreamDescription?.StreamName, 'five');
    assert.deepEqual(byArn.StreamDescription?.Shards?.[0].SequenceNumberRange?.EndingSequenceNumber, undefined);
    await rejects(kinesis.send(new DescribeStreamCommand({ StreamName: 'none' })), 'ResourceNotFoundException', `Stream none under account ${account} not found.`);
    await rejects(
      kinesis.send(new DescribeStreamSummaryCommand({ StreamARN: `arn:aws:kinesis:us-east-1:${account}:stream/none` })),
      'ResourceNotFoundException',
      `Stream none under account ${account} not found.`,
    );
    await rejects(kinesis.send(new DescribeStreamCommand({})), 'InvalidArgumentException', 'Neither streamArn or streamName was provided');
  });

  test('DeleteStream: removes the stream, over HTTP/2 and HTTP/1.1; missing stream', async () => {
    const account = newAccount();
    for (const http1 of [false, true]) {
      const kinesis = client(account, http1);
      await kinesis.send(new CreateStreamCommand({ StreamName: 'gone', ShardCount: 2 }));
      await kinesis.send(new DeleteStreamCommand({ StreamName: 'gone' }));
      await rejects(kinesis.send(new DescribeStreamCommand({ StreamName: 'gone' })), 'ResourceNotFoundException', `Stream gone under account ${account} not found.`);
      await rejects(kinesis.send(new DeleteStreamCommand({ StreamName: 'gone' })), 'ResourceNotFoundException', `Stream gone under account ${account} not found.`);
    }
    // The shards of a deleted stream no longer count against the limit.
    assert.equal((await client(account).send(new DescribeLimitsCommand({}))).OpenShardCount, 0);
  });

  test('DeleteStream with consumers needs EnforceConsumerDeletion, which removes them', async () => {
    const account = newAccount();
    const kinesis = client(account);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'fanout', ShardCount: 1 }));
    const stream = (await server.kinesis.streams.find({ account, region: 'us-east-1' }, 'fanout'))!;
    const consumer: ConsumerMeta = {
      name: 'app',
      arn: consumerArn(stream.arn, 'app', Date.now()),
      streamId: stream.id,
      streamArn: stream.arn,
      status: 'ACTIVE',
      createdAt: Date.now(),
      tags: {},
    };
    await server.kinesis.store.meta.put(consumerKey(stream.id, 'app'), consumer, 0);
    assert.equal((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'fanout' }))).StreamDescriptionSummary?.ConsumerCount, 1);
    const refusal =
      `DeleteStream can't delete ${account}:fanout because there are consumers associated with this data stream. ` +
      'To delete fanout anyway, set the EnforceConsumerDeletion parameter to true to force the deletion of all the consumers that are associated with it.';
    await rejects(kinesis.send(new DeleteStreamCommand({ StreamName: 'fanout' })), 'ResourceInUseException', refusal);
    await rejects(kinesis.send(new DeleteStreamCommand({ StreamName: 'fanout', EnforceConsumerDeletion: false })), 'ResourceInUseException', refusal);
    assert.equal((await kinesis.send(new DescribeStreamCommand({ StreamName: 'fanout' }))).StreamDescription?.StreamStatus, 'ACTIVE');
    await kinesis.send(new DeleteStreamCommand({ StreamName: 'fanout', EnforceConsumerDeletion: true }));
    assert.deepEqual(await server.kinesis.store.meta.list(`consumer/${stream.id}/`), []);
    await rejects(kinesis.send(new DescribeStreamCommand({ StreamName: 'fanout' })), 'ResourceNotFoundException', `Stream fanout under account ${account} not found.`);
  });

  test('ListShards: pages with MaxResults and NextToken, ExclusiveStartShardId, StreamCreationTimestamp', async () => {
    const account = newAccount();
    const kinesis = client(account);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'ls', ShardCount: 3 }));
    const all = await kinesis.send(new ListShardsCommand({ StreamName: 'ls' }));
    assert.deepEqual(shardIds(all.Shards), [id(0), id(1), id(2)]);
    assert.equal(all.NextToken, undefined);
    assert.match(all.Shards![0].SequenceNumberRange!.StartingSequenceNumber!, /^\d{56}$/);
    assert.equal(all.Shards![0].HashKeyRange?.StartingHashKey, '0');

    const first = await kinesis.send(new ListShardsCommand({ StreamName: 'ls', MaxResults: 2 }));
    assert.deepEqual(shardIds(first.Shards), [id(0), id(1)]);
    assert.match(first.NextToken!, /^AAAAAAAAAA[E-H]/);
    const second = await client(account, true).send(new ListShardsCommand({ NextToken: first.NextToken, MaxResults: 2 }));
    assert.deepEqual(shardIds(second.Shards), [id(2)]);
    assert.equal(second.NextToken, undefined);

    const after = await kinesis.send(new ListShardsCommand({ StreamName: 'ls', ExclusiveStartShardId: id(0) }));
    assert.deepEqual(shardIds(after.Shards), [id(1), id(2)]);
    const none = await kinesis.send(new ListShardsCommand({ StreamName: 'ls', ExclusiveStartShardId: id(77) }));
    assert.deepEqual(none.Shards, []);

    const created = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'ls' }))).StreamDescriptionSummary!.StreamCreationTimestamp!;
    const byTime = await kinesis.send(new ListShardsCommand({ StreamName: 'ls', StreamCreationTimestamp: created }));
    assert.equal(byTime.Shards?.length, 3);
    await rejects(
      kinesis.send(new ListShardsCommand({ StreamName: 'ls', StreamCreationTimestamp: new Date(created.getTime() - 60_000) })),
      'ResourceNotFoundException',
      `Stream ls under account ${account} not found.`,
    );
    const byArn = await kinesis.send(new ListShardsCommand({ StreamARN: `arn:aws:kinesis:us-east-1:${account}:stream/ls`, MaxResults: 1 }));
    assert.deepEqual(shardIds(byArn.Shards), [id(0)]);

    // A token names one incarnation of the stream: after re-creation it finds nothing.
    await kinesis.send(new DeleteStreamCommand({ StreamName: 'ls' }));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'ls', ShardCount: 3 }));
    await rejects(kinesis.send(new ListShardsCommand({ NextToken: first.NextToken })), 'ResourceNotFoundException', `Stream ls under account ${account} not found.`);
  });

  test('ListShards argument rules and token errors (§3.6)', async () => {
    const account = newAccount();
    const kinesis = client(account);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'args', ShardCount: 2 }));
    const { NextToken } = await kinesis.send(new ListShardsCommand({ StreamName: 'args', MaxResults: 1 }));
    const cases: [object, string][] = [
      [{}, 'Either NextToken or StreamName should be provided.'],
      [{ NextToken, StreamName: 'args' }, 'NextToken and StreamName cannot be provided together.'],
      [{ NextToken, StreamARN: `arn:aws:kinesis:us-east-1:${account}:stream/args` }, 'NextToken and StreamARN cannot be provided together.'],
      [{ NextToken, ExclusiveStartShardId: id(0) }, 'NextToken and ExclusiveStartShardId cannot be provided together.'],
      [{ NextToken, ShardFilter: { Type: 'AT_LATEST' } }, 'NextToken and ShardFilter cannot be provided together.'],
      [{ NextToken, StreamCreationTimestamp: new Date() }, 'NextToken and StreamCreationTimestamp cannot be provided together.'],
      [{ StreamName: 'args', ShardFilter: { Type: 'AFTER_SHARD_ID' } }, 'ShardId must be provided when the ShardFilter Type is AFTER_SHARD_ID.'],
      [{ StreamName: 'args', ShardFilter: { Type: 'AT_TIMESTAMP' } }, 'Timestamp must be provided when the ShardFilter Type is AT_TIMESTAMP.'],
      [{ StreamName: 'args', ShardFilter: { Type: 'FROM_TIMESTAMP' } }, 'Timestamp must be provided when the ShardFilter Type is FROM_TIMESTAMP.'],
      [{ NextToken: 'AAAAAAAAAAFub3QgYSByZWFsIHRva2VuIGF0IGFsbA==' }, 'Invalid NextToken.'],
    ];
    for (const [input, message] of cases) await rejects(kinesis.send(new ListShardsCommand(input)), 'InvalidArgumentException', message);
    // A ListStreams token is not a ListShards token.
    const streamsToken = (await kinesis.send(new ListStreamsCommand({ Limit: 1 }))).NextToken;
    assert.equal(streamsToken, undefined);
    const expired = sealToken(await tokenKey(server.kinesis.store), { op: 'ListShards', t: Date.now() - 301_000 });
    await rejects(
      kinesis.send(new ListShardsCommand({ NextToken: expired })),
      'ExpiredNextTokenException',
      'The NextToken has expired. NextTokens are valid for 300 seconds.',
    );
    await rejects(kinesis.send(new ListShardsCommand({ StreamName: 'nope' })), 'ResourceNotFoundException', `Stream nope under account ${account} not found.`);
  });

  test('ListShards filters over a resharded stream, and through NextToken pages', async () => {
    const account = newAccount();
    const kinesis = client(account);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'split', ShardCount: 2 }));
    // Close shard 0 and give it two children, as a split would (§5.2); the stream is a minute older.
    const closedAt = Date.now() - 5_000;
    await server.kinesis.streams.update({ account, region: 'us-east-1' }, 'split', (stream) => {
      for (const shard of stream.shards) shard.createdAt = closedAt - 60_000;
      const parent = stream.shards[0];
      parent.closedAt = closedAt;
      const mid = (BigInt(parent.endingHashKey) / 2n).toString();
      stream.shards.push(
        { index: 2, parent: 0, startingHashKey: '0', endingHashKey: mid, createdAt: closedAt + 1000 },
        { index: 3, parent: 0, startingHashKey: (BigInt(mid) + 1n).toString(), endingHashKey: parent.endingHashKey, createdAt: closedAt + 1000 },
      );
      stream.nextShardIndex = 4;
      return stream;
    });
    const list = async (ShardFilter?: any) => shardIds((await kinesis.send(new ListShardsCommand({ StreamName: 'split', ShardFilter }))).Shards);
    assert.deepEqual(await list(), [id(0), id(1), id(2), id(3)]);
    assert.deepEqual(await list({ Type: 'AT_LATEST' }), [id(1), id(2), id(3)]);
    assert.deepEqual(await list({ Type: 'AT_TRIM_HORIZON' }), [id(0), id(1)]);
    assert.deepEqual(await list({ Type: 'FROM_TRIM_HORIZON' }), [id(0), id(1), id(2), id(3)]);
    assert.deepEqual(await list({ Type: 'AT_TIMESTAMP', Timestamp: new Date(closedAt - 1000) }), [id(0), id(1)]);
    assert.deepEqual(await list({ Type: 'AT_TIMESTAMP', Timestamp: new Date(closedAt + 2000) }), [id(1), id(2), id(3)]);
    assert.deepEqual(await list({ Type: 'FROM_TIMESTAMP', Timestamp: new Date(closedAt + 2000) }), [id(1), id(2), id(3)]);
    assert.deepEqual(await list({ Type: 'FROM_TIMESTAMP', Timestamp: new Date(closedAt - 2000) }), [id(0), id(1), id(2), id(3)]);
    assert.deepEqual(await list({ Type: 'AFTER_SHARD_ID', ShardId: id(1) }), [id(2), id(3)]);
    const closed = (await kinesis.send(new ListShardsCommand({ StreamName: 'split' }))).Shards![0];
    assert.match(closed.SequenceNumberRange!.EndingSequenceNumber!, /^\d{56}$/);
    // The original filter travels in the token.
    const first = await kinesis.send(new ListShardsCommand({ StreamName: 'split', ShardFilter: { Type: 'AT_LATEST' }, MaxResults: 2 }));
    assert.deepEqual(shardIds(first.Shards), [id(1), id(2)]);
    const rest = await kinesis.send(new ListShardsCommand({ NextToken: first.NextToken }));
    assert.deepEqual(shardIds(rest.Shards), [id(3)]);
    // Java SDK v2 CBOR sends the filter's timestamp as tag 1 with integer milliseconds.
    const cbor = await rawRequest(server.endpoint, {
      target: 'Kinesis_20131202.ListShards',
      contentType: 'application/x-amz-cbor-1.1',
      body: javaCbor({ StreamName: 'split', ShardFilter: { Type: 'AT_TIMESTAMP', Timestamp: new Date(closedAt + 2000) } }),
      headers: { Authorization: authorization(account) },
    });
    assert.equal(cbor.status, 200);
    assert.deepEqual(shardIds(cbor.json.Shards), [id(1), id(2), id(3)]);
    // Raw JSON sends the timestamp as epoch seconds.
    const rawList = await raw(account, 'ListShards', { StreamName: 'split', ShardFilter: { Type: 'AT_TIMESTAMP', Timestamp: (closedAt + 2000) / 1000 } });
    assert.equal(rawList.status, 200);
    assert.deepEqual(shardIds(rawList.json.Shards), [id(1), id(2), id(3)]);
  });

  test('retention: bounds, direction, equal accepted, effect on DescribeStream', async () => {
    const account = newAccount();
    const kinesis = client(account);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'keep', ShardCount: 1 }));
    const retention = async () => (await kinesis.send(new DescribeStreamCommand({ StreamName: 'keep' }))).StreamDescription?.RetentionPeriodHours;
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'keep', RetentionPeriodHours: 48 }));
    assert.equal(await retention(), 48);
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'keep', RetentionPeriodHours: 48 }));
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'keep', RetentionPeriodHours: 48 }));
    await client(account, true).send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'keep', RetentionPeriodHours: 30 }));
    assert.equal(await retention(), 30);
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'keep', RetentionPeriodHours: 8760 }));
    assert.equal(await retention(), 8760);
    await kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'keep', RetentionPeriodHours: 24 }));
    assert.equal(await retention(), 24);
    const bad = 'InvalidArgumentException';
    await rejects(
      kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'keep', RetentionPeriodHours: 23 })),
      bad,
      'Minimum allowed retention period is 24 hours. Requested retention period (23 hours) is too short.',
    );
    await rejects(
      kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'nope', RetentionPeriodHours: 8761 })),
      bad,
      'Maximum allowed retention period is 8760 hours. Requested retention period (8761 hours) is too long.',
    );
    await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'keep', RetentionPeriodHours: 100 }));
    await rejects(
      kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'keep', RetentionPeriodHours: 50 })),
      bad,
      'Requested retention period (50 hours) for stream keep can not be shorter than existing retention period (100 hours). Use DecreaseRetentionPeriod API.',
    );
    await rejects(
      kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'keep', RetentionPeriodHours: 200 })),
      bad,
      'Requested retention period (200 hours) for stream keep can not be longer than existing retention period (100 hours). Use IncreaseRetentionPeriod API.',
    );
    await rejects(
      kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'nope', RetentionPeriodHours: 48 })),
      'ResourceNotFoundException',
      `Stream nope under account ${account} not found.`,
    );
    assert.equal(await retention(), 100);
  });

  test('tags on streams: add, overwrite, remove, list with paging, limits and texts', async () => {
    const account = newAccount();
    const kinesis = client(account);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'tagged', ShardCount: 1, Tags: { team: 'core' } }));
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tagged', Tags: { env: 'prod', 'cost:center': 'a b/c=d+e-f@g_h.i', ünï: '' } }));
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tagged', Tags: { env: 'dev' } }));
    const all = await kinesis.send(new ListTagsForStreamCommand({ StreamName: 'tagged' }));
    assert.deepEqual(all.Tags, [
      { Key: 'cost:center', Value: 'a b/c=d+e-f@g_h.i' },
      { Key: 'env', Value: 'dev' },
      { Key: 'team', Value: 'core' },
      { Key: 'ünï', Value: '' },
    ]);
    assert.equal(all.HasMoreTags, false);
    const page = await kinesis.send(new ListTagsForStreamCommand({ StreamName: 'tagged', ExclusiveStartTagKey: 'cost:center', Limit: 2 }));
    assert.deepEqual(page.Tags?.map((t) => t.Key), ['env', 'team']);
    assert.equal(page.HasMoreTags, true);
    await kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: 'tagged', TagKeys: ['env', 'missing'] }));
    const left = await client(account, true).send(new ListTagsForStreamCommand({ StreamName: 'tagged' }));
    assert.deepEqual(left.Tags?.map((t) => t.Key), ['cost:center', 'team', 'ünï']);

    const msg = 'Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @.';
    const invalid: Record<string, string>[] = [{ 'a,b': 'v' }, { k: 'tab\there' }, { k: 'new\nline' }, { 'semi;': 'x' }];
    for (const Tags of invalid) {
      await rejects(kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tagged', Tags })), 'InvalidArgumentException', msg);
    }
    await rejects(kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: 'tagged', TagKeys: ['a,b'] })), 'InvalidArgumentException', msg);
    const allowed = "The allowed characters are Unicode letters, white-spaces, '_',',','/','=','+','-','@'.";
    await rejects(
      kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tagged', Tags: { k: '50%' } })),
      'InvalidArgumentException',
      `Failed to add tags to stream tagged under account ${account} because some tags contained illegal characters. ${allowed}`,
    );
    await rejects(
      kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: 'tagged', TagKeys: ['50%'] })),
      'InvalidArgumentException',
      `Failed to remove tags from stream tagged under account ${account} because some tags contained illegal characters. ${allowed}`,
    );
    await rejects(
      kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tagged', Tags: { 'AWS:owner': 'me' } })),
      'InvalidArgumentException',
      `Failed to add tags to stream tagged under account ${account} because tag keys beginning with aws: are reserved for AWS use.`,
    );
    // 3 tags now; 47 more reach the limit of 50, one more exceeds it.
    const many = Object.fromEntries(Array.from({ length: 47 }, (_, i) => [`k${i}`, 'v']));
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tagged', Tags: many }));
    await kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tagged', Tags: { k0: 'overwrite is not an addition' } }));
    await rejects(
      kinesis.send(new AddTagsToStreamCommand({ StreamName: 'tagged', Tags: { one: 'more' } })),
      'InvalidArgumentException',
      `Failed to add tags to stream tagged under account ${account} because a given stream cannot have more than 10 tags associated with it.`,
    );
    assert.equal((await kinesis.send(new ListTagsForStreamCommand({ StreamName: 'tagged' }))).Tags?.length, 50);
    await rejects(
      kinesis.send(new AddTagsToStreamCommand({ StreamName: 'nope', Tags: { a: 'b' } })),
      'ResourceNotFoundException',
      `Stream nope under account ${account} not found.`,
    );
    await rejects(kinesis.send(new ListTagsForStreamCommand({ StreamName: 'nope' })), 'ResourceNotFoundException', `Stream nope under account ${account} not found.`);
  });

  test('TagResource, UntagResource, ListTagsForResource on stream and consumer ARNs', async () => {
    const account = newAccount();
    const kinesis = client(account);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'res', ShardCount: 1 }));
    const streamArn = `arn:aws:kinesis:us-east-1:${account}:stream/res`;
    await kinesis.send(new TagResourceCommand({ ResourceARN: streamArn, Tags: { b: '2', a: '1' } }));
    assert.deepEqual((await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: streamArn }))).Tags, [
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
    ]);
    await kinesis.send(new UntagResourceCommand({ ResourceARN: streamArn, TagKeys: ['a'] }));
    assert.deepEqual((await kinesis.send(new ListTagsForStreamCommand({ StreamName: 'res' }))).Tags, [{ Key: 'b', Value: '2' }]);

    const stream = (await server.kinesis.streams.find({ account, region: 'us-east-1' }, 'res'))!;
    const created = Date.now();
    const arn = consumerArn(stream.arn, 'reader', created);
    await rejects(kinesis.send(new ListTagsForResourceCommand({ ResourceARN: arn })), 'ResourceNotFoundException', `Consumer ${arn}, account ${account} not found.`);
    await rejects(kinesis.send(new TagResourceCommand({ ResourceARN: arn, Tags: { a: 'b' } })), 'ResourceNotFoundException', `Consumer ${arn}, account ${account} not found.`);
    const consumer: ConsumerMeta = { name: 'reader', arn, streamId: stream.id, streamArn: stream.arn, status: 'ACTIVE', createdAt: created, tags: { x: 'y' } };
    await server.kinesis.store.meta.put(consumerKey(stream.id, 'reader'), consumer, 0);
    await kinesis.send(new TagResourceCommand({ ResourceARN: arn, Tags: { app: 'kcl' } }));
    await kinesis.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: ['x'] }));
    assert.deepEqual((await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags, [{ Key: 'app', Value: 'kcl' }]);
    // The stream's own tags are untouched by its consumer's.
    assert.deepEqual((await kinesis.send(new ListTagsForResourceCommand({ ResourceARN: streamArn }))).Tags, [{ Key: 'b', Value: '2' }]);
    // An ARN of an earlier registration of the same name names nothing.
    const stale = consumerArn(stream.arn, 'reader', created - 60_000);
    await rejects(kinesis.send(new ListTagsForResourceCommand({ ResourceARN: stale })), 'ResourceNotFoundException', `Consumer ${stale}, account ${account} not found.`);
    await rejects(
      kinesis.send(new TagResourceCommand({ ResourceARN: arn, Tags: { 'bad;': 'x' } })),
      'InvalidArgumentException',
      'Some tags contain invalid characters. Valid characters: Unicode letters, digits, white space, _ . / = + - % @.',
    );
    await rejects(
      kinesis.send(new TagResourceCommand({ ResourceARN: `arn:aws:kinesis:us-east-1:${account}:stream/nope`, Tags: { a: 'b' } })),
      'ResourceNotFoundException',
      `Stream nope under account ${account} not found.`,
    );
    const limit = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    await rejects(
      kinesis.send(new TagResourceCommand({ ResourceARN: streamArn, Tags: limit })),
      'InvalidArgumentException',
      `Failed to add tags to stream res under account ${account} because a given stream cannot have more than 10 tags associated with it.`,
    );
  });
});

describe('lifecycle with delays', () => {
  let server: TestServer;
  let kinesis: KinesisClient;
  let account: string;
  before(async () => {
    server = await startTestServer({ createStreamMs: 1000, deleteStreamMs: 1000 });
    account = newAccount();
    kinesis = server.client({ accessKeyId: account });
  });
  after(() => server.stop());

  test('at most 5 streams CREATING at once per account and region', async () => {
    const busy = newAccount();
    const client = server.client({ accessKeyId: busy });
    for (let i = 0; i < 5; i++) await client.send(new CreateStreamCommand({ StreamName: `busy-${i}`, ShardCount: 1 }));
    await rejects(
      client.send(new CreateStreamCommand({ StreamName: 'busy-5', ShardCount: 1 })),
      'LimitExceededException',
      `This request would exceed the limit of 5 streams in CREATING state at once for the account ${busy} in us-east-1. Wait for a stream to become ACTIVE and try again.`,
    );
    // Another region of the same account is not affected; once ACTIVE, the next one is created.
    await server.client({ accessKeyId: busy, region: 'eu-west-1' }).send(new CreateStreamCommand({ StreamName: 'busy-5', ShardCount: 1 }));
    await waitUntilStreamExists({ client, maxWaitTime: 20, minDelay: 1, maxDelay: 1 }, { StreamName: 'busy-0' });
    await client.send(new CreateStreamCommand({ StreamName: 'busy-5', ShardCount: 1 }));
  });

  test('CREATING → ACTIVE (waitUntilStreamExists), DELETING → gone (waitUntilStreamNotExists)', async () => {
    await kinesis.send(new CreateStreamCommand({ StreamName: 'slow', ShardCount: 2, Tags: { a: 'b' } }));
    const creating = (await kinesis.send(new DescribeStreamCommand({ StreamName: 'slow' }))).StreamDescription!;
    assert.equal(creating.StreamStatus, 'CREATING');
    assert.deepEqual(creating.Shards, []);
    assert.equal(creating.HasMoreShards, false);
    const notActive = (status: string) => `Stream slow under account ${account} not ACTIVE, instead in state ${status}`;
    await rejects(kinesis.send(new ListShardsCommand({ StreamName: 'slow' })), 'ResourceInUseException', notActive('CREATING'));
    // DeleteStream while CREATING succeeds, as recorded: test/aws-recorded.test.ts.
    await rejects(kinesis.send(new AddTagsToStreamCommand({ StreamName: 'slow', Tags: { c: 'd' } })), 'ResourceInUseException', notActive('CREATING'));
    await rejects(kinesis.send(new RemoveTagsFromStreamCommand({ StreamName: 'slow', TagKeys: ['a'] })), 'ResourceInUseException', notActive('CREATING'));
    await rejects(
      kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'slow', RetentionPeriodHours: 48 })),
      'ResourceInUseException',
      notActive('CREATING'),
    );
    // Tags given at creation apply at once and can be read.
    assert.deepEqual((await kinesis.send(new ListTagsForStreamCommand({ StreamName: 'slow' }))).Tags, [{ Key: 'a', Value: 'b' }]);
    const exists = await waitUntilStreamExists({ client: kinesis, maxWaitTime: 20, minDelay: 1, maxDelay: 1 }, { StreamName: 'slow' });
    assert.equal(exists.state, 'SUCCESS');
    assert.equal((await kinesis.send(new ListShardsCommand({ StreamName: 'slow' }))).Shards?.length, 2);

    await kinesis.send(new DeleteStreamCommand({ StreamName: 'slow' }));
    const deleting = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'slow' }))).StreamDescriptionSummary!;
    assert.equal(deleting.StreamStatus, 'DELETING');
    const listed = await kinesis.send(new ListStreamsCommand({}));
    assert.deepEqual(listed.StreamSummaries?.map((s) => s.StreamStatus), ['DELETING']);
    // Deleting a DELETING stream succeeds; changing it does not.
    await kinesis.send(new DeleteStreamCommand({ StreamName: 'slow' }));
    await rejects(kinesis.send(new AddTagsToStreamCommand({ StreamName: 'slow', Tags: { c: 'd' } })), 'ResourceInUseException', notActive('DELETING'));
    await rejects(
      kinesis.send(new DecreaseStreamRetentionPeriodCommand({ StreamName: 'slow', RetentionPeriodHours: 24 })),
      'ResourceInUseException',
      notActive('DELETING'),
    );
    const gone = await waitUntilStreamNotExists({ client: kinesis, maxWaitTime: 20, minDelay: 1, maxDelay: 1 }, { StreamName: 'slow' });
    assert.equal(gone.state, 'SUCCESS');
    await rejects(kinesis.send(new DescribeStreamCommand({ StreamName: 'slow' })), 'ResourceNotFoundException', `Stream slow under account ${account} not found.`);
  });
});

describe('restart', () => {
  test('streams, retention and tags survive a restart of the server', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'millrace-control-plane-'));
    const account = newAccount();
    try {
      let server = await startTestServer({ dataDir });
      try {
        const kinesis = server.client({ accessKeyId: account });
        await kinesis.send(new CreateStreamCommand({ StreamName: 'durable', ShardCount: 2, Tags: { keep: 'me' } }));
        await kinesis.send(new AddTagsToStreamCommand({ StreamName: 'durable', Tags: { also: 'this' } }));
        await kinesis.send(new IncreaseStreamRetentionPeriodCommand({ StreamName: 'durable', RetentionPeriodHours: 72 }));
      } finally {
        await server.stop();
      }
      server = await startTestServer({ dataDir });
      try {
        const kinesis = server.client({ accessKeyId: account, http1: true });
        const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: 'durable' }));
        assert.equal(StreamDescription?.RetentionPeriodHours, 72);
        assert.equal(StreamDescription?.Shards?.length, 2);
        assert.deepEqual((await kinesis.send(new ListTagsForStreamCommand({ StreamName: 'durable' }))).Tags, [
          { Key: 'also', Value: 'this' },
          { Key: 'keep', Value: 'me' },
        ]);
        // NextTokens are sealed with a key kept in the store, so they survive too.
        const { NextToken } = await kinesis.send(new ListShardsCommand({ StreamName: 'durable', MaxResults: 1 }));
        await server.stop();
        server = await startTestServer({ dataDir });
        const next = await server.client({ accessKeyId: account }).send(new ListShardsCommand({ NextToken }));
        assert.deepEqual(shardIds(next.Shards), [id(1)]);
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
