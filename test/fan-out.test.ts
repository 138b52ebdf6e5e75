import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { Decoder } from 'cbor-x';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DeregisterStreamConsumerCommand,
  DescribeStreamConsumerCommand,
  ListStreamConsumersCommand,
  ListShardsCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SplitShardCommand,
  SubscribeToShardCommand,
  type KinesisClient,
  type Shard,
  type SubscribeToShardEventStream,
  type SubscribeToShardCommandInput,
} from '@aws-sdk/client-kinesis';
import { available, javaCbor, kinesisJson, sleep, startTestServer, type TestServer } from './helpers.js';
import { decodeFrame, eventFrame, exceptionFrame, initialResponseFrame, splitFrames } from '../src/protocol/event-stream.js';
import { localSubscriptionCount } from '../src/kinesis/domain/subscriptions.js';
import { parseSequenceNumber } from '../src/kinesis/domain/sequence-number.js';

let server: TestServer;
let client: KinesisClient;
const ACCOUNT = '000000000000';
const arnOf = (stream: string) => `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${stream}`;

before(async () => {
  server = await startTestServer();
  client = server.client();
});
after(() => server.stop());

async function streamWithConsumer(stream: string, consumer = 'app', shards = 1): Promise<string> {
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
  const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: arnOf(stream), ConsumerName: consumer }));
  return Consumer!.ConsumerARN!;
}

/** Polls a condition the server reaches asynchronously (no timing is asserted). */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return;
    await sleep(25);
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function expectError(promise: Promise<unknown>, name: string, message: string): Promise<void> {
  await assert.rejects(promise, (err: Error) => {
    assert.equal(err.name, name);
    assert.equal(err.message, message);
    return true;
  });
}

type Event = NonNullable<SubscribeToShardEventStream['SubscribeToShardEvent']>;

/**
 * Subscribes with the SDK; the function returned collects events until `stop` says enough (then cancels the request,
 * as breaking out of the SDK's iterator alone leaves the HTTP/2 stream open) or the stream ends.
 */
async function open(input: SubscribeToShardCommandInput) {
  const controller = new AbortController();
  const { EventStream } = await client.send(new SubscribeToShardCommand(input), { abortSignal: controller.signal });
  return (stop: (events: Event[]) => boolean = () => false) => collect(EventStream!, stop, controller);
}

async function collect(stream: AsyncIterable<SubscribeToShardEventStream>, stop: (events: Event[]) => boolean, controller: AbortController) {
  const events: Event[] = [];
  try {
    for await (const item of stream) {
      assert.ok(item.SubscribeToShardEvent, `unexpected event ${Object.keys(item)}`);
      events.push(item.SubscribeToShardEvent);
      if (stop(events)) {
        controller.abort();
        break;
      }
    }
  } catch (error) {
    return { events, error: error as Error };
  }
  return { events, error: undefined };
}

/** A SubscribeToShard over a hand-built HTTP/1.1 request: status, headers and decoded frames as they come. */
function rawSubscribe(body: Buffer, contentType: string) {
  const frames: { headers: Record<string, string>; body: Buffer }[] = [];
  let wake: () => void = () => {};
  let ended = false;
  let req!: http.ClientRequest;
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req = http.request(
      new URL('/', server.endpoint),
      {
        method: 'POST',
        agent: false,
        headers: {
          'Content-Type': contentType,
          'X-Amz-Target': 'Kinesis_20131202.SubscribeToShard',
          Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abc',
          'X-Amz-Date': '20240101T000000Z',
        },
      },
      (res) => {
        let pending: Buffer = Buffer.alloc(0);
        res.on('data', (chunk: Buffer) => {
          const split = splitFrames(Buffer.concat([pending, chunk]));
          pending = split.rest;
          for (const frame of split.frames) frames.push(decodeFrame(frame));
          wake();
        });
        res.on('end', () => ((ended = true), wake()));
        res.on('error', () => ((ended = true), wake()));
        resolve(res);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  return {
    response,
    frames,
    get ended() {
      return ended;
    },
    async waitFor(count: number) {
      while (frames.length < count && !ended) await new Promise<void>((resolve) => (wake = resolve));
      assert.ok(frames.length >= count, `stream ended after ${frames.length} frames`);
    },
    async end() {
      while (!ended) await new Promise<void>((resolve) => (wake = resolve));
    },
    destroy: () => req.destroy(),
  };
}

test('event-stream frames match the byte vectors of Appendix A.3', () => {
  const bare = Buffer.from(
    '00000045000000 35a382cc73 0d3a6d6573736167652d74797065 07 0005 6576656e74 0b3a6576656e742d74797065 07 0010 696e697469616c2d726573706f6e7365 b7624dee'.replace(/ /g, ''),
    'hex',
  );
  assert.deepEqual(initialResponseFrame('cbor'), bare as Buffer);
  const json = Buffer.from(
    '00000068000000564e6817240d3a6d6573736167652d747970650700056576656e740b3a6576656e742d747970650700' +
      '10696e697469616c2d726573706f6e73650d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a73' +
      '6f6e7b7dfe942c1d',
    'hex',
  );
  assert.deepEqual(initialResponseFrame('json'), json);
  const exception = decodeFrame(exceptionFrame('json', 'ResourceInUseException', 'taken over'));
  assert.deepEqual(exception.headers, { ':message-type': 'exception', ':exception-type': 'ResourceInUseException', ':content-type': 'application/json' });
  assert.equal(exception.body.toString(), '{"message":"taken over"}');
  const event = decodeFrame(eventFrame('json', 'SubscribeToShardEvent', { Records: [], MillisBehindLatest: 0, ContinuationSequenceNumber: undefined }));
  assert.equal(event.body.toString(), '{"Records":[],"MillisBehindLatest":0}');
});

test('consumers: register, describe, list with pages, duplicates, limits and not-found texts', async () => {
  await client.send(new CreateStreamCommand({ StreamName: 'consumers', ShardCount: 1 }));
  const streamArn = arnOf('consumers');
  const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c00' }));
  assert.equal(Consumer?.ConsumerStatus, 'CREATING');
  assert.match(Consumer!.ConsumerARN!, new RegExp(`^${streamArn}/consumer/c00:\\d+$`));
  assert.equal(Consumer!.ConsumerARN!.split(':').pop(), String(Math.floor(Consumer!.ConsumerCreationTimestamp!.getTime() / 1000)));

  const byArn = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer!.ConsumerARN }));
  assert.deepEqual(byArn.ConsumerDescription, { ...Consumer, ConsumerStatus: 'ACTIVE', StreamARN: streamArn });
  const byName = await client.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c00' }));
  assert.deepEqual(byName.ConsumerDescription, byArn.ConsumerDescription);

  await expectError(
    client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c00' })),
    'ResourceInUseException',
    `Consumer c00 under stream consumers, account ${ACCOUNT} already exists.`,
  );
  for (let i = 1; i < 20; i++) {
    await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: `c${String(i).padStart(2, '0')}` }));
  }
  await expectError(
    client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c20' })),
    'LimitExceededException',
    `Consumer limit exceeded for stream consumers under account ${ACCOUNT}. A stream can have at most 20 registered consumers.`,
  );

  const names: string[] = [];
  let NextToken: string | undefined;
  let pages = 0;
  do {
    const page = await client.send(new ListStreamConsumersCommand({ StreamARN: streamArn, MaxResults: 7, NextToken }));
    assert.ok(page.Consumers!.length <= 7);
    names.push(...page.Consumers!.map((c) => c.ConsumerName!));
    NextToken = page.NextToken;
    pages++;
  } while (NextToken);
  assert.equal(pages, 3);
  assert.deepEqual(names, Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`));
  const all = await client.send(new ListStreamConsumersCommand({ StreamARN: streamArn, MaxResults: 10000 }));
  assert.equal(all.Consumers?.length, 20);
  assert.equal(all.NextToken, undefined);

  await expectError(
    client.send(new DescribeStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'nobody' })),
    'ResourceNotFoundException',
    `Consumer nobody, account ${ACCOUNT} not found.`,
  );
  const staleArn = `${streamArn}/consumer/c00:1`;
  await expectError(
    client.send(new DescribeStreamConsumerCommand({ ConsumerARN: staleArn })),
    'ResourceNotFoundException',
    `Consumer ${staleArn}, account ${ACCOUNT} not found.`,
  );
  await expectError(
    client.send(new DescribeStreamConsumerCommand({ StreamARN: arnOf('no-such-stream'), ConsumerName: 'c00' })),
    'ResourceNotFoundException',
    `Stream no-such-stream under account ${ACCOUNT} not found.`,
  );
  await expectError(
    client.send(new DescribeStreamConsumerCommand({ ConsumerName: 'c00' })),
    'InvalidArgumentException',
    'Either ConsumerARN or both StreamARN and ConsumerName must be provided.',
  );
  await expectError(
    client.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer!.ConsumerARN, ConsumerName: 'c01' })),
    'InvalidArgumentException',
    `ConsumerName c01 does not match the name in ConsumerARN ${Consumer!.ConsumerARN}`,
  );
  await expectError(
    client.send(new RegisterStreamConsumerCommand({ StreamARN: arnOf('no-such-stream'), ConsumerName: 'x' })),
    'ResourceNotFoundException',
    `Stream no-such-stream under account ${ACCOUNT} not found.`,
  );
  await expectError(
    client.send(new ListStreamConsumersCommand({ StreamARN: streamArn, NextToken: 'garbage' })),
    'InvalidArgumentException',
    'Invalid NextToken.',
  );

  await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: Consumer!.ConsumerARN }));
  await expectError(
    client.send(new DescribeStreamConsumerCommand({ ConsumerARN: Consumer!.ConsumerARN })),
    'ResourceNotFoundException',
    `Consumer ${Consumer!.ConsumerARN}, account ${ACCOUNT} not found.`,
  );
  await expectError(
    client.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c00' })),
    'ResourceNotFoundException',
    `Consumer c00, account ${ACCOUNT} not found.`,
  );
  // Re-registering a name gives a new registration; the old ARN keeps resolving to nothing.
  await client.send(new DeregisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'c01' }));
  const summary = await kinesisJson(server.endpoint, 'DescribeStreamSummary', { StreamName: 'consumers' });
  assert.equal(summary.json.StreamDescriptionSummary.ConsumerCount, 18);
});

test('consumer lifecycle delays: CREATING limit, SubscribeToShard before ACTIVE, DELETING', async () => {
  const config = server.kinesis.config;
  await client.send(new CreateStreamCommand({ StreamName: 'slow-consumers', ShardCount: 1 }));
  const streamArn = arnOf('slow-consumers');
  config.createConsumerMs = 60_000;
  config.deleteConsumerMs = 60_000;
  try {
    const arns: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: `s${i}` }));
      arns.push(Consumer!.ConsumerARN!);
    }
    await expectError(
      client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 's5' })),
      'LimitExceededException',
      `Stream slow-consumers under account ${ACCOUNT} already has 5 consumers in CREATING status. Wait for them to become ACTIVE before registering more.`,
    );
    const { ConsumerDescription } = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: arns[0] }));
    assert.equal(ConsumerDescription?.ConsumerStatus, 'CREATING');
    const created = arns[0].split(':').pop();
    await expectError(
      client.send(new SubscribeToShardCommand({ ConsumerARN: arns[0], ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } })),
      'ResourceInUseException',
      `Consumer s0 with creation timestamp ${created} under stream: slow-consumers , account ${ACCOUNT} is not in ACTIVE status.`,
    );
    await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: arns[1] }));
    const deleting = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: arns[1] }));
    assert.equal(deleting.ConsumerDescription?.ConsumerStatus, 'DELETING');
  } finally {
    config.createConsumerMs = 0;
    config.deleteConsumerMs = 0;
  }
});

test('SubscribeToShard (JS SDK, HTTP/2) delivers every record put while subscribed, in order', async () => {
  const consumerArn = await streamWithConsumer('fan-h2');
  const read = await open({ ConsumerARN: consumerArn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } });
  const expected: string[] = [];
  const producer = (async () => {
    for (let batch = 0; batch < 10; batch++) {
      const entries = Array.from({ length: 20 }, (_, i) => ({ PartitionKey: `pk${i}`, Data: Buffer.from(`r-${batch}-${i}`) }));
      const { Records } = await client.send(new PutRecordsCommand({ StreamName: 'fan-h2', Records: entries }));
      expected.push(...Records!.map((r) => r.SequenceNumber!));
    }
    const { SequenceNumber } = await client.send(new PutRecordCommand({ StreamName: 'fan-h2', PartitionKey: 'last', Data: Buffer.from('last') }));
    expected.push(SequenceNumber!);
  })();
  const { events, error } = await read((evs) => evs.some((e) => e.Records?.some((r) => Buffer.from(r.Data!).toString() === 'last')));
  await producer;
  assert.equal(error, undefined);
  const records = events.flatMap((e) => e.Records!);
  assert.deepEqual(records.map((r) => r.SequenceNumber), expected);
  assert.deepEqual(
    records.slice(0, 3).map((r) => [r.PartitionKey, Buffer.from(r.Data!).toString()]),
    [['pk0', 'r-0-0'], ['pk1', 'r-0-1'], ['pk2', 'r-0-2']],
  );
  for (const event of events) {
    assert.equal(typeof event.MillisBehindLatest, 'number');
    if (event.Records!.length) assert.equal(event.ContinuationSequenceNumber, event.Records!.at(-1)!.SequenceNumber);
  }
  await until(() => localSubscriptionCount() === 0, 'the abandoned subscription to be freed');
});

test('several consumers of one shard each get every record once, in order, also one that starts behind', async () => {
  const stream = 'fan-many';
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
  const arns: string[] = [];
  for (const name of ['c1', 'c2', 'c3', 'c4']) {
    arns.push((await client.send(new RegisterStreamConsumerCommand({ StreamARN: arnOf(stream), ConsumerName: name }))).Consumer!.ConsumerARN!);
  }
  const put = async (tag: string, n: number) =>
    (await client.send(new PutRecordsCommand({ StreamName: stream, Records: Array.from({ length: n }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`${tag}-${i}`) })) })))
      .Records!.map((r) => r.SequenceNumber!);
  const early = await put('early', 5);
  const shard = { ShardId: 'shardId-000000000000' };
  // Three consumers at the tip share events; the fourth starts at the beginning and catches up.
  const readers = await Promise.all([
    ...arns.slice(0, 3).map((ConsumerARN) => open({ ConsumerARN, ...shard, StartingPosition: { Type: 'LATEST' } })),
    open({ ConsumerARN: arns[3], ...shard, StartingPosition: { Type: 'TRIM_HORIZON' } }),
  ]);
  const expected: string[] = [];
  const producing = (async () => {
    for (let batch = 0; batch < 8; batch++) expected.push(...(await put(`b${batch}`, 25)));
    expected.push(...(await put('last', 1)));
  })();
  const done = (events: Event[]) => events.some((e) => e.Records?.some((r) => Buffer.from(r.Data!).toString() === 'last-0'));
  const results = await Promise.all(readers.map((read) => read(done)));
  await producing;
  results.forEach(({ events, error }, i) => {
    assert.equal(error, undefined);
    const sequences = events.flatMap((e) => e.Records!.map((r) => r.SequenceNumber!));
    assert.deepEqual(sequences, i === 3 ? [...early, ...expected] : expected, `consumer ${i + 1}`);
    for (const event of events) if (event.Records!.length) assert.equal(event.ContinuationSequenceNumber, event.Records!.at(-1)!.SequenceNumber);
  });
  await until(() => localSubscriptionCount() === 0, 'the subscriptions to be freed');
});

test('heartbeats carry a resume position, and resuming from it with AFTER_SEQUENCE_NUMBER loses nothing', async () => {
  const consumerArn = await streamWithConsumer('fan-resume');
  const { SequenceNumber: first } = await client.send(new PutRecordCommand({ StreamName: 'fan-resume', PartitionKey: 'a', Data: Buffer.from('1') }));
  const read = await open({ ConsumerARN: consumerArn, ShardId: 'shardId-0', StartingPosition: { Type: 'TRIM_HORIZON' } });
  // The first event has the record; then, idle, a heartbeat.
  const { events } = await read((evs) => evs.length === 2);
  assert.equal(events[0].Records![0].SequenceNumber, first);
  assert.deepEqual(events[1], { Records: [], ContinuationSequenceNumber: first, MillisBehindLatest: 0 });
  await until(() => localSubscriptionCount() === 0, 'the subscription to be freed');

  const { SequenceNumber: second } = await client.send(new PutRecordCommand({ StreamName: 'fan-resume', PartitionKey: 'a', Data: Buffer.from('2') }));
  const resumed = await open({
      ConsumerARN: consumerArn,
      ShardId: 'shardId-000000000000',
      StartingPosition: { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: events[1].ContinuationSequenceNumber },
  });
  const more = await resumed((evs) => evs.some((e) => e.Records!.length > 0));
  assert.deepEqual(more.events.flatMap((e) => e.Records!.map((r) => r.SequenceNumber)), [second]);
});

test('a heartbeat before any delivery resumes at the starting position', async () => {
  const consumerArn = await streamWithConsumer('fan-heartbeat');
  await client.send(new PutRecordCommand({ StreamName: 'fan-heartbeat', PartitionKey: 'a', Data: Buffer.from('old') }));
  const read = await open({ ConsumerARN: consumerArn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } });
  const { events } = await read((evs) => evs.length === 1);
  assert.deepEqual(events[0].Records, []);
  await until(() => localSubscriptionCount() === 0, 'the subscription to be freed');
  const { SequenceNumber } = await client.send(new PutRecordCommand({ StreamName: 'fan-heartbeat', PartitionKey: 'a', Data: Buffer.from('new') }));
  const resumed = await open({
      ConsumerARN: consumerArn,
      ShardId: 'shardId-000000000000',
      StartingPosition: { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: events[0].ContinuationSequenceNumber },
  });
  const more = await resumed((evs) => evs.some((e) => e.Records!.length > 0));
  assert.deepEqual(more.events.flatMap((e) => e.Records!.map((r) => r.SequenceNumber)), [SequenceNumber]);
});

test('the 5-second rule: a second subscription is refused, an older one is taken over with an exception frame', async () => {
  const consumerArn = await streamWithConsumer('fan-conflict');
  const request = { ConsumerARN: consumerArn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' as const } };
  const first = await open(request);
  const firstEvents = first();
  await expectError(
    client.send(new SubscribeToShardCommand(request)),
    'ResourceInUseException',
    `Another active subscription exists for this consumer: ${ACCOUNT}:fan-conflict:shardId-000000000000:app`,
  );
  // Age the lease instead of waiting five seconds.
  const meta = server.kinesis.store.meta;
  const lease = (await meta.list<{ startedAt: number; consumerArn: string }>('subscription/')).find((l) => l.value.consumerArn === consumerArn);
  assert.ok(lease);
  assert.notEqual(await meta.put(lease.key, { ...lease.value, startedAt: lease.value.startedAt - 5_000 }, lease.revision), undefined);
  const second = await open(request);
  const { error } = await firstEvents;
  assert.equal(error?.name, 'ResourceInUseException');
  assert.equal(
    error?.message,
    `Another subscription for consumer app on shard shardId-000000000000 of stream fan-conflict under account ${ACCOUNT} has taken over this one.`,
  );
  const { SequenceNumber } = await client.send(new PutRecordCommand({ StreamName: 'fan-conflict', PartitionKey: 'a', Data: Buffer.from('x') }));
  const { events } = await second((evs) => evs.some((e) => e.Records!.length > 0));
  assert.equal(events.flatMap((e) => e.Records!)[0].SequenceNumber, SequenceNumber);
  await until(() => localSubscriptionCount() === 0, 'the subscription to be freed');
});

test('a client that disconnects frees its subscription at once, so it can resubscribe', async () => {
  const consumerArn = await streamWithConsumer('fan-disconnect');
  const body = Buffer.from(JSON.stringify({ ConsumerARN: consumerArn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } }));
  const first = rawSubscribe(body, 'application/x-amz-json-1.1');
  assert.equal((await first.response).statusCode, 200);
  await first.waitFor(1);
  assert.equal(localSubscriptionCount(), 1);
  first.destroy();
  await until(() => localSubscriptionCount() === 0, 'the subscription to be freed');
  assert.deepEqual(await server.kinesis.store.meta.list('subscription/'), []);
  const second = rawSubscribe(body, 'application/x-amz-json-1.1');
  assert.equal((await second.response).statusCode, 200);
  await second.waitFor(1);
  second.destroy();
  await until(() => localSubscriptionCount() === 0, 'the subscription to be freed');
});

test('the subscription completes normally when its lifetime is over', async () => {
  const consumerArn = await streamWithConsumer('fan-lifetime');
  server.kinesis.config.subscriptionLifetimeMs = 300;
  try {
    const read = await open({ ConsumerARN: consumerArn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } });
    const { error } = await read();
    assert.equal(error, undefined);
  } finally {
    server.kinesis.config.subscriptionLifetimeMs = 300_000;
  }
  assert.equal(localSubscriptionCount(), 0);
  assert.deepEqual(await server.kinesis.store.meta.list('subscription/'), []);
});

test('deregistering the consumer or deleting the stream mid-stream ends it with ResourceNotFoundException', async () => {
  const consumerArn = await streamWithConsumer('fan-gone');
  const start = { ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' as const } };
  const first = await open({ ConsumerARN: consumerArn, ...start });
  const ended = first();
  await client.send(new DeregisterStreamConsumerCommand({ ConsumerARN: consumerArn }));
  const { error } = await ended;
  assert.equal(error?.name, 'ResourceNotFoundException');
  assert.equal(error?.message, `Consumer ${consumerArn}, account ${ACCOUNT} not found.`);

  const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: arnOf('fan-gone'), ConsumerName: 'again' }));
  const second = await open({ ConsumerARN: Consumer!.ConsumerARN, ...start });
  const ended2 = second();
  await client.send(new DeleteStreamCommand({ StreamName: 'fan-gone', EnforceConsumerDeletion: true }));
  const { error: error2 } = await ended2;
  assert.equal(error2?.name, 'ResourceNotFoundException');
  assert.equal(error2?.message, `Stream fan-gone under account ${ACCOUNT} not found.`);
  await until(() => localSubscriptionCount() === 0, 'the subscriptions to be freed');
});

test('SubscribeToShard errors before streaming are HTTP 400 with exact texts', async () => {
  const consumerArn = await streamWithConsumer('fan-errors');
  const subscribe = (ShardId: string, StartingPosition: { Type: any; SequenceNumber?: string; Timestamp?: Date }, ConsumerARN = consumerArn) =>
    client.send(new SubscribeToShardCommand({ ConsumerARN, ShardId, StartingPosition }));
  await expectError(
    subscribe('shardId-000000000000', { Type: 'LATEST' }, `${arnOf('fan-errors')}/consumer/ghost:1`),
    'ResourceNotFoundException',
    `Consumer ${arnOf('fan-errors')}/consumer/ghost:1, account ${ACCOUNT} not found.`,
  );
  await expectError(subscribe('bogus', { Type: 'LATEST' }), 'ResourceNotFoundException', `Could not find shard bogus in stream fan-errors under account ${ACCOUNT}.`);
  await expectError(
    subscribe('shardId-7', { Type: 'LATEST' }),
    'ResourceNotFoundException',
    `Shard shardId-000000000007 in stream fan-errors under account ${ACCOUNT} does not exist`,
  );
  await expectError(
    subscribe('shardId-000000000000', { Type: 'AT_SEQUENCE_NUMBER' }),
    'InvalidArgumentException',
    'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. Request specified AT_SEQUENCE_NUMBER and no StartingSequenceNumber.',
  );
  await expectError(
    subscribe('shardId-000000000000', { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: '1'.repeat(59) }),
    'InvalidArgumentException',
    `StartingSequenceNumber ${'1'.repeat(59)} used in GetShardIterator on shard shardId-000000000000 in stream fan-errors under account ${ACCOUNT} is invalid.`,
  );
  await expectError(
    subscribe('shardId-000000000000', { Type: 'AT_TIMESTAMP' }),
    'InvalidArgumentException',
    'Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.',
  );
  assert.equal(localSubscriptionCount(), 0);
});

test('CBOR requests get CBOR events with byte-string Data', async () => {
  const consumerArn = await streamWithConsumer('fan-cbor');
  const sub = rawSubscribe(
    javaCbor({ ConsumerARN: consumerArn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'AT_TIMESTAMP', Timestamp: new Date(Date.now() - 60_000) } }),
    'application/x-amz-cbor-1.1',
  );
  const res = await sub.response;
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/vnd.amazon.eventstream');
  await sub.waitFor(1);
  assert.deepEqual(sub.frames[0].headers, { ':message-type': 'event', ':event-type': 'initial-response' });
  const { SequenceNumber } = await client.send(new PutRecordCommand({ StreamName: 'fan-cbor', PartitionKey: 'k', Data: Buffer.from([0, 1, 2, 255]) }));
  await sub.waitFor(2);
  const { headers, body } = sub.frames[1];
  assert.deepEqual(headers, { ':message-type': 'event', ':event-type': 'SubscribeToShardEvent', ':content-type': 'application/x-amz-cbor-1.1' });
  const event = new Decoder({ useRecords: false, mapsAsObjects: true }).decode(body);
  assert.equal(event.ContinuationSequenceNumber, SequenceNumber);
  assert.equal(event.MillisBehindLatest, 0);
  assert.deepEqual(Buffer.from(event.Records[0].Data), Buffer.from([0, 1, 2, 255]));
  assert.equal(event.Records[0].PartitionKey, 'k');
  assert.ok(event.Records[0].ApproximateArrivalTimestamp instanceof Date);
  sub.destroy();
  await until(() => localSubscriptionCount() === 0, 'the subscription to be freed');
});

test('a shard closed by a split ends with ChildShards and no ContinuationSequenceNumber; the children continue', async () => {
  const consumerArn = await streamWithConsumer('fan-split');
  const parent = await open({ ConsumerARN: consumerArn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'TRIM_HORIZON' } });
  const parentEvents = parent();
  const before: string[] = [];
  for (let i = 0; i < 5; i++) {
    const { SequenceNumber } = await client.send(new PutRecordCommand({ StreamName: 'fan-split', PartitionKey: `k${i}`, Data: Buffer.from(`before-${i}`) }));
    before.push(SequenceNumber!);
  }
  await client.send(new SplitShardCommand({ StreamName: 'fan-split', ShardToSplit: 'shardId-000000000000', NewStartingHashKey: (1n << 127n).toString() }));
  let shards: Shard[] = [];
  await until(async () => {
    shards = (await client.send(new ListShardsCommand({ StreamName: 'fan-split' }))).Shards!;
    return shards.length === 3;
  }, 'the split to complete');
  // Records go to the parent until the children's creation second (§5.2, as recorded).
  const childCreated = parseSequenceNumber(shards[1].SequenceNumberRange!.StartingSequenceNumber!)!.shardCreatedSec * 1000;
  await sleep(Math.max(0, childCreated - Date.now()));
  const after = await client.send(new PutRecordCommand({ StreamName: 'fan-split', PartitionKey: 'after', Data: Buffer.from('after') }));

  const { events, error } = await parentEvents;
  assert.equal(error, undefined);
  assert.deepEqual(events.flatMap((e) => e.Records!.map((r) => r.SequenceNumber)), before);
  const last = events.at(-1)!;
  assert.equal(last.ContinuationSequenceNumber, undefined);
  assert.deepEqual(last.Records, []);
  assert.deepEqual(last.ChildShards, [
    {
      ShardId: 'shardId-000000000001',
      ParentShards: ['shardId-000000000000'],
      HashKeyRange: { StartingHashKey: '0', EndingHashKey: ((1n << 127n) - 1n).toString() },
    },
    {
      ShardId: 'shardId-000000000002',
      ParentShards: ['shardId-000000000000'],
      HashKeyRange: { StartingHashKey: (1n << 127n).toString(), EndingHashKey: ((1n << 128n) - 1n).toString() },
    },
  ]);
  for (const event of events.slice(0, -1)) assert.equal(event.ChildShards, undefined);

  const child = await open({ ConsumerARN: consumerArn, ShardId: after.ShardId!, StartingPosition: { Type: 'TRIM_HORIZON' } });
  const childEvents = await child((evs) => evs.some((e) => e.Records!.length > 0));
  assert.deepEqual(childEvents.events.flatMap((e) => e.Records!.map((r) => r.SequenceNumber)), [after.SequenceNumber]);
  await until(() => localSubscriptionCount() === 0, 'the subscriptions to be freed');
});

test('a subscriber that does not read never holds up producers or other subscribers', async () => {
  await client.send(new CreateStreamCommand({ StreamName: 'fan-slow', ShardCount: 1 }));
  const arns: string[] = [];
  for (const name of ['slow', 'fast']) {
    const { Consumer } = await client.send(new RegisterStreamConsumerCommand({ StreamARN: arnOf('fan-slow'), ConsumerName: name }));
    arns.push(Consumer!.ConsumerARN!);
  }
  const request = (arn: string) => Buffer.from(JSON.stringify({ ConsumerARN: arn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } }));
  const slow = rawSubscribe(request(arns[0]), 'application/x-amz-json-1.1');
  const slowResponse = await slow.response;
  await slow.waitFor(1);
  slowResponse.pause();
  const fast = await open({ ConsumerARN: arns[1], ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } });
  const payload = Buffer.alloc(512 * 1024, 7);
  const total = 16; // 8 MiB: more than the 2 MiB/s budget allows at once and than socket buffers hold
  const fastEvents = fast((evs) => evs.reduce((n, e) => n + e.Records!.length, 0) >= total);
  for (let i = 0; i < total; i++) await client.send(new PutRecordCommand({ StreamName: 'fan-slow', PartitionKey: `k${i}`, Data: payload }));
  const { events, error } = await fastEvents;
  assert.equal(error, undefined);
  assert.equal(events.reduce((n, e) => n + e.Records!.length, 0), total);
  // The stalled subscriber has received at most what the connection accepted before it stalled.
  assert.ok(slow.frames.length < total);
  slow.destroy();
  await until(() => localSubscriptionCount() === 0, 'the subscriptions to be freed');
});

test('boto3 subscribe_to_shard over HTTP/1.1 reads the initial response, events and records', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) {
    t.skip('boto3 is not installed (python3 -c "import boto3" failed)');
    return;
  }
  const consumerArn = await streamWithConsumer('fan-boto3');
  const { SequenceNumber } = await client.send(new PutRecordCommand({ StreamName: 'fan-boto3', PartitionKey: 'p', Data: Buffer.from('from-node') }));
  const script = `
import boto3, json, sys
c = boto3.client('kinesis', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='AKID', aws_secret_access_key='x')
r = c.subscribe_to_shard(ConsumerARN=sys.argv[2], ShardId='shardId-000000000000', StartingPosition={'Type': 'TRIM_HORIZON'})
for event in r['EventStream']:
    e = event['SubscribeToShardEvent']
    if e['Records']:
        rec = e['Records'][0]
        print(json.dumps({'seq': rec['SequenceNumber'], 'data': rec['Data'].decode(), 'cont': e['ContinuationSequenceNumber'], 'behind': e['MillisBehindLatest']}))
        break
`;
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn('python3', ['-c', script, server.endpoint, consumerArn], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`boto3 script failed (${code}): ${err}`))));
  });
  assert.deepEqual(JSON.parse(output), { seq: SequenceNumber, data: 'from-node', cont: SequenceNumber, behind: 0 });
  await until(() => localSubscriptionCount() === 0, 'the subscription to be freed');
});
