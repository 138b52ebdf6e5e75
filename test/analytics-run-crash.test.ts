import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KinesisAnalyticsV2Client, CreateApplicationCommand, DescribeApplicationCommand, DescribeApplicationOperationCommand, StartApplicationCommand } from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { tumblingSql } from './analytics-run-fixtures.js';

/**
 * `kill -9` of the process running a Flink SQL job (embedded store): the restarted server resumes the
 * still-RUNNING application from its last checkpoint, and every window comes out with its exact totals;
 * a filesystem sink killed while it stages and commits part files ends with every row in exactly one.
 */

const childScript = fileURLToPath(new URL('./crash-child.js', import.meta.url));
const ROLE = 'arn:aws:iam::123456789012:role/kda';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString().replace('T', ' ').replace('Z', '');
const out = (second: number) => at(second).replace(/\.000$/, '');

/** StartApplication, then its operation followed until it leaves IN_PROGRESS: it must succeed. */
async function startApplication(kda: KinesisAnalyticsV2Client, ApplicationName: string): Promise<void> {
  const { OperationId } = await kda.send(new StartApplicationCommand({ ApplicationName }));
  let status: string | undefined;
  for (let i = 0; i < 300 && (status === undefined || status === 'IN_PROGRESS'); i++) {
    await sleep(100);
    status = (await kda.send(new DescribeApplicationOperationCommand({ ApplicationName, OperationId }))).ApplicationOperationInfoDetails!.OperationStatus;
  }
  assert.equal(status, 'SUCCESSFUL');
}

async function startChild(dataDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, [childScript, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const endpoint = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve((JSON.parse(line) as { endpoint: string }).endpoint));
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before serving`)));
  });
  return { child, endpoint };
}

test('kill -9 mid-window: the restarted server resumes the job from its checkpoint with exact totals', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-analytics-crash-'));
  const clients: { destroy(): void }[] = [];
  let running: ChildProcess | undefined;
  const connect = (endpoint: string) => {
    const kda = new KinesisAnalyticsV2Client({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const kinesis = new KinesisClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    clients.push(kda, kinesis);
    return { kda, kinesis };
  };
  const put = async (kinesis: KinesisClient, rows: [string, number, number][]) => {
    const res = await kinesis.send(new PutRecordsCommand({ StreamName: 'crash-in', Records: rows.map(([sensor, temp, second]) => ({ Data: Buffer.from(JSON.stringify({ sensor, temp, ts: at(second) })), PartitionKey: sensor })) }));
    assert.equal(res.FailedRecordCount, 0);
  };
  const windows = async (kinesis: KinesisClient, count: number) => {
    for (let i = 0; i < 300; i++) {
      let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: 'crash-out', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
      const byWindow = new Map<string, string>();
      for (;;) {
        const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
        for (const r of got.Records ?? []) {
          const row = JSON.parse(Buffer.from(r.Data!).toString('utf8')) as Record<string, unknown>;
          const k = `${row.sensor as string}@${row.window_start as string}`;
          const v = `${row.readings as number}/${row.total as number}`;
          assert.ok(!byWindow.has(k) || byWindow.get(k) === v, `window ${k} came out as ${byWindow.get(k)} and as ${v}`);
          byWindow.set(k, v);
        }
        iterator = got.NextShardIterator;
        if ((got.Records ?? []).length === 0 || got.MillisBehindLatest === 0) break;
      }
      if (byWindow.size >= count) return Object.fromEntries(byWindow);
      await sleep(100);
    }
    assert.fail(`fewer than ${count} windows came out`);
  };
  try {
    let { child, endpoint } = await startChild(dataDir);
    running = child;
    let { kda, kinesis } = connect(endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'crash-in', ShardCount: 1 }));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'crash-out', ShardCount: 1 }));
    await kda.send(
      new CreateApplicationCommand({
        ApplicationName: 'crashing',
        RuntimeEnvironment: 'FLINK-1_20',
        ServiceExecutionRole: ROLE,
        ApplicationConfiguration: {
          ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: tumblingSql('crash-in', 'crash-out', 'LATEST') } },
          FlinkApplicationConfiguration: { CheckpointConfiguration: { ConfigurationType: 'CUSTOM', CheckpointingEnabled: true, CheckpointInterval: 200, MinPauseBetweenCheckpoints: 0 } },
        },
      }),
    );
    await startApplication(kda, 'crashing');
    await put(kinesis, [['a', 1, 1], ['b', 2, 2], ['a', 3, 8], ['a', 10, 12]]);
    await windows(kinesis, 2);
    await put(kinesis, [['b', 20, 14], ['a', 30, 16]]);
    await sleep(1_000); // several checkpoints hold the open window [10,20)

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    ({ child, endpoint } = await startChild(dataDir));
    running = child;
    ({ kda, kinesis } = connect(endpoint));
    assert.equal((await kda.send(new DescribeApplicationCommand({ ApplicationName: 'crashing' }))).ApplicationDetail!.ApplicationStatus, 'RUNNING');
    await put(kinesis, [['b', 5, 17], ['a', 100, 27]]);
    assert.deepEqual(await windows(kinesis, 4), {
      [`a@${out(0)}`]: '2/4',
      [`b@${out(0)}`]: '1/2',
      [`a@${out(10)}`]: '2/40',
      [`b@${out(10)}`]: '2/25',
    });
  } finally {
    for (const c of clients) c.destroy();
    if (running && running.exitCode === null) {
      running.kill('SIGKILL');
      await new Promise((resolve) => running!.once('exit', resolve));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('kill -9 while a filesystem sink stages and commits part files: after the restart every row is in exactly one object', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-analytics-fs-crash-'));
  const clients: { destroy(): void }[] = [];
  let running: ChildProcess | undefined;
  const connect = (endpoint: string) => {
    const kda = new KinesisAnalyticsV2Client({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const kinesis = new KinesisClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    const s3 = new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: true, maxAttempts: 1 });
    clients.push(kda, kinesis, s3);
    return { kda, kinesis, s3 };
  };
  const ROWS = 600;
  const BATCH = 30;
  const put = async (kinesis: KinesisClient, from: number) => {
    const res = await kinesis.send(new PutRecordsCommand({ StreamName: 'fs-crash-in', Records: Array.from({ length: BATCH }, (_v, i) => ({ Data: Buffer.from(JSON.stringify({ id: from + i })), PartitionKey: `k${i}` })) }));
    assert.equal(res.FailedRecordCount, 0);
  };
  const ids = async (s3: S3Client) => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'fs-crash', Prefix: 'out/' }));
    const all: number[] = [];
    for (const o of listed.Contents ?? []) {
      const text = await (await s3.send(new GetObjectCommand({ Bucket: 'fs-crash', Key: o.Key }))).Body!.transformToString();
      for (const line of text.split('\n')) if (line !== '') all.push((JSON.parse(line) as { id: number }).id);
    }
    return all;
  };
  try {
    let { child, endpoint } = await startChild(dataDir);
    running = child;
    let { kda, kinesis, s3 } = connect(endpoint);
    await kinesis.send(new CreateStreamCommand({ StreamName: 'fs-crash-in', ShardCount: 2 }));
    await s3.send(new CreateBucketCommand({ Bucket: 'fs-crash' }));
    await kda.send(
      new CreateApplicationCommand({
        ApplicationName: 'fs-crashing',
        RuntimeEnvironment: 'FLINK-1_20',
        ServiceExecutionRole: ROLE,
        ApplicationConfiguration: {
          ApplicationCodeConfiguration: {
            CodeContentType: 'PLAINTEXT',
            CodeContent: {
              TextContent: `CREATE TABLE src (id INT) WITH ('connector' = 'kinesis', 'stream' = 'fs-crash-in', 'aws.region' = 'us-east-1', 'scan.stream.initpos' = 'TRIM_HORIZON', 'format' = 'json');
CREATE TABLE archive (id INT) WITH ('connector' = 'filesystem', 'path' = 's3://fs-crash/out/', 'format' = 'json', 'sink.rolling-policy.file-size' = '64b');
INSERT INTO archive SELECT id FROM src;`,
            },
          },
          FlinkApplicationConfiguration: { CheckpointConfiguration: { ConfigurationType: 'CUSTOM', CheckpointingEnabled: true, CheckpointInterval: 50, MinPauseBetweenCheckpoints: 0 } },
        },
      }),
    );
    await startApplication(kda, 'fs-crashing');
    // Half the rows while the job stages (a part file rolls every few rows) and commits every 50 ms, then the kill.
    let next = 0;
    for (; next < ROWS / 2; next += BATCH) {
      await put(kinesis, next);
      await sleep(15);
    }
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    ({ child, endpoint } = await startChild(dataDir));
    running = child;
    ({ kda, kinesis, s3 } = connect(endpoint));
    for (; next < ROWS; next += BATCH) await put(kinesis, next);
    let got: number[] = [];
    for (let i = 0; i < 300 && got.length < ROWS; i++) {
      await sleep(100);
      got = await ids(s3);
    }
    await sleep(500); // more checkpoints: nothing may come twice
    got = await ids(s3);
    assert.deepEqual([...got].sort((a, b) => a - b), Array.from({ length: ROWS }, (_v, i) => i));
    const uploads = (await s3.send(new ListMultipartUploadsCommand({ Bucket: 'fs-crash' }))).Uploads ?? [];
    assert.deepEqual(uploads, [], 'the uploads staged before the kill were completed or aborted, and the idle job stages nothing');
  } finally {
    for (const c of clients) c.destroy();
    if (running && running.exitCode === null) {
      running.kill('SIGKILL');
      await new Promise((resolve) => running!.once('exit', resolve));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});
