import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileJob, VirtualClock, type JobState, type SinkRecord } from '../src/analytics/sql/index.js';
import { BID_DDL, bidRecord, lines, run, text } from './analytics-sql-fixtures.js';

const TUMBLE_SUM = `${BID_DDL}
  CREATE TABLE out (window_start TIMESTAMP(3), total DECIMAL(10, 2), n BIGINT) WITH ('connector' = 'print');
  INSERT INTO out SELECT window_start, SUM(price), COUNT(*)
  FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
  GROUP BY window_start, window_end;`;

describe('Flink SQL engine: watermarks across shards', () => {
  it('the watermark is the minimum over shards: a lagging shard holds windows back', () => {
    const { job, out } = run(TUMBLE_SUM);
    const bid = job.sources.Bid!;
    bid.addShard('shard-b'); // the reader knows both shards before either has records
    bid.push([bidRecord('08:01', 1, 'A', 's'), bidRecord('08:12', 2, 'B', 's')], 'shard-a');
    bid.push([bidRecord('08:03', 4, 'C', 's')], 'shard-b');
    assert.equal(out.out!.length, 0, 'shard-b is at 08:03 - 1 s');
    assert.equal(bid.currentWatermark(), Date.parse('2020-04-15T08:02:59Z'));
    bid.push([bidRecord('08:10', 8, 'D', 's')], 'shard-b');
    assert.equal(out.out!.length, 0, 'min(08:11:59, 08:09:59) has not passed 08:09:59.999');
    bid.push([bidRecord('08:11', 8, 'E', 's')], 'shard-b');
    assert.deepEqual(lines(out.out), ['+I[2020-04-15T08:00, 5.00, 2]']);
  });

  it('an announced shard without data holds the watermark back until table.exec.source.idle-timeout', () => {
    const { job, out, clock } = run(`SET 'table.exec.source.idle-timeout' = '5 s';\n${TUMBLE_SUM}`, 1_000_000);
    const bid = job.sources.Bid!;
    bid.addShard('shard-b');
    bid.push([bidRecord('08:01', 1, 'A', 's'), bidRecord('08:12', 2, 'B', 's')], 'shard-a');
    job.advance(clock.now() + 4_999);
    assert.equal(out.out!.length, 0);
    // shard-a was active 4.999 s ago, shard-b never: at +5 s both are idle, so the watermark does not move…
    bid.push([bidRecord('08:13', 1, 'C', 's')], 'shard-a');
    job.advance(clock.now() + 1);
    // …but shard-a just became active again: shard-b is idle and no longer counts
    assert.deepEqual(lines(out.out), ['+I[2020-04-15T08:00, 1.00, 1]']);
    // an idle shard that gets data counts again, but the watermark never goes back
    bid.push([bidRecord('08:05', 1, 'late', 's')], 'shard-b');
    assert.equal(job.metrics.lateRowsDropped, 1);
  });

  it('without an idle timeout an empty shard blocks forever; markIdle() releases it', () => {
    const { job, out } = run(TUMBLE_SUM, 0);
    const bid = job.sources.Bid!;
    bid.addShard('shard-b');
    bid.push([bidRecord('08:01', 1, 'A', 's'), bidRecord('08:12', 2, 'B', 's')], 'shard-a');
    job.advance(10 * 3_600_000);
    assert.equal(out.out!.length, 0);
    bid.markIdle('shard-b');
    assert.deepEqual(lines(out.out), ['+I[2020-04-15T08:00, 1.00, 1]']);
  });

  it('late rows are dropped from fired windows only, and windows emit once', () => {
    const { job, out } = run(TUMBLE_SUM);
    const bid = job.sources.Bid!;
    bid.push([bidRecord('08:01', 1, 'A', 's'), bidRecord('08:11', 2, 'B', 's')]);
    bid.push([bidRecord('08:02', 100, 'late', 's'), bidRecord('08:10', 3, 'ok', 's')]);
    bid.push([bidRecord('08:25', 0, 'x', 's')]);
    assert.deepEqual(lines(out.out), ['+I[2020-04-15T08:00, 1.00, 1]', '+I[2020-04-15T08:10, 5.00, 2]']);
    assert.equal(job.metrics.lateRowsDropped, 1);
  });
});

/** Deterministic pseudo-random Bid records over two shards and a few hours. */
function workload(n: number): { shard: string; rec: { data: string; sequenceNumber: string } }[] {
  let seed = 7;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out: { shard: string; rec: { data: string; sequenceNumber: string } }[] = [];
  const base = Date.parse('2020-04-15T08:00:00Z');
  for (let i = 0; i < n; i++) {
    const ts = base + i * 1_000 + Math.floor(rnd() * 20_000); // out of order by up to 20 s
    const data = JSON.stringify({ bidtime: new Date(ts).toISOString().replace('T', ' ').replace('Z', ''), price: Math.floor(rnd() * 1000) / 100, item: `item${Math.floor(rnd() * 7)}`, supplier_id: `s${Math.floor(rnd() * 3)}` });
    out.push({ shard: i % 2 === 0 ? 'shard-a' : 'shard-b', rec: { data, sequenceNumber: String(1000 + i) } });
  }
  return out;
}

const MULTI = `${BID_DDL.replace("INTERVAL '1' SECOND", "INTERVAL '30' SECOND")}
  CREATE TABLE t (item STRING, ws TIMESTAMP(3), total DECIMAL(10, 2), n BIGINT, d BIGINT) WITH ('connector' = 'print');
  CREATE TABLE h (ws TIMESTAMP(3), we TIMESTAMP(3), total DECIMAL(10, 2)) WITH ('connector' = 'print');
  CREATE TABLE s (supplier_id STRING, ws TIMESTAMP(3), we TIMESTAMP(3), n BIGINT) WITH ('connector' = 'print');
  CREATE TABLE c (ws TIMESTAMP(3), we TIMESTAMP(3), hi DECIMAL(10, 2)) WITH ('connector' = 'print');
  EXECUTE STATEMENT SET BEGIN
  INSERT INTO t SELECT item, window_start, SUM(price), COUNT(*), COUNT(DISTINCT supplier_id)
    FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '1' MINUTE)) GROUP BY item, window_start, window_end;
  INSERT INTO h SELECT window_start, window_end, SUM(price)
    FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '1' MINUTE, INTERVAL '5' MINUTES)) GROUP BY window_start, window_end;
  INSERT INTO s SELECT supplier_id, window_start, window_end, COUNT(*)
    FROM TABLE(SESSION(TABLE Bid PARTITION BY supplier_id, DESCRIPTOR(bidtime), INTERVAL '3' SECOND)) GROUP BY supplier_id, window_start, window_end;
  INSERT INTO c SELECT window_start, window_end, MAX(price)
    FROM TABLE(CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '1' MINUTE, INTERVAL '3' MINUTES)) GROUP BY window_start, window_end;
  END;`;

function collect(job: ReturnType<typeof compileJob>, into: Record<string, string[]>): void {
  for (const [name, sink] of Object.entries(job.sinks)) sink.subscribe((recs: SinkRecord[]) => (into[name] ??= []).push(...recs.map(text)));
}

function feed(job: ReturnType<typeof compileJob>, recs: ReturnType<typeof workload>): void {
  // batches of 25 records alternate between the shards, as a reader polling both would deliver them
  for (let i = 0; i < recs.length; i += 50) {
    const batch = recs.slice(i, i + 50);
    for (const shard of ['shard-a', 'shard-b']) {
      const part = batch.filter((r) => r.shard === shard).map((r) => r.rec);
      if (part.length > 0) job.sources.Bid!.push(part, shard);
    }
  }
}

describe('Flink SQL engine: checkpoint and restore', () => {
  it('a crash after a mid-window checkpoint, restored and replayed from the saved positions, loses and double counts nothing', () => {
    const recs = workload(3000);
    // the reference: one uninterrupted run
    const reference: Record<string, string[]> = {};
    const whole = compileJob(MULTI, { clock: new VirtualClock(0) });
    collect(whole, reference);
    feed(whole, recs);
    for (const sh of ['shard-a', 'shard-b']) whole.sources.Bid!.finishShard(sh);

    // run 1: checkpoint after 1,337 records (mid-window), keep going a little, then "kill -9"
    const emitted: Record<string, string[]> = {};
    const first = compileJob(MULTI, { clock: new VirtualClock(0) });
    const beforeCheckpoint: Record<string, string[]> = {};
    collect(first, beforeCheckpoint);
    feed(first, recs.slice(0, 1337));
    const state: JobState = JSON.parse(JSON.stringify(first.checkpoint()));
    for (const [k, v] of Object.entries(beforeCheckpoint)) emitted[k] = [...v];
    feed(first, recs.slice(1337, 2000)); // output after the checkpoint is lost with the process (never acknowledged)

    // run 2: a new process restores the checkpoint and reads each shard after its saved position
    const second = compileJob(MULTI, { clock: new VirtualClock(0) });
    second.restore(state);
    collect(second, emitted);
    const positions: Record<string, string | null> = second.sources.Bid!.positions();
    assert.deepEqual(positions, { 'shard-a': '2336', 'shard-b': '2335' });
    const rest = recs.filter((r) => Number(r.rec.sequenceNumber) > Number((positions as Record<string, string | null>)[r.shard]));
    assert.equal(rest.length, 3000 - 1337);
    feed(second, rest);
    for (const sh of ['shard-a', 'shard-b']) second.sources.Bid!.finishShard(sh);

    for (const name of ['t', 'h', 's', 'c']) {
      assert.ok((reference[name] ?? []).length > 10, `${name} produced rows`);
      assert.deepEqual([...emitted[name]!].sort(), [...reference[name]!].sort(), `sink ${name}`);
    }
    // totals: every record counted exactly once in the tumbling windows
    const total = emitted.t!.reduce((n, line) => n + Number(/, (\d+), \d+\]$/.exec(line)![1]), 0);
    assert.equal(total, 3000);
  });

  it('checkpoints are plain JSON and restoring into a different program is refused', () => {
    const { job } = run(TUMBLE_SUM);
    job.sources.Bid!.push([bidRecord('08:01', 1, 'A', 's', 1)]);
    const state = job.checkpoint();
    assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
    assert.deepEqual(state.operators['1:WindowAggregate'], { wm: Date.parse('2020-04-15T08:00:59Z'), windows: [[Date.parse('2020-04-15T08:00:00Z'), Date.parse('2020-04-15T08:10:00Z'), [[[], [[1, 1], 1]]]]] });
    const other = compileJob(`${BID_DDL}
      CREATE TABLE out (item STRING) WITH ('connector' = 'print');
      INSERT INTO out SELECT item FROM Bid;`);
    assert.throws(() => other.restore(state), {
      message: 'Failed to rollback to checkpoint/savepoint. Cannot map checkpoint/savepoint state for operator 1:WindowAggregate to the new program, because the operator is not available in the new program.',
    });
  });

  it('datagen positions and processing-time windows survive a restore', () => {
    const script = `CREATE TABLE gen (id BIGINT, proc AS PROCTIME()) WITH ('connector' = 'datagen', 'rows-per-second' = '4', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1');
      CREATE TABLE out (ws TIMESTAMP(3), n BIGINT, lo BIGINT, hi BIGINT) WITH ('connector' = 'print');
      INSERT INTO out SELECT window_start, COUNT(*), MIN(id), MAX(id) FROM TABLE(TUMBLE(TABLE gen, DESCRIPTOR(proc), INTERVAL '10' SECOND)) GROUP BY window_start, window_end;`;
    const clock1 = new VirtualClock(0);
    const a = compileJob(script, { clock: clock1 });
    a.advance(5_000); // 20 rows in [0, 10 s)
    const state = a.checkpoint();
    const clock2 = new VirtualClock(5_000);
    const b = compileJob(script, { clock: clock2 });
    b.restore(state);
    const got: string[] = [];
    b.sinks.out!.subscribe((r) => got.push(...r.map(text)));
    b.advance(9_000); // 16 more rows, numbered on from the checkpoint
    b.advance(10_000); // the window [0 s, 10 s) fires; the 4 rows generated at 10 s open the next one
    assert.deepEqual(got, ['+I[1970-01-01T00:00, 36, 1, 36]']);
  });
});

describe('Flink SQL engine: bounded state', () => {
  it('an operator whose state outgrows maxStateEntries fails the job with a named error', () => {
    const job = compileJob(`CREATE TABLE t (k STRING) WITH ('connector' = 'kinesis', 'stream' = 's', 'format' = 'json');
      CREATE TABLE p (k STRING, n BIGINT) WITH ('connector' = 'print');
      INSERT INTO p SELECT k, COUNT(*) FROM t GROUP BY k;`, { maxStateEntries: 3000 });
    const batch = (from: number): { data: string }[] => Array.from({ length: 1024 }, (_v, i) => ({ data: `{"k":"k${from + i}"}` }));
    job.sources.t!.push(batch(0));
    job.sources.t!.push(batch(1024));
    assert.throws(() => job.sources.t!.push(batch(2048)), {
      message: "The state of operator GroupAggregate holds more than 3000 entries (Millrace's per-operator state limit, maxStateEntries): the job's keys or windows grow without bound.",
    });
    assert.ok(job.failure);
  });
});
