import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KinesisClient, CreateStreamCommand, DescribeStreamCommand, ListStreamsCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { rawRequest } from './helpers.js';

/** The `millrace` command as users run it (issue 2, "CLI"): flags, environment, signals, --data. */

/** The package's command (package.json "bin"): a shell launcher that execs Node on dist/src/cli.js. */
const LAUNCHER = fileURLToPath(new URL('../../bin/millrace', import.meta.url));
/**
 * Environment without any MILLRACE_*, MALLOC_* or NODE_OPTIONS variable the developer may have set, and with this
 * Node first on the PATH, since the launcher runs `node`.
 */
const BASE_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MILLRACE_') && !k.startsWith('MALLOC_') && k !== 'NODE_OPTIONS')),
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
};

interface Running {
  proc: ChildProcess;
  endpoint: string;
  /** The line the CLI printed about its endpoint. */
  banner: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function run(args: string[], env: Record<string, string> = {}): { proc: ChildProcess; stdout: () => string; exited: Running['exited'] } {
  const proc = spawn(LAUNCHER, args, { env: { ...BASE_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (c) => (stdout += c));
  proc.stderr!.on('data', (c) => (stderr += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    proc.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { proc, stdout: () => stdout, exited };
}

/** Starts the CLI and waits for the endpoint line it prints. */
async function start(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = run(args, env);
  const banner = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const line = child.stdout().split('\n').find((l) => /endpoint: http/.test(l));
      if (line) resolve(line);
    };
    child.proc.stdout!.on('data', check);
    child.exited.then(({ code, stderr }) => reject(new Error(`millrace exited with ${code} before printing its endpoint: ${stderr}`)));
  });
  const endpoint = /(http:\/\/[^\s]+)/.exec(banner)![1];
  return { proc: child.proc, endpoint, banner, exited: child.exited };
}

function client(endpoint: string, http1 = false): KinesisClient {
  return new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: http1 ? new NodeHttpHandler() : undefined,
    maxAttempts: 1,
  });
}

test('--port 0 --memory prints the endpoint, serves HTTP/2 and HTTP/1.1, and SIGTERM exits 0', async () => {
  const server = await start(['--port', '0', '--memory']);
  try {
    assert.match(server.banner, /^Millrace Kinesis endpoint: http:\/\/127\.0\.0\.1:\d+ \(data in memory\)$/);
    assert.notEqual(new URL(server.endpoint).port, '0');
    for (const http1 of [false, true]) {
      const sdk = client(server.endpoint, http1);
      await sdk.send(new CreateStreamCommand({ StreamName: `cli-${http1 ? 'h1' : 'h2'}`, ShardCount: 1 }));
      const { StreamNames } = await sdk.send(new ListStreamsCommand({}));
      assert.ok(StreamNames?.includes(`cli-${http1 ? 'h1' : 'h2'}`));
      sdk.destroy();
    }
  } finally {
    server.proc.kill('SIGTERM');
  }
  const { code, signal } = await server.exited;
  assert.equal(signal, null);
  assert.equal(code, 0);
});

test('SIGINT exits 0 as well', async () => {
  const server = await start(['--port', '0', '--memory']);
  const sdk = client(server.endpoint);
  assert.deepEqual((await sdk.send(new ListStreamsCommand({}))).StreamNames, []);
  sdk.destroy();
  server.proc.kill('SIGINT');
  const { code, signal } = await server.exited;
  assert.equal(signal, null);
  assert.equal(code, 0);
});

/** The environment a process started with, from Linux's /proc. */
function environmentOf(pid: number): Record<string, string> {
  const pairs = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').filter(Boolean);
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

test('the launcher becomes the server process, with malloc and V8 thread defaults that the environment can override', async (t) => {
  if (!existsSync('/proc/self/environ')) return t.skip('needs Linux /proc to read a process environment');
  const defaults = await start(['--port', '0', '--memory']);
  const overridden = await start(['--port', '0', '--memory'], { MALLOC_ARENA_MAX: '4', NODE_OPTIONS: '--max-old-space-size=512' });
  const ownPool = await start(['--port', '0', '--memory'], { NODE_OPTIONS: '--v8-pool-size=3' });
  const servers = [defaults, overridden, ownPool];
  try {
    for (const server of servers) {
      // exec, not a child: the pid that was started is Node running the CLI, and it serves.
      assert.match(readFileSync(`/proc/${server.proc.pid}/cmdline`, 'latin1'), /dist\/src\/cli\.js/);
      const sdk = client(server.endpoint, true);
      assert.deepEqual((await sdk.send(new ListStreamsCommand({}))).StreamNames, []);
      sdk.destroy();
    }
    assert.equal(environmentOf(defaults.proc.pid!).MALLOC_ARENA_MAX, '2');
    assert.equal(environmentOf(defaults.proc.pid!).MALLOC_MMAP_THRESHOLD_, '2097152');
    assert.equal(environmentOf(defaults.proc.pid!).NODE_OPTIONS, '--v8-pool-size=1');
    assert.equal(environmentOf(overridden.proc.pid!).MALLOC_ARENA_MAX, '4');
    assert.equal(environmentOf(overridden.proc.pid!).NODE_OPTIONS, '--max-old-space-size=512 --v8-pool-size=1');
    assert.equal(environmentOf(overridden.proc.pid!).MALLOC_MMAP_THRESHOLD_, '2097152');
    assert.equal(environmentOf(ownPool.proc.pid!).NODE_OPTIONS, '--v8-pool-size=3');
  } finally {
    for (const server of servers) server.proc.kill('SIGKILL');
  }
  // kill -9 of the started pid leaves nothing behind: it was the server itself.
  for (const server of servers) assert.equal((await server.exited).signal, 'SIGKILL');
});

test('settings come from MILLRACE_* variables, and flags win over them', async () => {
  const env = { MILLRACE_PORT: '0', MILLRACE_MEMORY: 'true', MILLRACE_REGION: 'eu-west-1', MILLRACE_ACCOUNT: '123456789012' };
  const server = await start([], env);
  try {
    assert.match(server.banner, /\(data in memory\)$/);
    // An access key without a credential scope leaves account and region to the configuration.
    const unscoped = { Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host, Signature=abc' };
    const created = await rawRequest(server.endpoint, { target: 'Kinesis_20131202.CreateStream', body: JSON.stringify({ StreamName: 'env', ShardCount: 1 }), headers: unscoped });
    assert.equal(created.status, 200);
    const summary = await rawRequest(server.endpoint, { target: 'Kinesis_20131202.DescribeStreamSummary', body: JSON.stringify({ StreamName: 'env' }), headers: unscoped });
    assert.equal(summary.json.StreamDescriptionSummary.StreamARN, 'arn:aws:kinesis:eu-west-1:123456789012:stream/env');
  } finally {
    server.proc.kill('SIGTERM');
  }
  assert.equal((await server.exited).code, 0);

  // MILLRACE_PORT=1 could never be bound here; --port 0 overrides it.
  const flagged = await start(['--port', '0', '--region', 'ap-south-1'], { ...env, MILLRACE_PORT: '1' });
  try {
    const unscoped = { Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host, Signature=abc' };
    await rawRequest(flagged.endpoint, { target: 'Kinesis_20131202.CreateStream', body: JSON.stringify({ StreamName: 'flag', ShardCount: 1 }), headers: unscoped });
    const summary = await rawRequest(flagged.endpoint, { target: 'Kinesis_20131202.DescribeStreamSummary', body: JSON.stringify({ StreamName: 'flag' }), headers: unscoped });
    assert.equal(summary.json.StreamDescriptionSummary.StreamARN, 'arn:aws:kinesis:ap-south-1:123456789012:stream/flag');
  } finally {
    flagged.proc.kill('SIGTERM');
  }
  assert.equal((await flagged.exited).code, 0);
});

test('bad flags and values exit 2 with the usage text; --help exits 0', async () => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--bogus'], {}, /Unknown option '--bogus'/],
    [['--port', 'abc'], {}, /--port takes a whole number ≥ 0, got abc/],
    [['--memory', 'extra'], {}, /positional/i],
    [[], { MILLRACE_SHARD_LIMIT: '-3' }, /--shard-limit takes a whole number ≥ 0, got -3/],
    [['--account', '12'], {}, /--account must be 12 digits, got 12/],
    [['--tls-cert', '/nonexistent.pem'], {}, /--tls-cert and --tls-key go together/],
    [[], { MILLRACE_LOG_LEVEL: 'loud' }, /--log-level must be one of fatal, error, warn, info, debug, trace, silent, got loud/],
  ];
  for (const [args, env, message] of cases) {
    const child = run(args, env);
    const { code, stderr } = await child.exited;
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, message);
    assert.match(stderr, /Usage: millrace \[options\]/);
    assert.match(stderr, /--port VALUE/);
    assert.equal(child.stdout(), '');
  }
  const help = run(['--help']);
  const { code } = await help.exited;
  assert.equal(code, 0);
  assert.match(help.stdout(), /^Usage: millrace \[options\]/);
  assert.match(help.stdout(), /--data VALUE .*\(default \.\/millrace-data\)\s+\[MILLRACE_DATA\]/);
});

test('a port that is taken is reported and exits 1', async () => {
  const first = await start(['--port', '0', '--memory']);
  try {
    const port = new URL(first.endpoint).port;
    const second = run(['--port', port, '--memory']);
    const { code, stderr } = await second.exited;
    assert.equal(code, 1);
    assert.match(stderr, /EADDRINUSE/);
  } finally {
    first.proc.kill('SIGTERM');
  }
  assert.equal((await first.exited).code, 0);
});

test('--data DIR keeps streams across a restart of the process', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-cli-'));
  try {
    const first = await start(['--port', '0', '--data', dir]);
    assert.match(first.banner, new RegExp(`\\(data in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
    const sdk = client(first.endpoint);
    await sdk.send(new CreateStreamCommand({ StreamName: 'durable', ShardCount: 3 }));
    const before = await sdk.send(new DescribeStreamCommand({ StreamName: 'durable' }));
    sdk.destroy();
    first.proc.kill('SIGTERM');
    assert.equal((await first.exited).code, 0);

    const second = await start(['--port', '0', '--data', dir]);
    try {
      const again = client(second.endpoint);
      const after = await again.send(new DescribeStreamCommand({ StreamName: 'durable' }));
      assert.equal(after.StreamDescription?.StreamStatus, 'ACTIVE');
      assert.deepEqual(after.StreamDescription, before.StreamDescription);
      const summary = await again.send(new DescribeStreamSummaryCommand({ StreamName: 'durable' }));
      assert.equal(summary.StreamDescriptionSummary?.OpenShardCount, 3);
      again.destroy();
    } finally {
      second.proc.kill('SIGTERM');
    }
    assert.equal((await second.exited).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
