import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  KinesisClient,
  CreateStreamCommand,
  DescribeStreamCommand,
  ListStreamsCommand,
  DescribeStreamSummaryCommand,
  ListStreamConsumersCommand,
  PutRecordCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { available, rawRequest, sleep } from './helpers.js';

/** The `millrace` command as users run it (issue 2, "CLI"): flags, environment, signals, --data. */

/** The package's command (package.json "bin"): a shell launcher that execs Node on dist/src/cli.js. */
const LAUNCHER = fileURLToPath(new URL('../../bin/millrace', import.meta.url));
/**
 * Environment without any MILLRACE_*, MALLOC_* or NODE_OPTIONS variable the developer may have set, nor the npm_*
 * variables of `npm test` (a user's shell has none), and with this Node first on the PATH, since the launcher runs `node`.
 */
const BASE_ENV = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('MILLRACE_') && !k.startsWith('MALLOC_') && k !== 'NODE_OPTIONS' && !k.startsWith('npm_')),
  ),
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
};

interface Running {
  proc: ChildProcess;
  endpoint: string;
  /** What the CLI printed once it listened. */
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

/** How long a start may take before a test gives up on it (a bound, not an assertion about speed). */
const START_BOUND_MS = 60_000;

/** Starts the CLI and waits for the banner it prints once the port is open. */
async function start(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = run(args, env);
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.proc.kill('SIGKILL');
      reject(new Error(`millrace printed no banner within ${START_BOUND_MS} ms: ${child.stdout()}`));
    }, START_BOUND_MS);
    const check = () => {
      const text = child.stdout();
      // The banner ends with an empty line.
      if (/^  endpoint +http:\/\/\S+/m.test(text) && text.includes('\n\n')) {
        clearTimeout(timer);
        resolve(text.slice(0, text.indexOf('\n\n', text.lastIndexOf('export ')) + 1));
      }
    };
    child.proc.stdout!.on('data', check);
    child.exited.then(({ code, stderr }) => {
      clearTimeout(timer);
      reject(new Error(`millrace exited with ${code} before printing its banner: ${stderr}`));
    });
  });
  const endpoint = /^  endpoint +(http:\/\/\S+)/m.exec(banner)![1];
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
    assert.match(server.banner, /^Millrace \d+\.\d+\.\d+\S*: the Amazon Kinesis family on one endpoint$/m);
    assert.match(server.banner, /^  endpoint +http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(server.banner, /^  data +in memory/m);
    assert.doesNotMatch(server.banner, /https|certificate/);
    assert.notEqual(new URL(server.endpoint).port, '0');
    // The console URL it prints answers, and the export line names the endpoint.
    assert.match(server.banner, new RegExp(`^  console +${server.endpoint}/_millrace/$`, 'm'));
    assert.equal((await fetch(`${server.endpoint}/_millrace/`)).status, 200);
    assert.match(server.banner, new RegExp(`^  export AWS_ENDPOINT_URL=${server.endpoint}$`, 'm'));
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
    assert.match(server.banner, /^  data +in memory/m);
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

test('bad flags and values exit 2 with one line in our words and a pointer to --help', async () => {
  const cases: Array<[string[], Record<string, string>, string]> = [
    [['--bogus'], {}, 'unknown option --bogus'],
    [['--port', 'abc'], {}, '--port takes a whole number ≥ 0, got abc'],
    [['--port', '99999'], {}, '--port must be between 0 and 65535, got 99999'],
    [[], { MILLRACE_PORT: '70000' }, 'MILLRACE_PORT must be between 0 and 65535, got 70000'],
    [['--port'], {}, '--port needs a value'],
    [['--memory', 'extra'], {}, 'unexpected argument extra (options start with --)'],
    [[], { MILLRACE_SHARD_LIMIT: '-3' }, 'MILLRACE_SHARD_LIMIT takes a whole number ≥ 0, got -3'],
    [['--account', '12'], {}, '--account must be 12 digits, got 12'],
    [['--tls-cert', '/nonexistent.pem'], {}, '--tls-cert and --tls-key go together'],
    [[], { MILLRACE_LOG_LEVEL: 'loud' }, 'MILLRACE_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got loud'],
    [['--log-format', 'xml'], {}, '--log-format must be one of pretty, json, got xml'],
    [['--memory', 'maybe'], {}, 'unexpected argument maybe (options start with --)'],
    [[], { MILLRACE_MEMORY: 'maybe' }, 'MILLRACE_MEMORY takes true or false, got maybe'],
    [['--stream', 'a:0'], {}, '--stream: a stream needs at least 1 shard, got a:0'],
    [['--stream', 'a', '--stream', 'a:2'], {}, 'stream a is declared twice'],
    [['--config', '/nonexistent/millrace.yaml'], {}, 'cannot read the config file /nonexistent/millrace.yaml: ENOENT'],
    [['--flink-rest', 'jobmanager:8081'], {}, "--flink-rest takes the http(s):// URL of a Flink JobManager's REST API, got jobmanager:8081"],
    [['--flink-savepoint-dir', 's3://savepoints'], {}, '--flink-savepoint-dir needs --flink-rest'],
  ];
  for (const [args, env, message] of cases) {
    const child = run(args, env);
    const { code, stderr } = await child.exited;
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.equal(stderr, `millrace: ${message}\nSee millrace --help.\n`);
    assert.equal(child.stdout(), '');
  }
});

test('--help lists every setting with its variable in aligned columns; --version prints the version', async () => {
  const help = run(['--help']);
  assert.equal((await help.exited).code, 0);
  const text = help.stdout();
  assert.match(text, /^Usage: millrace \[options\]/);
  assert.match(text, /--data DIR +MILLRACE_DATA +directory of the durable store \(default \.\/millrace-data\)/);
  assert.match(text, /--config FILE +MILLRACE_CONFIG /);
  const { SETTINGS } = await import('../src/config.js');
  const rows = text.split('\n').filter((line) => /^  -/.test(line));
  for (const setting of SETTINGS) {
    const row = rows.find((line) => line.startsWith(`  --${setting.flag} `) || line === `  --${setting.flag}`);
    assert.ok(row, `--help lacks --${setting.flag}`);
    assert.ok(row.includes(setting.env), `--${setting.flag} row lacks ${setting.env}`);
  }
  // Every row's variable and meaning start in the same columns.
  const envColumns = new Set(rows.filter((l) => l.includes('MILLRACE_')).map((l) => l.indexOf('MILLRACE_')));
  assert.equal(envColumns.size, 1, `variables start at columns ${[...envColumns]}`);
  const meaningColumn = (line: string) => {
    const afterVariable = line.indexOf(' ', line.indexOf('MILLRACE_'));
    return afterVariable + line.slice(afterVariable).search(/\S/);
  };
  const helpColumns = new Set(rows.filter((l) => l.includes('MILLRACE_')).map(meaningColumn));
  assert.equal(helpColumns.size, 1, `meanings start at columns ${[...helpColumns]}`);

  const version = run(['--version']);
  assert.equal((await version.exited).code, 0);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  assert.equal(version.stdout(), `millrace ${pkg.version}\n`);
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
    assert.match(first.banner, new RegExp(`^  data +${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
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

/** A scratch directory removed when the file's tests end. */
function scratch(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a config file (YAML or JSON) sets anything by flag name or key; variables win over it, and flags over both', async () => {
  const dir = scratch('millrace-config-');
  const yamlFile = join(dir, 'millrace.yaml');
  writeFileSync(
    yamlFile,
    [
      'port: 0',
      'memory: true',
      'region: eu-west-1',
      'shard-limit: 7',
      'streams:',
      '  - orders:2',
      '  - name: clicks',
      '    mode: ON_DEMAND',
      '    retentionHours: 48',
      '    consumers: [dashboard, archiver]',
      '',
    ].join('\n'),
  );
  const fromFile = await start(['--config', yamlFile]);
  try {
    assert.match(fromFile.banner, /^  streams +orders, clicks$/m);
    const sdk = client(fromFile.endpoint);
    // The file's region is where streams are created and unsigned-scope requests land.
    const regional = new KinesisClient({ endpoint: fromFile.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
    const orders = (await regional.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' }))).StreamDescriptionSummary!;
    assert.equal(orders.StreamStatus, 'ACTIVE');
    assert.equal(orders.OpenShardCount, 2);
    assert.equal(orders.StreamModeDetails?.StreamMode, 'PROVISIONED');
    const clicks = (await regional.send(new DescribeStreamSummaryCommand({ StreamName: 'clicks' }))).StreamDescriptionSummary!;
    assert.equal(clicks.StreamModeDetails?.StreamMode, 'ON_DEMAND');
    assert.equal(clicks.RetentionPeriodHours, 48);
    const consumers = await regional.send(new ListStreamConsumersCommand({ StreamARN: clicks.StreamARN }));
    assert.deepEqual(consumers.Consumers?.map((c) => [c.ConsumerName, c.ConsumerStatus]).sort(), [['archiver', 'ACTIVE'], ['dashboard', 'ACTIVE']]);
    // shard-limit 7 from the file: 2 (orders) + 6 is over it.
    await assert.rejects(regional.send(new CreateStreamCommand({ StreamName: 'big', ShardCount: 6 })), { name: 'LimitExceededException' });
    sdk.destroy();
    regional.destroy();
  } finally {
    fromFile.proc.kill('SIGTERM');
  }
  assert.equal((await fromFile.exited).code, 0);

  // JSON, config keys; MILLRACE_REGION beats the file, --region beats MILLRACE_REGION.
  const jsonFile = join(dir, 'millrace.json');
  writeFileSync(jsonFile, JSON.stringify({ port: 0, memory: true, region: 'eu-west-1', account: '111122223333', streams: ['s1'] }));
  const unscoped = { Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host, Signature=abc' };
  const arnOf = async (endpoint: string) =>
    (await rawRequest(endpoint, { target: 'Kinesis_20131202.DescribeStreamSummary', body: JSON.stringify({ StreamName: 's1' }), headers: unscoped })).json.StreamDescriptionSummary?.StreamARN;
  for (const [args, env, region] of [
    [['--config', jsonFile], {}, 'eu-west-1'],
    [[], { MILLRACE_CONFIG: jsonFile, MILLRACE_REGION: 'ap-south-1' }, 'ap-south-1'],
    [['--config', jsonFile, '--region', 'sa-east-1'], { MILLRACE_REGION: 'ap-south-1' }, 'sa-east-1'],
  ] as Array<[string[], Record<string, string>, string]>) {
    const server = await start(args, env);
    try {
      assert.equal(await arnOf(server.endpoint), `arn:aws:kinesis:${region}:111122223333:stream/s1`);
    } finally {
      server.proc.kill('SIGTERM');
    }
    assert.equal((await server.exited).code, 0);
  }

  // Mistakes in the file are named with the file.
  const bad: Array<[string, string, string]> = [
    ['unknown.yaml', 'prot: 0\n', `${join(dir, 'unknown.yaml')}: unknown setting prot (see millrace --help)`],
    ['port.json', '{"port": 70000}', `${join(dir, 'port.json')}: port must be between 0 and 65535, got 70000`],
    ['mode.yaml', 'streams:\n  - name: a\n    mode: FAST\n', `${join(dir, 'mode.yaml')}: stream a: mode must be PROVISIONED or ON_DEMAND, got FAST`],
    ['broken.json', '{"port": ', `${join(dir, 'broken.json')} is not valid JSON`],
  ];
  for (const [name, text, message] of bad) {
    writeFileSync(join(dir, name), text);
    const child = run(['--config', join(dir, name)]);
    const { code, stderr } = await child.exited;
    assert.equal(code, 2, stderr);
    assert.ok(stderr.startsWith(`millrace: ${message}`), stderr);
  }
});

test('declared streams are ACTIVE when the port opens, and a restart leaves existing ones alone', async () => {
  const dir = scratch('millrace-streams-');
  // Streams spend a second CREATING: the port must not open before they are ACTIVE.
  const first = await start(['--port', '0', '--data', dir, '--stream', 'orders:2', '--stream', 'events', '--create-stream-ms', '1000']);
  let sequence: string | undefined;
  try {
    const sdk = client(first.endpoint);
    for (const [name, shards] of [['orders', 2], ['events', 1]] as const) {
      const summary = (await sdk.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;
      assert.equal(summary.StreamStatus, 'ACTIVE', name);
      assert.equal(summary.OpenShardCount, shards, name);
    }
    sequence = (await sdk.send(new PutRecordCommand({ StreamName: 'orders', PartitionKey: 'k', Data: Buffer.from('kept') }))).SequenceNumber;
    sdk.destroy();
  } finally {
    first.proc.kill('SIGTERM');
  }
  assert.equal((await first.exited).code, 0);

  // Declared again with another shard count, from the variable: the stream and its record stay as they were.
  const second = await start(['--port', '0', '--data', dir], { MILLRACE_STREAMS: 'orders:4, audit:3' });
  try {
    const sdk = client(second.endpoint);
    const orders = (await sdk.send(new DescribeStreamSummaryCommand({ StreamName: 'orders' }))).StreamDescriptionSummary!;
    assert.equal(orders.OpenShardCount, 2);
    const audit = (await sdk.send(new DescribeStreamSummaryCommand({ StreamName: 'audit' }))).StreamDescriptionSummary!;
    assert.equal(audit.OpenShardCount, 3);
    assert.deepEqual((await sdk.send(new ListStreamsCommand({}))).StreamNames, ['audit', 'events', 'orders']);
    assert.ok(sequence);
    sdk.destroy();
  } finally {
    second.proc.kill('SIGTERM');
  }
  assert.equal((await second.exited).code, 0);

  // A name Kinesis refuses stops the start with Kinesis's own message.
  const refused = run(['--port', '0', '--memory', '--stream', 'bad name!']);
  const { code, stderr } = await refused.exited;
  assert.equal(code, 1);
  assert.match(stderr, /^millrace: stream bad name!: ValidationException: 1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy constraint/);
});

test('logs: JSON when stderr is not a terminal, pretty when asked, nothing per request at info', async () => {
  for (const format of ['json', 'pretty'] as const) {
    const server = await start(['--port', '0', '--memory', ...(format === 'pretty' ? ['--log-format', 'pretty'] : [])]);
    const sdk = client(server.endpoint);
    await sdk.send(new CreateStreamCommand({ StreamName: 'logged', ShardCount: 1 }));
    await sdk.send(new ListStreamsCommand({}));
    sdk.destroy();
    server.proc.kill('SIGTERM');
    const { code, stderr } = await server.exited;
    assert.equal(code, 0);
    const lines = stderr.trimEnd().split('\n');
    // Lifecycle lines (a stream created) may come between; a request's line may not.
    if (format === 'json') {
      const entries = lines.map((line) => JSON.parse(line) as { level: number; msg: string; requestId?: string });
      assert.equal(entries[0].msg, 'listening');
      assert.equal(entries.at(-1)!.msg, 'stopping');
      assert.ok(entries.every((e) => e.level >= 30 && e.requestId === undefined), stderr);
    } else {
      assert.match(lines[0], /^\d\d:\d\d:\d\d\.\d{3} INFO  listening endpoint=http:\/\/127\.0\.0\.1:\d+ version=\S+$/);
      assert.match(lines.at(-1)!, /^\d\d:\d\d:\d\d\.\d{3} INFO  stopping reason=SIGTERM$/);
      assert.ok(lines.every((line) => /^\d\d:\d\d:\d\d\.\d{3} (INFO|WARN|ERROR) /.test(line) && !line.includes('requestId=')), stderr);
    }
    // A read is never a lifecycle event: nothing says ListStreams happened.
    assert.doesNotMatch(stderr, /ListStreams/);
  }
});

test('--tls: the generated certificate is kept in a file that the AWS CLI, boto3 and the JS SDK verify against', async (t) => {
  const dir = scratch('millrace-tls-');
  const server = await start(['--port', '0', '--data', dir, '--tls']);
  const certificate = join(dir, 'tls', 'localhost.pem');
  const port = new URL(server.endpoint).port;
  const secure = `https://localhost:${port}`;
  try {
    assert.match(server.banner, new RegExp(`^  https +${secure} +https://127\\.0\\.0\\.1:${port} \\(same port\\)$`, 'm'));
    assert.match(server.banner, new RegExp(`^  certificate +${certificate} `, 'm'));
    assert.match(server.banner, new RegExp(`^  export AWS_ENDPOINT_URL=${secure}$`, 'm'));
    assert.match(server.banner, new RegExp(`^  export AWS_CA_BUNDLE=${certificate} NODE_EXTRA_CA_CERTS=${certificate}$`, 'm'));
    // What the banner says to export, and nothing else: verification stays on in every client.
    // The PATH as given (the Python with boto3 may come before the system one).
    const env = {
      ...BASE_ENV,
      PATH: process.env.PATH ?? '',
      AWS_ENDPOINT_URL: secure,
      AWS_CA_BUNDLE: certificate,
      NODE_EXTRA_CA_CERTS: certificate,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_REGION: 'us-east-1',
    };
    const exec = promisify(execFile);
    const sdkScript = [
      "import { KinesisClient, CreateStreamCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis';",
      'const kinesis = new KinesisClient({});',
      "await kinesis.send(new CreateStreamCommand({ StreamName: 'js', ShardCount: 1 }));",
      'console.log(JSON.stringify((await kinesis.send(new ListStreamsCommand({}))).StreamNames));',
    ].join('\n');
    const cwd = fileURLToPath(new URL('../..', import.meta.url));
    const js = await exec(process.execPath, ['--input-type=module', '-e', sdkScript], { env, cwd });
    assert.deepEqual(JSON.parse(js.stdout), ['js']);
    // Without the certificate's file, the same call is refused: the trust is what makes it work.
    const untrusted = exec(process.execPath, ['--input-type=module', '-e', sdkScript.replace("'js'", "'js2'")], { env: { ...env, NODE_EXTRA_CA_CERTS: '' }, cwd });
    await assert.rejects(untrusted, (err: any) => /self[- ]signed|certificate/i.test(err.stderr));

    if (await available('aws', ['--version'])) {
      const listed = await exec('aws', ['kinesis', 'list-streams', '--output', 'json'], { env });
      assert.deepEqual(JSON.parse(listed.stdout).StreamNames, ['js']);
    } else t.diagnostic('AWS CLI not installed: skipped its https check');
    if (await available('python3', ['-c', 'import boto3'])) {
      const python = "import boto3; print(boto3.client('kinesis').list_streams()['StreamNames'])";
      const listed = await exec('python3', ['-c', python], { env });
      assert.equal(listed.stdout.trim(), "['js']");
    } else t.diagnostic('boto3 not installed: skipped its https check');
  } finally {
    server.proc.kill('SIGTERM');
  }
  assert.equal((await server.exited).code, 0);
  // A restart serves the same certificate, so clients that trust it keep working.
  const before = readFileSync(certificate, 'utf8');
  const again = await start(['--port', '0', '--data', dir, '--tls']);
  again.proc.kill('SIGTERM');
  await again.exited;
  assert.equal(readFileSync(certificate, 'utf8'), before);
});

/** Whether something accepts connections on a loopback port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/** A port nothing listens on now. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether any process of a process group is alive. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + START_BOUND_MS;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Each documented way to start, as a shell script runs it: start in the background, wait for the
 * port, `kill` the PID the shell was given; the port closes and no process of it remains. Each
 * start gets its own process group, so that a failure cannot leave a server behind.
 */
async function killByShellPid(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<void> {
  const port = await freePort();
  const child = spawn(command, [...args, '--port', String(port), '--memory'], { cwd: options.cwd, env: options.env ?? BASE_ENV, stdio: 'ignore', detached: true });
  const pgid = child.pid!;
  after(() => {
    if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  });
  await waitFor(`${command} ${args.join(' ')} to listen`, () => portOpen(port));
  process.kill(pgid, 'SIGTERM');
  await waitFor(`port ${port} to close after kill of ${command}`, async () => !(await portOpen(port)));
  await waitFor(`every process of ${command} to exit`, () => !groupAlive(pgid));
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('kill <PID> stops the server for every documented start in a checkout: npm start, bin/millrace, node dist/src/cli.js', async () => {
  await killByShellPid('npm', ['start', '--'], { cwd: ROOT });
  await killByShellPid(LAUNCHER, [], { cwd: ROOT });
  await killByShellPid(process.execPath, ['dist/src/cli.js'], { cwd: ROOT });
});

test('the packed package installs into an empty project, where npx millrace serves clients and kill <PID> stops it', async (t) => {
  const dir = scratch('millrace-pack-');
  const exec = promisify(execFile);
  // dist/ is built already (this test runs from it); prepack's build is left to `npm pack` itself.
  const packed = await exec('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, env: BASE_ENV });
  const [{ filename, files }] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const paths = files.map((f) => f.path);
  assert.ok(paths.includes('bin/millrace') && paths.includes('dist/src/cli.js') && paths.includes('LICENSE'));
  assert.ok(!paths.some((p) => p.startsWith('test/') || p.startsWith('dist/test/') || p.startsWith('src/') || p.endsWith('.map')), paths.join(' '));
  const project = join(dir, 'project');
  await exec('mkdir', [project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-millrace', version: '1.0.0', private: true }));
  // From npm's cache where it can: the packages are the ones this checkout installed.
  try {
    await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, filename)], { cwd: project, env: BASE_ENV });
  } catch (err) {
    return t.skip(`npm could not install the tarball's dependencies here: ${(err as { stderr?: string }).stderr?.split('\n').slice(-3).join(' ')}`);
  }
  const version = await exec('npx', ['millrace', '--version'], { cwd: project, env: BASE_ENV });
  assert.match(version.stdout, /^millrace \d+\.\d+\.\d+/);

  // Started as the README says, in the background: it serves the SDK.
  const port = await freePort();
  const child = spawn('npx', ['millrace', '--port', String(port), '--memory', '--stream', 'installed:1'], { cwd: project, env: BASE_ENV, stdio: 'ignore', detached: true });
  after(() => {
    if (groupAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
  });
  await waitFor('npx millrace to listen', () => portOpen(port));
  const sdk = client(`http://127.0.0.1:${port}`);
  assert.deepEqual((await sdk.send(new ListStreamsCommand({}))).StreamNames, ['installed']);
  await sdk.send(new CreateStreamCommand({ StreamName: 'made-by-sdk', ShardCount: 1 }));
  assert.equal((await sdk.send(new DescribeStreamSummaryCommand({ StreamName: 'made-by-sdk' }))).StreamDescriptionSummary?.StreamStatus, 'ACTIVE');
  sdk.destroy();
  process.kill(child.pid!, 'SIGTERM');
  await waitFor('the port to close', async () => !(await portOpen(port)));
  await waitFor('every process of npx to exit', () => !groupAlive(child.pid!));

  await killByShellPid('npx', ['millrace'], { cwd: project });
  await killByShellPid(join(project, 'node_modules', '.bin', 'millrace'), [], { cwd: project });
});

test('the banner names usable addresses for every-interface binds, https and the certificate to trust', async () => {
  const { banner, reachableHosts } = await import('../src/banner.js');
  const { DEFAULT_CONFIG } = await import('../src/config.js');
  const { networkInterfaces } = await import('node:os');
  const own = Object.values(networkInterfaces()).flatMap((a) => a ?? []).filter((a) => !a.internal && a.family === 'IPv4').map((a) => a.address);
  assert.deepEqual(reachableHosts('0.0.0.0'), ['127.0.0.1', ...own]);
  assert.deepEqual(reachableHosts('::1'), ['[::1]']);
  assert.equal(reachableHosts('::')[0], '127.0.0.1');
  const text = banner(
    { ...DEFAULT_CONFIG, host: '0.0.0.0', port: 4567, tls: true, memory: true, dataDir: undefined },
    { port: 4567, secureEndpoint: 'https://0.0.0.0:4567', certificateFile: '/tmp/t/localhost.pem' },
  );
  // Never 0.0.0.0, which a client cannot connect to everywhere.
  assert.doesNotMatch(text, /0\.0\.0\.0/);
  assert.match(text, /^  endpoint +http:\/\/127\.0\.0\.1:4567( |$)/m);
  assert.match(text, /^  https +https:\/\/localhost:4567  https:\/\/127\.0\.0\.1:4567.* \(same port\)$/m);
  // Every interface is more than loopback: the console needs a token there (issue 18 §3).
  assert.match(text, /^  console +the console is off: Millrace does not listen on loopback alone; start it with --console-token/m);
  const withToken = banner({ ...DEFAULT_CONFIG, host: '0.0.0.0', port: 4567, memory: true, dataDir: undefined, consoleToken: 't' }, { port: 4567 });
  assert.match(withToken, /^  console +http:\/\/127\.0\.0\.1:4567\/_millrace\/( |$)/m);
  assert.match(text, /^  export AWS_ENDPOINT_URL=https:\/\/localhost:4567$/m);
  assert.match(text, /^  export AWS_CA_BUNDLE=\/tmp\/t\/localhost\.pem NODE_EXTRA_CA_CERTS=\/tmp\/t\/localhost\.pem$/m);
  // With --credentials the keys are the user's: no stand-in keys are suggested.
  const signed = banner({ ...DEFAULT_CONFIG, credentials: '[]' }, { port: 4567 });
  assert.doesNotMatch(signed, /AWS_ACCESS_KEY_ID/);
  assert.match(signed, /^  export AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:4567$/m);
});

test('pretty log lines: time, level, message, fields, and an error stack below', async () => {
  const { formatPretty } = await import('../src/log.js');
  const time = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
  assert.equal(formatPretty(JSON.stringify({ level: 30, time, service: 'millrace', msg: 'listening', port: 4567, host: 'a b' })), '03:04:05.678 INFO  listening port=4567 host="a b"\n');
  const failed = formatPretty(JSON.stringify({ level: 50, time, msg: 'failed', err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' } }));
  assert.equal(failed, '03:04:05.678 ERROR failed\n    Error: boom\n        at x\n');
  assert.equal(formatPretty('not json'), 'not json\n');
});
