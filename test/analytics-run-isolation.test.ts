import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import {
  KinesisAnalyticsV2Client,
  CreateApplicationCommand,
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  StartApplicationCommand,
  type ApplicationStatus,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { sleep, startTestServer, type TestServer } from './helpers.js';
import { readJsonRecords } from './analytics-run-fixtures.js';
import { TEST_JOB_FAULT_ENV } from '../src/analytics/runtime/job-worker-protocol.js';
import { runKey, type RunDoc } from '../src/analytics/runtime/run-doc.js';

/**
 * Isolation of running applications (issue 15 §5): each job's pipeline runs in a worker thread of its
 * own, so a job that throws on a row, loops forever or allocates without end fails only its own
 * application — with Flink's error in its operation's ErrorInfo (a failure before it runs) or in its
 * run and the log (a failure while it runs, which Flink's restart strategy retries) — while another
 * application keeps writing its results and the server keeps answering Kinesis calls. The loop and
 * the allocation come from the test-only hook TEST_JOB_FAULT_ENV, set for this file's server.
 */

const ROLE = 'arn:aws:iam::123456789012:role/kda';
const ACCOUNT = '000000000000';
let server: TestServer;
let kda: KinesisAnalyticsV2Client;
let kinesis: KinesisClient;
const logLines: { msg?: string; application?: string; error?: string }[] = [];

before(async () => {
  process.env[TEST_JOB_FAULT_ENV] = 'hang:looping,allocate:hoarding';
  const logger = pino({ level: 'warn' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  server = await startTestServer({}, logger);
  kda = new KinesisAnalyticsV2Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
  kinesis = server.client();
  // The healthy application every test watches: it copies `steady-in` to `steady-out`.
  await createStream('steady-in');
  await createStream('steady-out');
  await createApp('steady', passThroughSql('steady-in', 'steady-out', 'n'));
  const op = await start('steady');
  assert.equal(op.OperationStatus, 'SUCCESSFUL', JSON.stringify(op.OperationFailureDetails));
});
after(async () => {
  delete process.env[TEST_JOB_FAULT_ENV];
  kda.destroy();
  await server.stop();
});

const passThroughSql = (input: string, output: string, expr: string) => `
CREATE TABLE src (n INT, d INT) WITH ('connector' = 'kinesis', 'stream' = '${input}', 'aws.region' = 'us-east-1', 'scan.stream.initpos' = 'TRIM_HORIZON', 'format' = 'json');
CREATE TABLE dst (n INT) WITH ('connector' = 'kinesis', 'stream' = '${output}', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO dst SELECT ${expr} FROM src;`;

async function createStream(name: string): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
}

async function put(stream: string, rows: { n: number; d: number }[]): Promise<void> {
  const out = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: rows.map((r) => ({ Data: Buffer.from(JSON.stringify(r)), PartitionKey: 'k' })) }));
  assert.equal(out.FailedRecordCount, 0);
}

async function readUntil(stream: string, count: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 300; i++) {
    const rows = await readJsonRecords(kinesis, stream);
    if (rows.length >= count) return rows;
    await sleep(100);
  }
  return readJsonRecords(kinesis, stream);
}

async function createApp(name: string, sql: string): Promise<void> {
  await kda.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      RuntimeEnvironment: 'FLINK-1_18',
      ServiceExecutionRole: ROLE,
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: sql } },
        FlinkApplicationConfiguration: { CheckpointConfiguration: { ConfigurationType: 'CUSTOM', CheckpointingEnabled: true, CheckpointInterval: 500, MinPauseBetweenCheckpoints: 0 } },
      },
    }),
  );
}

async function operation(name: string, id: string) {
  for (let i = 0; i < 900; i++) {
    const op = (await kda.send(new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId: id }))).ApplicationOperationInfoDetails!;
    if (op.OperationStatus !== 'IN_PROGRESS') return op;
    await sleep(100);
  }
  assert.fail(`operation ${id} of ${name} never ended`);
}

async function startAsync(name: string): Promise<string> {
  return (await kda.send(new StartApplicationCommand({ ApplicationName: name }))).OperationId!;
}

const start = async (name: string) => operation(name, await startAsync(name));

async function settles(name: string, status: ApplicationStatus): Promise<void> {
  let last: string | undefined;
  for (let i = 0; i < 600; i++) {
    last = (await kda.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!.ApplicationStatus;
    if (last === status) return;
    await sleep(100);
  }
  assert.fail(`${name} is ${last}, not ${status}`);
}

let steadyRows = 0;
/** The healthy application still turns a new row into output, and the server still answers Kinesis calls. */
async function steadyKeepsServing(): Promise<void> {
  const n = ++steadyRows;
  await put('steady-in', [{ n, d: 1 }]);
  const rows = await readUntil('steady-out', n);
  assert.deepEqual(rows.at(-1), { n });
  assert.equal((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'steady-in' }))).StreamDescriptionSummary!.StreamStatus, 'ACTIVE');
  await settles('steady', 'RUNNING');
}

async function failureLogged(application: string, error: RegExp): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (logLines.some((l) => l.msg === 'Analytics job failed' && l.application === application && error.test(l.error ?? ''))) return;
    await sleep(100);
  }
  assert.fail(`no log line says why ${application} failed: ${JSON.stringify(logLines)}`);
}

test('a job that divides by zero on one row while running fails alone: the error in its run and the log, the application RUNNING as Flink restarts it, the other application unharmed', async () => {
  await createStream('dividing-in');
  await createStream('dividing-out');
  await createApp('dividing', passThroughSql('dividing-in', 'dividing-out', 'n / d'));
  const op = await start('dividing');
  assert.equal(op.OperationStatus, 'SUCCESSFUL', JSON.stringify(op.OperationFailureDetails));
  await put('dividing-in', [{ n: 10, d: 2 }]);
  assert.deepEqual(await readUntil('dividing-out', 1), [{ n: 5 }]);
  await put('dividing-in', [{ n: 1, d: 0 }]);
  await failureLogged('dividing', /^java\.lang\.ArithmeticException: \/ by zero$/);
  const run = (await server.store.meta.get<RunDoc>(runKey({ account: ACCOUNT, region: 'us-east-1', name: 'dividing' })))!.value;
  assert.equal(run.error, 'java.lang.ArithmeticException: / by zero');
  assert.ok(run.restarts >= 1);
  // Managed Flink shows a job in its restart loop as a RUNNING application.
  await settles('dividing', 'RUNNING');
  await steadyKeepsServing();
});

test('a job whose worker loops forever is terminated after the step timeout: its start FAILED with the timeout, the application READY; the server and the other application serve meanwhile', async () => {
  await createStream('looping-in');
  await createStream('looping-out');
  await put('looping-in', [{ n: 1, d: 1 }]);
  await createApp('looping', passThroughSql('looping-in', 'looping-out', 'n'));
  const id = await startAsync('looping');
  // Were the loop on the server's thread, nothing below would ever be answered.
  await steadyKeepsServing();
  const op = await operation('looping', id);
  assert.equal(op.OperationStatus, 'FAILED');
  assert.match(op.OperationFailureDetails!.ErrorInfo!.ErrorString!, /^java\.util\.concurrent\.TimeoutException: Heartbeat of the job's task timed out: its worker thread did not answer within \d+ ms, and was terminated\.$/);
  await failureLogged('looping', /^java\.util\.concurrent\.TimeoutException: /);
  await settles('looping', 'READY');
  await steadyKeepsServing();
});

test('a job whose worker allocates without end is stopped at its heap limit: its start FAILED with OutOfMemoryError, the application READY; the server and the other application unharmed', async () => {
  await createStream('hoarding-in');
  await createStream('hoarding-out');
  await put('hoarding-in', [{ n: 1, d: 1 }]);
  await createApp('hoarding', passThroughSql('hoarding-in', 'hoarding-out', 'n'));
  const id = await startAsync('hoarding');
  await steadyKeepsServing();
  const op = await operation('hoarding', id);
  assert.equal(op.OperationStatus, 'FAILED');
  assert.match(op.OperationFailureDetails!.ErrorInfo!.ErrorString!, /^java\.lang\.OutOfMemoryError: Java heap space \(the job's worker thread reached its heap limit of \d+ MB\)$/);
  await failureLogged('hoarding', /^java\.lang\.OutOfMemoryError: Java heap space/);
  await settles('hoarding', 'READY');
  await steadyKeepsServing();
});

test('the metadata of each record crosses into the worker with it: arrival time, shard id and sequence number as GetRecords shows them', async () => {
  await createStream('meta-in');
  await createStream('meta-out');
  const sql = `
CREATE TABLE src (n INT, arrival TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL, shard STRING METADATA FROM 'shard-id' VIRTUAL, seq STRING METADATA FROM 'sequence-number' VIRTUAL)
  WITH ('connector' = 'kinesis', 'stream' = 'meta-in', 'aws.region' = 'us-east-1', 'scan.stream.initpos' = 'TRIM_HORIZON', 'format' = 'json');
CREATE TABLE dst (n INT, arrived BIGINT, shard STRING, seq STRING) WITH ('connector' = 'kinesis', 'stream' = 'meta-out', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO dst SELECT n, UNIX_TIMESTAMP(DATE_FORMAT(arrival, 'yyyy-MM-dd HH:mm:ss')), shard, seq FROM src;`;
  await createApp('metadata', sql);
  await put('meta-in', [{ n: 1, d: 0 }, { n: 2, d: 0 }]);
  const op = await start('metadata');
  assert.equal(op.OperationStatus, 'SUCCESSFUL', JSON.stringify(op.OperationFailureDetails));
  const rows = await readUntil('meta-out', 2);
  const iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: 'meta-in', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  const records = (await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }))).Records!;
  assert.deepEqual(
    rows,
    records.map((r, i) => ({ n: i + 1, arrived: Math.floor(r.ApproximateArrivalTimestamp!.getTime() / 1000), shard: 'shardId-000000000000', seq: r.SequenceNumber })),
  );
});
