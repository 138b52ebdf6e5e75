/**
 * Distributed-mode throughput (issue 7): PutRecords records/s through 1 and 2 Millrace nodes over
 * a local 3-node nats-server cluster, at replicas 1 and 3, against the embedded LMDB store.
 * Every Millrace node is its own process (bin/millrace); the load comes from this process.
 *
 *   npx tsc -p . && node dist/bench/distributed.js        (BENCH_SECONDS, default 5)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drive } from './load.js';
import { LAUNCHER, launcherEnvironment } from './launcher.js';
import { once, prepare, WireClient } from './wire.js';
import { createStream } from './scenarios.js';
import { NatsCluster, natsServerMissing } from '../test/nats-cluster.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LOAD = { perCall: 500, dataBytes: 100, producers: 8, shards: 4, variants: 16 };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startNode(args: string[]): Promise<{ endpoint: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(LAUNCHER, ['--port', String(port), '--log-level', 'error', ...args], { env: launcherEnvironment(), stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('endpoint') && resolve());
    child.once('exit', (code) => reject(new Error(`millrace exited with ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

async function stopNode(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function measure(label: string, nodeArgs: string[][]): Promise<number> {
  const nodes = [];
  for (const args of nodeArgs) nodes.push(await startNode(args));
  const clients = nodes.map((node) => new WireClient(node.endpoint, LOAD.producers));
  try {
    const stream = `bench-${randomBytes(4).toString('hex')}`;
    await createStream(clients[0], stream, LOAD.shards);
    for (const client of clients.slice(1)) await once(client, 'DescribeStreamSummary', { StreamName: stream });
    const bodies = Array.from({ length: LOAD.variants }, () =>
      prepare('PutRecords', {
        StreamName: stream,
        Records: Array.from({ length: LOAD.perCall }, (_, i) => ({ Data: randomBytes(LOAD.dataBytes).toString('base64'), PartitionKey: `pk-${i}-${randomBytes(4).toString('hex')}` })),
      }),
    );
    let next = 0;
    const result = await drive({ concurrency: LOAD.producers, seconds: SECONDS, maxRequests: 1e7 }, async (producer) => {
      const reply = await clients[producer % clients.length].send(bodies[next++ % bodies.length]);
      if (reply.status !== 200) throw new Error(`HTTP ${reply.status} ${reply.body.toString().slice(0, 200)}`);
      const failed = Number(/"FailedRecordCount":(\d+)/.exec(reply.body.toString('latin1', 0, 64))?.[1] ?? 0);
      return { units: LOAD.perCall - failed, bytes: (LOAD.perCall - failed) * LOAD.dataBytes };
    });
    if (result.errors) throw new Error(`${label}: ${result.errors} failed requests, first: ${result.firstError}`);
    const rate = result.units / result.seconds;
    console.log(`${label.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} records/s`);
    return rate;
  } finally {
    for (const client of clients) client.close();
    for (const node of nodes) await stopNode(node.child);
  }
}

async function main(): Promise<void> {
  console.log(`PutRecords ${LOAD.perCall} × ${LOAD.dataBytes} B, ${LOAD.producers} producers, ${LOAD.shards} shards, ${SECONDS} s each`);
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-'));
  let embedded: number;
  try {
    embedded = await measure('embedded LMDB store, 1 node', [['--data', dataDir]]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const missing = natsServerMissing();
  if (missing) {
    console.log(`distributed rows skipped: ${missing}`);
    return;
  }
  const cluster = await NatsCluster.start(3);
  try {
    for (const replicas of [1, 3]) {
      for (const count of [1, 2]) {
        const args = ['--store', cluster.url, '--replicas', String(replicas)];
        const rate = await measure(`NATS ${count} node${count > 1 ? 's' : ' '}, replicas ${replicas}`, Array.from({ length: count }, () => args));
        console.log(`${''.padEnd(44)} ${(rate / embedded).toFixed(2).padStart(10)} × embedded`);
      }
    }
  } finally {
    await cluster.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
