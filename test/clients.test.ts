import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import https from 'node:https';
import tls from 'node:tls';
import http2 from 'node:http2';
import { fileURLToPath } from 'node:url';
import {
  KinesisClient,
  CreateStreamCommand,
  DescribeStreamCommand,
  ListStreamsCommand,
  PutRecordCommand,
  RegisterStreamConsumerCommand,
  SubscribeToShardCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { available, kinesisJson, startTestServer, type TestServer } from './helpers.js';

/**
 * Real clients against a real server (issue 2 "Tests", KINESIS-SPEC §1.1, §9 item 1): the AWS CLI,
 * boto3, the AWS SDKs for Go (v1 and v2), and TLS with ALPN h2 / http/1.1 on the same port as plain
 * HTTP/1.1 and h2c.
 */

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(() => server.stop());

const CLIENT_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_DEFAULT_OUTPUT: 'json',
  AWS_CONFIG_FILE: '/nonexistent/millrace-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/millrace-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_MAX_ATTEMPTS: '1',
  AWS_PAGER: '',
};

function exec(command: string, args: string[], env: NodeJS.ProcessEnv = {}, timeout = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { ...CLIENT_ENV, ...env }, timeout }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('the AWS CLI creates, describes and lists streams and reports errors', async (t) => {
  if (!(await available('aws', ['--version']))) return t.skip('`aws --version` does not run here');
  const aws = (...args: string[]) => exec('aws', ['--endpoint-url', server.endpoint, 'kinesis', ...args]);

  const created = await aws('create-stream', '--stream-name', 'awscli', '--shard-count', '2');
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout.trim(), '');
  const described = await aws('describe-stream', '--stream-name', 'awscli');
  assert.equal(described.code, 0, described.stderr);
  const { StreamDescription } = JSON.parse(described.stdout);
  assert.equal(StreamDescription.StreamStatus, 'ACTIVE');
  assert.equal(StreamDescription.StreamARN, 'arn:aws:kinesis:us-east-1:000000000000:stream/awscli');
  assert.deepEqual(
    StreamDescription.Shards.map((s: any) => s.ShardId),
    ['shardId-000000000000', 'shardId-000000000001'],
  );
  const listed = await aws('list-streams');
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok(JSON.parse(listed.stdout).StreamNames.includes('awscli'));

  const missing = await aws('describe-stream', '--stream-name', 'awscli-missing');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /An error occurred \(ResourceNotFoundException\) when calling the DescribeStream operation: Stream awscli-missing under account 000000000000 not found\./);
  const duplicate = await aws('create-stream', '--stream-name', 'awscli', '--shard-count', '1');
  assert.notEqual(duplicate.code, 0);
  assert.match(duplicate.stderr, /An error occurred \(ResourceInUseException\) when calling the CreateStream operation: Stream awscli under account 000000000000 already exists\./);
});

const BOTO3_SCRIPT = `
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

def client(validate=True):
    return boto3.client('kinesis', endpoint_url=sys.argv[1], region_name='us-east-1',
        aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret',
        config=Config(retries={'max_attempts': 1, 'mode': 'standard'}, parameter_validation=validate))

def error(call):
    try:
        call()
    except ClientError as e:
        return [e.response['Error']['Code'], e.response['Error'].get('Message'), e.response['ResponseMetadata']['HTTPStatusCode']]
    return None

c = client()
out = {}
c.create_stream(StreamName='boto', ShardCount=2)
c.get_waiter('stream_exists').wait(StreamName='boto', WaiterConfig={'Delay': 1, 'MaxAttempts': 5})
d = c.describe_stream(StreamName='boto')['StreamDescription']
out['status'] = d['StreamStatus']
out['shards'] = [[s['ShardId'], s['HashKeyRange']['StartingHashKey']] for s in d['Shards']]
out['created'] = d['StreamCreationTimestamp'].timestamp()
out['names'] = c.list_streams()['StreamNames']
out['summary'] = c.describe_stream_summary(StreamName='boto')['StreamDescriptionSummary']['OpenShardCount']
out['missing'] = error(lambda: c.describe_stream(StreamName='boto-missing'))
out['duplicate'] = error(lambda: c.create_stream(StreamName='boto', ShardCount=1))
out['invalid'] = error(lambda: client(False).create_stream(StreamName='', ShardCount=0))
print(json.dumps(out))
`;

test('boto3 creates, waits for, describes and lists streams and parses errors', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) return t.skip("`python3 -c 'import boto3'` fails here");
  const run = await exec('python3', ['-c', BOTO3_SCRIPT, server.endpoint]);
  assert.equal(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout);
  assert.equal(out.status, 'ACTIVE');
  assert.deepEqual(out.shards, [
    ['shardId-000000000000', '0'],
    ['shardId-000000000001', '170141183460469231731687303715884105728'],
  ]);
  assert.ok(out.names.includes('boto'));
  assert.equal(out.summary, 2);
  const json = await kinesisJson(server.endpoint, 'DescribeStreamSummary', { StreamName: 'boto' });
  assert.equal(out.created, json.json.StreamDescriptionSummary.StreamCreationTimestamp);
  assert.deepEqual(out.missing, ['ResourceNotFoundException', 'Stream boto-missing under account 000000000000 not found.', 400]);
  assert.deepEqual(out.duplicate, ['ResourceInUseException', 'Stream boto under account 000000000000 already exists.', 400]);
  assert.deepEqual(out.invalid, [
    'ValidationException',
    "3 validation errors detected: Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
      "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
      "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
    400,
  ]);
});

/** A GOPATH holding `importPath`, as Debian's golang-github-aws-aws-sdk-go(-v2)-dev lay it out. */
function goPathWith(importPath: string): string | undefined {
  const candidates = [...(process.env.GOPATH?.split(':') ?? []), '/usr/share/gocode', join(homedir(), 'go')];
  return candidates.find((path) => path && existsSync(join(path, 'src', importPath)));
}

/**
 * Builds test/clients/<file>, with go-observed.go, in GOPATH mode against the SDK found there and
 * runs it against each endpoint; resolves to what each run printed, or undefined when this machine
 * cannot build it (t.skip).
 */
async function runGoClient(t: TestContext, file: string, sdkPackage: string, debianPackage: string, endpoints: string[]): Promise<any[] | undefined> {
  if (!(await available('go', ['version']))) return void t.skip('`go version` does not run here');
  const sdk = goPathWith(sdkPackage);
  if (!sdk) return void t.skip(`no GOPATH here holds ${sdkPackage} (Debian: ${debianPackage})`);
  const gopath = mkdtempSync(join(tmpdir(), 'millrace-go-'));
  try {
    const source = join(gopath, 'src/millrace-go-client');
    mkdirSync(source, { recursive: true });
    for (const [from, to] of [[file, 'main.go'], ['go-observed.go', 'observed.go']]) {
      copyFileSync(fileURLToPath(new URL(`../../test/clients/${from}`, import.meta.url)), join(source, to));
    }
    const binary = join(gopath, 'client');
    const build = await exec('go', ['build', '-o', binary, source], { GO111MODULE: 'off', GOPATH: `${gopath}:${sdk}`, GOFLAGS: '' }, 150_000);
    assert.equal(build.code, 0, build.stderr);
    const outputs = [];
    for (const endpoint of endpoints) {
      const run = await exec(binary, [endpoint]);
      assert.equal(run.code, 0, `${endpoint}: ${run.stdout}${run.stderr}`);
      outputs.push(JSON.parse(run.stdout));
    }
    return outputs;
  } finally {
    rmSync(gopath, { recursive: true, force: true });
  }
}

/** Shard 0 of 2 holds hash keys below 2^127 (KINESIS-SPEC §4.1). */
function shardOfTwo(partitionKey: string): number {
  return createHash('md5').update(partitionKey).digest()[0]! >> 7;
}

/** What both Go clients do: put, read back per shard, AT_TIMESTAMP, two errors, fan-out, delete. */
function assertGoClientRun(out: any, stream: string, greeting: string, pushed: string): void {
  assert.equal(out.status, 'ACTIVE');
  assert.equal(out.streamArn, `arn:aws:kinesis:us-east-1:000000000000:stream/${stream}`);
  assert.equal(out.putShardId, `shardId-00000000000${shardOfTwo('go')}`);
  assert.match(out.putSequenceNumber, /^\d{56}$/);
  assert.equal(out.putRecordsFailed, 0);
  assert.equal(out.putRecordsResults, 10);
  // Read shard by shard from TRIM_HORIZON: each record on the shard MD5 routes it to, in put order.
  const written = [{ key: 'go', data: greeting }, ...Array.from({ length: 10 }, (_, i) => ({ key: `key ${i}`, data: `record ${i}` }))];
  const expected = [0, 1].flatMap((shard) => written.filter((r) => shardOfTwo(r.key) === shard).map((r) => r.data));
  assert.deepEqual(out.read, expected);
  assert.equal(out.firstAtTimestamp, greeting);
  assert.deepEqual(
    [out.missingStream.code, out.missingStream.message, out.missingStream.status],
    ['ResourceNotFoundException', 'Stream no-such-stream under account 000000000000 not found.', 400],
  );
  assert.deepEqual(
    [out.tooLarge.code, out.tooLarge.message, out.tooLarge.status],
    [
      'ValidationException',
      "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577 cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 1048576",
      400,
    ],
  );
  assert.deepEqual(out.pushed, [pushed]);
  assert.equal(out.deleted, true);
}

test('the AWS SDK for Go v1 puts, reads, subscribes, tags, reshards and parses errors', { timeout: 180_000 }, async (t) => {
  const sdk = ['github.com/aws/aws-sdk-go/service/kinesis', 'golang-github-aws-aws-sdk-go-dev'] as const;
  const [out] = (await runGoClient(t, 'go-sdk-v1.go', ...sdk, [server.endpoint])) ?? [];
  if (!out) return;
  assertGoClientRun(out, 'go-sdk-v1', 'hello from go', 'pushed to go');
  assert.match(out.missingStream.requestId, /^[0-9a-f-]{36}$/);
  assert.deepEqual(out.tags, [{ Key: 'team', Value: 'go' }]);
  assert.equal(out.openShardsAfterUpdate, 4);
});

test('the AWS SDK for Go v2, over HTTP/1.1 and over TLS with HTTP/2, puts, reads, subscribes and maps errors to their types', { timeout: 180_000 }, async (t) => {
  const tlsServer = await startTestServer({ tls: true });
  try {
    const sdk = ['github.com/aws/aws-sdk-go-v2/service/kinesis', 'golang-github-aws-aws-sdk-go-v2-dev'] as const;
    const outs = await runGoClient(t, 'go-sdk-v2.go', ...sdk, [server.endpoint, tlsServer.endpoint.replace(/^http:/, 'https:')]);
    if (!outs) return;
    const [plain, overTls] = outs;
    for (const out of outs) {
      assertGoClientRun(out, 'go-sdk-v2', 'hello from go v2', 'pushed to go v2');
      assert.equal(out.missingStreamTyped, true);
    }
    assert.equal(plain.protocol, undefined);
    // Go's own HTTP/2 client, ALPN-negotiated, carried every call and the event stream.
    assert.equal(overTls.protocol, 'HTTP/2.0');
  } finally {
    await tlsServer.stop();
  }
});

test('TLS with ALPN h2 and http/1.1 shares the port with plain HTTP/1.1 and h2c', { timeout: 30_000 }, async (t) => {
  if (!(await available('openssl', ['version']))) return t.skip('`openssl version` does not run here');
  const dir = mkdtempSync(join(tmpdir(), 'millrace-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  assert.equal(made.status, 0, made.stderr?.toString());
  const tlsServer = await startTestServer({ tlsCert: cert, tlsKey: key, headersTimeoutMs: 500 });
  const secure = tlsServer.endpoint.replace('http://', 'https://');
  const previousReject = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  try {
    const body = JSON.stringify({});
    // HTTPS with HTTP/1.1 (no ALPN, as older clients send it, and ALPN http/1.1).
    for (const ALPNProtocols of [undefined, ['http/1.1']]) {
      const h1 = await new Promise<{ status: number; version: string; alpn: string | false; body: string }>((resolve, reject) => {
        const options: https.RequestOptions & { ALPNProtocols?: string[] } = {
          method: 'POST',
          agent: false,
          rejectUnauthorized: false,
          ALPNProtocols,
          headers: {
            'Content-Type': 'application/x-amz-json-1.1',
            'X-Amz-Target': 'Kinesis_20131202.ListStreams',
            Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abc',
            'X-Amz-Date': '20240101T000000Z',
          },
        };
        const req = https.request(secure, options, (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, version: res.httpVersion, alpn: (res.socket as any).alpnProtocol, body: text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(h1.status, 200, h1.body);
      assert.equal(h1.version, '1.1');
      assert.equal(h1.alpn, ALPNProtocols ? 'http/1.1' : false);
      assert.deepEqual(JSON.parse(h1.body).StreamNames, []);
    }

    // ALPN picks h2 when offered.
    const session = http2.connect(secure, { rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
    assert.equal(session.alpnProtocol, 'h2');
    session.close();

    // The SDK's default HTTP/2 handler over TLS; it takes no TLS options, hence the env switch.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const sdk = new KinesisClient({ endpoint: secure, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
    await sdk.send(new CreateStreamCommand({ StreamName: 'tls-h2', ShardCount: 1 }));
    const described = await sdk.send(new DescribeStreamCommand({ StreamName: 'tls-h2' }));
    assert.equal(described.StreamDescription?.StreamStatus, 'ACTIVE');
    // SubscribeToShard's event stream over TLS (HTTP/2): the initial response, then a record.
    const { Consumer } = await sdk.send(new RegisterStreamConsumerCommand({ StreamARN: described.StreamDescription!.StreamARN, ConsumerName: 'tls-app' }));
    const controller = new AbortController();
    const { EventStream } = await sdk.send(
      new SubscribeToShardCommand({ ConsumerARN: Consumer!.ConsumerARN, ShardId: 'shardId-000000000000', StartingPosition: { Type: 'LATEST' } }),
      { abortSignal: controller.signal },
    );
    const put = await sdk.send(new PutRecordCommand({ StreamName: 'tls-h2', PartitionKey: 'p', Data: Buffer.from('over tls') }));
    const pushed: string[] = [];
    try {
      for await (const event of EventStream!) {
        for (const record of event.SubscribeToShardEvent?.Records ?? []) pushed.push(`${record.SequenceNumber}:${Buffer.from(record.Data!).toString()}`);
        if (pushed.length) break;
      }
    } finally {
      controller.abort();
    }
    assert.deepEqual(pushed, [`${put.SequenceNumber}:over tls`]);
    sdk.destroy();
    if (previousReject === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousReject;

    // The SDK over HTTPS/1.1, trusting the throwaway certificate explicitly.
    const sdk1 = new KinesisClient({
      endpoint: secure,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca: readFileSync(cert) }) }),
    });
    const listed = await sdk1.send(new ListStreamsCommand({}));
    assert.deepEqual(listed.StreamNames, ['tls-h2']);
    sdk1.destroy();

    // Plain HTTP/1.1 and h2c on the very same port.
    for (const http1 of [false, true]) {
      const plain = tlsServer.client({ http1 });
      assert.deepEqual((await plain.send(new ListStreamsCommand({}))).StreamNames, ['tls-h2']);
    }
    assert.equal((await kinesisJson(tlsServer.endpoint, 'ListStreams', {})).status, 200);

    // A TLS client that never finishes its HTTP/1.1 headers is cut like a cleartext one.
    const slow = tls.connect({ port: tlsServer.port, host: '127.0.0.1', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    slow.on('error', () => {});
    const slowClosed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
    await new Promise<void>((resolve) => slow.once('secureConnect', () => resolve()));
    slow.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const trickle = setInterval(() => slow.writable && slow.write('X-Slow: 1\r\n'), 50);
    assert.equal((await kinesisJson(tlsServer.endpoint, 'ListStreams', {})).status, 200);
    await slowClosed;
    clearInterval(trickle);

    if (await available('aws', ['--version'])) {
      const viaCli = await exec('aws', ['--endpoint-url', secure, '--no-verify-ssl', 'kinesis', 'list-streams']);
      assert.equal(viaCli.code, 0, viaCli.stderr);
      assert.deepEqual(JSON.parse(viaCli.stdout).StreamNames, ['tls-h2']);
    }
  } finally {
    if (previousReject === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousReject;
    await tlsServer.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
