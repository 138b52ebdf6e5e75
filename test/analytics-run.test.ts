import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  KinesisAnalyticsV2Client,
  CreateApplicationCommand,
  CreateApplicationSnapshotCommand,
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  ListApplicationSnapshotsCommand,
  StartApplicationCommand,
  StopApplicationCommand,
  UpdateApplicationCommand,
  DeleteApplicationCommand,
  type ApplicationStatus,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateStreamCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { available, sleep, startTestServer, type TestServer } from './helpers.js';
import { readJsonRecords, tumblingSql } from './analytics-run-fixtures.js';

/**
 * Flink SQL applications that really run (issue 15 §3–§5): a tumbling-window aggregate over a Millrace
 * stream writes per-window results to another stream; a stop with snapshot and a start from it lose no
 * window and count none twice; a script that does not compile, and a job that fails before it runs,
 * end their StartApplication operation FAILED with Flink's error.
 */

const ROLE = 'arn:aws:iam::123456789012:role/kda';
let server: TestServer;
let kda: KinesisAnalyticsV2Client;
let kinesis: KinesisClient;

before(async () => {
  server = await startTestServer();
  kda = new KinesisAnalyticsV2Client({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
  kinesis = server.client();
});
after(async () => {
  kda.destroy();
  await server.stop();
});


const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString().replace('T', ' ').replace('Z', '');
/** As Flink's JSON format writes a TIMESTAMP(3): no fraction when it is zero. */
const out = (second: number) => at(second).replace(/\.000$/, '');

async function createStream(name: string, shards = 1): Promise<void> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
}

async function put(stream: string, rows: { sensor: string; temp: number; second: number }[]): Promise<void> {
  const out = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: rows.map((r) => ({ Data: Buffer.from(JSON.stringify({ sensor: r.sensor, temp: r.temp, ts: at(r.second) })), PartitionKey: r.sensor })),
    }),
  );
  assert.equal(out.FailedRecordCount, 0);
}

/** Reads every record of a one-shard stream so far, as JSON. */
const readAll = (stream: string) => readJsonRecords(kinesis, stream);

/** Polls the output stream until `count` records are there (the job writes them as windows close). */
async function readUntil(stream: string, count: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 300; i++) {
    const rows = await readAll(stream);
    if (rows.length >= count) return rows;
    await sleep(100);
  }
  return readAll(stream);
}

async function settles(name: string, status: ApplicationStatus): Promise<void> {
  let last: string | undefined;
  for (let i = 0; i < 600; i++) {
    last = (await kda.send(new DescribeApplicationCommand({ ApplicationName: name }))).ApplicationDetail!.ApplicationStatus;
    if (last === status) return;
    await sleep(100);
  }
  assert.fail(`${name} is ${last}, not ${status}`);
}

async function operation(name: string, id: string) {
  for (let i = 0; i < 600; i++) {
    const op = (await kda.send(new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId: id }))).ApplicationOperationInfoDetails!;
    if (op.OperationStatus !== 'IN_PROGRESS') return op;
    await sleep(100);
  }
  assert.fail(`operation ${id} of ${name} never ended`);
}

async function createApp(name: string, sql: string, properties: { PropertyGroupId: string; PropertyMap: Record<string, string> }[] = []): Promise<void> {
  await kda.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      RuntimeEnvironment: 'FLINK-1_18',
      ServiceExecutionRole: ROLE,
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: sql } },
        FlinkApplicationConfiguration: { CheckpointConfiguration: { ConfigurationType: 'CUSTOM', CheckpointingEnabled: true, CheckpointInterval: 500, MinPauseBetweenCheckpoints: 0 } },
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: true },
        EnvironmentProperties: properties.length > 0 ? { PropertyGroups: properties } : undefined,
      },
    }),
  );
}

async function start(name: string, restore?: { ApplicationRestoreType: 'SKIP_RESTORE_FROM_SNAPSHOT' | 'RESTORE_FROM_LATEST_SNAPSHOT' | 'RESTORE_FROM_CUSTOM_SNAPSHOT'; SnapshotName?: string }) {
  const { OperationId } = await kda.send(
    new StartApplicationCommand({ ApplicationName: name, RunConfiguration: restore ? { ApplicationRestoreConfiguration: restore } : undefined }),
  );
  return operation(name, OperationId!);
}

async function stop(name: string) {
  const { OperationId } = await kda.send(new StopApplicationCommand({ ApplicationName: name }));
  const op = await operation(name, OperationId!);
  await settles(name, 'READY');
  return op;
}

const key = (r: Record<string, unknown>) => `${r.sensor as string}@${r.window_start as string}`;

test('a tumbling-window aggregate runs end to end; a stop with snapshot and a start from it lose and double-count no window', async () => {
  await createStream('readings-in');
  await createStream('readings-out');
  await createApp('tumbling', tumblingSql('readings-in', 'readings-out'));
  const started = await start('tumbling');
  assert.equal(started.OperationStatus, 'SUCCESSFUL', JSON.stringify(started.OperationFailureDetails));
  await settles('tumbling', 'RUNNING');

  // Windows [0,10) and [10,20) for two sensors; a row at 25 s moves the watermark past 20 s.
  await put('readings-in', [
    { sensor: 'a', temp: 1, second: 1 },
    { sensor: 'b', temp: 10, second: 2 },
    { sensor: 'a', temp: 2, second: 9 },
    { sensor: 'a', temp: 4, second: 11 },
    { sensor: 'b', temp: 20, second: 15 },
    { sensor: 'b', temp: 30, second: 19 },
    { sensor: 'a', temp: 100, second: 25 },
  ]);
  const first = await readUntil('readings-out', 4);
  assert.deepEqual(
    first.map((r) => [r.sensor, r.window_start, r.window_end, r.readings, r.total]).sort(),
    [
      ['a', out(0), out(10), 2, 3],
      ['a', out(10), out(20), 1, 4],
      ['b', out(0), out(10), 1, 10],
      ['b', out(10), out(20), 2, 50],
    ].sort(),
  );

  // Stop: snapshots are enabled, so the stop takes one (with the open window [20,30) of sensor a in it).
  const stopped = await stop('tumbling');
  assert.equal(stopped.OperationStatus, 'SUCCESSFUL');
  const snapshots = (await kda.send(new ListApplicationSnapshotsCommand({ ApplicationName: 'tumbling' }))).SnapshotSummaries!;
  assert.equal(snapshots.length, 1);
  assert.equal(snapshots[0].SnapshotStatus, 'READY');

  // Records put while it is stopped are read from the snapshot's positions: none lost, none read twice.
  await put('readings-in', [
    { sensor: 'a', temp: 5, second: 21 },
    { sensor: 'b', temp: 7, second: 29 },
    { sensor: 'a', temp: 1, second: 41 },
  ]);
  const restarted = await start('tumbling', { ApplicationRestoreType: 'RESTORE_FROM_LATEST_SNAPSHOT' });
  assert.equal(restarted.OperationStatus, 'SUCCESSFUL', JSON.stringify(restarted.OperationFailureDetails));
  await settles('tumbling', 'RUNNING');
  const all = await readUntil('readings-out', 6);
  await sleep(300); // nothing more may come: a double count would show as a seventh record
  const final = await readAll('readings-out');
  assert.equal(final.length, 6, JSON.stringify(final));
  assert.equal(new Set(final.map(key)).size, 6, 'a window was written twice');
  const later = all.slice(4).map((r) => [r.sensor, r.window_start, r.readings, r.total]).sort();
  assert.deepEqual(later, [
    ['a', out(20), 2, 105], // 100 (before the stop, from the snapshot's state) + 5 (while stopped)
    ['b', out(20), 1, 7],
  ]);

  // CreateApplicationSnapshot while running, then a start from that custom snapshot.
  await kda.send(new CreateApplicationSnapshotCommand({ ApplicationName: 'tumbling', SnapshotName: 'mid' }));
  const mid = (await kda.send(new ListApplicationSnapshotsCommand({ ApplicationName: 'tumbling' }))).SnapshotSummaries!.find((s) => s.SnapshotName === 'mid');
  assert.equal(mid?.SnapshotStatus, 'READY');
  await put('readings-in', [{ sensor: 'a', temp: 3, second: 45 }]);
  await stop('tumbling');
  await put('readings-in', [{ sensor: 'a', temp: 1, second: 52 }]);
  const custom = await start('tumbling', { ApplicationRestoreType: 'RESTORE_FROM_CUSTOM_SNAPSHOT', SnapshotName: 'mid' });
  assert.equal(custom.OperationStatus, 'SUCCESSFUL');
  // From 'mid' the window [40,50) holds the row at 41 only; the rows at 45 and 52 are read again from mid's positions.
  const withForty = await readUntil('readings-out', 7);
  const forty = withForty.filter((r) => r.window_start === out(40));
  assert.deepEqual(forty.map((r) => [r.sensor, r.readings, r.total]), [['a', 2, 4]]);
  await stop('tumbling');

  // SKIP_RESTORE_FROM_SNAPSHOT: a fresh job, reading from TRIM_HORIZON again: every closed window is written again.
  const before = (await readAll('readings-out')).length;
  const skipped = await start('tumbling', { ApplicationRestoreType: 'SKIP_RESTORE_FROM_SNAPSHOT' });
  assert.equal(skipped.OperationStatus, 'SUCCESSFUL');
  const again = await readUntil('readings-out', before + 7);
  assert.deepEqual(
    again.slice(before).map((r) => [r.sensor, r.window_start, r.readings]).filter((r) => r[1] === out(0)).sort(),
    [['a', out(0), 2], ['b', out(0), 1]],
  );
  await stop('tumbling');
});

test('a script that does not compile ends StartApplication FAILED with Flink\'s error, and the application READY', async () => {
  await createApp('bad-sql', 'CREATE TABLE t (a INT) WITH (\'connector\' = \'datagen\');\nINSERT INTO t SELEC a FROM t;');
  const op = await start('bad-sql');
  assert.equal(op.OperationStatus, 'FAILED');
  assert.equal(
    op.OperationFailureDetails!.ErrorInfo!.ErrorString,
    'org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: org.apache.flink.table.api.SqlParserException: SQL parse failed. Encountered "SELEC" at line 2, column 15.\nWas expecting one of:\n    "SELECT" ...',
  );
  await settles('bad-sql', 'READY');
});

test('a job whose source stream does not exist fails its start with the Kinesis error', async () => {
  await createStream('nowhere-out');
  await createApp('no-source', tumblingSql('nowhere-in', 'nowhere-out'));
  const op = await start('no-source');
  assert.equal(op.OperationStatus, 'FAILED');
  assert.match(op.OperationFailureDetails!.ErrorInfo!.ErrorString!, /ResourceNotFoundException: Stream nowhere-in under account \d{12} not found\./);
  await settles('no-source', 'READY');
});

test('a record that is not JSON fails the job at run time before it runs: FAILED with the deserialization error', async () => {
  await createStream('garbage-in');
  await createStream('garbage-out');
  await kinesis.send(new PutRecordsCommand({ StreamName: 'garbage-in', Records: [{ Data: Buffer.from('not json'), PartitionKey: 'k' }] }));
  await createApp('garbage', tumblingSql('garbage-in', 'garbage-out'));
  const op = await start('garbage');
  assert.equal(op.OperationStatus, 'FAILED');
  assert.match(op.OperationFailureDetails!.ErrorInfo!.ErrorString!, /JSON/i);
  await settles('garbage', 'READY');
});

test('environment properties reach the job: ${group.key} in the script and the millrace.sql.config group', async () => {
  await createStream('props-in');
  await createStream('props-out');
  const sql = `
CREATE TABLE src (sensor STRING, temp DOUBLE) WITH ('connector' = 'kinesis', 'stream' = '\${app.input}', 'aws.region' = 'us-east-1', 'scan.stream.initpos' = 'TRIM_HORIZON', 'format' = 'json');
CREATE TABLE dst (sensor STRING, temp DOUBLE) WITH ('connector' = 'kinesis', 'stream' = '\${app.output}', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO dst SELECT sensor, temp FROM src WHERE temp > \${app.threshold};`;
  await createApp('props', sql, [{ PropertyGroupId: 'app', PropertyMap: { input: 'props-in', output: 'props-out', threshold: '50' } }]);
  const op = await start('props');
  assert.equal(op.OperationStatus, 'SUCCESSFUL', JSON.stringify(op.OperationFailureDetails));
  await put('props-in', [
    { sensor: 'x', temp: 10, second: 0 },
    { sensor: 'y', temp: 60, second: 0 },
    { sensor: 'z', temp: 99, second: 0 },
  ]);
  const rows = await readUntil('props-out', 2);
  assert.deepEqual(rows, [{ sensor: 'y', temp: 60 }, { sensor: 'z', temp: 99 }]);
  await stop('props');
});

test('an update of a running application restarts it on the new script from the stop\'s snapshot; a delete leaves no job state', async () => {
  await createStream('upd-in');
  await createStream('upd-out');
  const sql = (threshold: number) => `
CREATE TABLE src (sensor STRING, temp DOUBLE) WITH ('connector' = 'kinesis', 'stream' = 'upd-in', 'aws.region' = 'us-east-1', 'scan.stream.initpos' = 'TRIM_HORIZON', 'format' = 'json');
CREATE TABLE dst (sensor STRING, temp DOUBLE) WITH ('connector' = 'kinesis', 'stream' = 'upd-out', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO dst SELECT sensor, temp FROM src WHERE temp > ${threshold};`;
  await createApp('updating', sql(50));
  assert.equal((await start('updating')).OperationStatus, 'SUCCESSFUL');
  await put('upd-in', [{ sensor: 'a', temp: 60, second: 0 }, { sensor: 'b', temp: 95, second: 0 }]);
  assert.equal((await readUntil('upd-out', 2)).length, 2);
  const app = (await kda.send(new DescribeApplicationCommand({ ApplicationName: 'updating' }))).ApplicationDetail!;
  const { OperationId } = await kda.send(
    new UpdateApplicationCommand({
      ApplicationName: 'updating',
      CurrentApplicationVersionId: app.ApplicationVersionId,
      ApplicationConfigurationUpdate: { ApplicationCodeConfigurationUpdate: { CodeContentTypeUpdate: 'PLAINTEXT', CodeContentUpdate: { TextContentUpdate: sql(90) } } },
    }),
  );
  const updated = await operation('updating', OperationId!);
  assert.equal(updated.OperationStatus, 'SUCCESSFUL', JSON.stringify(updated.OperationFailureDetails));
  await settles('updating', 'RUNNING');
  // The new script resumes where the old one stopped: the first two rows are not read again.
  await put('upd-in', [{ sensor: 'c', temp: 70, second: 0 }, { sensor: 'd', temp: 99, second: 0 }]);
  const rows = await readUntil('upd-out', 3);
  await sleep(300);
  assert.deepEqual(await readAll('upd-out'), [{ sensor: 'a', temp: 60 }, { sensor: 'b', temp: 95 }, { sensor: 'd', temp: 99 }]);
  assert.equal(rows.length, 3);

  const current = (await kda.send(new DescribeApplicationCommand({ ApplicationName: 'updating' }))).ApplicationDetail!;
  await kda.send(new DeleteApplicationCommand({ ApplicationName: 'updating', CreateTimestamp: current.CreateTimestamp }));
  // The job stops and the lifecycle sweep removes what it kept: seconds on a loaded machine.
  for (let i = 0; i < 300; i++) {
    const left = [
      ...(await server.store.meta.list('analytics/run/000000000000/us-east-1/updating')),
      ...(await server.store.meta.list('analytics/checkpoint/000000000000/us-east-1/updating/')),
      ...(await server.store.meta.list('analytics/snapshot-state/000000000000/us-east-1/updating/')),
    ];
    if (left.length === 0) return;
    await sleep(100);
  }
  assert.fail(`the deleted application left job state in the store: ${JSON.stringify([...(await server.store.meta.list('analytics/run/000000000000/us-east-1/updating')), ...(await server.store.meta.list('analytics/checkpoint/000000000000/us-east-1/updating/')), ...(await server.store.meta.list('analytics/snapshot-state/000000000000/us-east-1/updating/'))].map((e: any) => e.key ?? e))}`);
});

const BOTO3 = `
import sys, json, time, boto3, botocore
endpoint = sys.argv[1]
cfg = botocore.config.Config(retries={'max_attempts': 1})
kw = dict(endpoint_url=endpoint, region_name='us-east-1', aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret', config=cfg)
kda = boto3.client('kinesisanalyticsv2', **kw)
kin = boto3.client('kinesis', **kw)
kin.create_stream(StreamName='boto-in', ShardCount=1)
kin.create_stream(StreamName='boto-out', ShardCount=1)
sql = """
CREATE TABLE src (id BIGINT, v DOUBLE) WITH ('connector'='kinesis','stream'='boto-in','aws.region'='us-east-1','scan.stream.initpos'='LATEST','format'='json');
CREATE TABLE dst (id BIGINT, doubled DOUBLE) WITH ('connector'='kinesis','stream'='boto-out','aws.region'='us-east-1','format'='json');
INSERT INTO dst SELECT id, v * 2 FROM src WHERE MOD(id, 2) = 0;
"""
kda.create_application(ApplicationName='boto', RuntimeEnvironment='FLINK-1_19', ServiceExecutionRole=sys.argv[2],
  ApplicationConfiguration={'ApplicationCodeConfiguration': {'CodeContentType': 'PLAINTEXT', 'CodeContent': {'TextContent': sql}}})
op = kda.start_application(ApplicationName='boto')['OperationId']
for _ in range(300):
  info = kda.describe_application_operation(ApplicationName='boto', OperationId=op)['ApplicationOperationInfoDetails']
  if info['OperationStatus'] != 'IN_PROGRESS': break
  time.sleep(0.1)
status = kda.describe_application(ApplicationName='boto')['ApplicationDetail']['ApplicationStatus']
kin.put_records(StreamName='boto-in', Records=[{'Data': json.dumps({'id': i, 'v': i / 2}).encode(), 'PartitionKey': str(i)} for i in range(10)])
it = kin.get_shard_iterator(StreamName='boto-out', ShardId='shardId-000000000000', ShardIteratorType='TRIM_HORIZON')['ShardIterator']
out = []
for _ in range(300):
  got = kin.get_records(ShardIterator=it)
  out += [json.loads(r['Data']) for r in got['Records']]
  it = got['NextShardIterator']
  if len(out) >= 5: break
  time.sleep(0.1)
stop = kda.stop_application(ApplicationName='boto')['OperationId']
print(json.dumps({'start': info['OperationStatus'], 'status': status, 'out': out}))
`;

test('boto3: create, start, put, read the job\'s output', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) return t.skip("`python3 -c 'import boto3'` fails here");
  const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile('python3', ['-c', BOTO3, server.endpoint, ROLE], { timeout: 90_000, env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' } }, (error, stdout, stderr) =>
      resolve({ code: error ? 1 : 0, stdout, stderr }),
    ),
  );
  assert.equal(result.code, 0, result.stderr);
  const got = JSON.parse(result.stdout) as { start: string; status: string; out: { id: number; doubled: number }[] };
  assert.equal(got.start, 'SUCCESSFUL');
  assert.equal(got.status, 'RUNNING');
  assert.deepEqual(got.out, [0, 2, 4, 6, 8].map((id) => ({ id, doubled: id })));
  await settles('boto', 'READY');
});
