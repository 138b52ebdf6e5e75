import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateApplicationCommand, KinesisAnalyticsV2Client, StartApplicationCommand, StopApplicationCommand } from '@aws-sdk/client-kinesis-analytics-v2';
import { CreateStreamCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { startMillrace, type Millrace } from '../src/server.js';
import { appendRecords, type PutEntry } from '../src/kinesis/domain/records.js';
import { shardLogName, type StreamMeta } from '../src/kinesis/domain/stream.js';
import { checkedHashKey } from '../src/kinesis/put-validation.js';

/**
 * The filesystem sink's throughput (issue 15): records already in a Millrace stream (embedded store) go
 * through a started application into json part files on the object store; the time is from
 * StartApplication until every row is in a committed (visible) part file, so it includes up to one
 * checkpoint interval (CHECKPOINT_MS). The peer, in the same run and interleaved round by round, is
 * the same job writing a Kinesis stream instead.
 * Run: `npx tsc -p . && node dist/bench/analytics-filesystem.js`.
 *   BENCH_ROWS    records per run (default 100,000)
 *   BENCH_ROUNDS  rounds of both scenarios (default 3)
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CHECKPOINT_MS = 500;
const ACCOUNT = { account: '000000000000', region: 'us-east-1' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function createStream(server: Millrace, name: string, shards: number): Promise<StreamMeta> {
  const client = new KinesisClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  client.destroy();
  for (;;) {
    const stream = await server.analytics.kinesis!.streams.find(ACCOUNT, name);
    if (stream?.status === 'ACTIVE') return stream;
    await sleep(20);
  }
}

/** Lines in the committed objects under a prefix; objects are immutable once visible, so each is read once. */
async function committedLines(server: Millrace, bucket: string, prefix: string, seen: Map<string, number>): Promise<number> {
  const listed = await server.objects.listObjects(bucket, { prefix, limit: 10_000 });
  for (const o of listed.objects) {
    if (seen.has(o.key)) continue;
    const { body } = await server.objects.getObject(bucket, o.key);
    let n = 0;
    for await (const chunk of body) for (const byte of chunk as Buffer) if (byte === 0x0a) n++;
    seen.set(o.key, n);
  }
  let total = 0;
  for (const n of seen.values()) total += n;
  return total;
}

async function outputCount(server: Millrace, name: string): Promise<number> {
  const kinesis = server.analytics.kinesis!;
  const stream = (await kinesis.streams.find(ACCOUNT, name))!;
  let n = 0;
  for (const shard of stream.shards) n += await kinesis.store.records.tip(shardLogName(stream, shard));
  return n;
}

async function run(server: Millrace, kda: KinesisAnalyticsV2Client, name: string, sink: string, done: () => Promise<boolean>): Promise<number> {
  const sql = `CREATE TABLE events (k STRING, v INT, price DOUBLE) WITH ('connector' = 'kinesis', 'stream' = 'bench-fs-in', 'aws.region' = 'us-east-1', 'scan.stream.initpos' = 'TRIM_HORIZON', 'format' = 'json');
${sink}
INSERT INTO out SELECT k, v, price FROM events;`;
  await kda.send(
    new CreateApplicationCommand({
      ApplicationName: name,
      RuntimeEnvironment: 'FLINK-1_19',
      ServiceExecutionRole: 'arn:aws:iam::000000000000:role/kda',
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: { CodeContentType: 'PLAINTEXT', CodeContent: { TextContent: sql } },
        FlinkApplicationConfiguration: { CheckpointConfiguration: { ConfigurationType: 'CUSTOM', CheckpointingEnabled: true, CheckpointInterval: CHECKPOINT_MS, MinPauseBetweenCheckpoints: 0 } },
      },
    }),
  );
  const started = performance.now();
  await kda.send(new StartApplicationCommand({ ApplicationName: name }));
  while (!(await done())) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  await kda.send(new StopApplicationCommand({ ApplicationName: name, Force: true }));
  return seconds;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-fs-'));
  const server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
  const kda = new KinesisAnalyticsV2Client({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  try {
    const input = await createStream(server, 'bench-fs-in', 2);
    for (let i = 0; i < ROWS; i += 500) {
      const entries: PutEntry[] = [];
      for (let j = i; j < Math.min(ROWS, i + 500); j++) entries.push({ data: Buffer.from(`{"k":"key${j % 10_000}","v":${j % 100},"price":${(j % 1000) / 10}}`), partitionKey: `p${j % 64}`, hashKey: checkedHashKey(`p${j % 64}`, undefined) });
      await appendRecords(server.analytics.kinesis!, input, entries);
    }
    await server.objects.createBucket('bench-fs', 'us-east-1');
    const times: Record<string, number[]> = { filesystem: [], kinesis: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const seen = new Map<string, number>();
      times.filesystem!.push(
        await run(server, kda, `bench-fs-${round}`, `CREATE TABLE out (k STRING, v INT, price DOUBLE) WITH ('connector' = 'filesystem', 'path' = 's3://bench-fs/r${round}/', 'format' = 'json');`, async () => (await committedLines(server, 'bench-fs', `r${round}/`, seen)) >= ROWS),
      );
      await createStream(server, `bench-fs-out-${round}`, 1);
      times.kinesis!.push(
        await run(server, kda, `bench-k-${round}`, `CREATE TABLE out (k STRING, v INT, price DOUBLE) WITH ('connector' = 'kinesis', 'stream' = 'bench-fs-out-${round}', 'aws.region' = 'us-east-1', 'format' = 'json');`, async () => (await outputCount(server, `bench-fs-out-${round}`)) >= ROWS),
      );
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.table(
      Object.entries(times).map(([sink, xs]) => ({
        sink,
        rows: ROWS,
        checkpointMs: CHECKPOINT_MS,
        secondsMedian: +median(xs).toFixed(2),
        secondsRange: `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`,
        rowsPerSecondMedian: Math.round(ROWS / median(xs)),
      })),
    );
  } finally {
    kda.destroy();
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
