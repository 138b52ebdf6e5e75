import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { CreateStreamCommand, DescribeStreamCommand, PutRecordCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { selfSignedCertificate } from '../src/transport/self-signed.js';
import { startTestServer, sleep, type TestServer } from './helpers.js';

/**
 * The delivery engine's paths end to end through one started Millrace and the real SDK clients: a
 * KinesisStreamAsSource stream read across a SplitShard into S3, an HTTP endpoint destination and an
 * OpenSearch destination, both against in-process HTTPS receivers on loopback (AWS only accepts
 * https URLs; the receivers' self-signed certificate is given to Millrace as its destination CA).
 */
const account = '000000000000';
const region = 'us-east-1';
const role = `arn:aws:iam::${account}:role/firehose`;
const work = mkdtempSync(join(tmpdir(), 'millrace-fh-engine-'));
/** Delivery is asynchronous: a wait gives up after this long (a failure, not a timing assertion). */
const DELIVERY_DEADLINE_MS = 60_000;

interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}
const received: Received[] = [];
const sockets = new Set<Duplex>();
let receiver: https.Server;
let receiverBase = '';
let nextAckId = 0;

let server: TestServer;
let firehose: FirehoseClient;
let kinesis: KinesisClient;
let s3: S3Client;

before(async () => {
  const { cert, key } = await selfSignedCertificate();
  const caFile = join(work, 'ca.pem');
  writeFileSync(caFile, cert);
  receiver = https.createServer({ cert, key }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ url: request.url ?? '', headers: request.headers, body });
      response.setHeader('Content-Type', 'application/json');
      if (request.url?.startsWith('/services/collector/ack')) {
        // A Splunk HEC that has indexed whatever it is asked about.
        const { acks } = JSON.parse(body) as { acks: number[] };
        response.end(JSON.stringify({ acks: Object.fromEntries(acks.map((id) => [String(id), true])) }));
      } else if (request.url?.startsWith('/services/collector')) {
        response.end(JSON.stringify({ text: 'Success', code: 0, ackId: nextAckId++ }));
      } else if (request.url === '/_bulk') {
        // A cluster that indexes every document it is sent.
        const lines = body.split('\n');
        lines.pop();
        const items = [];
        for (let i = 0; i < lines.length; i += 2) {
          const meta = JSON.parse(lines[i]!).index;
          items.push({ index: { _index: meta._index, _id: meta._id ?? `auto-${i}`, _version: 1, result: 'created', status: 201 } });
        }
        response.end(JSON.stringify({ took: 1, errors: false, items }));
      } else {
        const { requestId } = JSON.parse(body) as { requestId: string };
        response.end(JSON.stringify({ requestId, timestamp: Date.now() }));
      }
    });
  });
  receiver.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverBase = `https://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  server = await startTestServer({ destinationCa: caFile });
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
  firehose = new FirehoseClient({ endpoint: server.endpoint, region, credentials, maxAttempts: 1 });
  s3 = new S3Client({ endpoint: server.endpoint, region, credentials, forcePathStyle: true, maxAttempts: 1 });
  kinesis = server.client();
});

after(async () => {
  firehose?.destroy();
  s3?.destroy();
  await server?.stop();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DELIVERY_DEADLINE_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

async function waitActive(name: string): Promise<void> {
  await waitFor(`${name} ACTIVE`, async () => {
    const { DeliveryStreamDescription } = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: name }));
    return DeliveryStreamDescription?.DeliveryStreamStatus === 'ACTIVE' ? true : undefined;
  });
}

async function waitStreamActive(name: string) {
  return waitFor(`Kinesis ${name} ACTIVE`, async () => {
    const { StreamDescription } = await kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    return StreamDescription?.StreamStatus === 'ACTIVE' ? StreamDescription : undefined;
  });
}

/** Every object under the bucket, each object's bytes as text. */
async function objectTexts(bucket: string): Promise<string[]> {
  const texts: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key! }));
      texts.push(await got.Body!.transformToString());
    }
    token = page.NextContinuationToken;
  } while (token);
  return texts;
}

interface Line {
  k: string;
  i: number;
}

test('KinesisStreamAsSource: records put after creation reach S3 once, across a SplitShard, per-key order kept', async () => {
  const source = 'engine-source';
  const bucket = 'engine-kinesis-bucket';
  const name = 'engine-from-kinesis';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await kinesis.send(new CreateStreamCommand({ StreamName: source, ShardCount: 2 }));
  const described = await waitStreamActive(source);
  assert.equal(described.Shards?.length, 2);
  const streamArn = described.StreamARN!;

  const put = async (line: Line) => {
    await kinesis.send(new PutRecordCommand({ StreamName: source, PartitionKey: line.k, Data: Buffer.from(JSON.stringify(line) + '\n') }));
  };
  await put({ k: 'before', i: 0 });

  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: streamArn, RoleARN: role },
      ExtendedS3DestinationConfiguration: { BucketARN: `arn:aws:s3:::${bucket}`, RoleARN: role, BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 } },
    }),
  );
  await waitActive(name);

  const keys = Array.from({ length: 8 }, (_, n) => `key-${n}`);
  const expected: Line[] = [];
  let i = 0;
  const putRound = async (rounds: number) => {
    for (let r = 0; r < rounds; r++) {
      for (const k of keys) {
        const line = { k, i: i++ };
        expected.push(line);
        await put(line);
      }
    }
  };

  /** Waits until every expected line is in S3; returns the objects' lines. */
  const delivered = () =>
    waitFor('the Kinesis records in S3', async () => {
      await server.delivery.flush(account, region, name);
      const objects = (await objectTexts(bucket)).map((text) => {
        assert.ok(text.endsWith('\n'), 'objects are whole records, concatenated');
        return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Line);
      });
      const seen = new Set(objects.flat().map((line) => line.i));
      return expected.every((line) => seen.has(line.i)) ? objects : undefined;
    });

  await putRound(5);
  await delivered();
  // More records, not waited for: the split below may close the shard before they are read, and
  // its children must only be read after them.
  await putRound(3);

  // Split one shard at the middle of its hash range; the records after go to its children.
  const shard = described.Shards![0]!;
  const start = BigInt(shard.HashKeyRange!.StartingHashKey!);
  const end = BigInt(shard.HashKeyRange!.EndingHashKey!);
  const hashKey = (k: string) => BigInt('0x' + createHash('md5').update(k).digest('hex'));
  const inSplit = keys.filter((k) => hashKey(k) >= start && hashKey(k) <= end);
  assert.ok(inSplit.length > 0 && inSplit.length < keys.length, 'keys go to both the split shard and the other one');
  await kinesis.send(new SplitShardCommand({ StreamName: source, ShardToSplit: shard.ShardId!, NewStartingHashKey: ((start + end) / 2n).toString() }));
  const split = await waitStreamActive(source);
  assert.equal(split.Shards?.length, 4, 'the parent stays listed beside its two children');
  await putRound(5);

  const objects = await delivered();
  const lines = objects.flat();
  assert.ok(!lines.some((line) => line.k === 'before'), 'a record put before the delivery stream was created is not read');
  const counts = new Map<number, number>();
  for (const line of lines) counts.set(line.i, (counts.get(line.i) ?? 0) + 1);
  // No restart happens here, so there is no reason for a duplicate: exactly once.
  assert.deepEqual(
    [...counts].filter(([, count]) => count !== 1),
    [],
    'every record arrives once',
  );
  assert.equal(lines.length, expected.length);
  // Within each object a key's records keep the order they were put in.
  for (const object of objects) {
    const last = new Map<string, number>();
    for (const line of object) {
      assert.ok((last.get(line.k) ?? -1) < line.i, `order of ${line.k} kept`);
      last.set(line.k, line.i);
    }
  }
});

test('HTTP endpoint destination: PutRecordBatch reaches the receiver, base64 records with the X-Amz-Firehose headers', async () => {
  const name = 'engine-http';
  const bucket = 'engine-http-backup';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      HttpEndpointDestinationConfiguration: {
        EndpointConfiguration: { Url: `${receiverBase}/ingest`, Name: 'receiver', AccessKey: 'the-access-key' },
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        RequestConfiguration: { ContentEncoding: 'NONE', CommonAttributes: [{ AttributeName: 'team', AttributeValue: 'millrace' }] },
        RetryOptions: { DurationInSeconds: 60 },
        RoleARN: role,
        S3BackupMode: 'FailedDataOnly',
        S3Configuration: { BucketARN: `arn:aws:s3:::${bucket}`, RoleARN: role },
      },
    }),
  );
  await waitActive(name);
  const records = Array.from({ length: 20 }, (_, n) => `record-${n}`);
  const out = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.map((r) => ({ Data: Buffer.from(r) })) }));
  assert.equal(out.FailedPutCount, 0);

  const requests = await waitFor('the records at the HTTP endpoint', async () => {
    await server.delivery.flush(account, region, name);
    const mine = received.filter((r) => r.url === '/ingest');
    const got = mine.flatMap((r) => (JSON.parse(r.body) as { records: Array<{ data: string }> }).records);
    return got.length >= records.length ? mine : undefined;
  });
  const data: string[] = [];
  for (const request of requests) {
    const body = JSON.parse(request.body) as { requestId: string; timestamp: number; records: Array<{ data: string }> };
    assert.equal(request.headers['x-amz-firehose-request-id'], body.requestId);
    assert.equal(request.headers['x-amz-firehose-protocol-version'], '1.0');
    assert.equal(request.headers['x-amz-firehose-access-key'], 'the-access-key');
    assert.equal(request.headers['x-amz-firehose-source-arn'], `arn:aws:firehose:${region}:${account}:deliverystream/${name}`);
    assert.deepEqual(JSON.parse(String(request.headers['x-amz-firehose-common-attributes'])), { commonAttributes: { team: 'millrace' } });
    assert.match(String(request.headers['content-type']), /^application\/json/);
    assert.equal(typeof body.timestamp, 'number');
    for (const record of body.records) data.push(Buffer.from(record.data, 'base64').toString('utf8'));
  }
  assert.deepEqual(data, records, 'each record once, in the order put');
  // Every request was answered 200: nothing was backed up as failed.
  assert.deepEqual(await objectTexts(bucket), []);
});

test('OpenSearch destination: PutRecordBatch documents are indexed through _bulk', async () => {
  const name = 'engine-opensearch';
  const bucket = 'engine-os-backup';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      AmazonopensearchserviceDestinationConfiguration: {
        ClusterEndpoint: receiverBase,
        IndexName: 'events',
        IndexRotationPeriod: 'NoRotation',
        DocumentIdOptions: { DefaultDocumentIdFormat: 'FIREHOSE_DEFAULT' },
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        RetryOptions: { DurationInSeconds: 60 },
        RoleARN: role,
        S3BackupMode: 'FailedDocumentsOnly',
        S3Configuration: { BucketARN: `arn:aws:s3:::${bucket}`, RoleARN: role },
      },
    }),
  );
  await waitActive(name);
  const documents = Array.from({ length: 15 }, (_, n) => JSON.stringify({ n }));
  const out = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: documents.map((d) => ({ Data: Buffer.from(d) })) }));
  assert.equal(out.FailedPutCount, 0);

  const requests = await waitFor('the documents at _bulk', async () => {
    await server.delivery.flush(account, region, name);
    const mine = received.filter((r) => r.url === '/_bulk');
    const lines = mine.reduce((sum, r) => sum + r.body.split('\n').length - 1, 0);
    return lines >= documents.length * 2 ? mine : undefined;
  });
  const sources: string[] = [];
  const ids = new Set<string>();
  for (const request of requests) {
    assert.match(String(request.headers['content-type']), /^application\/(x-ndjson|json)/);
    const lines = request.body.split('\n');
    assert.equal(lines.pop(), '', 'the body ends with a newline');
    for (let i = 0; i < lines.length; i += 2) {
      const action = JSON.parse(lines[i]!) as { index: { _index: string; _id?: string } };
      assert.equal(action.index._index, 'events');
      assert.equal(typeof action.index._id, 'string', 'FIREHOSE_DEFAULT: Firehose names each document');
      ids.add(action.index._id!);
      sources.push(lines[i + 1]!);
    }
  }
  assert.deepEqual(sources, documents, 'each document once, in the order put');
  assert.equal(ids.size, documents.length, 'document ids are distinct');
  assert.deepEqual(await objectTexts(bucket), []);
});

test('Splunk destination: PutRecordBatch events reach the HEC with the token, acknowledged', async () => {
  const name = 'engine-splunk';
  const bucket = 'engine-splunk-backup';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: name,
      SplunkDestinationConfiguration: {
        HECEndpoint: receiverBase,
        HECEndpointType: 'Event',
        HECToken: 'the-hec-token',
        HECAcknowledgmentTimeoutInSeconds: 180,
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        RetryOptions: { DurationInSeconds: 60 },
        S3BackupMode: 'FailedEventsOnly',
        S3Configuration: { BucketARN: `arn:aws:s3:::${bucket}`, RoleARN: role },
      },
    }),
  );
  await waitActive(name);
  const events = Array.from({ length: 10 }, (_, n) => JSON.stringify({ event: `e${n}` }));
  const out = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: events.map((e) => ({ Data: Buffer.from(e) })) }));
  assert.equal(out.FailedPutCount, 0);

  const posts = await waitFor('the events at the HEC and their acknowledgement', async () => {
    await server.delivery.flush(account, region, name);
    const data = received.filter((r) => r.url === '/services/collector/event');
    const acked = received.some((r) => r.url.startsWith('/services/collector/ack'));
    return acked && data.map((r) => r.body).join('') === events.join('') ? data : undefined;
  });
  for (const post of posts) {
    assert.equal(post.headers.authorization, 'Splunk the-hec-token');
    assert.ok(post.headers['x-splunk-request-channel'], 'a request channel');
  }
  assert.deepEqual(await objectTexts(bucket), []);
});
