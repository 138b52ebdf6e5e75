import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateApplicationCommand, KinesisAnalyticsV2Client, StartApplicationCommand, StopApplicationCommand } from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { startMillrace, type Millrace } from '../src/server.js';
import type { Kinesis } from '../src/kinesis/context.js';
import { appendRecords, type PutEntry } from '../src/kinesis/domain/records.js';
import { shardLogName, type StreamMeta } from '../src/kinesis/domain/stream.js';
import { checkedHashKey } from '../src/kinesis/put-validation.js';
import { runKey, type RunDoc } from '../src/analytics/runtime/run-doc.js';

/**
 * End-to-end throughput of running Flink SQL applications (issue 15, performance): records already in a
 * Millrace stream (embedded store) go through a started application to an output stream; the time is
 * from StartApplication until the last result is durable in the output stream. Compared, in the same
 * run, with only reading the same records from the stream and writing them to another one.
 * Run: `npx tsc -p . && node dist/bench/analytics-run.js`.
 *   BENCH_ROWS  records per scenario (default 200,000)
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const KEYS = 10_000;
const SHARDS = 2;
const ACCOUNT = { account: '000000000000', region: 'us-east-1' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const BASE = Date.parse('2024-01-01T00:00:00Z');
const ts = (ms: number) => new Date(BASE + ms).toISOString().replace('T', ' ').replace('Z', '');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createStream(server: Millrace, name: string): Promise<StreamMeta> {
  const kinesis = server.analytics.kinesis!;
  const client = new KinesisClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: SHARDS }));
  client.destroy();
  for (;;) {
    const stream = await kinesis.streams.find(ACCOUNT, name);
    if (stream?.status === 'ACTIVE') return stream;
    await sleep(20);
  }
}

async function fill(kinesis: Kinesis, stream: StreamMeta, rows: number, closeAt: number): Promise<void> {
  const enc = (i: number, t: number) => Buffer.from(`{"k":"key${i % KEYS}","v":${i % 100},"price":${(i % 1000) / 10},"ts":"${ts(t)}"}`);
  for (let i = 0; i < rows; i += 500) {
    const entries: PutEntry[] = [];
    // 10,000 rows per second of event time: two 10 s windows over 10,000 keys
    for (let j = i; j < Math.min(rows, i + 500); j++) entries.push({ data: enc(j, Math.floor((j * 20_000) / rows)), partitionKey: `p${j % 64}`, hashKey: checkedHashKey(`p${j % 64}`, undefined) });
    await appendRecords(kinesis, stream, entries);
  }
  // One row per shard past the last window, so that every shard's watermark closes it.
  for (let p = 0; p < 64; p++) await appendRecords(kinesis, stream, [{ data: enc(0, closeAt), partitionKey: `p${p}`, hashKey: checkedHashKey(`p${p}`, undefined) }]);
}

async function outputCount(kinesis: Kinesis, name: string): Promise<number> {
  const stream = (await kinesis.streams.find(ACCOUNT, name))!;
  let n = 0;
  for (const shard of stream.shards) n += await kinesis.store.records.tip(shardLogName(stream, shard));
  return n;
}

/** Seconds from StartApplication until the last result is durable, and until the start's operation succeeded. */
async function runApp(server: Millrace, kda: KinesisAnalyticsV2Client, name: string, sql: string, output: string, expected: number): Promise<{ seconds: number; startSeconds: number }> {
  await kda.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      RuntimeEnvironment: 'FLINK-1_18',
      ServiceExecutionRole: 'arn:aws:iam::000000000000:role/kda',
      ApplicationConfiguration: { ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: sql } } },
    }),
  );
  const started = performance.now();
  await kda.send(new StartApplicationCommand({ ApplicationName: name }));
  const kinesis = server.analytics.kinesis!;
  let startSeconds = NaN;
  for (;;) {
    if ((await outputCount(kinesis, output)) >= expected) break;
    if (Number.isNaN(startSeconds)) {
      // The run document says when the job ran its first cycle (the operation settles a little later).
      const run = (await server.analytics.store.meta.get<RunDoc>(runKey({ ...ACCOUNT, name })))?.value;
      if (run?.phase === 'FAILED') throw new Error(run.error);
      if (run?.phase === 'RUNNING') startSeconds = (performance.now() - started) / 1000;
    }
    await sleep(10);
  }
  return { seconds: (performance.now() - started) / 1000, startSeconds };
}

/** Only reading the records and writing them to another stream: the floor the job is compared with. */
async function copyOnly(kinesis: Kinesis, from: StreamMeta, to: StreamMeta): Promise<number> {
  const started = performance.now();
  for (const shard of from.shards) {
    const log = shardLogName(from, shard);
    let index = 0;
    for (;;) {
      const read = await kinesis.store.records.read(log, index, { limit: 10_000, maxBytes: 10 * 1024 * 1024, notBefore: 0 });
      if (read.records.length === 0) break;
      const entries = read.records.map((r) => ({ data: r.data, partitionKey: r.partitionKey, hashKey: checkedHashKey(r.partitionKey, undefined) }));
      await appendRecords(kinesis, to, entries); // one append per read, as the job's sink writes
      index = read.nextIndex;
    }
  }
  return (performance.now() - started) / 1000;
}

/** rows/s over the whole run, and after the start (the start's compile, lease and first cycle excluded). */
const row = (scenario: string, r: { seconds: number; startSeconds: number }, copy: number) => ({
  scenario,
  rows: ROWS,
  seconds: +r.seconds.toFixed(2),
  startSeconds: +r.startSeconds.toFixed(2),
  rowsPerSecond: Math.round(ROWS / r.seconds),
  runningRowsPerSecond: Math.round(ROWS / (r.seconds - r.startSeconds)),
  copyOnlyRowsPerSecond: Math.round(ROWS / copy),
  ratio: +((r.seconds - r.startSeconds) / copy).toFixed(2),
});

const source = (name: string) => `CREATE TABLE events (k STRING, v INT, price DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'kinesis', 'stream' = '${name}', 'aws.region' = 'us-east-1', 'scan.stream.initpos' = 'TRIM_HORIZON', 'format' = 'json');`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-run-'));
  const server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  const kda = new KinesisAnalyticsV2Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const kinesis = server.analytics.kinesis!;
  try {
    const results: Record<string, unknown>[] = [];
    // filter + project: half the rows pass
    const inF = await createStream(server, 'bench-f-in');
    await createStream(server, 'bench-f-out');
    await fill(kinesis, inF, ROWS, 25_000);
    const filterSql = `${source('bench-f-in')}
CREATE TABLE out (k STRING, price DOUBLE) WITH ('connector' = 'kinesis', 'stream' = 'bench-f-out', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO out SELECT k, price * 2 FROM events WHERE v < 50;`;
    const passing = Math.ceil(ROWS / 2) + 64; // v = i % 100 < 50, and the 64 closing rows (v = 0)
    const f = await runApp(server, kda, 'bench-filter', filterSql, 'bench-f-out', passing - 1);
    const copyF = await copyOnly(kinesis, inF, await createStream(server, 'bench-f-copy'));
    results.push(row('filter + project', f, copyF));
    await kda.send(new StopApplicationCommand({ ApplicationName: 'bench-filter', Force: true }));

    // TUMBLE 10 s COUNT/SUM per key over 10,000 keys: 2 windows × 10,000 keys of results
    const inT = await createStream(server, 'bench-t-in');
    await createStream(server, 'bench-t-out');
    await fill(kinesis, inT, ROWS, 25_000);
    const tumbleSql = `${source('bench-t-in')}
CREATE TABLE out (k STRING, window_start TIMESTAMP(3), n BIGINT, total DOUBLE) WITH ('connector' = 'kinesis', 'stream' = 'bench-t-out', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO out SELECT k, window_start, COUNT(*), SUM(price) FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY k, window_start, window_end;`;
    const t = await runApp(server, kda, 'bench-tumble', tumbleSql, 'bench-t-out', 2 * KEYS);
    const copyT = await copyOnly(kinesis, inT, await createStream(server, 'bench-t-copy'));
    results.push(row('TUMBLE 10 s COUNT/SUM, 10k keys', t, copyT));

    // Latency: with the tumble job caught up, a row per shard closes the next window; time until its results are in the output stream.
    const latencies: number[] = [];
    const stream = (await kinesis.streams.find(ACCOUNT, 'bench-t-in'))!;
    for (let w = 3; w < 13; w++) {
      const before = await outputCount(kinesis, 'bench-t-out');
      await appendRecords(kinesis, stream, [{ data: Buffer.from(`{"k":"lat","v":1,"price":1,"ts":"${ts(w * 10_000 + 1)}"}`), partitionKey: 'lat', hashKey: checkedHashKey('lat', undefined) }]);
      await sleep(300); // the job has taken the row in; its window [w*10 s, w*10 s + 10 s) is open
      const closedAt = performance.now();
      // One append (one commit) of a row per partition key: every shard's watermark passes the window's end.
      await appendRecords(kinesis, stream, Array.from({ length: 64 }, (_v, p) => ({ data: Buffer.from(`{"k":"lat","v":1,"price":1,"ts":"${ts((w + 1) * 10_000 + 2_000)}"}`), partitionKey: `p${p}`, hashKey: checkedHashKey(`p${p}`, undefined) })));
      while ((await outputCount(kinesis, 'bench-t-out')) <= before) await sleep(2);
      latencies.push(performance.now() - closedAt);
    }
    latencies.sort((a, b) => a - b);
    results.push({ scenario: 'window result after the watermark passes its end', samples: latencies.length, p50ms: Math.round(latencies[Math.floor(latencies.length / 2)]), maxMs: Math.round(latencies[latencies.length - 1]) });
    console.table(results);
  } finally {
    kda.destroy();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
