import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { startMillrace, type Millrace } from '../src/server.js';
import { DESTINATION_ID, deliveryLeaseName, deliveryStreamArn, type DeliveryStreamDocument } from '../src/firehose/domain/delivery-stream.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';

/**
 * Durability of buffered records (issue items 2 and 11): records taken in and buffered, not yet
 * delivered, survive `kill -9` of the delivering process and are delivered after a restart on the
 * same data directory, or by the other node of a NATS cluster once the lease has moved.
 */
const childScript = fileURLToPath(new URL('./firehose-delivery-child.js', import.meta.url));
const RECORDS = 200;

interface Child {
  process: ChildProcess;
  lines: Interface;
  ask(line: string): Promise<Record<string, unknown>>;
}

async function startChild(target: string): Promise<Child> {
  const child = spawn(process.execPath, [childScript, target], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const iterator = lines[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await iterator.next();
    if (done) throw new Error('child ended');
    return JSON.parse(value) as Record<string, unknown>;
  };
  await next();
  return {
    process: child,
    lines,
    async ask(line) {
      child.stdin!.write(line + '\n');
      return next();
    },
  };
}

function streamDoc(name: string, bucket: string): DeliveryStreamDocument {
  return {
    account: '000000000000',
    region: 'us-east-1',
    name,
    arn: deliveryStreamArn('aws', 'us-east-1', '000000000000', name),
    status: 'ACTIVE',
    type: 'DirectPut',
    version: 1,
    createTimestamp: Date.now(),
    incarnation: `${name}-${Date.now().toString(36)}`,
    destination: {
      DestinationId: DESTINATION_ID,
      ExtendedS3DestinationDescription: {
        BucketARN: `arn:aws:s3:::${bucket}`,
        // Nothing is due by itself during the test: the records are buffered when the process dies.
        BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 900 },
        CompressionFormat: 'UNCOMPRESSED',
        Prefix: 'crash/',
        S3BackupMode: 'Disabled',
      },
    },
    secrets: {},
    tags: [],
  };
}

const records = Array.from({ length: RECORDS }, (_, i) => `record-${i}\n`);

async function deliveredLines(server: Millrace, bucket: string): Promise<string[]> {
  const { objects } = await server.objects.listObjects(bucket, { prefix: 'crash/', limit: 1000 });
  const lines: string[] = [];
  for (const { key } of objects) {
    const { body } = await server.objects.getObject(bucket, key);
    const chunks: Buffer[] = [];
    for await (const chunk of body as Readable) chunks.push(chunk as Buffer);
    lines.push(...Buffer.concat(chunks).toString().split('\n').filter(Boolean));
  }
  return lines.sort();
}

test('kill -9 with records buffered: delivered after the restart, none lost', { timeout: 120_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-fh-crash-'));
  let restarted: Millrace | undefined;
  try {
    const child = await startChild(dataDir);
    const doc = streamDoc('crash-stream', 'crash-bucket');
    assert.deepEqual(await child.ask(`seed ${JSON.stringify({ doc, bucket: 'crash-bucket', records })}`), { seeded: RECORDS });
    // The child's worker takes the records into its buffer (nothing is due for 900 s).
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.process.kill('SIGKILL');
    await new Promise((resolve) => child.process.once('exit', resolve));
    restarted = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
    assert.deepEqual(await deliveredLines(restarted, 'crash-bucket'), [], 'nothing was delivered before the kill');
    await restarted.delivery.flush(doc.account, doc.region, doc.name);
    assert.deepEqual(await deliveredLines(restarted, 'crash-bucket'), [...records].map((r) => r.trim()).sort());
  } finally {
    await restarted?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const skip = natsServerMissing();
describe('two nodes over a NATS cluster: the delivering node killed', { skip, timeout: 180_000 }, () => {
  let cluster: NatsCluster;
  let survivor: Millrace | undefined;
  let child: Child | undefined;
  before(async () => {
    cluster = await NatsCluster.start(3);
  });
  after(async () => {
    if (child && child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await survivor?.close().catch(() => {});
    await cluster?.stop();
  });

  test('the other node takes the lease and delivers every acknowledged record', async () => {
    child = await startChild(cluster.url);
    const doc = streamDoc('nats-stream', 'nats-bucket');
    assert.deepEqual(await child.ask(`seed ${JSON.stringify({ doc, bucket: 'nats-bucket', records })}`), { seeded: RECORDS });
    // The only node takes the stream's lease; only then does the second node join.
    for (let i = 0; !(await child.ask(`holds ${deliveryLeaseName(doc)}`)).holds; i++) {
      assert.ok(i < 200, 'the child never took the delivery lease');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    survivor = await startMillrace({ port: 0, host: '127.0.0.1', store: cluster.url, replicas: 3, logLevel: 'silent' });
    child.process.kill('SIGKILL');
    await survivor.delivery.flush(doc.account, doc.region, doc.name);
    assert.deepEqual(await deliveredLines(survivor, 'nats-bucket'), [...records].map((r) => r.trim()).sort());
  });
});
