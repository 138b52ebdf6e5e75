import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client, type S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { SignatureV4 } from '@smithy/signature-v4';
import { available } from './helpers.js';

/**
 * S3 through other clients, against a Millrace child process that verifies signatures
 * (`--credentials`) over the fs object store: the AWS CLI (`s3` and `s3api`), boto3 (path-style,
 * multipart upload_fileobj, a presigned URL), the JS SDK with right and wrong keys, and a
 * `kill -9` the moment a PUT was answered: after a restart on the same directory the object is
 * there, byte for byte.
 */
const ACCOUNT = '111122223333';
const KEY = { accessKeyId: 'AKIDS3CLIENTS', secretAccessKey: 's3-clients-secret' };
const CREDENTIALS = JSON.stringify([{ ...KEY, accountId: ACCOUNT }]);
const childScript = fileURLToPath(new URL('./s3-child.js', import.meta.url));

let dataDir: string;
let child: ChildProcess | undefined;
let endpoint: string;
let s3: S3Client;

async function startChild(): Promise<void> {
  const started = spawn(process.execPath, [childScript, dataDir, CREDENTIALS], { stdio: ['ignore', 'pipe', 'inherit'] });
  child = started;
  const lines = createInterface({ input: started.stdout! });
  endpoint = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line).endpoint));
    started.once('exit', (code) => reject(new Error(`s3-child exited with ${code}`)));
  });
  s3?.destroy();
  s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: KEY, maxAttempts: 1 });
}

async function killChild(): Promise<void> {
  const running = child;
  if (!running || running.exitCode !== null || running.signalCode !== null) return;
  const exited = new Promise((resolve) => running.once('exit', resolve));
  running.kill('SIGKILL');
  await exited;
}

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'millrace-s3-clients-'));
  await startChild();
});

after(async () => {
  s3?.destroy();
  await killChild();
  rmSync(dataDir, { recursive: true, force: true });
});

const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');

test('signatures are verified the S3 way: right keys pass, wrong ones get S3’s errors, anonymous is denied', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'signed' }));
  await s3.send(new PutObjectCommand({ Bucket: 'signed', Key: 'a key/with spaces & (marks)!*', Body: 'signed body' }));
  const got = await s3.send(new GetObjectCommand({ Bucket: 'signed', Key: 'a key/with spaces & (marks)!*' }));
  assert.equal(await got.Body!.transformToString(), 'signed body');
  const owner = (await s3.send(new ListBucketsCommand({}))).Owner;
  assert.equal(owner?.DisplayName, ACCOUNT);

  const wrongSecret = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { ...KEY, secretAccessKey: 'wrong' }, maxAttempts: 1 });
  const unknownKey = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'AKIDUNKNOWN', secretAccessKey: 'x' }, maxAttempts: 1 });
  try {
    const failure = async (client: S3Client) => {
      try {
        await client.send(new PutObjectCommand({ Bucket: 'signed', Key: 'refused', Body: 'x' }));
      } catch (err) {
        return { name: (err as S3ServiceException).name, status: (err as S3ServiceException).$metadata.httpStatusCode, message: (err as Error).message };
      }
      assert.fail('accepted');
    };
    assert.deepEqual(await failure(wrongSecret), {
      name: 'SignatureDoesNotMatch',
      status: 403,
      message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    });
    assert.deepEqual(await failure(unknownKey), { name: 'InvalidAccessKeyId', status: 403, message: 'The AWS Access Key Id you provided does not exist in our records.' });
  } finally {
    wrongSecret.destroy();
    unknownKey.destroy();
  }
  const anonymous = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    http
      .get(new URL('/signed/refused', endpoint), { agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
  assert.equal(anonymous.status, 403);
  assert.match(anonymous.body, /<Code>AccessDenied<\/Code><Message>Access Denied<\/Message>/);
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'signed', Key: 'refused' })), { name: 'NotFound' });
});

test('an object answered just before kill -9 is there after the restart', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'durable' }));
  const small = randomBytes(1000);
  const large = randomBytes(8 * 1024 * 1024 + 3);
  const multipart = randomBytes(11 * 1024 * 1024);
  await s3.send(new PutObjectCommand({ Bucket: 'durable', Key: 'small', Body: small }));
  await new Upload({ client: s3, params: { Bucket: 'durable', Key: 'multipart', Body: multipart }, partSize: 5 * 1024 * 1024 }).done();
  const put = await s3.send(new PutObjectCommand({ Bucket: 'durable', Key: 'large', Body: large }));
  // The answer is in: kill at once, before anything else can happen.
  await killChild();
  await startChild();
  for (const [key, data] of [['small', small], ['large', large], ['multipart', multipart]] as const) {
    const got = await s3.send(new GetObjectCommand({ Bucket: 'durable', Key: key }));
    const bytes = Buffer.from(await got.Body!.transformToByteArray());
    assert.equal(md5(bytes), md5(data), key);
    if (key === 'large') assert.equal(got.ETag, put.ETag);
  }
});

const clientEnv = () => ({
  ...process.env,
  AWS_ACCESS_KEY_ID: KEY.accessKeyId,
  AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_CONFIG_FILE: join(dataDir, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(dataDir, 'no-aws-credentials'),
  ENDPOINT: endpoint,
});

test('the AWS CLI: s3 mb/cp/ls/rm and s3api put-object/get-object/list-objects-v2', async (t) => {
  if (!(await available('aws', ['--version']))) return t.skip('aws CLI not installed');
  const aws = (...args: string[]) => {
    const result = spawnSync('aws', ['--endpoint-url', endpoint, ...args], { env: clientEnv(), encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.status, 0, `aws ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const work = mkdtempSync(join(tmpdir(), 'millrace-s3-cli-'));
  try {
    const small = join(work, 'small.txt');
    const large = join(work, 'large.bin');
    writeFileSync(small, 'from the cli\n');
    const largeData = randomBytes(10 * 1024 * 1024 + 5); // above the CLI's 8 MB multipart threshold
    writeFileSync(large, largeData);
    // Few invocations: each starts a Python interpreter, seconds on a busy machine.
    aws('s3', 'mb', 's3://cli-bucket');
    aws('s3', 'cp', small, 's3://cli-bucket/dir/small.txt');
    aws('s3', 'cp', large, 's3://cli-bucket/dir/large.bin');
    assert.match(aws('s3', 'ls', 's3://cli-bucket/'), /PRE dir\//);
    const back = join(work, 'back.bin');
    aws('s3', 'cp', 's3://cli-bucket/dir/large.bin', back);
    assert.equal(md5(readFileSync(back)), md5(largeData));

    const put = JSON.parse(aws('s3api', 'put-object', '--bucket', 'cli-bucket', '--key', 'api/object', '--body', small, '--metadata', 'origin=cli'));
    assert.equal(put.ETag, `"${md5(readFileSync(small))}"`);
    const out = join(work, 'out.txt');
    const got = JSON.parse(aws('s3api', 'get-object', '--bucket', 'cli-bucket', '--key', 'api/object', out));
    assert.deepEqual(got.Metadata, { origin: 'cli' });
    assert.equal(readFileSync(out, 'utf8'), 'from the cli\n');
    aws('s3', 'rm', 's3://cli-bucket/dir/small.txt');
    const listed = JSON.parse(aws('s3api', 'list-objects-v2', '--bucket', 'cli-bucket'));
    assert.deepEqual(
      listed.Contents.map((c: { Key: string; Size: number }) => [c.Key, c.Size]),
      [
        ['api/object', 13],
        ['dir/large.bin', largeData.length],
      ],
    );
    // Above the CLI's 8 MB threshold, cp uploaded in parts.
    assert.match(listed.Contents[1].ETag, /-2"$/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});

const BOTO3_SCRIPT = `
import io, json, os, hashlib, urllib.request
import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
s3 = boto3.client('s3', endpoint_url=os.environ['ENDPOINT'], config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
out = {}
s3.create_bucket(Bucket='boto-bucket')
s3.put_object(Bucket='boto-bucket', Key='k/1', Body=b'boto3 body', ContentType='text/x-boto')
got = s3.get_object(Bucket='boto-bucket', Key='k/1')
out['body'] = got['Body'].read().decode()
out['type'] = got['ContentType']
data = os.urandom(12 * 1024 * 1024)
s3.upload_fileobj(io.BytesIO(data), 'boto-bucket', 'k/big', Config=TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024))
big = s3.get_object(Bucket='boto-bucket', Key='k/big')
out['bigMatches'] = hashlib.md5(big['Body'].read()).hexdigest() == hashlib.md5(data).hexdigest()
out['bigEtag'] = big['ETag']
pages = s3.get_paginator('list_objects_v2').paginate(Bucket='boto-bucket', PaginationConfig={'PageSize': 1})
out['keys'] = [o['Key'] for page in pages for o in page.get('Contents', [])]
url = s3.generate_presigned_url('get_object', Params={'Bucket': 'boto-bucket', 'Key': 'k/1'}, ExpiresIn=300)
out['presigned'] = urllib.request.urlopen(url).read().decode()
try:
    urllib.request.urlopen(url.replace('Signature=', 'Signature=0'))
except urllib.error.HTTPError as e:
    out['tampered'] = e.code
try:
    s3.get_object(Bucket='boto-bucket', Key='missing')
except ClientError as e:
    out['missing'] = [e.response['Error']['Code'], e.response['Error']['Message']]
s3.delete_objects(Bucket='boto-bucket', Delete={'Objects': [{'Key': 'k/1'}]})
out['afterDelete'] = [o['Key'] for o in s3.list_objects(Bucket='boto-bucket').get('Contents', [])]
print(json.dumps(out))
`;

test('boto3: put/get, multipart upload_fileobj, paginated listing, SigV4 presigned URL, errors', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) return t.skip('boto3 not installed');
  const result = spawnSync('python3', ['-c', BOTO3_SCRIPT], { env: clientEnv(), encoding: 'utf8', timeout: 120_000 });
  assert.equal(result.status, 0, result.stderr);
  const out = JSON.parse(result.stdout);
  assert.equal(out.body, 'boto3 body');
  assert.equal(out.type, 'text/x-boto');
  assert.equal(out.bigMatches, true);
  assert.match(out.bigEtag, /-3"$/);
  assert.deepEqual(out.keys, ['k/1', 'k/big']);
  assert.equal(out.presigned, 'boto3 body');
  assert.equal(out.tampered, 403);
  assert.deepEqual(out.missing, ['NoSuchKey', 'The specified key does not exist.']);
  assert.deepEqual(out.afterDelete, ['k/big']);
});

/**
 * A signed aws-chunked upload by hand (the Java SDKs send these; the JS SDK and boto3 send unsigned
 * trailers instead): the seed signature over the headers, then each chunk's signature chained from
 * it, as "Transferring Payload in Multiple Chunks" describes.
 */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret as ArrayBuffer));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {}
}

async function signedChunkedPut(key: string, chunks: Buffer[], tamper?: (body: Buffer) => void): Promise<{ status: number; body: string }> {
  const url = new URL(`/chunked/${key}`, endpoint);
  const decodedLength = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const signer = new SignatureV4({ service: 's3', region: 'us-east-1', credentials: KEY, sha256: Sha256, uriEscapePath: false });
  const signed = await signer.sign({
    method: 'PUT',
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: {},
    headers: {
      host: url.host,
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': String(decodedLength),
    },
  });
  const authorization = signed.headers.authorization!;
  const longDate = signed.headers['x-amz-date']!;
  const scope = `${longDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  let signingKey: Buffer = Buffer.from(`AWS4${KEY.secretAccessKey}`);
  for (const part of scope.split('/')) signingKey = createHmac('sha256', signingKey).update(part).digest();
  const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
  let previous = /Signature=([0-9a-f]+)/.exec(authorization)![1]!;
  const parts: Buffer[] = [];
  for (const data of [...chunks, Buffer.alloc(0)]) {
    const signature = createHmac('sha256', signingKey).update(`AWS4-HMAC-SHA256-PAYLOAD\n${longDate}\n${scope}\n${previous}\n${sha('')}\n${sha(data)}`).digest('hex');
    parts.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${signature}\r\n`), data, Buffer.from('\r\n'));
    previous = signature;
  }
  const body = Buffer.concat(parts);
  tamper?.(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'PUT', agent: false, headers: { ...signed.headers, 'content-length': body.length } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('signed aws-chunked uploads: every chunk signature is checked', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'chunked' }));
  const chunks = [randomBytes(64 * 1024), randomBytes(64 * 1024), randomBytes(1000)];
  const good = await signedChunkedPut('chunked-signed', chunks);
  assert.equal(good.status, 200, good.body);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'chunked', Key: 'chunked-signed' }));
  assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(chunks)));
  // One byte of the second chunk changed in transit: its signature no longer matches.
  const tampered = await signedChunkedPut('chunked-tampered', chunks, (body) => {
    body[64 * 1024 + 200] ^= 1;
  });
  assert.equal(tampered.status, 403);
  assert.match(tampered.body, /<Code>SignatureDoesNotMatch<\/Code>/);
  await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: 'chunked', Key: 'chunked-tampered' })), { name: 'NotFound' });
});
