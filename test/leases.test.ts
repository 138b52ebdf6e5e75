import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Leases, type HeldLease, type Lease, type LeasedWork } from '../src/leases/leases.js';
import { LEASE_TTL_MS, RENEW_INTERVAL_MS, SCAN_INTERVAL_MS, TAKEOVER_BOUND_MS, leaseKey, type LeaseRecord } from '../src/leases/lease-record.js';
import { LeaseLostError, ProgressMovedError, type ProgressRecord } from '../src/leases/progress.js';
import { openMemoryStore } from '../src/store/memory-store.js';
import { openLmdbStore } from '../src/store/lmdb-store.js';
import { openNatsStore } from '../src/store/nats-store.js';
import type { Store } from '../src/store/store.js';
import { startMillrace } from '../src/server.js';
import { MAINTENANCE_LEASE } from '../src/kinesis/background.js';
import { LIFECYCLE_LEASE } from '../src/firehose/background.js';
import { LIFECYCLE_LEASE as ANALYTICS_LIFECYCLE_LEASE } from '../src/analytics/background.js';
import { LIFECYCLE_LEASE as VIDEO_LIFECYCLE_LEASE } from '../src/video/background.js';
import { NatsCluster, natsServerMissing } from './nats-cluster.js';
import { COUNTER_LEASE, COUNTER_PROGRESS } from './lease-child.js';
import { sleep } from './helpers.js';

/** Lets the work a pass started run up to its first await. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A fake clock the schedulers are timed by: passes are driven by `tick()`, never by timers. */
class Clock {
  t = 1_700_000_000_000;
  now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Work that runs until aborted and remembers each run's lease. */
function recordingWork() {
  const runs: Lease[] = [];
  const work: LeasedWork = async (lease) => {
    runs.push(lease);
    await new Promise((resolve) => lease.signal.addEventListener('abort', resolve, { once: true }));
  };
  return { runs, work };
}

const stores: { kind: string; open(): { store: Store; cleanup(): Promise<void> } }[] = [
  { kind: 'memory', open: () => ({ store: openMemoryStore(), cleanup: async () => {} }) },
  {
    kind: 'lmdb',
    open: () => {
      const dir = mkdtempSync(join(tmpdir(), 'millrace-leases-'));
      const store = openLmdbStore({ path: dir });
      return { store, cleanup: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
    },
  },
];

for (const { kind, open } of stores) {
  describe(`work leases over the ${kind} store`, () => {
    let store: Store;
    let cleanup: () => Promise<void>;
    let clock: Clock;
    const schedulers: Leases[] = [];
    const node = (name: string, options: { exclusive?: boolean } = {}) => {
      const leases = new Leases(store.meta, { node: name, now: clock.now, ...options });
      schedulers.push(leases);
      return leases;
    };
    const record = async (name: string) => (await store.meta.get<LeaseRecord>(leaseKey(name)))!;

    // A store of its own for every test: no lease or presence of one test is seen by the next.
    beforeEach(() => ({ store, cleanup } = open()));
    afterEach(async () => {
      for (const leases of schedulers.splice(0)) await leases.stop();
      await cleanup();
    });

    test('acquire, renew, release on stop; the term grows with every acquisition', async () => {
      clock = new Clock();
      const a = node('node-a');
      const { runs, work } = recordingWork();
      a.register('acquire/w', work);
      await a.tick();
      await settle();
      assert.equal(runs.length, 1);
      assert.equal(runs[0].term, 1);
      assert.deepEqual(a.held(), [{ name: 'acquire/w', term: 1, acquiredAt: clock.t, expiresAt: clock.t + LEASE_TTL_MS }]);
      const taken = await record('acquire/w');
      assert.deepEqual(taken.value, { owner: 'node-a', term: 1, acquiredAt: clock.t, expiresAt: clock.t + LEASE_TTL_MS });

      clock.advance(RENEW_INTERVAL_MS);
      await a.tick();
      const renewed = await record('acquire/w');
      assert.equal(renewed.value.expiresAt, clock.t + LEASE_TTL_MS);
      assert.equal(renewed.value.term, 1);
      assert.ok(renewed.revision > taken.revision);
      assert.equal(runs[0].signal.aborted, false);

      await a.stop();
      assert.equal(runs[0].signal.aborted, true);
      assert.ok(runs[0].signal.reason instanceof LeaseLostError);
      const released = await record('acquire/w');
      assert.deepEqual(released.value, { ...renewed.value, owner: '', expiresAt: 0 });

      // The next holder (here another node, at once: the lease is free, not merely expired) gets term 2.
      const b = node('node-b');
      const second = recordingWork();
      b.register('acquire/w', second.work);
      await b.tick();
      await settle();
      assert.equal(second.runs[0].term, 2);
      assert.equal((await record('acquire/w')).value.owner, 'node-b');
      await b.stop();
    });

    test('a renewal that finds another revision aborts the work at once', async () => {
      clock = new Clock();
      const a = node('node-a');
      const { runs, work } = recordingWork();
      a.register('conflict/w', work);
      await a.tick();
      await settle();
      const current = await record('conflict/w');
      // Another writer got there (as a node that took the lease would).
      assert.ok(await store.meta.put<LeaseRecord>(leaseKey('conflict/w'), { ...current.value, owner: 'intruder', term: 2 }, current.revision));
      clock.advance(RENEW_INTERVAL_MS);
      await a.tick();
      assert.equal(runs[0].signal.aborted, true);
      assert.match(String(runs[0].signal.reason), /another node took it/);
      assert.deepEqual(a.held(), []);
      await a.stop();
      // Stopping does not release a lease this node no longer holds.
      assert.equal((await record('conflict/w')).value.owner, 'intruder');
    });

    test('a second node takes over an expired lease; the old term can no longer checkpoint', async () => {
      clock = new Clock();
      const a = node('node-a');
      const b = node('node-b');
      const onA = recordingWork();
      const onB = recordingWork();
      a.register('takeover/w', onA.work);
      b.register('takeover/w', onB.work);
      await a.tick();
      await b.tick();
      await settle();
      assert.equal(onA.runs.length, 1);
      assert.equal(onB.runs.length, 0, 'a held lease is not taken');
      await onA.runs[0].checkpoint('progress/takeover', { done: 7 });

      // Node A stops renewing (paused, partitioned); once the lease has expired node B takes it.
      clock.advance(LEASE_TTL_MS - 1);
      await b.tick();
      assert.equal(onB.runs.length, 0, 'not before expiresAt');
      clock.advance(SCAN_INTERVAL_MS); // B's next scan, after expiresAt
      await b.tick();
      await settle();
      assert.equal(onB.runs.length, 1);
      assert.equal(onB.runs[0].term, 2);
      assert.deepEqual(await onB.runs[0].progress('progress/takeover'), { done: 7 });

      // Node A wakes up: its checkpoint is refused, and its next pass aborts its work.
      await assert.rejects(onA.runs[0].checkpoint('progress/takeover', { done: 8 }), (err: Error) => {
        assert.ok(err instanceof LeaseLostError);
        assert.match(err.message, /term 1 is over \(held by node-b in term 2\)/);
        return true;
      });
      await a.tick();
      assert.equal(onA.runs[0].signal.aborted, true);
      await onB.runs[0].checkpoint('progress/takeover', { done: 8 });
      const progress = await store.meta.get<ProgressRecord<{ done: number }>>('progress/takeover');
      assert.deepEqual(progress!.value, { term: 2, value: { done: 8 } });
      await a.stop();
      await b.stop();
    });

    test('checkpoint refuses a write based on progress a late writer changed since it was read', async () => {
      clock = new Clock();
      const a = node('node-a');
      const { runs, work } = recordingWork();
      a.register('moved/w', work);
      await a.tick();
      await settle();
      assert.equal(await runs[0].progress('progress/moved'), undefined);
      // A late write of an earlier term lands after this holder read the key.
      assert.ok(await store.meta.put<ProgressRecord<number>>('progress/moved', { term: 0, value: 5 }, 0));
      await assert.rejects(runs[0].checkpoint('progress/moved', 1), ProgressMovedError);
      assert.equal(await runs[0].progress('progress/moved'), 5);
      await runs[0].checkpoint('progress/moved', 6);
      assert.deepEqual((await store.meta.get('progress/moved'))!.value, { term: 1, value: 6 });
      await a.stop();
    });

    test('a lease that is not renewed in time stops its work before it expires', async () => {
      clock = new Clock();
      const failing = node('node-a');
      const { runs, work } = recordingWork();
      failing.register('lapse/w', work);
      await failing.tick();
      await settle();
      // No pass ran for most of the TTL (a stalled store): the watchdog's check gives the work up.
      clock.advance(LEASE_TTL_MS - 1_000);
      await failing.tick();
      assert.equal(runs[0].signal.aborted, true);
      assert.match(String(runs[0].signal.reason), /not renewed in time/);
      await failing.stop();
    });

    test('work registered and unregistered at runtime', async () => {
      clock = new Clock();
      const a = node('node-a');
      const { runs, work } = recordingWork();
      await a.tick();
      a.register('runtime/w', work);
      assert.throws(() => a.register('runtime/w', work), /registered already/);
      await a.tick();
      await settle();
      assert.equal(runs.length, 1);
      await a.unregister('runtime/w');
      assert.equal(runs[0].signal.aborted, true);
      assert.equal((await record('runtime/w')).value.owner, '');
      assert.deepEqual(a.held(), []);
      await a.stop();
    });

    test('work that ends on its own hands its lease back and runs again a scan later', async () => {
      clock = new Clock();
      const a = node('node-a');
      const terms: number[] = [];
      a.register('ends/w', async (lease) => {
        terms.push(lease.term);
        if (terms.length === 1) throw new Error('failed once');
      });
      await a.tick();
      await settle();
      await a.tick(); // the release queued behind the pass
      assert.deepEqual(terms, [1]);
      assert.equal((await record('ends/w')).value.owner, '');
      clock.advance(SCAN_INTERVAL_MS);
      await a.tick();
      await settle();
      assert.deepEqual(terms, [1, 2]);
    });

    test('a holder whose clock runs slow (expiresAt far ahead) loses a lease it stopped renewing', async () => {
      clock = new Clock();
      const farAhead = clock.t + 3_600_000;
      assert.ok(await store.meta.put<LeaseRecord>(leaseKey('skew/w'), { owner: 'slow-clock', term: 3, acquiredAt: clock.t, expiresAt: farAhead }, 0));
      const b = node('node-b');
      const { runs, work } = recordingWork();
      b.register('skew/w', work);
      await b.tick();
      clock.advance(LEASE_TTL_MS - 1);
      await b.tick();
      assert.equal(runs.length, 0, 'unchanged for less than a TTL: still held');
      clock.advance(SCAN_INTERVAL_MS);
      await b.tick();
      await settle();
      assert.equal(runs[0]?.term, 4);
    });

    test('reconcile registers the listed names under a prefix and unregisters the rest', async () => {
      clock = new Clock();
      const a = node('node-a');
      const started: string[] = [];
      const perName = (name: string): LeasedWork => async (lease) => {
        started.push(name);
        await new Promise((resolve) => lease.signal.addEventListener('abort', resolve, { once: true }));
      };
      a.register('other/kept', recordingWork().work);
      await a.reconcile('delivery/', ['delivery/a', 'delivery/b'], perName);
      await a.tick();
      await settle();
      assert.deepEqual(started.sort(), ['delivery/a', 'delivery/b']);
      await a.reconcile('delivery/', ['delivery/b', 'delivery/c'], perName);
      assert.deepEqual(a.registered(), ['delivery/b', 'delivery/c', 'other/kept']);
      assert.equal((await record('delivery/a')).value.owner, '', 'the lease of a name gone is released');
    });

    test('leases spread over the nodes: a node that joins later gets its share', async () => {
      clock = new Clock();
      const names = ['spread/1', 'spread/2', 'spread/3', 'spread/4'];
      const a = node('node-a');
      const b = node('node-b');
      for (const name of names) a.register(name, recordingWork().work);
      await a.tick();
      assert.equal(a.held().length, 4, 'alone, node A takes everything');
      for (const name of names) b.register(name, recordingWork().work);
      const counts = () => [a.held().length, b.held().length];
      for (let round = 0; round < 40 && counts().join() !== '2,2'; round++) {
        clock.advance(SCAN_INTERVAL_MS);
        await a.tick();
        await b.tick();
        await settle();
      }
      assert.deepEqual(counts(), [2, 2]);
      const holders = new Set([...a.held(), ...b.held()].map((l) => l.name));
      assert.equal(holders.size, 4, 'each lease on exactly one node');
      for (let round = 0; round < 10; round++) {
        clock.advance(SCAN_INTERVAL_MS);
        await a.tick();
        await b.tick();
      }
      assert.deepEqual(counts(), [2, 2], 'a balanced share stays put');
      // Node A stops: node B takes A's leases at its next scan, long before they would have expired.
      await a.stop();
      clock.advance(SCAN_INTERVAL_MS);
      await b.tick();
      assert.deepEqual(b.held().map((l) => l.name), names);
      await b.stop();
    });

    test('over an embedded store (exclusive) a lease left by an earlier process is taken at once', async () => {
      clock = new Clock();
      assert.ok(
        await store.meta.put<LeaseRecord>(leaseKey('exclusive/w'), { owner: 'earlier-process', term: 5, acquiredAt: clock.t, expiresAt: clock.t + LEASE_TTL_MS }, 0),
      );
      const a = node('node-a', { exclusive: true });
      const { runs, work } = recordingWork();
      a.register('exclusive/w', work);
      await a.tick();
      await settle();
      assert.equal(runs[0]?.term, 6);
      await a.stop();
    });
  });
}

/** The leases every server registers at start (Kinesis maintenance; Firehose, Analytics and Video lifecycles). */
const SERVER_LEASES = [MAINTENANCE_LEASE, LIFECYCLE_LEASE, ANALYTICS_LIFECYCLE_LEASE, VIDEO_LIFECYCLE_LEASE];

function getJson(endpoint: string, path: string): Promise<any> {
  return new Promise((resolve, reject) => {
    // No keep-alive: a node's shutdown does not wait on the test's connection.
    const req = http.get(new URL(path, endpoint), { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString()));
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

test('an embedded node holds the Kinesis maintenance lease at once and shows it on the health page', async () => {
  const server = await startMillrace({ port: 0, host: '127.0.0.1', memory: true, logLevel: 'silent' });
  try {
    let health: any;
    for (let i = 0; i < 100; i++) {
      health = await getJson(server.endpoint, '/_millrace/health');
      if (health.leases.length >= SERVER_LEASES.length) break;
      await sleep(20);
    }
    assert.equal(health.node, server.leases.node);
    assert.deepEqual(
      health.leases.map((l: HeldLease) => [l.name, l.term]).sort(),
      SERVER_LEASES.map((name) => [name, 1]).sort(),
    );
    assert.ok(health.leases[0].expiresAt > health.leases[0].acquiredAt);
  } finally {
    await server.close();
  }
});

const skip = natsServerMissing();
if (skip) console.log(`# skipping distributed lease tests: ${skip}`);

const childScript = fileURLToPath(new URL('./lease-child.js', import.meta.url));

interface Child {
  process: ChildProcess;
  endpoint: string;
  node: string;
}

describe('leases across Millrace nodes over a 3-node JetStream cluster', { skip, timeout: 180_000 }, () => {
  let cluster: NatsCluster;
  let store: Store;
  const children: Child[] = [];

  async function startChild(): Promise<Child> {
    const child = spawn(process.execPath, [childScript, cluster.url], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    const started = await new Promise<{ endpoint: string; node: string }>((resolve, reject) => {
      lines.once('line', (line) => resolve(JSON.parse(line)));
      child.once('exit', (code) => reject(new Error(`lease child exited with ${code} before serving`)));
    });
    const entry = { process: child, ...started };
    children.push(entry);
    return entry;
  }

  const held = async (child: Child): Promise<HeldLease[]> => (await getJson(child.endpoint, '/_millrace/health')).leases;
  const holds = async (child: Child, name: string) => (await held(child)).find((l) => l.name === name);
  const progress = async () => (await store.meta.get<ProgressRecord<number[]>>(COUNTER_PROGRESS))?.value.value ?? [];

  /** Polls until `check` answers, or fails once `deadline` (epoch ms) has passed. */
  async function until<T>(what: string, deadline: number, check: () => Promise<T | undefined>): Promise<T> {
    for (;;) {
      const found = await check().catch(() => undefined);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${what}: not by the deadline\n${cluster.logTail(10)}`);
      await sleep(100);
    }
  }

  /**
   * Every lease placed, spread as evenly as it goes (the servers' own leases and the counter over
   * two nodes: two and one), so that nothing moves on its own.
   */
  async function balanced(nodes: Child[]): Promise<Child> {
    const all = [...SERVER_LEASES, COUNTER_LEASE];
    const most = Math.ceil(all.length / nodes.length);
    await until('every lease placed, evenly', Date.now() + 60_000, async () => {
      const counts = await Promise.all(nodes.map(async (n) => (await held(n)).length));
      const total = counts.reduce((a, b) => a + b, 0);
      return (total === all.length && counts.every((c) => c >= 1 && c <= most)) || undefined;
    });
    const names = (await Promise.all(nodes.map(held))).flat().map((l) => l.name);
    assert.deepEqual(names.sort(), all.sort(), 'each lease on exactly one node');
    for (const n of nodes) if (await holds(n, COUNTER_LEASE)) return n;
    throw new Error('nobody holds the counter lease');
  }

  before(async () => {
    cluster = await NatsCluster.start(3);
  });

  after(async () => {
    for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await store?.close();
    await cluster?.stop();
  });

  test('kill -9 of the holder: another node takes the lease within the bound and resumes from the last checkpoint', async (t) => {
    const first = await startChild();
    const second = await startChild();
    store = await openNatsStore({ url: cluster.url, replicas: 3 });
    for (const child of [first, second]) assert.equal((await getJson(child.endpoint, '/_millrace/health')).node, child.node);
    assert.notEqual(first.node, second.node);
    const holder = await balanced([first, second]);
    const survivor = holder === first ? second : first;
    const before = (await holds(holder, COUNTER_LEASE))!;
    await until('a few checkpoints', Date.now() + 30_000, async () => (await progress()).length >= 5 || undefined);

    const exited = new Promise((resolve) => holder.process.once('exit', resolve));
    holder.process.kill('SIGKILL');
    const killedAt = Date.now();
    await exited;
    const lastCheckpoint = await progress();
    assert.ok(lastCheckpoint.every((term) => term <= before.term));

    const taken = await until('take-over by the surviving node', killedAt + TAKEOVER_BOUND_MS, () => holds(survivor, COUNTER_LEASE));
    t.diagnostic(`taken over ${Date.now() - killedAt} ms after the kill (bound ${TAKEOVER_BOUND_MS} ms)`);
    assert.ok(taken.term > before.term);
    // The survivor runs every lease now, the maintenance sweep included.
    await until('the maintenance lease on the survivor', killedAt + TAKEOVER_BOUND_MS, () => holds(survivor, MAINTENANCE_LEASE));

    const resumed = await until('checkpoints of the new term', Date.now() + 30_000, async () => {
      const steps = await progress();
      return steps.length >= lastCheckpoint.length + 3 ? steps : undefined;
    });
    // Nothing the dead holder checkpointed is lost, and the new term continues right after it.
    assert.deepEqual(resumed.slice(0, lastCheckpoint.length), lastCheckpoint);
    assert.deepEqual(new Set(resumed.slice(lastCheckpoint.length)), new Set([taken.term]));
  });

  test('a clean shutdown hands the lease over at once, long before it would have expired', async (t) => {
    const survivor = children.find((c) => c.process.exitCode === null && c.process.signalCode === null)!;
    const third = await startChild();
    const holder = await balanced([survivor, third]);
    const other = holder === survivor ? third : survivor;
    const before = (await holds(holder, COUNTER_LEASE))!;
    const stepsBefore = await progress();

    const exited = new Promise<number | null>((resolve) => holder.process.once('exit', resolve));
    holder.process.kill('SIGTERM');
    const stoppedAt = Date.now();
    const taken = await until('hand-over on SIGTERM', before.expiresAt + SCAN_INTERVAL_MS, () => holds(other, COUNTER_LEASE));
    t.diagnostic(`handed over ${Date.now() - stoppedAt} ms after SIGTERM; the old lease had ${before.expiresAt - stoppedAt} ms left`);
    assert.equal(await exited, 0);
    assert.ok(taken.term > before.term);
    // Taken while the old record still had time left: it was released, not left to expire.
    assert.ok(taken.acquiredAt < before.expiresAt, `taken at ${taken.acquiredAt}, the old lease ran until ${before.expiresAt}`);

    const resumed = await until('checkpoints after the hand-over', Date.now() + 30_000, async () => {
      const steps = await progress();
      return steps.at(-1) === taken.term && steps.length >= stepsBefore.length + 2 ? steps : undefined;
    });
    assert.deepEqual(resumed.slice(0, stepsBefore.length), stepsBefore);
    const terms = resumed.slice(stepsBefore.length);
    assert.ok(terms.every((t) => t === before.term || t === taken.term) && terms.indexOf(taken.term) >= 0);
    assert.deepEqual([...terms].sort((x, y) => x - y), terms, 'the old term stopped before the new one began');
  });
});
