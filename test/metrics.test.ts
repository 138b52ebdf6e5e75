import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  EnableEnhancedMonitoringCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
} from '@aws-sdk/client-kinesis';
import { startTestServer, type TestServer } from './helpers.js';
import { banner } from '../src/banner.js';
import { DEFAULT_CONFIG } from '../src/config.js';

/**
 * The Prometheus page (issue 18 §4, CONSOLE-SPEC §2.3): `/_millrace/metrics` and `/metrics` in the
 * text exposition format, parsed here, with counters that match the operations done through the
 * JS SDK; `shard` labels only where enhanced monitoring enabled them. And the start banner (§6).
 */

let server: TestServer;
before(async () => {
  server = await startTestServer({ createStreamMs: 0 });
});
after(() => server.stop());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  contentType: string;
  samples: Sample[];
  types: Map<string, string>;
  help: Map<string, string>;
}

/** The text exposition format 0.0.4, parsed strictly: a line that is not a comment or a sample fails the test. */
function parsePrometheus(text: string): Omit<Scrape, 'contentType'> {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const comment = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
    if (comment) {
      (comment[1] === 'TYPE' ? types : help).set(comment[2], comment[3]);
      continue;
    }
    // Values as Go's strconv.ParseFloat (Prometheus's parser) takes them: NaN and Inf in any case.
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|(?:nan)|[+-]?inf)$/i.exec(line);
    assert.ok(match, `not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2].replace(/\\(.)/g, '$1');
    const text = match[3].toLowerCase();
    samples.push({ name: match[1], labels, value: text === 'nan' ? NaN : text.endsWith('inf') ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text) });
  }
  return { samples, types, help };
}

function get(path: string, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(path, server.endpoint), { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function scrape(path = '/_millrace/metrics'): Promise<Scrape> {
  const answer = await get(path);
  assert.equal(answer.status, 200, answer.body);
  return { contentType: String(answer.headers['content-type']), ...parsePrometheus(answer.body) };
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when none. */
function value(scrape: Scrape, name: string, labels: Record<string, string> = {}): number | undefined {
  const found = scrape.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(found.length <= 1, `${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

const STREAM = { account: '000000000000', region: 'us-east-1', stream: 'scraped' };

test('counters match the Kinesis operations done through the JS SDK', async () => {
  const kinesis = server.client();
  await kinesis.send(new CreateStreamCommand({ StreamName: 'scraped', ShardCount: 2 }));
  const data = Buffer.from('payload-of-20-bytes!');
  for (let i = 0; i < 4; i++) await kinesis.send(new PutRecordCommand({ StreamName: 'scraped', Data: data, PartitionKey: `key-${i}` }));
  await kinesis.send(new PutRecordsCommand({ StreamName: 'scraped', Records: Array.from({ length: 6 }, (_, i) => ({ Data: data, PartitionKey: `batch-${i}` })) }));
  let read = 0;
  for (const shard of ['shardId-000000000000', 'shardId-000000000001']) {
    const iterator = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'scraped', ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }));
    read += (await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }))).Records?.length ?? 0;
  }
  assert.equal(read, 10);
  await assert.rejects(kinesis.send(new PutRecordCommand({ StreamName: 'missing', Data: data, PartitionKey: 'k' })), /ResourceNotFoundException|not found/);

  const s = await scrape();
  assert.equal(s.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(value(s, 'millrace_incoming_records_total', STREAM), 10);
  // Bytes as the write limit counts them: data plus partition key.
  const keyBytes = [0, 1, 2, 3].reduce((sum, i) => sum + `key-${i}`.length, 0) + [0, 1, 2, 3, 4, 5].reduce((sum, i) => sum + `batch-${i}`.length, 0);
  assert.equal(value(s, 'millrace_incoming_bytes_total', STREAM), 10 * data.length + keyBytes);
  assert.equal(value(s, 'millrace_put_records_entries_total', { ...STREAM, result: 'success' }), 6);
  assert.equal(value(s, 'millrace_put_records_entries_total', { ...STREAM, result: 'throttled' }), 0);
  assert.equal(value(s, 'millrace_outgoing_records_total', { ...STREAM, api: 'GetRecords' }), 10);
  assert.equal(value(s, 'millrace_outgoing_records_total', { ...STREAM, api: 'SubscribeToShard' }), 0);
  assert.equal(value(s, 'millrace_throttled_total', { ...STREAM, direction: 'write' }), 0);
  assert.ok(value(s, 'millrace_iterator_age_seconds', STREAM)! >= 0);
  assert.equal(value(s, 'millrace_open_shards', STREAM), 2);
  assert.ok(value(s, 'millrace_streams', { status: 'ACTIVE' })! >= 1);

  // Requests by outcome, and their duration histogram.
  const putRecord = { service: 'kinesis', operation: 'PutRecord' };
  assert.equal(value(s, 'millrace_requests_total', { ...putRecord, outcome: 'success' }), 4);
  assert.equal(value(s, 'millrace_requests_total', { ...putRecord, outcome: 'client_error' }), 1);
  assert.equal(value(s, 'millrace_requests_total', { ...putRecord, outcome: 'server_error' }), 0);
  assert.equal(value(s, 'millrace_requests_total', { service: 'kinesis', operation: 'PutRecords', outcome: 'success' }), 1);
  assert.equal(s.types.get('millrace_request_duration_seconds'), 'histogram');
  assert.equal(value(s, 'millrace_request_duration_seconds_count', putRecord), 5);
  const buckets = s.samples.filter((x) => x.name === 'millrace_request_duration_seconds_bucket' && x.labels.operation === 'PutRecord');
  assert.equal(buckets.at(-1)?.labels.le, '+Inf');
  assert.equal(buckets.at(-1)?.value, 5);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, 'buckets are cumulative');
  assert.ok(value(s, 'millrace_request_duration_seconds_sum', putRecord)! > 0);

  // The JS SDK speaks HTTP/2 without TLS to an http:// endpoint.
  assert.ok(value(s, 'millrace_connections_accepted_total', { protocol: 'h2c' })! >= 1);
  // This scrape's own HTTP/1.1 connection is open while it is answered.
  assert.ok(value(s, 'millrace_connections', { protocol: 'h1' })! >= 1);
  assert.equal(value(s, 'millrace_connections', { protocol: 'tls-h2' }), 0);
  assert.equal(value(s, 'millrace_build_info', { store: 'lmdb' }), 1);
  // Node's own metrics come with prom-client.
  assert.ok(value(s, 'process_resident_memory_bytes')! > 0);
  // Every Millrace metric names its CloudWatch counterpart (or says it has none).
  for (const [name, help] of s.help) if (name.startsWith('millrace_')) assert.ok(help.length > 10, name);
  assert.match(s.help.get('millrace_incoming_records_total')!, /IncomingRecords/);
  assert.match(s.help.get('millrace_iterator_age_seconds')!, /GetRecords\.IteratorAgeMilliseconds/);

  // /metrics is the same page, without AWS authentication; other methods there are not it.
  const plain = await scrape('/metrics');
  assert.equal(value(plain, 'millrace_incoming_records_total', STREAM), 10);
  const posted = await get('/metrics', 'POST');
  assert.notEqual(posted.status, 200);
});

test('shard labels appear only for the shard-level metrics a stream enabled', async () => {
  const kinesis = server.client();
  await kinesis.send(new CreateStreamCommand({ StreamName: 'sharded', ShardCount: 2 }));
  const data = Buffer.from('x');
  await kinesis.send(new PutRecordCommand({ StreamName: 'sharded', Data: data, PartitionKey: 'before' }));
  let s = await scrape();
  assert.ok(!s.samples.some((x) => x.labels.stream === 'sharded' && 'shard' in x.labels), 'no shard labels before enhanced monitoring');

  await kinesis.send(new EnableEnhancedMonitoringCommand({ StreamName: 'sharded', ShardLevelMetrics: ['IncomingRecords', 'OutgoingRecords'] }));
  const put = await kinesis.send(new PutRecordCommand({ StreamName: 'sharded', Data: data, PartitionKey: 'after' }));
  const batch = await kinesis.send(new PutRecordsCommand({ StreamName: 'sharded', Records: [{ Data: data, PartitionKey: 'a' }, { Data: data, PartitionKey: 'b' }, { Data: data, PartitionKey: 'c' }] }));
  const perShard = new Map<string, number>([[put.ShardId!, 1]]);
  for (const r of batch.Records ?? []) perShard.set(r.ShardId!, (perShard.get(r.ShardId!) ?? 0) + 1);
  const iterator = await kinesis.send(new GetShardIteratorCommand({ StreamName: 'sharded', ShardId: 'shardId-000000000001', ShardIteratorType: 'TRIM_HORIZON' }));
  const read = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));

  s = await scrape();
  const labels = { account: '000000000000', region: 'us-east-1', stream: 'sharded' };
  for (const [shard, count] of perShard) assert.equal(value(s, 'millrace_shard_incoming_records_total', { ...labels, shard }), count, shard);
  assert.equal(value(s, 'millrace_shard_outgoing_records_total', { ...labels, shard: 'shardId-000000000001' }), read.Records?.length);
  // Not enabled: no series at all.
  assert.equal(s.samples.filter((x) => x.name === 'millrace_shard_incoming_bytes_total' && x.labels.stream === 'sharded').length, 0);
  assert.equal(s.samples.filter((x) => x.name === 'millrace_shard_iterator_age_seconds' && x.labels.stream === 'sharded').length, 0);
  // The stream-level counter still counts every record, shard-level or not.
  assert.equal(value(s, 'millrace_incoming_records_total', labels), 5);
});

test('enhanced fan-out: subscriptions, their records and their lag', async () => {
  const kinesis = server.client();
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fanned', ShardCount: 1 }));
  const arn = (await kinesis.send(new DescribeStreamCommand({ StreamName: 'fanned' }))).StreamDescription!.StreamARN!;
  const consumer = (await kinesis.send(new RegisterStreamConsumerCommand({ StreamARN: arn, ConsumerName: 'reader' }))).Consumer!;
  for (let i = 0; i < 3; i++) await kinesis.send(new PutRecordCommand({ StreamName: 'fanned', Data: Buffer.from(`r${i}`), PartitionKey: 'k' }));
  // Consumers may take a moment to become ACTIVE.
  let subscription;
  for (let attempt = 0; ; attempt++) {
    try {
      subscription = await kinesis.send(new SubscribeToShardCommand({ ConsumerARN: consumer.ConsumerARN, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'TRIM_HORIZON' } }));
      break;
    } catch (err) {
      if (attempt > 50 || !/ResourceInUse/.test(String((err as Error).name))) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let records = 0;
  const during = { scrape: undefined as Scrape | undefined };
  for await (const event of subscription.EventStream!) {
    records += event.SubscribeToShardEvent?.Records?.length ?? 0;
    if (records >= 3) {
      during.scrape = await scrape();
      break;
    }
  }
  const labels = { account: '000000000000', region: 'us-east-1', stream: 'fanned' };
  const s = during.scrape!;
  assert.equal(value(s, 'millrace_outgoing_records_total', { ...labels, api: 'SubscribeToShard' }), 3);
  assert.equal(value(s, 'millrace_outgoing_bytes_total', { ...labels, api: 'SubscribeToShard' }), 3 * (2 + 1));
  assert.equal(value(s, 'millrace_subscriptions', { ...labels, consumer: 'reader' }), 1);
  assert.equal(value(s, 'millrace_subscription_behind_latest_seconds', { ...labels, consumer: 'reader' }), 0);
});

test('the start banner: endpoint, console URL, metrics page and the AWS_ENDPOINT_URL export', () => {
  const text = banner({ ...DEFAULT_CONFIG, host: '127.0.0.1', memory: true, dataDir: undefined }, { port: 4567 });
  assert.match(text, /^  endpoint +http:\/\/127\.0\.0\.1:4567$/m);
  assert.match(text, /^  console +http:\/\/127\.0\.0\.1:4567\/_millrace\/$/m);
  assert.match(text, /^  metrics +http:\/\/127\.0\.0\.1:4567\/_millrace\/metrics \(Prometheus; also \/metrics\)$/m);
  assert.match(text, /CloudWatch metrics/);
  assert.match(text, /^  export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:4567$/m);
});
