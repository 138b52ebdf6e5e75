import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openNatsStore, natsServers } from '../src/store/nats-store.js';
import { SealedLogError, type Store, type StoredRecord } from '../src/store/store.js';
import { AwsError } from '../src/protocol/errors.js';
import { decodeKey, encodeKey, keyFilter } from '../src/store/nats/names.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';

const skip = natsServerMissing();
if (skip) console.log(`# skipping NATS store tests: ${skip}`);

const records = (n: number, tag = 'r') =>
  Array.from({ length: n }, (_, i) => ({ partitionKey: `pk-${tag}-${i}`, data: Buffer.from(`${tag}-${i}`) }));
const ALL = { limit: 10_000, maxBytes: 10 * 1024 * 1024, notBefore: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('metadata keys are encoded reversibly for NATS subjects', () => {
  for (const key of ['stream/000000000000/us-east-1/my.stream_1', 'a//b/', '/x', 'consumer/arn:aws:kinesis:eu-west-1:1:stream/s/consumer/c:1', 'ü*>. x']) {
    const encoded = encodeKey(key);
    assert.match(encoded, /^[A-Za-z0-9_.-]+$/);
    assert.doesNotMatch(encoded, /(^\.|\.\.|\.$)/);
    assert.equal(decodeKey(encoded), key);
  }
  assert.equal(keyFilter('stream/000000000000/'), 'stream.000000000000.>');
  assert.equal(keyFilter('stream'), '>');
  assert.deepEqual(natsServers('nats://127.0.0.1:4222,10.0.0.2:4222'), ['nats://127.0.0.1:4222', 'nats://10.0.0.2:4222']);
  assert.throws(() => natsServers('http://x'), /--store takes nats:\/\/HOST:PORT/);
});

describe('NATS JetStream store over a 3-node cluster', { skip, timeout: 90_000 }, () => {
  let cluster: NatsCluster;
  let a: Store;
  let b: Store;

  before(async () => {
    cluster = await NatsCluster.start(3);
    a = await openNatsStore({ url: cluster.url, replicas: 3 });
    b = await openNatsStore({ url: cluster.url, replicas: 3 });
  });

  after(async () => {
    await a?.close().catch(() => {});
    await b?.close().catch(() => {});
    await cluster?.stop();
  });

  test('metadata: compare-and-set, list by prefix in key order, delete', async () => {
    const key = 'stream/000000000000/us-east-1/orders.v1';
    const r1 = await a.meta.put(key, { n: 1, at: new Date(5), blob: Buffer.from('x'), gone: undefined }, 0);
    assert.ok(r1 && r1 > 0);
    assert.equal(await b.meta.put(key, { n: 2 }, 0), undefined, 'create of an existing key conflicts');
    assert.equal(await b.meta.put(key, { n: 2 }, r1 + 1000), undefined, 'stale revision conflicts');
    const got = await b.meta.get<{ n: number; at: Date; blob: Uint8Array }>(key);
    assert.equal(got?.revision, r1);
    assert.equal(got?.value.n, 1);
    assert.equal(got?.value.at.getTime(), 5);
    assert.equal(Buffer.from(got!.value.blob).toString(), 'x');
    const r2 = await b.meta.put(key, { n: 2 }, r1);
    assert.ok(r2 && r2 > r1);
    assert.equal(await a.meta.put(key, { n: 3 }, r1), undefined, 'the loser of a race sees a conflict');

    await a.meta.put('stream/000000000000/us-east-1/a_b', { n: 0 }, 0);
    await a.meta.put('stream/000000000000/eu-west-1/z', { n: 0 }, 0);
    await a.meta.put('streamx/other', { n: 0 }, 0);
    const listed = await b.meta.list('stream/000000000000/us-east-1/');
    assert.deepEqual(listed.map((e) => e.key), ['stream/000000000000/us-east-1/a_b', key]);
    assert.deepEqual((await b.meta.list('stream/')).map((e) => e.key), [
      'stream/000000000000/eu-west-1/z',
      'stream/000000000000/us-east-1/a_b',
      key,
    ]);

    assert.equal(await a.meta.delete(key, r1), false, 'delete at a stale revision');
    assert.equal(await a.meta.delete(key, r2!), true);
    assert.equal(await b.meta.get(key), undefined);
    assert.equal((await b.meta.list('stream/000000000000/us-east-1/')).length, 1);
    assert.ok((await b.meta.put(key, { n: 4 }, 0)) !== undefined, 'a deleted key can be created again');
  });

  test('metadata: two nodes racing to create, update or delete one key, exactly one wins', async () => {
    // nats-server before 2.10 let both of two concurrent per-key conditional writes through
    // (nats-server#4320); these rounds caught it on 2.9.10.
    for (let round = 0; round < 20; round++) {
      const key = `race/${round}`;
      const created = await Promise.all([a.meta.put(key, 'a', 0), b.meta.put(key, 'b', 0)]);
      assert.equal(created.filter((r) => r !== undefined).length, 1, `round ${round}, create: ${created}`);
      const revision = created.find((r) => r !== undefined)!;
      const updated = await Promise.all([a.meta.put(key, 'a2', revision), b.meta.put(key, 'b2', revision)]);
      assert.equal(updated.filter((r) => r !== undefined).length, 1, `round ${round}, update: ${updated}`);
      const current = updated.find((r) => r !== undefined)!;
      const deleted = await Promise.all([a.meta.delete(key, current), b.meta.delete(key, current)]);
      assert.deepEqual(deleted.filter(Boolean), [true], `round ${round}, delete: ${deleted}`);
      assert.equal(await a.meta.get(key), undefined);
    }
  });

  test('records: positions, arrival order, reads with limits, tip', async () => {
    const log = 'stream-1/0';
    assert.equal(await a.records.tip(log), 0);
    assert.deepEqual(await a.records.read(log, 0, ALL), { records: [], nextIndex: 0, tipIndex: 0 });
    const first = await a.records.append(log, records(3, 'a'));
    const second = await b.records.append(log, records(2, 'b'));
    const stored = [...first, ...second];
    for (let i = 1; i < stored.length; i++) {
      assert.ok(stored[i].index > stored[i - 1].index, 'indexes strictly increase');
      assert.ok(stored[i].arrival >= stored[i - 1].arrival, 'arrival never goes back');
    }
    const tip = await b.records.tip(log);
    assert.ok(tip > stored.at(-1)!.index);

    const all = await b.records.read(log, 0, ALL);
    assert.deepEqual(all.records, stored);
    assert.equal(all.nextIndex, tip);
    assert.equal(all.tipIndex, tip);
    assert.equal(all.lastArrival, stored.at(-1)!.arrival);

    const page1 = await a.records.read(log, 0, { ...ALL, limit: 2 });
    assert.deepEqual(page1.records, stored.slice(0, 2));
    const page2 = await a.records.read(log, page1.nextIndex, { ...ALL, limit: 2 });
    assert.deepEqual(page2.records, stored.slice(2, 4));
    const page3 = await a.records.read(log, page2.nextIndex, ALL);
    assert.deepEqual(page3.records, stored.slice(4));
    assert.equal(page3.nextIndex, tip);

    const afterSecond = await a.records.read(log, stored[1].index + 1, ALL);
    assert.deepEqual(afterSecond.records, stored.slice(2));
    const oneByBytes = await a.records.read(log, 0, { ...ALL, maxBytes: 1 });
    assert.deepEqual(oneByBytes.records, stored.slice(0, 1), 'at least one record even over the byte budget');
    const none = await a.records.read(log, tip, ALL);
    assert.deepEqual(none.records, []);
    assert.equal(none.nextIndex, tip);
    const fresh = await a.records.read(log, 0, { ...ALL, notBefore: stored.at(-1)!.arrival + 1 });
    assert.deepEqual(fresh.records, []);
    assert.equal(fresh.nextIndex, tip, 'records past retention are passed over');
  });

  test('records: concurrent appends from two nodes keep one order', async () => {
    const log = 'stream-2/0';
    const batches = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).records.append(log, records(1 + (i % 3), `c${i}`))),
    );
    const stored = batches.flat().sort((x, y) => x.index - y.index);
    assert.equal(new Set(stored.map((r) => r.index)).size, stored.length, 'no index given twice');
    const read = await a.records.read(log, 0, ALL);
    assert.deepEqual(read.records, stored);
    for (let i = 1; i < read.records.length; i++) assert.ok(read.records[i].arrival >= read.records[i - 1].arrival);
  });

  test('records: indexAtTime, seal across nodes, trim, drop', async () => {
    const log = 'stream-3/0';
    const early = await a.records.append(log, records(2, 'early'));
    await sleep(30);
    const late = await a.records.append(log, records(2, 'late'));
    assert.equal(await b.records.indexAtTime(log, 0), early[0].index);
    assert.equal(await b.records.indexAtTime(log, late[0].arrival), late[0].index);
    assert.equal(await b.records.indexAtTime(log, late[1].arrival + 1), await b.records.tip(log));

    const tipBefore = await b.records.tip(log);
    await assert.rejects(a.records.append(log, records(1), Date.now()), SealedLogError, 'past its writes end, the log takes nothing');
    assert.equal(await b.records.tip(log), tipBefore);

    const sealedAt = await b.records.seal(log);
    assert.equal(sealedAt, await a.records.tip(log));
    await assert.rejects(a.records.append(log, records(1)), SealedLogError, 'a node that appended before sees the seal');
    await assert.rejects(b.records.append(log, records(1)), SealedLogError);
    assert.equal(await a.records.seal(log), sealedAt, 'sealing again changes nothing');
    const read = await a.records.read(log, 0, ALL);
    assert.deepEqual(read.records, [...early, ...late]);
    assert.equal(read.nextIndex, sealedAt, 'a reader reaches the sealed tip');

    await b.records.trim(log, late[0].arrival);
    const trimmed = await a.records.read(log, 0, ALL);
    assert.deepEqual(trimmed.records, late);
    await b.records.trim(log, late[1].arrival + 1);
    assert.deepEqual((await a.records.read(log, 0, ALL)).records, []);
    await assert.rejects(a.records.append(log, records(1)), SealedLogError, 'still sealed once everything expired');
    assert.equal(await a.records.tip(log), sealedAt);

    await a.records.drop(log);
    assert.equal(await b.records.tip(log), 0);
    assert.deepEqual((await b.records.read(log, 0, ALL)).records, []);
  });

  test('records: a concurrent seal and appends — every acknowledged record precedes the seal', async () => {
    const log = 'stream-4/0';
    await a.records.append(log, records(1));
    const appends = Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).records.append(log, records(1, `s${i}`)).catch((e) => e));
    await sleep(5);
    const sealedAt = await b.records.seal(log);
    const outcomes = await Promise.all(appends);
    const acknowledged = outcomes.filter((o): o is StoredRecord[] => Array.isArray(o)).flat();
    for (const o of outcomes) if (!Array.isArray(o)) assert.ok(o instanceof SealedLogError, String(o));
    for (const r of acknowledged) assert.ok(r.index < sealedAt);
    const read = await a.records.read(log, 0, ALL);
    assert.equal(read.records.length, acknowledged.length + 1);
  });

  test('records: a large batch over several messages, a 1 MiB record', async () => {
    const log = 'stream-5/0';
    const big = Array.from({ length: 12 }, (_, i) => ({ partitionKey: `k${i}`, data: Buffer.alloc(1024 * 1024, i) }));
    const stored = await a.records.append(log, big);
    const read = await b.records.read(log, 0, { ...ALL, maxBytes: 50 * 1024 * 1024 });
    assert.deepEqual(read.records, stored);
  });

  test('watch: an append through one node wakes watchers on the other', async () => {
    const log = 'stream-6/0';
    let woke = 0;
    const wake = new Promise<void>((resolve) => {
      const stop = b.records.watch(log, () => {
        woke++;
        stop();
        resolve();
      });
    });
    await sleep(50);
    await a.records.append(log, records(1));
    await wake;
    assert.equal(woke, 1);
  });

  test('an unreachable cluster: 503 ServiceUnavailable, never an acknowledgement', async () => {
    for (const node of cluster.nodes) await cluster.kill(node.name);
    const err = await a.records.append('stream-7/0', records(1)).then(
      () => assert.fail('acknowledged without a cluster'),
      (e) => e,
    );
    assert.ok(err instanceof AwsError, String(err));
    assert.equal(err.type, 'ServiceUnavailable');
    assert.equal(err.status, 503);
    assert.match(err.message, /^The NATS JetStream cluster is unavailable: /);
    const metaErr = await a.meta.get('stream/x').catch((e) => e);
    assert.equal(metaErr.type, 'ServiceUnavailable');
  });
});
