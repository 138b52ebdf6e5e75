import { compileJob, VirtualClock } from '../src/analytics/sql/index.js';

/**
 * In-process throughput of the Flink SQL engine (issue 15's performance section, engine part only):
 * JSON records in, JSON records out, no network and no store. Run: `npx tsc -p . && node dist/bench/analytics-sql.js`.
 *   BENCH_ROWS   rows per scenario (default 400,000)
 */
const ROWS = Number(process.env.BENCH_ROWS ?? 400_000);
const BATCH = 500; // a GetRecords-sized batch per push
const KEYS = 10_000;

const SOURCE = `CREATE TABLE events (k STRING, v INT, price DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'kinesis', 'stream' = 'in', 'aws.region' = 'us-east-1', 'format' = 'json');`;
const SINK = (cols: string): string => `CREATE TABLE out (${cols}) WITH ('connector' = 'kinesis', 'stream' = 'out', 'aws.region' = 'us-east-1', 'format' = 'json');`;

function records(n: number): Uint8Array[] {
  const enc = new TextEncoder();
  const base = Date.parse('2024-01-01T00:00:00Z');
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    // 2,000 rows per second of event time: a 10 s window holds 20,000 rows over 10,000 keys
    const ts = new Date(base + Math.floor(i / 2)).toISOString().replace('T', ' ').replace('Z', '');
    out.push(enc.encode(`{"k":"key${i % KEYS}","v":${i % 100},"price":${(i % 1000) / 10},"ts":"${ts}"}`));
  }
  return out;
}

function measure(name: string, script: string, data: Uint8Array[]): { name: string; rowsPerSecond: number; outRows: number } {
  const job = compileJob(script, { clock: new VirtualClock(0) });
  let outRows = 0;
  job.sinks.out!.subscribe((recs) => { outRows += recs.length; });
  const batches: { data: Uint8Array }[][] = [];
  for (let i = 0; i < data.length; i += BATCH) batches.push(data.slice(i, i + BATCH).map((d) => ({ data: d })));
  const source = job.sources.events!;
  const start = process.hrtime.bigint();
  for (const b of batches) source.push(b);
  source.finishShard('shardId-000000000000');
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { name, rowsPerSecond: Math.round(data.length / seconds), outRows };
}

/** The floor: only decoding and re-encoding the same JSON records (what any reader/writer pays). */
function floor(data: Uint8Array[]): number {
  const dec = new TextDecoder();
  const enc = new TextEncoder();
  const start = process.hrtime.bigint();
  let n = 0;
  for (const d of data) {
    const o = JSON.parse(dec.decode(d)) as Record<string, unknown>;
    n += enc.encode(JSON.stringify(o)).length > 0 ? 1 : 0;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return Math.round(n / seconds);
}

const data = records(ROWS);
const results = [
  measure('filter + project', `${SOURCE}${SINK('k STRING, doubled INT, label STRING')}
    INSERT INTO out SELECT k, v * 2, CASE WHEN price > 50 THEN 'high' ELSE 'low' END FROM events WHERE v % 2 = 0;`, data),
  measure('TUMBLE 10 s COUNT/SUM per key (10k keys)', `${SOURCE}${SINK('k STRING, ws TIMESTAMP(3), n BIGINT, total INT, revenue DOUBLE')}
    INSERT INTO out SELECT k, window_start, COUNT(*), SUM(v), SUM(price)
    FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND)) GROUP BY k, window_start, window_end;`, data),
  measure('HOP 5 s / 10 s COUNT per key (10k keys)', `${SOURCE}${SINK('k STRING, ws TIMESTAMP(3), n BIGINT')}
    INSERT INTO out SELECT k, window_start, COUNT(*)
    FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND)) GROUP BY k, window_start, window_end;`, data),
];
const floorRate = floor(data);
console.log(`rows per scenario: ${ROWS}, batch ${BATCH}, node ${process.version}`);
console.log(`floor (JSON decode + encode only): ${floorRate.toLocaleString('en')} rows/s`);
for (const r of results) {
  console.log(`${r.name}: ${r.rowsPerSecond.toLocaleString('en')} rows/s (${r.outRows.toLocaleString('en')} rows out; ${(floorRate / r.rowsPerSecond).toFixed(2)}× the floor's cost)`);
}
