import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { CreateStreamCommand, DescribeStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { startTestServer, type TestServer } from './helpers.js';
import { producerStream, readMedia, testVideo, type Media } from './video-producer.js';

/**
 * PutMedia with signature verification on (--credentials): the payload-hash rules PutMedia
 * clients really use (VIDEO-SPEC §3.1) — curl's and producer-c's empty-body hash, Java v1's
 * STREAMING-AWS4-HMAC-SHA256-PAYLOAD header — and a wrong secret refused before the 200.
 */

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const needsFfmpeg = { skip: HAS_FFMPEG ? false : 'ffmpeg is not installed (.ci/run installs it)' };
const ALICE = { accessKeyId: 'AKIAALICE', secretAccessKey: 'alice-secret', accountId: '111111111111' };
let server: TestServer;
let media: Media;
let body: Buffer;

before(async () => {
  server = await startTestServer({ credentials: JSON.stringify([ALICE]) });
  const kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: ALICE, maxAttempts: 1 });
  await kvs.send(new CreateStreamCommand({ StreamName: 'signed', DataRetentionInHours: 1 }));
  kvs.destroy();
  if (HAS_FFMPEG) {
    media = await readMedia(testVideo(2, 25));
    body = Buffer.concat(producerStream(media));
  }
});

after(async () => {
  await server.stop();
});

function curl(secret: string): Promise<{ out: string; status: string }> {
  return new Promise((resolve) => {
    const child = spawn('curl', ['-sN', '-w', '\\n%{http_code}', '-X', 'POST', '--aws-sigv4', 'aws:amz:us-east-1:kinesisvideo', '-u', `${ALICE.accessKeyId}:${secret}`,
      '-H', 'x-amzn-stream-name: signed', '-H', 'x-amzn-fragment-timecode-type: RELATIVE', '-H', `x-amzn-producer-start-timestamp: ${(Date.now() / 1000).toFixed(3)}`,
      '-T', '-', `${server.endpoint}/putMedia`]);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stdin.on('error', () => undefined);
    child.stdin.end(body);
    child.on('close', () => {
      const lines = out.trimEnd().split('\n');
      resolve({ status: lines.pop()!, out: lines.join('\n') });
    });
  });
}

test('curl --aws-sigv4 (empty-body payload hash) is verified and its fragments persist', needsFfmpeg, async () => {
  const good = await curl(ALICE.secretAccessKey);
  assert.equal(good.status, '200');
  assert.equal(good.out.split('\n').filter((l) => l && JSON.parse(l).EventType === 'PERSISTED').length, 2);
  const bad = await curl('wrong-secret');
  // Refused before the 200 with 403, as AWS's auth layer answers (VIDEO-SPEC §2.2).
  assert.equal(bad.status, '403');
  assert.deepEqual(JSON.parse(bad.out), {
    message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  });
});

test('bad credentials answer 403 on every Video API: a wrong secret and an unknown access key, with AWS JS SDK v3 clients', async () => {
  const wrongSecret = { ...ALICE, secretAccessKey: 'wrong-secret' };
  const unknownKey = { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' };
  const signature = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';
  const token = 'The security token included in the request is invalid.';
  const cases: Array<[typeof ALICE | typeof unknownKey, string, string]> = [
    [wrongSecret, 'InvalidSignatureException', signature],
    [unknownKey, 'UnrecognizedClientException', token],
  ];
  for (const [credentials, name, message] of cases) {
    const config = { endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
    const control = new KinesisVideoClient(config);
    const mediaClient = new KinesisVideoMediaClient(config);
    const archived = new KinesisVideoArchivedMediaClient(config);
    const calls: Array<() => Promise<unknown>> = [
      () => control.send(new DescribeStreamCommand({ StreamName: 'signed' })),
      () => mediaClient.send(new GetMediaCommand({ StreamName: 'signed', StartSelector: { StartSelectorType: 'EARLIEST' } })),
      () => archived.send(new ListFragmentsCommand({ StreamName: 'signed' })),
    ];
    for (const call of calls) {
      await assert.rejects(call(), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, name);
        assert.equal(error.message, message);
        assert.equal(error.$metadata?.httpStatusCode, 403);
        return true;
      });
    }
    control.destroy();
    mediaClient.destroy();
    archived.destroy();
  }
  // The right secret still gets through.
  const control = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: ALICE, maxAttempts: 1 });
  assert.equal((await control.send(new DescribeStreamCommand({ StreamName: 'signed' }))).StreamInfo?.StreamName, 'signed');
  control.destroy();
});

class NodeSha256 {
  private readonly hash;
  constructor(secret?: Uint8Array | string) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret);
  }
  update(data: Uint8Array) {
    this.hash.update(data);
  }
  async digest() {
    return this.hash.digest();
  }
  reset() {}
}

test('x-amz-content-sha256 used verbatim: Java v1\'s STREAMING-AWS4-HMAC-SHA256-PAYLOAD and UNSIGNED-PAYLOAD over a plain chunked body', needsFfmpeg, async () => {
  for (const payloadHash of ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'UNSIGNED-PAYLOAD']) {
    const url = new URL(server.endpoint);
    const signer = new SignatureV4({ service: 'kinesisvideo', region: 'us-east-1', credentials: ALICE, sha256: NodeSha256 as never });
    const signed = await signer.sign({
      method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/putMedia', query: {},
      headers: {
        host: url.host, 'x-amzn-stream-name': 'signed', 'x-amzn-fragment-timecode-type': 'ABSOLUTE',
        'x-amz-content-sha256': payloadHash,
      },
    } as never);
    const acks = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: '/putMedia', method: 'POST', headers: { ...(signed as unknown as { headers: Record<string, string> }).headers, 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve(`${res.statusCode}\n${text}`));
      });
      req.on('error', reject);
      const pieces = producerStream(media, { timecodeBase: Date.now() });
      for (const piece of pieces) req.write(piece);
      req.end();
    });
    const [status, ...lines] = acks.trimEnd().split('\n');
    assert.equal(status, '200');
    const persisted = lines.map((l) => JSON.parse(l)).filter((a) => a.EventType === 'PERSISTED');
    assert.equal(persisted.length, 2);
    // ABSOLUTE timecodes are epoch ms and echoed raw.
    assert.ok(persisted[0].FragmentTimecode > 1_600_000_000_000);
  }
});
