import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import {
  KinesisAnalyticsV2Client,
  CreateApplicationCommand,
  DescribeApplicationCommand,
  DescribeApplicationOperationCommand,
  StartApplicationCommand,
  StopApplicationCommand,
  type ApplicationStatus,
} from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateStreamCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { readJsonRecords } from './analytics-run-fixtures.js';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { FsObjectStore } from '../src/objects/fs-objects.js';
import { compileJob, type SinkRecord } from '../src/analytics/sql/index.js';
import { parseObjectPath } from '../src/analytics/runtime/filesystem-path.js';
import { FilesystemSinkWriter, type FilesystemSinkState } from '../src/analytics/runtime/filesystem-sink.js';
import { sinkWriter } from '../src/analytics/runtime/sinks.js';
import { sleep, startTestServer, type TestServer } from './helpers.js';

/**
 * The `filesystem` connector on Millrace's object store (s3:// paths): a sink writes Flink-style part
 * files that become visible when the checkpoint counting their rows commits (json, csv, PARTITIONED BY
 * directories, the rolling policy), a source reads the objects under a path in key order (bounded, or
 * watched with `source.monitor-interval`), a missing bucket fails the start with S3A's error, and a
 * stop/start from a snapshot or a crash between staging and commit neither loses nor duplicates a row.
 */

const ROLE = 'arn:aws:iam::123456789012:role/kda';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
let server: TestServer;
let kda: KinesisAnalyticsV2Client;
let kinesis: KinesisClient;
let s3: S3Client;

before(async () => {
  server = await startTestServer();
  kda = new KinesisAnalyticsV2Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  s3 = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
  kinesis = server.client();
});
after(async () => {
  kda.destroy();
  s3.destroy();
  await server.stop();
});

const PART = /^part-[0-9a-f-]{36}-0-\d+$/;

async function createApp(name: string, sql: string, checkpointing: { enabled: boolean; intervalMs?: number } = { enabled: true, intervalMs: 300 }): Promise<void> {
  await kda.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      RuntimeEnvironment: 'FLINK-1_19',
      ServiceExecutionRole: ROLE,
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: sql } },
        FlinkApplicationConfiguration: {
          CheckpointConfiguration: { ConfigurationType: 'CUSTOM', CheckpointingEnabled: checkpointing.enabled, CheckpointInterval: checkpointing.intervalMs ?? 60_000, MinPauseBetweenCheckpoints: 0 },
        },
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: true },
      },
    }),
  );
}

async function operation(name: string, id: string) {
  for (let i = 0; i < 600; i++) {
    const op = (await kda.send(new DescribeApplicationOperationCommand({ ApplicationName: name, OperationId: id }))).ApplicationOperationInfoDetails!;
    if (op.OperationStatus !== 'IN_PROGRESS') return op;
    await sleep(100);
  }
  assert.fail(`operation ${id} of ${name} never ended`);
}

async function start(name: string, restore?: 'RESTORE_FROM_LATEST_SNAPSHOT') {
  const { OperationId } = await kda.send(new StartApplicationCommand({ ApplicationName: name, RunConfiguration: restore ? { ApplicationRestoreConfiguration: { ApplicationRestoreType: restore } } : undefined }));
  return operation(name, OperationId!);
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

/** A stop with snapshot: the job checkpoints, which commits what its sinks staged. */
async function stop(name: string): Promise<void> {
  const { OperationId } = await kda.send(new StopApplicationCommand({ ApplicationName: name }));
  const op = await operation(name, OperationId!);
  assert.equal(op.OperationStatus, 'SUCCESSFUL', JSON.stringify(op.OperationFailureDetails));
  await settles(name, 'READY');
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const got = await probe();
    if (got !== undefined) return got;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}`);
}

async function put(stream: string, rows: Record<string, unknown>[]): Promise<void> {
  const res = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: rows.map((r, i) => ({ Data: Buffer.from(JSON.stringify(r)), PartitionKey: `k${i}` })) }));
  assert.equal(res.FailedRecordCount, 0);
}

const readStream = (stream: string) => readJsonRecords(kinesis, stream);

/** Every object under a prefix, in key order, with its text. */
async function objects(bucket: string, prefix: string): Promise<{ key: string; text: string }[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const out: { key: string; text: string }[] = [];
  for (const o of listed.Contents ?? []) {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key }));
    out.push({ key: o.Key!, text: await got.Body!.transformToString() });
  }
  return out;
}

const jsonLines = (files: { text: string }[]) => files.flatMap((f) => f.text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>));

const kinesisSource = (stream: string) =>
  `CREATE TABLE readings (sensor STRING, temp DOUBLE, note STRING) WITH ('connector' = 'kinesis', 'stream' = '${stream}', 'aws.region' = 'us-east-1', 'scan.stream.initpos' = 'TRIM_HORIZON', 'format' = 'json');`;

test('kinesis → filesystem json: part files named part-<uuid>-0-<n> under the path, committed at each checkpoint, the rows exact', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'fs-json' }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-json-in', ShardCount: 1 }));
  await createApp('fs-json', `${kinesisSource('fs-json-in')}
CREATE TABLE archive (sensor STRING, temp DOUBLE, note STRING) WITH ('connector' = 'filesystem', 'path' = 's3://fs-json/archive', 'format' = 'json');
INSERT INTO archive SELECT sensor, temp, note FROM readings;`);
  const op = await start('fs-json');
  assert.equal(op.OperationStatus, 'SUCCESSFUL', JSON.stringify(op.OperationFailureDetails));
  const first = [{ sensor: 'a', temp: 1.5, note: 'x' }, { sensor: 'b', temp: 2.5, note: null }, { sensor: 'a', temp: 3.5, note: 'y,z' }];
  await put('fs-json-in', first);
  const files = await until('the first part file', async () => {
    const got = await objects('fs-json', 'archive/');
    return jsonLines(got).length >= 3 ? got : undefined;
  });
  for (const f of files) assert.match(f.key, /^archive\//), assert.match(f.key.slice('archive/'.length), PART);
  assert.deepEqual(jsonLines(files), first);

  const second = [{ sensor: 'c', temp: 4.5, note: 'w' }];
  await put('fs-json-in', second);
  const more = await until('the second part file', async () => {
    const got = await objects('fs-json', 'archive/');
    return jsonLines(got).length >= 4 ? got : undefined;
  });
  // The files committed earlier stay as they were; the new row is in a later part file.
  assert.deepEqual(more.slice(0, files.length), files);
  assert.deepEqual(jsonLines(more.slice(files.length)), second);
  await stop('fs-json');
  assert.deepEqual(jsonLines(await objects('fs-json', 'archive/')), [...first, ...second]);
  assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fs-json' }))).Uploads?.length ?? 0, 0, 'no staged upload is left behind');
});

test('kinesis → filesystem csv PARTITIONED BY: col=value/ directories, files without the partition column, staged until the checkpoint when checkpointing is off', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'fs-csv' }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-csv-in', ShardCount: 1 }));
  await createApp(
    'fs-csv',
    `${kinesisSource('fs-csv-in')}
CREATE TABLE archive (temp DOUBLE, note STRING, sensor STRING) PARTITIONED BY (sensor)
  WITH ('connector' = 'filesystem', 'path' = 's3://fs-csv/by-sensor/', 'format' = 'csv', 'sink.rolling-policy.file-size' = '1b');
INSERT INTO archive SELECT temp, note, sensor FROM readings;`,
    { enabled: false },
  );
  const op = await start('fs-csv');
  assert.equal(op.OperationStatus, 'SUCCESSFUL', JSON.stringify(op.OperationFailureDetails));
  await put('fs-csv-in', [
    { sensor: 'a', temp: 1.5, note: 'x' },
    { sensor: 'b', temp: 2.5, note: 'p,q' },
    { sensor: 'a', temp: 3.5, note: 'y' },
    { sensor: null, temp: 4.5, note: 'z' },
  ]);
  // The file-size of 1 byte rolls sensor a's first part file at its second row: staged, not visible.
  await until('a staged part file', async () => (((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fs-csv' }))).Uploads?.length ?? 0) >= 1 ? true : undefined));
  assert.deepEqual(await objects('fs-csv', ''), [], 'nothing is visible before a checkpoint commits');

  await stop('fs-csv'); // the stop's checkpoint commits every part file
  const files = await objects('fs-csv', '');
  assert.deepEqual(
    files.map((f) => [f.key.replace(/part-[0-9a-f-]{36}-0-/, 'part-U-0-'), f.text]),
    [
      ['by-sensor/sensor=__DEFAULT_PARTITION__/part-U-0-3', '4.5,z\n'],
      ['by-sensor/sensor=a/part-U-0-0', '1.5,x\n'],
      ['by-sensor/sensor=a/part-U-0-2', '3.5,y\n'],
      ['by-sensor/sensor=b/part-U-0-1', '2.5,"p,q"\n'],
    ],
  );
  assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fs-csv' }))).Uploads?.length ?? 0, 0);
});

test('a raw sink: one value a line; a part file open longer than sink.rolling-policy.rollover-interval rolls without a new row', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'fs-raw' }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-raw-in', ShardCount: 1 }));
  await createApp(
    'fs-raw',
    `${kinesisSource('fs-raw-in')}
CREATE TABLE notes (line STRING) WITH ('connector' = 'filesystem', 'path' = 's3://fs-raw/', 'format' = 'raw',
  'sink.rolling-policy.rollover-interval' = '200 ms', 'sink.rolling-policy.check-interval' = '100 ms');
INSERT INTO notes SELECT note FROM readings;`,
    { enabled: false },
  );
  assert.equal((await start('fs-raw')).OperationStatus, 'SUCCESSFUL');
  await put('fs-raw-in', [{ sensor: 'a', temp: 1, note: 'first line' }, { sensor: 'a', temp: 2, note: 'second' }]);
  // No checkpoint runs and no row follows: only the rollover interval rolls the part file (staged, not yet visible).
  await until('the part file rolled by time', async () => (((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fs-raw' }))).Uploads?.length ?? 0) === 1 ? true : undefined));
  assert.deepEqual(await objects('fs-raw', ''), []);
  await stop('fs-raw');
  const files = await objects('fs-raw', '');
  assert.equal(files.length, 1);
  assert.match(files[0]!.key, PART);
  assert.equal(files[0]!.text, 'first line\nsecond\n');
});

test('a stop by force takes no checkpoint: nothing staged becomes visible, and no staged upload is left in the bucket', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'fs-force' }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-force-in', ShardCount: 1 }));
  await createApp(
    'fs-force',
    `${kinesisSource('fs-force-in')}
CREATE TABLE notes (line STRING) WITH ('connector' = 'filesystem', 'path' = 's3://fs-force/', 'format' = 'raw', 'sink.rolling-policy.file-size' = '1b');
INSERT INTO notes SELECT note FROM readings;`,
    { enabled: false },
  );
  assert.equal((await start('fs-force')).OperationStatus, 'SUCCESSFUL');
  await put('fs-force-in', [1, 2, 3].map((i) => ({ sensor: 'a', temp: i, note: `n${i}` })));
  await until('two staged part files', async () => (((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fs-force' }))).Uploads?.length ?? 0) === 2 ? true : undefined));
  await kda.send(new StopApplicationCommand({ ApplicationName: 'fs-force', Force: true }));
  await settles('fs-force', 'READY');
  await until('the staged uploads aborted', async () => (((await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fs-force' }))).Uploads?.length ?? 0) === 0 ? true : undefined));
  assert.deepEqual(await objects('fs-force', ''), []);
});

test('filesystem source → kinesis: the objects under the path once, in key order, hidden files skipped, partition values and file metadata from the path', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'fs-src' }));
  const objectsIn: [string, string][] = [
    ['in/dt=2026-01-02/part-0', '{"sensor":"c","temp":3}\n'],
    ['in/dt=2026-01-01/part-0', '{"sensor":"a","temp":1}\r\n{"sensor":"b","temp":2}'],
    ['in/_SUCCESS', 'not json'],
    ['in/.part-1.inprogress', 'not json'],
    ['in/dt=2026-01-02/_tmp/x', 'not json'],
    ['elsewhere/part-0', 'not json'],
  ];
  for (const [key, body] of objectsIn) await s3.send(new PutObjectCommand({ Bucket: 'fs-src', Key: key, Body: body }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-src-out', ShardCount: 1 }));
  await createApp('fs-src', `
CREATE TABLE files (sensor STRING, temp DOUBLE, dt STRING, fname STRING METADATA FROM 'file.name' VIRTUAL, fsize BIGINT METADATA FROM 'file.size' VIRTUAL)
  PARTITIONED BY (dt) WITH ('connector' = 'filesystem', 'path' = 's3://fs-src/in', 'format' = 'json');
CREATE TABLE copied (sensor STRING, temp DOUBLE, dt STRING, fname STRING, fsize BIGINT) WITH ('connector' = 'kinesis', 'stream' = 'fs-src-out', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO copied SELECT sensor, temp, dt, fname, fsize FROM files;`);
  const op = await start('fs-src');
  assert.equal(op.OperationStatus, 'SUCCESSFUL', JSON.stringify(op.OperationFailureDetails));
  const rows = await until('the copied rows', async () => {
    const got = await readStream('fs-src-out');
    return got.length >= 3 ? got : undefined;
  });
  await sleep(300); // a bounded source reads its files once: nothing more may come
  assert.deepEqual(await readStream('fs-src-out'), [
    { sensor: 'a', temp: 1, dt: '2026-01-01', fname: 'part-0', fsize: 48 },
    { sensor: 'b', temp: 2, dt: '2026-01-01', fname: 'part-0', fsize: 48 },
    { sensor: 'c', temp: 3, dt: '2026-01-02', fname: 'part-0', fsize: 24 },
  ]);
  assert.equal(rows.length, 3);
  await stop('fs-src');
});

test('a bounded filesystem source ends its input: the last event-time window fires without a later row', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'fs-window' }));
  await s3.send(new PutObjectCommand({ Bucket: 'fs-window', Key: 'r/1.csv', Body: 'a,1,2026-01-01 00:00:01\na,2,2026-01-01 00:00:04\n' }));
  await s3.send(new PutObjectCommand({ Bucket: 'fs-window', Key: 'r/2.csv', Body: 'b,5,2026-01-01 00:00:12\n' }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-window-out', ShardCount: 1 }));
  await createApp('fs-window', `
CREATE TABLE readings (sensor STRING, temp DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) WITH ('connector' = 'filesystem', 'path' = 's3://fs-window/r/', 'format' = 'csv');
CREATE TABLE totals (sensor STRING, window_start TIMESTAMP(3), total DOUBLE) WITH ('connector' = 'kinesis', 'stream' = 'fs-window-out', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO totals SELECT sensor, window_start, SUM(temp) FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY sensor, window_start, window_end;`);
  assert.equal((await start('fs-window')).OperationStatus, 'SUCCESSFUL');
  const rows = await until('both windows', async () => {
    const got = await readStream('fs-window-out');
    return got.length >= 2 ? got : undefined;
  });
  assert.deepEqual(rows, [
    { sensor: 'a', window_start: '2026-01-01 00:00:00', total: 3 },
    { sensor: 'b', window_start: '2026-01-01 00:00:10', total: 5 },
  ]);
  await stop('fs-window');
});

test('source.monitor-interval: the path is listed again and only files not read before are read', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'fs-watch' }));
  await s3.send(new PutObjectCommand({ Bucket: 'fs-watch', Key: 'w/b-first', Body: '{"sensor":"a","temp":1}\n' }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-watch-out', ShardCount: 1 }));
  await createApp('fs-watch', `
CREATE TABLE files (sensor STRING, temp DOUBLE) WITH ('connector' = 'filesystem', 'path' = 's3://fs-watch/w/', 'format' = 'json', 'source.monitor-interval' = '200 ms');
CREATE TABLE copied (sensor STRING, temp DOUBLE) WITH ('connector' = 'kinesis', 'stream' = 'fs-watch-out', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO copied SELECT sensor, temp FROM files;`);
  assert.equal((await start('fs-watch')).OperationStatus, 'SUCCESSFUL');
  await until('the first file', async () => ((await readStream('fs-watch-out')).length >= 1 ? true : undefined));
  // A new file (its key sorts before the first one's) and a rewrite of the first: only the new file is read.
  await s3.send(new PutObjectCommand({ Bucket: 'fs-watch', Key: 'w/a-second', Body: '{"sensor":"b","temp":2}\n{"sensor":"c","temp":3}\n' }));
  await s3.send(new PutObjectCommand({ Bucket: 'fs-watch', Key: 'w/b-first', Body: '{"sensor":"z","temp":9}\n' }));
  await until('the second file', async () => ((await readStream('fs-watch-out')).length >= 3 ? true : undefined));
  await sleep(500); // two more listings: nothing is read twice
  assert.deepEqual(await readStream('fs-watch-out'), [{ sensor: 'a', temp: 1 }, { sensor: 'b', temp: 2 }, { sensor: 'c', temp: 3 }]);
  await stop('fs-watch');
});

test('source.path.regex-pattern: only files whose whole path (/key, the bucket left out) matches are read, in every directory', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'fs-regex' }));
  const objectsIn: [string, string][] = [
    ['in/a/input_1.csv', 'a,1\n'],
    ['in/a/input_x.csv', 'x,0\n'],
    ['in/b/deeper/input_22.csv', 'b,2\n'],
    ['in/input_3.csv', 'c,3\n'],
    ['in/_hidden/input_4.csv', 'h,0\n'],
    ['in/a/input_5.csv.bak', 'y,0\n'],
  ];
  for (const [key, body] of objectsIn) await s3.send(new PutObjectCommand({ Bucket: 'fs-regex', Key: key, Body: body }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-regex-out', ShardCount: 1 }));
  await createApp('fs-regex', `
CREATE TABLE files (sensor STRING, temp DOUBLE) WITH ('connector' = 'filesystem', 'path' = 's3://fs-regex/in/', 'format' = 'csv', 'source.path.regex-pattern' = '/in/.*/input_[0-9]+\\.csv');
CREATE TABLE copied (sensor STRING, temp DOUBLE) WITH ('connector' = 'kinesis', 'stream' = 'fs-regex-out', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO copied SELECT sensor, temp FROM files;`);
  assert.equal((await start('fs-regex')).OperationStatus, 'SUCCESSFUL');
  await until('the matching files', async () => ((await readStream('fs-regex-out')).length >= 2 ? true : undefined));
  await sleep(300); // a bounded source reads its files once: nothing more may come
  assert.deepEqual(await readStream('fs-regex-out'), [{ sensor: 'a', temp: 1 }, { sensor: 'b', temp: 2 }]);
  await stop('fs-regex');

  await createApp('fs-regex-bad', `
CREATE TABLE files (sensor STRING) WITH ('connector' = 'filesystem', 'path' = 's3://fs-regex/in/', 'format' = 'csv', 'source.path.regex-pattern' = '/in/[');
CREATE TABLE sink (sensor STRING) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT sensor FROM files;`);
  const op = await start('fs-regex-bad');
  assert.equal(op.OperationStatus, 'FAILED');
  assert.equal(op.OperationFailureDetails!.ErrorInfo!.ErrorString, "java.util.regex.PatternSyntaxException: Unterminated character class in '/in/[' (option 'source.path.regex-pattern' of source table files)");
  await settles('fs-regex-bad', 'READY');
});

test('a missing bucket, a path that is not s3:// and a rolling size that does not parse fail the start with Flink\'s errors', async () => {
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-bad-in', ShardCount: 1 }));
  const sinkTo = (options: string) => `${kinesisSource('fs-bad-in')}
CREATE TABLE archive (sensor STRING, temp DOUBLE, note STRING) WITH ('connector' = 'filesystem', ${options}, 'format' = 'json');
INSERT INTO archive SELECT sensor, temp, note FROM readings;`;
  const cases: [string, string, string][] = [
    ['fs-no-bucket', sinkTo("'path' = 's3://no-such-bucket/out/'"), 'org.apache.hadoop.fs.s3a.UnknownStoreException: s3a://no-such-bucket/: Bucket no-such-bucket does not exist (table archive, path s3://no-such-bucket/out/)'],
    [
      'fs-no-source-bucket',
      `CREATE TABLE files (sensor STRING) WITH ('connector' = 'filesystem', 'path' = 's3://no-such-source/in', 'format' = 'json');
CREATE TABLE sink (sensor STRING) WITH ('connector' = 'blackhole');
INSERT INTO sink SELECT sensor FROM files;`,
      'org.apache.hadoop.fs.s3a.UnknownStoreException: s3a://no-such-source/: Bucket no-such-source does not exist (table files, path s3://no-such-source/in)',
    ],
    ['fs-hdfs', sinkTo("'path' = 'hdfs:///tmp/out'"), "org.apache.flink.core.fs.UnsupportedFileSystemSchemeException: Could not find a file system implementation for scheme 'hdfs'. Millrace's filesystem connector reads and writes s3://bucket/prefix paths on its object store. (table archive)"],
    ['fs-bad-size', sinkTo("'path' = 's3://fs-json/x/', 'sink.rolling-policy.file-size' = 'lots'"), "org.apache.flink.table.api.ValidationException: Could not parse value 'lots' for key 'sink.rolling-policy.file-size'."],
  ];
  for (const [name, sql, error] of cases) {
    await createApp(name, sql);
    const op = await start(name);
    assert.equal(op.OperationStatus, 'FAILED', name);
    assert.equal(op.OperationFailureDetails!.ErrorInfo!.ErrorString, error);
    await settles(name, 'READY');
  }
});

test('a stop with snapshot and a start from it: every row is in exactly one part file', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'fs-restart' }));
  await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-restart-in', ShardCount: 1 }));
  await createApp('fs-restart', `${kinesisSource('fs-restart-in')}
CREATE TABLE archive (sensor STRING, temp DOUBLE, note STRING) WITH ('connector' = 'filesystem', 'path' = 's3://fs-restart/out/', 'format' = 'json');
INSERT INTO archive SELECT sensor, temp, note FROM readings;`);
  assert.equal((await start('fs-restart')).OperationStatus, 'SUCCESSFUL');
  const row = (i: number) => ({ sensor: `s${i}`, temp: i, note: null });
  await put('fs-restart-in', [0, 1, 2].map(row));
  await until('the first rows', async () => (jsonLines(await objects('fs-restart', 'out/')).length >= 3 ? true : undefined));
  await put('fs-restart-in', [3, 4].map(row)); // may or may not be committed before the stop's checkpoint: either way once
  await stop('fs-restart');
  await put('fs-restart-in', [5, 6].map(row)); // read from the snapshot's positions after the start
  const restarted = await start('fs-restart', 'RESTORE_FROM_LATEST_SNAPSHOT');
  assert.equal(restarted.OperationStatus, 'SUCCESSFUL', JSON.stringify(restarted.OperationFailureDetails));
  await until('every row', async () => (jsonLines(await objects('fs-restart', 'out/')).length >= 7 ? true : undefined));
  await sleep(700); // more checkpoints: nothing is written twice
  await stop('fs-restart');
  const files = await objects('fs-restart', 'out/');
  assert.deepEqual(jsonLines(files).sort((a, b) => (a.temp as number) - (b.temp as number)), [0, 1, 2, 3, 4, 5, 6].map(row));
  // Two runs, two part-file prefixes (Flink draws a new uuid per job).
  assert.equal(new Set(files.map((f) => /^(out\/part-[0-9a-f-]{36})-0-\d+$/.exec(f.key)?.[1])).size, 2);
});

test('a crash after staging and before the commit, and one after the commit before the upload completed: no row lost, no object duplicated', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-fs-sink-'));
  const store = await FsObjectStore.open(dir);
  try {
    await store.createBucket('crash', 'us-east-1');
    const job = compileJob(`${kinesisSource('unused')}
CREATE TABLE archive (sensor STRING, temp DOUBLE, note STRING) WITH ('connector' = 'filesystem', 'path' = 's3://crash/out/', 'format' = 'json');
INSERT INTO archive SELECT sensor, temp, note FROM readings;`);
    const sink = job.sinks.archive!;
    let writer!: FilesystemSinkWriter;
    sink.subscribe((records: SinkRecord[]) => writer.add(records));
    const attempt = () => new FilesystemSinkWriter(store, sink, parseObjectPath('s3://crash/out/', 'archive'), 'run-1');
    const rows = (from: number, to: number) => job.sources.readings!.pushRows(Array.from({ length: to - from }, (_v, i) => ({ sensor: `s${from + i}`, temp: from + i, note: null })));
    const committed = async () => {
      const list = await store.listObjects('crash', { prefix: 'out/', limit: 100 });
      const texts = await Promise.all(list.objects.map(async (o) => {
        const { body } = await store.getObject('crash', o.key);
        const chunks: Buffer[] = [];
        for await (const c of body) chunks.push(c as Buffer);
        return Buffer.concat(chunks).toString('utf8');
      }));
      return { keys: list.objects.map((o) => o.key), temps: jsonLines(texts.map((text) => ({ text }))).map((r) => r.temp) };
    };

    writer = attempt();
    await writer.restore(undefined);
    rows(0, 2);
    const first = (await writer.preCommit()) as FilesystemSinkState;
    await writer.commit();
    rows(2, 4);
    const lost = (await writer.preCommit()) as FilesystemSinkState; // staged; the crash comes before its checkpoint commits
    assert.equal((await store.listMultipartUploads('crash')).length, 1);

    writer = attempt();
    await writer.restore(first); // from the last committed checkpoint
    assert.deepEqual(await store.listMultipartUploads('crash'), [], 'the uncommitted checkpoint\'s upload is aborted');
    assert.deepEqual((await committed()).temps, [0, 1]);
    rows(2, 5); // read again from the checkpoint's positions, and one more
    const retried = (await writer.preCommit()) as FilesystemSinkState;
    assert.equal(retried.staged[0]!.key, lost.staged[0]!.key, 'the retried part file has the same name');
    // The checkpoint commits, then the process dies before the upload is completed: the restart completes it, twice over is harmless.
    for (let i = 0; i < 2; i++) {
      writer = attempt();
      await writer.restore(retried);
    }
    const after = await committed();
    assert.deepEqual(after.temps, [0, 1, 2, 3, 4]);
    assert.equal(after.keys.length, 2);
    assert.deepEqual(await store.listMultipartUploads('crash'), []);

    // The runner's factory picks this writer for the connector.
    const viaFactory = sinkWriter(sink, { connector: 'filesystem', path: 's3://crash/out/' }, { objects: store, log: pino({ level: 'silent' }) }, { account: '000000000000', region: 'us-east-1', application: 'a', runId: 'run-2' });
    assert.ok(viaFactory instanceof FilesystemSinkWriter);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
