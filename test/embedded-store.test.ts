import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLmdbStore } from '../src/store/lmdb-store.js';
import { openMemoryStore } from '../src/store/memory-store.js';
import { SealedLogError, type NewRecord, type Store, type StoredRecord } from '../src/store/store.js';

/**
 * The RecordLog contract on both embedded stores. The LMDB store keeps each append as one chunk,
 * so these cases start, stop and search inside and across chunks.
 */
const batch = (n: number, tag: string): NewRecord[] =>
  Array.from({ length: n }, (_, i) => ({ partitionKey: `pk-${tag}-${i}`, data: Buffer.from(`${tag}-${i}`) }));
const ALL = { limit: 10_000, maxBytes: 10 * 1024 * 1024, notBefore: 0 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long the concurrent readers-and-writers test runs: long enough to hit rare interleavings. */
const FOLLOW_MS = 3_000;

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function lmdbAt(dir?: string): { store: Store; dir: string } {
  const path = dir ?? mkdtempSync(join(tmpdir(), 'millrace-store-'));
  if (!dir) dirs.push(path);
  return { store: openLmdbStore({ path }), dir: path };
}

const kinds: [string, () => Store][] = [
  ['lmdb', () => lmdbAt().store],
  ['memory', () => openMemoryStore()],
];

for (const [kind, open] of kinds) {
  describe(`${kind} store: shard logs`, () => {
    test('reads start, stop and continue inside a batch', async () => {
      const store = open();
      try {
        const first = await store.records.append('s/0', batch(5, 'a'));
        const second = await store.records.append('s/0', batch(5, 'b'));
        assert.deepEqual([...first, ...second].map((r) => r.index), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        const fromMiddle = await store.records.read('s/0', 3, { ...ALL, limit: 4 });
        assert.deepEqual(fromMiddle.records.map((r) => r.data.toString()), ['a-3', 'a-4', 'b-0', 'b-1']);
        assert.equal(fromMiddle.nextIndex, 7);
        assert.equal(fromMiddle.tipIndex, 10);
        const rest = await store.records.read('s/0', fromMiddle.nextIndex, ALL);
        assert.deepEqual(rest.records.map((r) => r.partitionKey), ['pk-b-2', 'pk-b-3', 'pk-b-4']);
        assert.equal(rest.nextIndex, 10);
        // maxBytes counts data + partition key and stops inside a batch, but returns at least one.
        const bytes = await store.records.read('s/0', 1, { ...ALL, maxBytes: 2 * (3 + 6) });
        assert.deepEqual(bytes.records.map((r) => r.index), [1, 2]);
        assert.equal(bytes.nextIndex, 3);
        const one = await store.records.read('s/0', 0, { ...ALL, maxBytes: 1 });
        assert.deepEqual(one.records.map((r) => r.index), [0]);
        // Past the tip: nothing, and the position stays.
        const past = await store.records.read('s/0', 10, ALL);
        assert.deepEqual(past.records, []);
        assert.equal(past.nextIndex, 10);
        // The durable end a subscription at the tip waits at, known without a read.
        assert.equal(store.records.durableEnd?.('s/0'), 10);
        assert.equal(store.records.durableEnd?.('s/unwritten'), 0);
        const pending = store.records.append('s/0', batch(2, 'c'));
        // LMDB: not durable until its commit is flushed (the memory store has nothing to wait for).
        if (kind === 'lmdb') assert.equal(store.records.durableEnd?.('s/0'), 10);
        await pending;
        assert.equal(store.records.durableEnd?.('s/0'), 12);
      } finally {
        await store.close();
      }
    });

    test('records read earlier keep their bytes through later reads of other chunks', async () => {
      // Records are views into the chunk a read returned (no copy of their own): each read must get
      // chunks nobody else reuses, small ones (LMDB's shared read buffer) and large ones (its map).
      const store = open();
      try {
        const sizes = [16, 4_000, 90_000, 700_000, 3 * 1024 * 1024];
        for (const [i, size] of sizes.entries()) {
          await store.records.append('keep/0', [{ partitionKey: `k${i}`, data: Buffer.alloc(size, 1 + i) }]);
          await store.records.append('other/0', [{ partitionKey: `o${i}`, data: Buffer.alloc(size, 100 + i) }]);
        }
        const first = await store.records.read('keep/0', 0, { ...ALL, maxBytes: 64 * 1024 * 1024 });
        assert.equal(first.records.length, sizes.length);
        for (let round = 0; round < 3; round++) {
          for (const log of ['other/0', 'keep/0']) {
            const later = await store.records.read(log, 0, { ...ALL, maxBytes: 64 * 1024 * 1024 });
            assert.equal(later.records.length, sizes.length);
          }
        }
        for (const [i, record] of first.records.entries()) {
          assert.equal(record.data.length, sizes[i]);
          assert.ok(record.data.every((byte) => byte === 1 + i), `record ${i} (${sizes[i]} B) changed under a later read`);
          assert.equal(record.partitionKey, `k${i}`);
        }
      } finally {
        await store.close();
      }
    });

    test('readBulk (delivery\'s reads, where the store has it) returns what read returns; its records keep their bytes', async () => {
      const store = open();
      try {
        const readBulk = (store.records.readBulk ?? store.records.read).bind(store.records);
        const sizes = [16, 4_000, 90_000, 700_000, 3 * 1024 * 1024];
        for (const [i, size] of sizes.entries()) {
          await store.records.append('bulk/0', [{ partitionKey: `k${i}`, data: Buffer.alloc(size, 1 + i) }, { partitionKey: '', data: Buffer.from(`tail-${i}`), keyRef: i === 2 ? 'key-v1' : undefined }]);
          await store.records.append('bulk/1', [{ partitionKey: `o${i}`, data: Buffer.alloc(size, 100 + i) }]);
        }
        const shape = (r: { records: StoredRecord[]; nextIndex: number; tipIndex: number }) => ({
          records: r.records.map((record) => ({ ...record, data: Buffer.from(record.data) })),
          nextIndex: r.nextIndex,
          tipIndex: r.tipIndex,
        });
        for (const from of [0, 1, 3, 9, 10, 11]) {
          for (const options of [ALL, { ...ALL, limit: 3 }, { ...ALL, maxBytes: 100_000 }, { ...ALL, maxBytes: 1 }]) {
            assert.deepEqual(shape(await readBulk('bulk/0', from, options)), shape(await store.records.read('bulk/0', from, options)), `from ${from}, ${JSON.stringify(options)}`);
          }
        }
        const first = await readBulk('bulk/0', 0, { ...ALL, maxBytes: 64 * 1024 * 1024 });
        assert.equal(first.records.length, 2 * sizes.length);
        for (let round = 0; round < 3; round++) {
          for (const log of ['bulk/1', 'bulk/0']) await readBulk(log, 0, { ...ALL, maxBytes: 64 * 1024 * 1024 });
          await store.records.append('bulk/1', batch(2, `more-${round}`));
        }
        for (const [i, size] of sizes.entries()) {
          const record = first.records[2 * i];
          assert.equal(record.data.length, size);
          assert.ok(record.data.every((byte) => byte === 1 + i), `record ${i} (${size} B) changed under a later read`);
          assert.equal(first.records[2 * i + 1].data.toString(), `tail-${i}`);
        }
      } finally {
        await store.close();
      }
    });

    test('records keep their bytes, keys and key references; a 1 MiB record', async () => {
      const store = open();
      try {
        const big = Buffer.alloc(1024 * 1024, 7);
        const written: NewRecord[] = [
          { partitionKey: 'ü-key', data: Buffer.from([0, 255, 1]) },
          { partitionKey: 'k', data: Buffer.alloc(0), keyRef: 'key-v1' },
          { partitionKey: 'big', data: big },
        ];
        await store.records.append('s/1', written);
        const read = await store.records.read('s/1', 0, ALL);
        assert.deepEqual(
          read.records.map((r) => ({ partitionKey: r.partitionKey, data: Buffer.from(r.data), keyRef: r.keyRef })),
          written.map((r) => ({ partitionKey: r.partitionKey, data: r.data, keyRef: r.keyRef })),
        );
        // What a read returned stays intact after later reads and writes.
        await store.records.append('s/1', batch(3, 'later'));
        await store.records.read('s/1', 0, ALL);
        assert.deepEqual(Buffer.from(read.records[0].data), Buffer.from([0, 255, 1]));
        assert.ok(read.records[2].data.equals(big));
      } finally {
        await store.close();
      }
    });

    test('indexAtTime and retention find the first batch new enough', async () => {
      const store = open();
      try {
        const early = await store.records.append('s/2', batch(3, 'early'));
        await sleep(5);
        const late = await store.records.append('s/2', batch(3, 'late'));
        const cut = late[0].arrival;
        assert.ok(cut > early[0].arrival);
        assert.equal(await store.records.indexAtTime('s/2', 0), 0);
        assert.equal(await store.records.indexAtTime('s/2', cut), 3);
        assert.equal(await store.records.indexAtTime('s/2', cut + 60_000), 6);
        // A read from before the cut skips what is past retention.
        const live = await store.records.read('s/2', 1, { ...ALL, notBefore: cut });
        assert.deepEqual(live.records.map((r) => r.index), [3, 4, 5]);
        // Trim removes the expired batch and keeps the position.
        await store.records.trim('s/2', cut);
        assert.deepEqual((await store.records.read('s/2', 0, ALL)).records.map((r) => r.index), [3, 4, 5]);
        assert.equal(await store.records.tip('s/2'), 6);
        // Everything expired: the newest batch stays (it carries the tip), reads hide it by time.
        await store.records.trim('s/2', cut + 60_000);
        assert.equal(await store.records.tip('s/2'), 6);
        assert.deepEqual((await store.records.read('s/2', 0, { ...ALL, notBefore: cut + 60_000 })).records, []);
      } finally {
        await store.close();
      }
    });

    test('an append at or after the writes end of its log is refused, nothing stored; before it, taken', async () => {
      const store = open();
      try {
        await assert.rejects(store.records.append('s/end', batch(1, 'late'), Date.now()), SealedLogError);
        if (store.records.appendOne) await assert.rejects(store.records.appendOne('s/end', batch(1, 'late')[0], Date.now() - 1), SealedLogError);
        assert.equal(await store.records.tip('s/end'), 0);
        const taken = await store.records.append('s/end', batch(1, 'early'), Date.now() + 60_000);
        assert.equal(taken[0].index, 0);
        assert.equal((await store.records.read('s/end', 0, ALL)).records.length, 1);
      } finally {
        await store.close();
      }
    });

    test('a sealed log refuses appends; drop forgets it', async () => {
      const store = open();
      try {
        await store.records.append('s/3', batch(2, 'x'));
        assert.equal(await store.records.seal('s/3'), 2);
        await assert.rejects(store.records.append('s/3', batch(1, 'y')), SealedLogError);
        assert.equal((await store.records.read('s/3', 0, ALL)).records.length, 2);
        await store.records.drop('s/3');
        assert.deepEqual((await store.records.read('s/3', 0, ALL)).records, []);
        assert.equal(await store.records.tip('s/3'), 0);
        assert.equal((await store.records.append('s/3', batch(1, 'z')))[0].index, 0, 'a dropped log starts over');
      } finally {
        await store.close();
      }
    });
  });
}

test('lmdb store: readers following logs never step over a record while writers append concurrently', async () => {
  // Group commit under load, with readers at the durable end: a reader that is told a record is
  // durable must be able to read it. With lmdb-js's overlapping sync, a write's flush could be
  // reported before its commit, and a reader on the older snapshot jumped past the record (this
  // test failed on it in 6 runs of 6). Writers that continue at once and writers that yield a
  // turn make commits and event-turn batches interleave as they do under a real load.
  const { store } = lmdbAt();
  const logs = ['f/0', 'f/1', 'f/2', 'f/3', 'f/4', 'f/5', 'f/6', 'f/7'];
  let writing = true;
  let steppedOver = 0;
  try {
    const writers = Array.from({ length: 64 }, async (_, w) => {
      while (writing) {
        await store.records.append(logs[w % logs.length], batch(1, `w${w}`));
        if (w % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    });
    let writersDone = false;
    const allWritten = Promise.all(writers).then(() => (writersDone = true));
    // Each reader follows its log until the writers have stopped and it has read everything.
    const written = new Set<string>();
    const readers = logs.map(async (log) => {
      let position = 0;
      for (;;) {
        const doneBefore = writersDone;
        const read = await store.records.read(log, position, ALL);
        read.records.forEach((record, i) => assert.equal(record.index, position + i, `${log}: records are contiguous`));
        if (read.nextIndex > position + read.records.length) steppedOver++;
        position = read.nextIndex;
        if (read.records.length > 0) written.add(log);
        if (doneBefore && read.records.length === 0) return position;
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    await sleep(FOLLOW_MS);
    writing = false;
    await allWritten;
    const ends = await Promise.all(readers);
    assert.equal(steppedOver, 0, 'reads that moved past records they did not return');
    assert.deepEqual([...written].sort(), logs);
    for (const [l, log] of logs.entries()) assert.equal(ends[l], await store.records.tip(log), `${log} was read to its tip`);
  } finally {
    writing = false;
    await store.close();
  }
});

test('lmdb store: a reopened store continues every log where it ended, sealed or not', async () => {
  const { store, dir } = lmdbAt();
  await store.records.append('r/0', batch(3, 'a'));
  await store.records.append('r/0', batch(4, 'b'));
  await store.records.append('r/1', batch(2, 'c'));
  await store.records.seal('r/1');
  const lastArrival = (await store.records.read('r/0', 0, ALL)).records[6].arrival;
  await store.close();

  const reopened = lmdbAt(dir).store;
  try {
    assert.equal(await reopened.records.tip('r/0'), 7);
    assert.equal(reopened.records.durableEnd?.('r/0'), 7);
    const next = await reopened.records.append('r/0', batch(1, 'd'));
    assert.equal(next[0].index, 7);
    assert.ok(next[0].arrival >= lastArrival, 'arrival times never go back across a restart');
    const read = await reopened.records.read('r/0', 2, ALL);
    assert.deepEqual(read.records.map((r) => r.data.toString()), ['a-2', 'b-0', 'b-1', 'b-2', 'b-3', 'd-0']);
    await assert.rejects(reopened.records.append('r/1', batch(1, 'e')), SealedLogError);
  } finally {
    await reopened.close();
  }
});

test('lmdb store: a data directory whose name has a dot (./my.data, mktemp -d) is a directory, not a database file', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'millrace-dotted-'));
  const path = join(parent, 'my.data');
  try {
    const store = openLmdbStore({ path });
    await store.records.append('log', [{ partitionKey: 'k', data: Buffer.from('kept') }]);
    await store.close();
    const reopened = openLmdbStore({ path });
    const read = await reopened.records.read('log', 0, { limit: 10, maxBytes: 1 << 20, notBefore: 0 });
    assert.deepEqual(read.records.map((r) => r.data.toString()), ['kept']);
    await reopened.close();
    assert.ok(existsSync(join(path, 'data.mdb')), 'the store lives inside the directory');
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});
