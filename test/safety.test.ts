import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateStreamCommand,
  DescribeStreamConsumerCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListStreamsCommand,
  PutRecordsCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
  type SubscribeToShardEventStream,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startMillrace } from '../src/server.js';
import { DataDirLockedError, lockDataDir, LOCK_SOCKET_FILE } from '../src/store/data-dir-lock.js';
import { ConfigError, parseConfig } from '../src/config.js';
import { MAX_REGION_LENGTH } from '../src/protocol/region.js';
import { openLmdbStore } from '../src/store/lmdb-store.js';
import { openMemoryStore } from '../src/store/memory-store.js';
import { KeyTooLongError, MAX_KEY_BYTES } from '../src/store/store.js';
import { available, kinesisJson, rawRequest, sleep, startTestServer, type TestServer } from './helpers.js';

/**
 * Issue 20 §1: misuse and faults never lose data. One server per data directory; a full disk is
 * an error answer, not a crash; shutdown drains; user strings that become store keys are bounded.
 */

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));
const BASE_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MILLRACE_') && k !== 'NODE_OPTIONS')),
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
};

interface Child {
  proc: ChildProcess;
  endpoint: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function runCli(args: string[]): { proc: ChildProcess; stdout: () => string; exited: Child['exited'] } {
  const proc = spawn(process.execPath, [CLI, ...args], { env: BASE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (c) => (stdout += c));
  proc.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { proc, stdout: () => stdout, exited };
}

async function startCli(args: string[]): Promise<Child> {
  const child = runCli(['--port', '0', '--log-level', 'warn', ...args]);
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.proc.stdout!.on('data', () => {
      const match = /^  endpoint +(http:\/\/\S+)/m.exec(child.stdout());
      if (match) resolve(match[1]);
    });
    void child.exited.then(({ code, stderr }) => reject(new Error(`millrace exited with ${code} before serving: ${stderr}`)));
  });
  return { proc: child.proc, endpoint, exited: child.exited };
}

function sdk(endpoint: string, options: { http1?: boolean; region?: string } = {}): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: options.http1 ? new NodeHttpHandler() : undefined,
    maxAttempts: 1,
  });
}

const children: ChildProcess[] = [];
const dirs: string[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function readShard(client: KinesisClient, stream: string, shardId = 'shardId-000000000000') {
  let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  const records: { seq: string; key: string; data: Buffer }[] = [];
  for (;;) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    for (const r of page.Records ?? []) records.push({ seq: r.SequenceNumber!, key: r.PartitionKey!, data: Buffer.from(r.Data!) });
    if (!page.Records?.length) return records;
    iterator = page.NextShardIterator;
  }
}

describe('one server per data directory', () => {
  test('a second server on the same directory exits 1 with one line naming the directory and the holder PID; kill -9 leaves no lock', async () => {
    const dir = tempDir('millrace-lock-');
    const first = await startCli(['--data', dir]);
    children.push(first.proc);
    const client = sdk(first.endpoint);
    await client.send(new CreateStreamCommand({ StreamName: 'locked', ShardCount: 1 }));
    client.destroy();

    // The same directory, named through a symlink and a relative path, is the same lock.
    const link = join(tempDir('millrace-lock-link-'), 'link');
    symlinkSync(dir, link);
    for (const alias of [dir, link]) {
      const second = runCli(['--port', '0', '--data', alias]);
      const { code, stderr } = await second.exited;
      assert.equal(code, 1, stderr);
      assert.equal(stderr, `millrace: data directory ${realpathSync(dir)} is in use by another Millrace server (PID ${first.proc.pid})\n`);
    }

    first.proc.kill('SIGKILL');
    assert.equal((await first.exited).signal, 'SIGKILL');
    // The kernel dropped the lock with its holder: the next server starts at once and finds the stream.
    const next = await startCli(['--data', dir]);
    children.push(next.proc);
    const again = sdk(next.endpoint);
    const summary = await again.send(new DescribeStreamSummaryCommand({ StreamName: 'locked' }));
    assert.equal(summary.StreamDescriptionSummary?.StreamStatus, 'ACTIVE');
    again.destroy();
    next.proc.kill('SIGTERM');
    assert.equal((await next.exited).code, 0);
  });

  test('in one process too: the second start is refused, the first keeps serving, and close releases the lock', async () => {
    const dir = tempDir('millrace-lock-inproc-');
    const first = await startMillrace({ port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent' });
    try {
      await assert.rejects(startMillrace({ port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent' }), (err: unknown) => {
        assert.ok(err instanceof DataDirLockedError);
        assert.equal(err.message, `data directory ${realpathSync(dir)} is in use by another Millrace server (PID ${process.pid})`);
        return true;
      });
      const health = await rawRequest(first.endpoint, { method: 'GET', path: '/_millrace/health' });
      assert.equal(health.status, 200);
    } finally {
      await first.close();
    }
    const reopened = await startMillrace({ port: 0, host: '127.0.0.1', dataDir: dir, logLevel: 'silent' });
    await reopened.close();
    // Memory and NATS modes use no data directory and take no lock.
    const memory = [await startMillrace({ port: 0, host: '127.0.0.1', dataDir: dir, memory: true, logLevel: 'silent' })];
    memory.push(await startMillrace({ port: 0, host: '127.0.0.1', dataDir: dir, memory: true, logLevel: 'silent' }));
    for (const server of memory) await server.close();
  });

  test('the portable lock (a socket file in the directory) refuses a live holder and replaces a dead one', async () => {
    const dir = tempDir('millrace-lock-file-');
    const held = await lockDataDir(dir, 'file');
    assert.ok(existsSync(join(dir, LOCK_SOCKET_FILE)));
    await assert.rejects(lockDataDir(dir, 'file'), { message: `data directory ${realpathSync(dir)} is in use by another Millrace server (PID ${process.pid})` });
    await held.release();
    assert.equal(existsSync(join(dir, LOCK_SOCKET_FILE)), false);

    // A holder killed with SIGKILL leaves its socket file behind; nobody answers on it any more.
    const module = new URL('../src/store/data-dir-lock.js', import.meta.url).href;
    const holder = spawn(
      process.execPath,
      ['--input-type=module', '-e', `const { lockDataDir } = await import(${JSON.stringify(module)}); await lockDataDir(${JSON.stringify(dir)}, 'file'); console.log('held'); setInterval(() => {}, 1000);`],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(holder);
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    await assert.rejects(lockDataDir(dir, 'file'), { message: `data directory ${realpathSync(dir)} is in use by another Millrace server (PID ${holder.pid})` });
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('close', resolve));
    assert.ok(existsSync(join(dir, LOCK_SOCKET_FILE)), 'the dead holder left its socket file');
    const taken = await lockDataDir(dir, 'file');
    await taken.release();
  });
});

describe('a full disk is an error answer, not a crash', () => {
  const mountPoint = join(tmpdir(), `millrace-full-disk-${process.pid}`);
  let mounted = false;
  let skipReason: string | undefined;
  before(() => {
    mkdirSync(mountPoint, { recursive: true });
    // A real small filesystem: tmpfs refuses writes past its size as a full disk does.
    const result = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=30m', 'tmpfs', mountPoint], { encoding: 'utf8' });
    mounted = result.status === 0;
    if (!mounted) skipReason = `cannot mount a 30 MB tmpfs here (${(result.stderr || result.error?.message || 'mount refused').trim()})`;
  });
  after(() => {
    if (mounted) spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  test('PutRecords answers 500 InternalFailure, reads go on, writes resume when space returns, nothing acknowledged is lost', async (t) => {
    if (!mounted) return t.skip(skipReason);
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const dataDir = join(mountPoint, 'data');
    let server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
    let client = sdk(server.endpoint);
    try {
      await client.send(new CreateStreamCommand({ StreamName: 'full', ShardCount: 1 }));
      // Leave a few megabytes: the store fills them and then the disk is full.
      const filler = join(mountPoint, 'filler');
      writeFileSync(filler, Buffer.alloc(20 * 1024 * 1024));
      const data = Buffer.alloc(100_000, 7);
      const acked: { seq: string; key: string }[] = [];
      let batch = 0;
      /** One PutRecords of 5 × 100 KB by hand, so that the failure's exact body can be checked. */
      const put = async (): Promise<'stored' | 'failed'> => {
        const keys = Array.from({ length: 5 }, (_, i) => `b${batch}-${i}`);
        batch++;
        const answer = await kinesisJson(server.endpoint, 'PutRecords', { StreamName: 'full', Records: keys.map((key) => ({ Data: data.toString('base64'), PartitionKey: key })) });
        if (answer.status === 500) {
          // AWS's shape for an internal failure: no message member (KINESIS-SPEC §1.5).
          assert.equal(answer.body.toString(), '{"__type":"InternalFailure"}');
          return 'failed';
        }
        assert.equal(answer.status, 200, answer.body.toString());
        assert.equal(answer.json.FailedRecordCount, 0);
        answer.json.Records.forEach((r: { SequenceNumber: string }, i: number) => acked.push({ seq: r.SequenceNumber, key: keys[i] }));
        return 'stored';
      };
      let failures = 0;
      for (let i = 0; i < 60 && failures < 5; i++) if ((await put()) === 'failed') failures++;
      assert.equal(failures, 5, 'the disk filled up');
      assert.ok(acked.length > 0);
      // The SDK sees the same answer as a 500 InternalFailure.
      await assert.rejects(
        client.send(new PutRecordsCommand({ StreamName: 'full', Records: Array.from({ length: 10 }, (_, i) => ({ Data: data, PartitionKey: `sdk-${i}` })) })),
        (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
          assert.equal(err.name, 'InternalFailure');
          assert.equal(err.$metadata?.httpStatusCode, 500);
          return true;
        },
      );

      // Reads and metadata calls keep working on a full disk.
      const whileFull = await readShard(client, 'full');
      assert.deepEqual(whileFull.map((r) => ({ seq: r.seq, key: r.key })), acked);
      assert.equal((await client.send(new ListStreamsCommand({}))).StreamNames?.includes('full'), true);

      rmSync(filler);
      assert.equal(await put(), 'stored');
      assert.equal(await put(), 'stored');
      assert.deepEqual((await readShard(client, 'full')).map((r) => ({ seq: r.seq, key: r.key })), acked);

      client.destroy();
      await server.close();
      server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
      client = sdk(server.endpoint);
      const restored = await readShard(client, 'full');
      assert.deepEqual(restored.map((r) => ({ seq: r.seq, key: r.key })), acked);
      assert.ok(restored.every((r) => r.data.equals(data)));
      // Sequence numbers strictly increase: none was handed out twice.
      for (let i = 1; i < restored.length; i++) assert.ok(BigInt(restored[i].seq) > BigInt(restored[i - 1].seq));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      client.destroy();
      await server.close();
    }
  });
});

describe('a write the file system refuses is an error answer, not a crash', () => {
  test('under a file-size limit (RLIMIT_FSIZE, no mount needed): 500 InternalFailure, the process keeps serving and exits 0 on SIGTERM; after a restart without the limit nothing acknowledged is lost and writes work', async (t) => {
    if (!(await available('prlimit', ['--version']))) return t.skip('prlimit (util-linux) is not installed');
    const dir = tempDir('millrace-fsize-');
    // The same fault as a full disk from inside the process: writes past 12 MB fail (EFBIG; Node ignores SIGXFSZ).
    const limited = spawn('prlimit', ['--fsize=12000000', process.execPath, CLI, '--port', '0', '--data', dir, '--log-level', 'fatal'], { env: BASE_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(limited);
    limited.stderr!.resume();
    const exited = new Promise<number | null>((resolve) => limited.on('close', (code) => resolve(code)));
    const endpoint = await new Promise<string>((resolve, reject) => {
      let out = '';
      limited.stdout!.on('data', (chunk) => {
        out += chunk;
        const match = /^  endpoint +(http:\/\/\S+)/m.exec(out);
        if (match) resolve(match[1]);
      });
      void exited.then((code) => reject(new Error(`millrace exited with ${code} before serving`)));
    });
    let client = sdk(endpoint);
    await client.send(new CreateStreamCommand({ StreamName: 'limited', ShardCount: 1 }));
    const data = Buffer.alloc(100_000, 3);
    const acked: { seq: string; key: string }[] = [];
    let failures = 0;
    for (let batch = 0; batch < 60 && failures < 5; batch++) {
      const keys = Array.from({ length: 5 }, (_, i) => `b${batch}-${i}`);
      const answer = await kinesisJson(endpoint, 'PutRecords', { StreamName: 'limited', Records: keys.map((key) => ({ Data: data.toString('base64'), PartitionKey: key })) });
      if (answer.status === 500) {
        assert.equal(answer.body.toString(), '{"__type":"InternalFailure"}');
        failures++;
        continue;
      }
      assert.equal(answer.status, 200, answer.body.toString());
      answer.json.Records.forEach((r: { SequenceNumber: string }, i: number) => acked.push({ seq: r.SequenceNumber, key: keys[i] }));
    }
    assert.equal(failures, 5, 'the file-size limit was reached');
    assert.equal(limited.exitCode, null, 'the server is still running');
    assert.deepEqual((await readShard(client, 'limited')).map((r) => ({ seq: r.seq, key: r.key })), acked);
    client.destroy();
    limited.kill('SIGTERM');
    assert.equal(await exited, 0);

    const restarted = await startCli(['--data', dir]);
    children.push(restarted.proc);
    client = sdk(restarted.endpoint);
    assert.deepEqual((await readShard(client, 'limited')).map((r) => ({ seq: r.seq, key: r.key })), acked);
    const more = await client.send(new PutRecordsCommand({ StreamName: 'limited', Records: [{ Data: data, PartitionKey: 'after' }] }));
    assert.equal(more.FailedRecordCount, 0);
    assert.ok(BigInt(more.Records![0].SequenceNumber!) > BigInt(acked[acked.length - 1].seq), 'no sequence number is reused');
    client.destroy();
    restarted.proc.kill('SIGTERM');
    assert.equal((await restarted.exited).code, 0);
  });
});

const SIGNED = {
  Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abc',
  'X-Amz-Date': '20240101T000000Z',
  'Content-Type': 'application/x-amz-json-1.1',
};

/** A PutRecord whose body arrives in pieces, the first before `go()` is called and the rest after. */
function slowBody(partitionKey: string, data: Buffer): { first: Buffer; rest: Buffer[] } {
  const body = Buffer.from(JSON.stringify({ StreamName: 'drain', PartitionKey: partitionKey, Data: data.toString('base64') }));
  const piece = Math.ceil(body.length / 10);
  const pieces: Buffer[] = [];
  for (let at = 0; at < body.length; at += piece) pieces.push(body.subarray(at, at + piece));
  return { first: pieces[0], rest: pieces.slice(1) };
}

async function writeSlowly(write: (chunk: Buffer) => void, end: () => void, pieces: Buffer[]): Promise<void> {
  for (const piece of pieces) {
    await sleep(50);
    write(piece);
  }
  end();
}

describe('shutdown drains', () => {
  test('SIGTERM during slow uploads over HTTP/1.1 and HTTP/2: both answered 200, subscriptions end normally, idle connections closed gracefully, exit 0, records kept', async () => {
    const dir = tempDir('millrace-drain-');
    const server = await startCli(['--data', dir]);
    children.push(server.proc);
    const client = sdk(server.endpoint);
    await client.send(new CreateStreamCommand({ StreamName: 'drain', ShardCount: 1 }));
    const streamArn = (await client.send(new DescribeStreamSummaryCommand({ StreamName: 'drain' }))).StreamDescriptionSummary!.StreamARN!;
    const consumerArn = (await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamArn, ConsumerName: 'drain-consumer' }))).Consumer!.ConsumerARN!;
    for (let i = 0; i < 50; i++) {
      const status = (await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn }))).ConsumerDescription?.ConsumerStatus;
      if (status === 'ACTIVE') break;
      await sleep(100);
    }
    const errors: string[] = [];

    // A subscription in flight (HTTP/2, the SDK's default): its event stream must end as a normal completion.
    const subscription = await client.send(new SubscribeToShardCommand({ ConsumerARN: consumerArn, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'TRIM_HORIZON' } }));
    const subscribed = (async () => {
      let events = 0;
      for await (const event of subscription.EventStream as AsyncIterable<SubscribeToShardEventStream>) if (event.SubscribeToShardEvent) events++;
      return events;
    })();

    // Idle connections: an HTTP/1.1 keep-alive socket and an HTTP/2 session, each after one request.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const idleH1 = await new Promise<import('node:net').Socket>((resolve, reject) => {
      const req = http.request(new URL('/', server.endpoint), { method: 'POST', agent, headers: { ...SIGNED, 'X-Amz-Target': 'Kinesis_20131202.ListStreams' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(req.socket!));
      });
      req.on('error', reject);
      req.end('{}');
    });
    const idleH1Closed = new Promise<void>((resolve) => idleH1.once('close', () => resolve()));
    idleH1.on('error', (err) => errors.push(`idle HTTP/1.1: ${err.message}`));
    const idleH2 = http2.connect(server.endpoint);
    idleH2.on('error', (err) => errors.push(`idle HTTP/2: ${err.message}`));
    const idleH2GoAway = new Promise<number>((resolve) => idleH2.once('goaway', (code) => resolve(code)));
    const idleH2Closed = new Promise<void>((resolve) => idleH2.once('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const stream = idleH2.request({ ':method': 'POST', ':path': '/', ...SIGNED, 'x-amz-target': 'Kinesis_20131202.ListStreams' });
      stream.on('response', () => {});
      stream.resume();
      stream.on('end', () => resolve());
      stream.on('error', reject);
      stream.end('{}');
    });

    // Slow uploads: ~700 KB PutRecord bodies sent in ten pieces, the first before SIGTERM.
    const h1Data = Buffer.alloc(500_000, 1);
    const h2Data = Buffer.alloc(500_000, 2);
    const h1Body = slowBody('slow-h1', h1Data);
    let h1Request!: http.ClientRequest;
    const h1Answer = new Promise<{ status: number; connection: string | undefined; json: any }>((resolve, reject) => {
      const req = http.request(
        new URL('/', server.endpoint),
        {
          method: 'POST',
          agent: false,
          headers: { ...SIGNED, 'X-Amz-Target': 'Kinesis_20131202.PutRecord', 'Content-Length': h1Body.first.length + h1Body.rest.reduce((n, b) => n + b.length, 0) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, json: JSON.parse(Buffer.concat(chunks).toString()) }));
          res.on('error', reject);
        },
      );
      req.on('error', (err) => {
        errors.push(`slow HTTP/1.1 upload: ${err.message}`);
        reject(err);
      });
      req.write(h1Body.first);
      h1Request = req;
    });
    const h2Session = http2.connect(server.endpoint);
    h2Session.on('error', (err) => errors.push(`slow HTTP/2 session: ${err.message}`));
    const h2Body = slowBody('slow-h2', h2Data);
    const h2Stream = h2Session.request({ ':method': 'POST', ':path': '/', ...SIGNED, 'x-amz-target': 'Kinesis_20131202.PutRecord' });
    const h2Answer = new Promise<{ status: number; json: any }>((resolve, reject) => {
      let status = 0;
      const chunks: Buffer[] = [];
      h2Stream.on('response', (headers) => (status = Number(headers[':status'])));
      h2Stream.on('data', (c: Buffer) => chunks.push(c));
      h2Stream.on('end', () => resolve({ status, json: JSON.parse(Buffer.concat(chunks).toString()) }));
      h2Stream.on('error', (err) => {
        errors.push(`slow HTTP/2 upload: ${err.message}`);
        reject(err);
      });
    });
    h2Stream.write(h2Body.first);
    await sleep(300); // both requests' headers have reached the server

    server.proc.kill('SIGTERM');
    await Promise.all([
      writeSlowly((c) => h1Request.write(c), () => h1Request.end(), h1Body.rest),
      writeSlowly((c) => h2Stream.write(c), () => h2Stream.end(), h2Body.rest),
    ]);
    const [h1, h2] = await Promise.all([h1Answer, h2Answer]);
    assert.equal(h1.status, 200, JSON.stringify(h1.json));
    assert.match(h1.json.SequenceNumber, /^\d{56}$/);
    assert.equal(h1.connection, 'close');
    assert.equal(h2.status, 200, JSON.stringify(h2.json));
    assert.match(h2.json.SequenceNumber, /^\d{56}$/);

    await subscribed; // the event stream ended as a completion: an interrupted one rejects here
    assert.equal(await idleH2GoAway, http2.constants.NGHTTP2_NO_ERROR);
    await Promise.all([idleH1Closed, idleH2Closed]);
    const { code, stderr } = await server.exited;
    assert.equal(code, 0, stderr);
    assert.deepEqual(errors, []);
    client.destroy();
    agent.destroy();
    h2Session.close();

    const restarted = await startTestServer({ dataDir: dir });
    try {
      const records = await readShard(restarted.client(), 'drain');
      assert.deepEqual(
        records.map((r) => [r.key, r.seq]).sort(),
        [
          ['slow-h1', h1.json.SequenceNumber],
          ['slow-h2', h2.json.SequenceNumber],
        ].sort(),
      );
      assert.ok(records.find((r) => r.key === 'slow-h1')!.data.equals(h1Data));
      assert.ok(records.find((r) => r.key === 'slow-h2')!.data.equals(h2Data));
    } finally {
      await restarted.stop();
    }
  });
});

describe('store keys are bounded', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.stop());

  const invalidRegion = (region: string) => ({ __type: 'InvalidSignatureException', message: `Credential should be scoped to a valid region, not '${region}'. ` });

  test('a credential scope whose region is no AWS region is refused with AWS signature error, whatever its length', async () => {
    const regions = ['r'.repeat(2000), 'r'.repeat(1900), `us-${'a'.repeat(MAX_REGION_LENGTH)}-1`, 'local', 'aws-global', 'US-EAST-1', 'us-east', 'us-east-1-', 'xx-east-1', '%2e%2e'];
    for (const region of regions) {
      const answer = await kinesisJson(server.endpoint, 'CreateStream', { StreamName: 'regional', ShardCount: 1 }, {
        Authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/${region}/kinesis/aws4_request, SignedHeaders=host, Signature=abc`,
      });
      assert.equal(answer.status, 400, region);
      assert.deepEqual(answer.json, invalidRegion(region));
    }
    // Presigned (query) credentials are read by the same code.
    const presigned = await rawRequest(server.endpoint, {
      target: 'Kinesis_20131202.ListStreams',
      body: '{}',
      headers: { Authorization: '', 'X-Amz-Date': '' },
      path: `/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${encodeURIComponent(`AKIDEXAMPLE/20240101/${'r'.repeat(1900)}/kinesis/aws4_request`)}&X-Amz-Date=20240101T000000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=abc`,
    });
    assert.equal(presigned.status, 400);
    assert.deepEqual(presigned.json, invalidRegion('r'.repeat(1900)));
  });

  test('the SDK with a region that is a host name label but no AWS region gets InvalidSignatureException, and no stream is created', async () => {
    // (The JS SDK v3 itself refuses regions that are not host name labels, such as the 1,900- and
    // 2,000-character ones above: those reach a server only by hand or through older SDKs.)
    for (const region of ['local', 'aws-global', 'xx-east-1']) {
      const client = server.client({ region });
      await assert.rejects(client.send(new CreateStreamCommand({ StreamName: 'regional', ShardCount: 1 })), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'InvalidSignatureException');
        assert.equal(err.message, `Credential should be scoped to a valid region, not '${region}'. `);
        assert.equal(err.$metadata?.httpStatusCode, 400);
        return true;
      });
    }
    const listed = await server.client().send(new ListStreamsCommand({}));
    assert.equal(listed.StreamNames?.includes('regional'), false);
  });

  test('every partition’s region shapes are served, each region keeping its own streams', async () => {
    for (const region of ['us-gov-west-1', 'cn-north-1', 'eu-isoe-west-1', 'us-isob-east-1', 'eusc-de-east-1', 'ap-southeast-5']) {
      const client = server.client({ region });
      await client.send(new CreateStreamCommand({ StreamName: `in-${region}`, ShardCount: 1 }));
      assert.deepEqual((await client.send(new ListStreamsCommand({}))).StreamNames, [`in-${region}`]);
    }
  });

  test('ARNs naming a region, stream or consumer too long to be a store key find nothing (not a 500)', async () => {
    const client = server.client();
    const longName = 's'.repeat(2000);
    await assert.rejects(client.send(new DescribeStreamSummaryCommand({ StreamARN: `arn:aws:kinesis:us-east-1:000000000000:stream/${longName}` })), {
      name: 'ResourceNotFoundException',
      message: `Stream ${longName} under account 000000000000 not found.`,
    });
    const longRegion = 'r'.repeat(1950);
    await assert.rejects(client.send(new DescribeStreamSummaryCommand({ StreamARN: `arn:aws:kinesis:${longRegion}:000000000000:stream/s` })), {
      name: 'ResourceNotFoundException',
      message: 'Stream s under account 000000000000 not found.',
    });
    await client.send(new CreateStreamCommand({ StreamName: 'has-consumers', ShardCount: 1 }));
    const consumerArn = `arn:aws:kinesis:us-east-1:000000000000:stream/has-consumers/consumer/${'c'.repeat(1900)}:1700000000`;
    await assert.rejects(client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerArn })), { name: 'ResourceNotFoundException' });
  });

  test('a metadata key longer than MAX_KEY_BYTES names nothing in the embedded stores: reads find nothing, writes are refused', async () => {
    const dir = tempDir('millrace-keys-');
    for (const store of [openLmdbStore({ path: dir }), openMemoryStore()]) {
      try {
        const fits = `stream/000000000000/us-east-1/${'n'.repeat(MAX_KEY_BYTES - 30)}`;
        assert.equal(Buffer.byteLength(fits), MAX_KEY_BYTES);
        assert.equal(await store.meta.put(fits, { ok: true }, 0), 1);
        assert.deepEqual((await store.meta.get(fits))?.value, { ok: true });
        const tooLong = `${fits}é`; // one character past the bound, two bytes in UTF-8
        assert.equal(await store.meta.get(tooLong), undefined);
        assert.deepEqual(await store.meta.list(tooLong), []);
        assert.equal(await store.meta.delete(tooLong, 0), false);
        await assert.rejects(store.meta.put(tooLong, { ok: false }, 0), KeyTooLongError);
      } finally {
        await store.close();
      }
    }
  });

  test('--region takes only region names', () => {
    assert.throws(() => parseConfig(['--region', 'local'], {}), new ConfigError('--region must be an AWS region name such as us-east-1, got local'));
    assert.equal(parseConfig(['--region', 'eu-central-2'], {}).region, 'eu-central-2');
  });
});
