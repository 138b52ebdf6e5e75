import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  KinesisAnalyticsV2Client,
  CreateApplicationCommand,
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  StartApplicationCommand,
  StopApplicationCommand,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand, UpdateShardCountCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { FirehoseClient, CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { ingestLogName } from '../src/firehose/domain/delivery-stream.js';
import { sleep, startTestServer, type TestServer } from './helpers.js';

/**
 * The runner's connectors: a source stream of several shards (the watermark is the minimum over them,
 * an idle shard released by `table.exec.source.idle-timeout` given through the millrace.sql.config
 * property group), resharding while the job runs (children read after their parents, nothing lost),
 * and a `firehose` sink writing the delivery stream's ingest (what PutRecordBatch would).
 */

const ROLE = 'arn:aws:iam::123456789012:role/kda';
let server: TestServer;
let kda: KinesisAnalyticsV2Client;
let kinesis: KinesisClient;
let firehose: FirehoseClient;

before(async () => {
  server = await startTestServer();
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  kda = new KinesisAnalyticsV2Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  firehose = new FirehoseClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  kinesis = server.client();
});
after(async () => {
  kda.destroy();
  firehose.destroy();
  await server.stop();
});

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString().replace('T', ' ').replace('Z', '');
const out = (second: number) => at(second).replace(/\.000$/, '');

async function startApp(name: string, sql: string, groups: { PropertyGroupId: string; PropertyMap: Record<string, string> }[] = []): Promise<void> {
  await kda.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      RuntimeEnvironment: 'FLINK-1_19',
      ServiceExecutionRole: ROLE,
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: sql } },
        EnvironmentProperties: groups.length > 0 ? { PropertyGroups: groups } : undefined,
      },
    }),
  );
  const { OperationId } = await kda.send(new StartApplicationCommand({ ApplicationName: name }));
  for (let i = 0; i < 300; i++) {
    const op = (await kda.send(new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId }))).ApplicationOperationInfoDetails!;
    if (op.OperationStatus === 'SUCCESSFUL') return;
    assert.notEqual(op.OperationStatus, 'FAILED', JSON.stringify(op.OperationFailureDetails));
    await sleep(100);
  }
  assert.fail(`${name} did not start`);
}

async function stopApp(name: string): Promise<void> {
  await kda.send(new StopApplicationCommand({ ApplicationName: name, Force: true }));
  for (let i = 0; i < 300; i++) {
    if ((await kda.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!.ApplicationStatus === 'READY') return;
    await sleep(100);
  }
}

async function put(stream: string, rows: [string, number, number][], keyOf: (sensor: string, i: number) => string = (s) => s): Promise<void> {
  const res = await kinesis.send(
    new PutRecordsCommand({ StreamName: stream, Records: rows.map(([sensor, temp, second], i) => ({ Data: Buffer.from(JSON.stringify({ sensor, temp, ts: at(second) })), PartitionKey: keyOf(sensor, i) })) }),
  );
  assert.equal(res.FailedRecordCount, 0);
}

async function readStream(stream: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards!;
  for (const shard of shards) {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    for (;;) {
      const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const r of got.Records ?? []) rows.push(JSON.parse(Buffer.from(r.Data!).toString('utf8')) as Record<string, unknown>);
      iterator = got.NextShardIterator;
      if (!iterator || (got.Records ?? []).length === 0 || got.MillisBehindLatest === 0) break;
    }
  }
  return rows;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const got = await probe();
    if (got !== undefined) return got;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const windowSql = (input: string, sink: string) => `
CREATE TABLE readings (sensor STRING, temp DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'kinesis', 'stream.arn' = 'arn:aws:kinesis:us-east-1:000000000000:stream/${input}', 'aws.region' = 'us-east-1', 'source.init.position' = 'TRIM_HORIZON', 'format' = 'json');
${sink}
INSERT INTO results
SELECT sensor, window_start, COUNT(*) AS n, SUM(temp) AS total
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor, window_start, window_end;`;

test('several shards, an idle one released by the idle timeout from millrace.sql.config, and a reshard while running', async () => {
  await kinesis.send(new CreateStreamCommand({ StreamName: 'multi-in', ShardCount: 2 }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'multi-out', ShardCount: 1 }));
  const sink = `CREATE TABLE results (sensor STRING, window_start TIMESTAMP(3), n BIGINT, total DOUBLE) WITH ('connector' = 'kinesis', 'stream' = 'multi-out', 'aws.region' = 'us-east-1', 'format' = 'json');`;
  await startApp('multi', windowSql('multi-in', sink), [{ PropertyGroupId: 'millrace.sql.config', PropertyMap: { 'table.exec.source.idle-timeout': '500 ms' } }]);
  // All rows on one partition key: one shard has data, the other stays empty and turns idle.
  await put('multi-in', [['a', 1, 1], ['a', 2, 5], ['a', 3, 12]], () => 'same-key');
  const first = await until('the first window', async () => {
    const rows = await readStream('multi-out');
    return rows.length >= 1 ? rows : undefined;
  });
  assert.deepEqual(first, [{ sensor: 'a', window_start: out(0), n: 2, total: 3 }]);

  // Reshard to 4 shards while the job runs: the parents are read to their end before their children.
  await kinesis.send(new UpdateShardCountCommand({ StreamName: 'multi-in', TargetShardCount: 4, ScalingType: 'UNIFORM_SCALING' }));
  await until('the reshard', async () => ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'multi-in' }))).StreamDescriptionSummary!.StreamStatus === 'ACTIVE' ? true : undefined));
  await put('multi-in', [['a', 10, 14], ['b', 7, 15], ['a', 20, 18]], (s, i) => `${s}-${i}`);
  await put('multi-in', [['a', 0, 40]], () => 'late-closer');
  const all = await until('the second window', async () => {
    const rows = await readStream('multi-out');
    return rows.length >= 3 ? rows : undefined;
  });
  assert.deepEqual(
    all.map((r) => [r.sensor, r.window_start, r.n, r.total]).sort(),
    [
      ['a', out(0), 2, 3],
      ['a', out(10), 3, 33], // 3 (before the reshard, from a parent shard) + 10 + 20 (children)
      ['b', out(10), 1, 7],
    ],
  );
  await stopApp('multi');
});

test('a firehose sink writes the delivery stream\'s ingest, as PutRecordBatch does', async () => {
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fh-in', ShardCount: 1 }));
  await firehose.send(new CreateDeliveryStreamCommand({ DeliveryStreamName: 'fh-out', ExtendedS3DestinationConfiguration: { RoleARN: ROLE, BucketARN: 'arn:aws:s3:::analytics-out' } }));
  await until('the delivery stream', async () =>
    (await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'fh-out' }))).DeliveryStreamDescription!.DeliveryStreamStatus === 'ACTIVE' ? true : undefined,
  );
  const sink = `CREATE TABLE results (sensor STRING, window_start TIMESTAMP(3), n BIGINT, total DOUBLE) WITH ('connector' = 'firehose', 'delivery-stream' = 'fh-out', 'aws.region' = 'us-east-1', 'format' = 'json');`;
  await startApp('to-firehose', windowSql('fh-in', sink));
  await put('fh-in', [['x', 1, 1], ['y', 2, 2], ['x', 3, 3], ['x', 0, 11]]);
  const stream = (await server.firehose.streams.find({ account: '000000000000', region: 'us-east-1' }, 'fh-out'))!;
  const records = await until('the firehose records', async () => {
    const read = await server.store.records.read(ingestLogName(stream), 0, { limit: 100, maxBytes: 1 << 20, notBefore: 0 });
    return read.records.length >= 2 ? read.records : undefined;
  });
  assert.deepEqual(
    records.map((r) => JSON.parse(r.data.toString('utf8')) as unknown).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    [
      { sensor: 'x', window_start: out(0), n: 2, total: 4 },
      { sensor: 'y', window_start: out(0), n: 1, total: 2 },
    ],
  );
  await stopApp('to-firehose');
});
