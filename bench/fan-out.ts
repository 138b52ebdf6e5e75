import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Target } from './targets.js';
import { summarize } from './profile.js';
import { SUBSCRIBE_HEADERS, Subscribers } from './fan-out-subscribers.js';

/**
 * Enhanced fan-out latency (issue 5): time from sending a PutRecords request to receiving each of
 * its records in a SubscribeToShardEvent, with 1 and 10 consumers at 1,000 and 10,000 records/s.
 * Millrace (durable LMDB store) runs in a child process; the producer runs here and the
 * subscribers (hand-built HTTP/1.1, JSON events) in a worker thread, all on one clock. One shard per 1,000 records/s (the AWS per-shard
 * write limit); every consumer subscribes to every shard.
 *
 *   node dist/bench/fan-out.js          BENCH_SECONDS (default 5) per row; BENCH_PROFILE=1 profiles the server;
 *                                       BENCH_NODE_ARGS passes Node flags to the server (GC experiments)
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const TICK_MS = 10;
const RECORD_BYTES = 100;
const HEADERS = SUBSCRIBE_HEADERS;
const ACCOUNT = '000000000000';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function call(endpoint: string, operation: string, input: unknown): Promise<any> {
  const body = Buffer.from(JSON.stringify(input));
  return new Promise((resolve, reject) => {
    const req = http.request(new URL('/', endpoint), { method: 'POST', agent, headers: { ...HEADERS, 'X-Amz-Target': `Kinesis_20131202.${operation}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) return reject(new Error(`${operation}: ${res.statusCode} ${text}`));
        resolve(text ? JSON.parse(text) : undefined);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function row(endpoint: string, rate: number, consumers: number, n: number) {
  const shards = Math.max(1, rate / 1000);
  const stream = `fanout-${n}`;
  await call(endpoint, 'CreateStream', { StreamName: stream, ShardCount: shards });
  const streamArn = `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/${stream}`;
  const arns: string[] = [];
  for (let i = 0; i < consumers; i++) {
    const { Consumer } = await call(endpoint, 'RegisterStreamConsumer', { StreamARN: streamArn, ConsumerName: `c${i}` });
    arns.push(Consumer.ConsumerARN);
  }
  const { Shards } = await call(endpoint, 'ListShards', { StreamName: stream });
  // Subscribers run in a worker thread with an event loop of their own, as consumers are separate
  // processes in real life: decoding 100k records/s here would delay the producer's own timing.
  const subscribers = new Subscribers(endpoint, arns, Shards.map((shard: { ShardId: string }) => shard.ShardId));
  await subscribers.ready;
  let measuring = false;
  const perTick = (rate * TICK_MS) / 1000;
  const pad = 'x'.repeat(RECORD_BYTES - 20);
  let sent = 0;
  let failed = 0;
  const inflight = new Set<Promise<void>>();
  const putLatencies: number[] = [];
  const run = async (durationMs: number) => {
    const start = performance.now();
    let tick = 0;
    while (performance.now() - start < durationMs) {
      tick++;
      const sentAt = (performance.timeOrigin + performance.now()).toFixed(3).padStart(20, ' ');
      const data = Buffer.from(sentAt + pad, 'latin1').toString('base64');
      const records = Array.from({ length: perTick }, (_, i) => ({ PartitionKey: `k${(tick * perTick + i) % 997}`, Data: data }));
      const putAt = performance.now();
      const p = call(endpoint, 'PutRecords', { StreamName: stream, Records: records })
        .then((r) => {
          if (measuring) putLatencies.push(performance.now() - putAt);
          sent += records.length - r.FailedRecordCount;
          failed += r.FailedRecordCount;
        })
        .catch(() => void (failed += records.length));
      inflight.add(p);
      void p.finally(() => inflight.delete(p));
      const next = start + tick * TICK_MS;
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await Promise.all(inflight);
  };
  await run(1000); // warm-up
  measuring = true;
  subscribers.measure();
  const before = { sent };
  await run(seconds * 1000);
  measuring = false;
  const expected = (sent - before.sent) * consumers;
  const latencies = await subscribers.finish(expected);
  latencies.sort((a, b) => a - b);
  putLatencies.sort((a, b) => a - b);
  return {
    rate,
    consumers,
    shards,
    delivered: `${latencies.length}/${expected}`,
    failedPuts: failed,
    p50: percentile(latencies, 50).toFixed(2),
    p99: percentile(latencies, 99).toFixed(2),
    max: latencies[latencies.length - 1].toFixed(2),
    /** The PutRecords round trip alone (durable commit included): the floor of put-to-event. */
    putP50: percentile(putLatencies, 50).toFixed(2),
    putP99: percentile(putLatencies, 99).toFixed(2),
  };
}

async function main() {
  // BENCH_PROFILE=1: CPU-profile the server and print where its time went.
  const profileDir = process.env.BENCH_PROFILE ? mkdtempSync(join(tmpdir(), 'millrace-fan-out-profile-')) : undefined;
  const target = await Target.start('millrace', [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])]);
  try {
    const rows = [];
    let n = 0;
    for (const rate of [1000, 10_000]) {
      for (const consumers of [1, 10]) {
        const result = await row(target.endpoint, rate, consumers, n++);
        console.log(JSON.stringify(result));
        rows.push(result);
      }
    }
    console.log('\n| records/s | consumers | shards | delivered | p50 ms | p99 ms | max ms | put p50 | put p99 |');
    console.log('|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.rate} | ${r.consumers} | ${r.shards} | ${r.delivered} | ${r.p50} | ${r.p99} | ${r.max} | ${r.putP50} | ${r.putP99} |`);
  } finally {
    agent.destroy();
    await target.stop();
  }
  if (profileDir) {
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'))!;
    console.log(summarize(JSON.parse(readFileSync(join(profileDir, file), 'utf8'))));
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
