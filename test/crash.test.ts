import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * Kill -9 under load (issue 3 "Proof"): a Millrace child process takes PutRecords from eight
 * concurrent producers over HTTP/1.1 keep-alive and is killed with SIGKILL at a random moment.
 * After a restart on the same directory, every acknowledged record is there, intact, exactly
 * once, at its acknowledged sequence number, in order per shard; nothing appears that no request
 * sent, and each request's records are stored all together or not at all (one commit).
 */
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
const PRODUCERS = 8;
const BATCH = 100;
const SHARDS = 4;

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const childScript = fileURLToPath(new URL('./crash-child.js', import.meta.url));

async function startChild(dataDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(process.execPath, [childScript, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const endpoint = await new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line).endpoint));
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before serving`)));
  });
  return { child, endpoint };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function call(endpoint: string, operation: string, body: unknown): Promise<{ status: number; json: any }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL('/', endpoint),
      {
        method: 'POST',
        agent,
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': `Kinesis_20131202.${operation}`,
          Authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abc',
          'X-Amz-Date': '20240101T000000Z',
          'Content-Length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

interface Acked {
  shardId: string;
  seq: string;
}

test(`acknowledged records survive SIGKILL (seed ${SEED})`, { timeout: 30_000 }, async () => {
  const random = mulberry32(SEED);
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-crash-'));
  let running: ChildProcess | undefined;
  try {
    let { child, endpoint } = await startChild(dataDir);
    running = child;
    assert.equal((await call(endpoint, 'CreateStream', { StreamName: 'crash', ShardCount: SHARDS })).status, 200);

    const acked = new Map<string, Acked>(); // data → where it was acknowledged
    const sent = new Map<string, string[]>(); // batch id → its records' data
    const batchOrder = new Map<string, number>(); // data → position in its producer's sequence
    let stop = false;
    const producer = async (p: number) => {
      for (let b = 0; !stop; b++) {
        const batch = `p${p}b${b}`;
        const records = Array.from({ length: BATCH }, (_, i) => ({
          PartitionKey: `key-${Math.floor(random() * 1e9)}`,
          Data: Buffer.from(`${batch}r${i}:${'x'.repeat(Math.floor(random() * 64))}`).toString('base64'),
        }));
        const data = records.map((r) => Buffer.from(r.Data, 'base64').toString());
        sent.set(batch, data);
        data.forEach((d, i) => batchOrder.set(d, b * BATCH + i));
        let response;
        try {
          response = await call(endpoint, 'PutRecords', { StreamName: 'crash', Records: records });
        } catch {
          return; // the server is gone: this batch's outcome is unknown
        }
        assert.equal(response.status, 200, JSON.stringify(response.json));
        assert.equal(response.json.FailedRecordCount, 0);
        response.json.Records.forEach((r: { ShardId: string; SequenceNumber: string }, i: number) => {
          acked.set(data[i], { shardId: r.ShardId, seq: r.SequenceNumber });
        });
      }
    };
    const load = Promise.all(Array.from({ length: PRODUCERS }, (_, p) => producer(p)));
    // Kill at a random moment once some load has been acknowledged.
    const killAfter = 200 + Math.floor(random() * 1500);
    await new Promise((resolve) => setTimeout(resolve, killAfter));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    stop = true;
    await load;
    agent.destroy();
    assert.ok(acked.size > 0, 'some records were acknowledged before the kill');

    ({ child, endpoint } = await startChild(dataDir));
    running = child;
    const stored = new Map<string, Acked>();
    const seen = new Map<string, number>();
    for (let s = 0; s < SHARDS; s++) {
      const shardId = `shardId-00000000000${s}`;
      const it = await call(endpoint, 'GetShardIterator', { StreamName: 'crash', ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' });
      let iterator: string | undefined = it.json.ShardIterator;
      let previous = -1n;
      const lastOfProducer = new Map<string, number>();
      for (;;) {
        const page = await call(endpoint, 'GetRecords', { ShardIterator: iterator });
        assert.equal(page.status, 200, JSON.stringify(page.json));
        for (const record of page.json.Records) {
          const seq = BigInt(record.SequenceNumber);
          assert.ok(seq > previous, 'sequence numbers increase along the shard');
          previous = seq;
          const data = Buffer.from(record.Data, 'base64').toString();
          seen.set(data, (seen.get(data) ?? 0) + 1);
          stored.set(data, { shardId, seq: record.SequenceNumber });
          // Each producer's records keep their order within a shard.
          const producerId = data.slice(0, data.indexOf('b'));
          const position = batchOrder.get(data);
          assert.ok(position !== undefined, `stored record ${data} was sent`);
          assert.ok(position > (lastOfProducer.get(producerId) ?? -1), `order of ${producerId} in ${shardId}`);
          lastOfProducer.set(producerId, position);
        }
        iterator = page.json.NextShardIterator;
        if (page.json.Records.length === 0 && page.json.MillisBehindLatest === 0) break;
      }
    }
    for (const [data, where] of acked) {
      assert.deepEqual(stored.get(data), where, `acknowledged record ${data.slice(0, 20)} is stored where it was acknowledged`);
    }
    for (const [data, count] of seen) assert.equal(count, 1, `${data.slice(0, 20)} stored once`);
    // A request is one commit: its records are stored all together or not at all.
    for (const [batch, data] of sent) {
      const present = data.filter((d) => stored.has(d)).length;
      assert.ok(present === 0 || present === data.length, `batch ${batch}: ${present} of ${data.length} stored`);
    }
    // Sequence numbers keep increasing after the restart.
    const after = await call(endpoint, 'PutRecord', { StreamName: 'crash', PartitionKey: 'after', Data: Buffer.from('after').toString('base64') });
    const sameShard = [...stored.values()].filter((s) => s.shardId === after.json.ShardId).map((s) => BigInt(s.seq));
    assert.ok(sameShard.every((seq) => BigInt(after.json.SequenceNumber) > seq));
    console.log(`# crash seed ${SEED}: killed after ${killAfter} ms, ${acked.size} acknowledged, ${stored.size} stored`);
  } finally {
    agent.destroy();
    if (running && running.exitCode === null && running.signalCode === null) {
      running.kill('SIGKILL');
      await new Promise((resolve) => running!.once('exit', resolve));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
});
