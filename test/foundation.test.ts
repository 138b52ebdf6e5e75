import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CreateStreamCommand, DescribeStreamCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { startTestServer, type TestServer } from './helpers.js';
import { formatSequenceNumber, parseSequenceNumber } from '../src/kinesis/domain/sequence-number.js';
import { hashPartitionKey, uniformRanges } from '../src/kinesis/domain/hash-key.js';
import { parseShardId } from '../src/kinesis/domain/shard-id.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

test('the SDK creates and describes a stream over HTTP/2 and HTTP/1.1', async () => {
  for (const http1 of [false, true]) {
    const client = server.client({ http1 });
    const name = `foundation-${http1 ? 'h1' : 'h2'}`;
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: 3 }));
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName: name }));
    assert.equal(StreamDescription?.StreamStatus, 'ACTIVE');
    assert.deepEqual(
      StreamDescription?.Shards?.map((s) => [s.ShardId, s.HashKeyRange?.StartingHashKey, s.HashKeyRange?.EndingHashKey]),
      [
        ['shardId-000000000000', '0', '113427455640312821154458202477256070484'],
        ['shardId-000000000001', '113427455640312821154458202477256070485', '226854911280625642308916404954512140969'],
        ['shardId-000000000002', '226854911280625642308916404954512140970', '340282366920938463463374607431768211455'],
      ],
    );
    const { StreamNames } = await client.send(new ListStreamsCommand({}));
    assert.ok(StreamNames?.includes(name));
  }
});

test('sequence numbers use the recorded 56-digit layout (KINESIS-SPEC §4.4)', () => {
  const start = formatSequenceNumber({ shardCreatedSec: 1700000000, shardIndex: 0, sequenceIndex: 0n, arrivalSec: 1700000000 });
  assert.equal(start, '49646437577108476416916876405825929425585429676275269634');
  const first = formatSequenceNumber({ shardCreatedSec: 1700000000, shardIndex: 0, sequenceIndex: 1n, arrivalSec: 1700000005 });
  assert.equal(first, '49646437577108476416916876405827138351405044649047359490');
  const ending = formatSequenceNumber({ shardCreatedSec: 1700000000, shardIndex: 0, sequenceIndex: 0x7fffffffffffffffn, arrivalSec: 1700000000 });
  assert.match(ending, /^\d{56}$/);
  assert.deepEqual(parseSequenceNumber(first), { shardCreatedSec: 1700000000, shardIndex: 0, sequenceIndex: 1n, arrivalSec: 1700000005 });
  assert.equal(parseSequenceNumber('12345'), undefined);
});

test('hash keys and initial ranges follow §4.1–4.2', () => {
  assert.equal(hashPartitionKey('a'), 16955237001963240173058271559858726497n);
  assert.equal(hashPartitionKey('hello'), 123957004363873451094272536567338222994n);
  const four = uniformRanges(4);
  assert.equal(four[0].end, 85070591730234615865843651857942052863n);
  assert.equal(four[3].start, 255211775190703847597530955573826158592n);
  assert.equal(four[3].end, (1n << 128n) - 1n);
});

test('shard ids parse leniently (§2.2)', () => {
  assert.equal(parseShardId('shardId-000000000005'), 5);
  assert.equal(parseShardId('shard-0'), 0);
  assert.equal(parseShardId('7'), 7);
  assert.equal(parseShardId('2147483647'), 2147483647);
  assert.equal(parseShardId('2147483648'), undefined);
  assert.equal(parseShardId('ABKLFD8'), undefined);
  assert.equal(parseShardId('2.14E4'), undefined);
  assert.equal(parseShardId('shardId-002147483648'), undefined);
});
