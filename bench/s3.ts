/**
 * S3 throughput: 8 MiB PutObject and GetObject against Millrace's embedded (fs) object store and
 * `moto_server` in the same run, MB/s and p50/p99 latency per request, printed as a table.
 *
 *   node dist/bench/s3.js [--requests 32] [--concurrency 4] [--size-mib 8] [--skip-moto] [--profile DIR]
 *
 * The client is Node's http with keep-alive and unsigned-payload requests, the same for both
 * servers, so that the server is what is measured (the SDK would hash every body on the client).
 * Millrace runs in a child process with the launcher's environment (bin/millrace), as users run it.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { launcherEnvironment } from './launcher.js';

const MiB = 1024 * 1024;
const AUTHORIZATION = 'AWS4-HMAC-SHA256 Credential=AKIDBENCH/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000';

interface Target {
  name: string;
  endpoint: string;
  stop(): Promise<void>;
}

/** `--profile DIR`: a V8 CPU profile of the Millrace child, written into DIR when it stops. */
let profileDir: string | undefined;

async function startMillraceChild(): Promise<Target> {
  const execArgv = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = fork(fileURLToPath(import.meta.url), ['serve'], { execArgv, env: launcherEnvironment(), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('message', (message: { endpoint: string }) => resolve(message.endpoint));
    child.once('exit', (code) => reject(new Error(`millrace exited with ${code}`)));
  });
  return { name: 'millrace (fs)', endpoint, stop: () => stopChild(child, () => child.disconnect()) };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startMoto(): Promise<Target | undefined> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const failed = new Promise<undefined>((resolve) => child.once('error', () => resolve(undefined)));
  const endpoint = `http://127.0.0.1:${port}`;
  const ready = (async () => {
    for (let attempt = 0; attempt < 200; attempt++) {
      if (child.exitCode !== null) return undefined;
      try {
        await request(endpoint, 'GET', '/', undefined);
        return { name: 'moto_server', endpoint, stop: () => stopChild(child, () => child.kill('SIGTERM')) };
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return undefined;
  })();
  const target = await Promise.race([ready, failed]);
  if (!target) child.kill('SIGKILL');
  return target;
}

function stopChild(child: ChildProcess, ask: () => void): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    ask();
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request; resolves to the status and the number of body bytes read (and dropped). */
function request(endpoint: string, method: string, path: string, body: Buffer | undefined): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL(path, endpoint),
      {
        method,
        agent,
        headers: {
          Authorization: AUTHORIZATION,
          'X-Amz-Date': '20240101T000000Z',
          'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
          ...(body ? { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' } : {}),
        },
      },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Result {
  mbPerSecond: number;
  p50: number;
  p99: number;
}

/** `requests` calls, `concurrency` at a time; MB/s over the whole run and per-request latency. */
async function run(concurrency: number, requests: number, size: number, call: (i: number) => Promise<void>): Promise<Result> {
  const latencies: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        await call(i);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { mbPerSecond: (requests * size) / 1e6 / seconds, p50: at(0.5), p99: at(0.99) };
}

async function measure(target: Target, options: { requests: number; concurrency: number; size: number }): Promise<{ put: Result; get: Result }> {
  const body = randomBytes(options.size);
  const bucket = `bench-${Date.now()}`;
  const created = await request(target.endpoint, 'PUT', `/${bucket}`, undefined);
  if (created.status !== 200) throw new Error(`${target.name}: CreateBucket answered ${created.status}`);
  const keys = Math.min(options.requests, 8);
  const put = async (i: number) => {
    const res = await request(target.endpoint, 'PUT', `/${bucket}/object-${i % keys}`, body);
    if (res.status !== 200) throw new Error(`${target.name}: PutObject answered ${res.status}`);
  };
  const get = async (i: number) => {
    const res = await request(target.endpoint, 'GET', `/${bucket}/object-${i % keys}`, undefined);
    if (res.status !== 200 || res.bytes !== options.size) throw new Error(`${target.name}: GetObject answered ${res.status} with ${res.bytes} bytes`);
  };
  // Warm-up: connections, JIT, and every key present for the reads.
  await run(options.concurrency, keys, options.size, put);
  await run(options.concurrency, options.concurrency, options.size, get);
  return {
    put: await run(options.concurrency, options.requests, options.size, put),
    get: await run(options.concurrency, options.requests, options.size, get),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '32' },
      concurrency: { type: 'string', default: '4' },
      'size-mib': { type: 'string', default: '8' },
      profile: { type: 'string' },
      'skip-moto': { type: 'boolean', default: false },
    },
  });
  profileDir = values.profile;
  const options = { requests: Number(values.requests), concurrency: Number(values.concurrency), size: Number(values['size-mib']) * MiB };
  const rows: string[][] = [];
  const targets: (() => Promise<Target | undefined>)[] = values['skip-moto'] ? [startMillraceChild] : [startMillraceChild, startMoto];
  for (const start of targets) {
    const target = await start();
    if (!target) {
      rows.push(['moto_server', 'not available', '', '', '', '', '']);
      continue;
    }
    try {
      const { put, get } = await measure(target, options);
      const f = (n: number) => n.toFixed(1);
      rows.push([target.name, f(put.mbPerSecond), f(put.p50), f(put.p99), f(get.mbPerSecond), f(get.p50), f(get.p99)]);
    } finally {
      await target.stop();
    }
  }
  agent.destroy();
  const header = ['target', 'PUT MB/s', 'PUT p50 ms', 'PUT p99 ms', 'GET MB/s', 'GET p50 ms', 'GET p99 ms'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(`${options.requests} × ${options.size / MiB} MiB objects each way, ${options.concurrency} at a time, HTTP/1.1 keep-alive`);
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

if (process.argv[2] === 'serve') {
  // The child: Millrace on the fs object store in a temp directory, until the parent disconnects.
  const { startMillrace } = await import('../src/server.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-s3-bench-'));
  const server = await startMillrace({ host: '127.0.0.1', port: 0, dataDir, memory: false, logLevel: 'silent' });
  process.send!({ endpoint: server.endpoint });
  process.on('disconnect', () => {
    void server.close().finally(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
} else {
  await main();
}
