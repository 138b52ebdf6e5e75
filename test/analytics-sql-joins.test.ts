import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lines, run } from './analytics-sql-fixtures.js';

const TABLE = (name: string): string => `CREATE TABLE ${name} (row_time TIMESTAMP(3), num INT, id STRING, WATERMARK FOR row_time AS row_time - INTERVAL '1' SECOND)
  WITH ('connector' = 'kinesis', 'stream' = '${name}', 'aws.region' = 'us-east-1', 'format' = 'json');`;
const rec = (time: string, num: number, id: string): { data: string } => ({ data: JSON.stringify({ row_time: `2020-04-15 ${time}:00`, num, id }) });

describe('Flink SQL engine: joins', () => {
  it('window FULL JOIN of the Flink docs LeftTable/RightTable (TUMBLE 5 minutes)', () => {
    const { job, out } = run(`${TABLE('LeftTable')}${TABLE('RightTable')}
      CREATE TABLE out (L_Num INT, L_Id STRING, R_Num INT, R_Id STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3)) WITH ('connector' = 'print');
      INSERT INTO out
      SELECT L.num, L.id, R.num, R.id, COALESCE(L.window_start, R.window_start), COALESCE(L.window_end, R.window_end)
      FROM (SELECT * FROM TABLE(TUMBLE(TABLE LeftTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES))) L
      FULL JOIN (SELECT * FROM TABLE(TUMBLE(TABLE RightTable, DESCRIPTOR(row_time), INTERVAL '5' MINUTES))) R
      ON L.num = R.num AND L.window_start = R.window_start AND L.window_end = R.window_end;`);
    job.sources.LeftTable!.push([rec('12:02', 1, 'L1'), rec('12:06', 2, 'L2'), rec('12:03', 3, 'L3')]);
    job.sources.RightTable!.push([rec('12:01', 2, 'R2'), rec('12:04', 3, 'R3'), rec('12:05', 4, 'R4')]);
    // the right side's watermark (12:05 - 1 s) has not passed 12:04:59.999 yet
    assert.deepEqual(lines(out.out), []);
    job.sources.LeftTable!.finishShard('shardId-000000000000');
    job.sources.RightTable!.finishShard('shardId-000000000000');
    assert.deepEqual(lines(out.out), [
      '+I[1, L1, null, null, 2020-04-15T12:00, 2020-04-15T12:05]',
      '+I[2, L2, null, null, 2020-04-15T12:05, 2020-04-15T12:10]',
      '+I[3, L3, 3, R3, 2020-04-15T12:00, 2020-04-15T12:05]',
      '+I[null, null, 2, R2, 2020-04-15T12:00, 2020-04-15T12:05]',
      '+I[null, null, 4, R4, 2020-04-15T12:05, 2020-04-15T12:10]',
    ]);
  });

  it('interval join: orders shipped within 4 hours (comma join with WHERE), state purged by the watermark', () => {
    const { job, out } = run(`
      CREATE TABLE Orders (id INT, order_time TIMESTAMP(3), WATERMARK FOR order_time AS order_time)
        WITH ('connector' = 'kinesis', 'stream' = 'o', 'aws.region' = 'us-east-1', 'format' = 'json');
      CREATE TABLE Shipments (order_id INT, ship_time TIMESTAMP(3), WATERMARK FOR ship_time AS ship_time)
        WITH ('connector' = 'kinesis', 'stream' = 's', 'aws.region' = 'us-east-1', 'format' = 'json');
      CREATE TABLE out (id INT, order_time TIMESTAMP(3), ship_time TIMESTAMP(3)) WITH ('connector' = 'print');
      INSERT INTO out SELECT o.id, o.order_time, s.ship_time FROM Orders o, Shipments s
      WHERE o.id = s.order_id AND o.order_time BETWEEN s.ship_time - INTERVAL '4' HOUR AND s.ship_time;`);
    const o = (id: number, t: string): { data: string } => ({ data: JSON.stringify({ id, order_time: `2024-01-01 ${t}:00` }) });
    const s = (id: number, t: string): { data: string } => ({ data: JSON.stringify({ order_id: id, ship_time: `2024-01-01 ${t}:00` }) });
    job.sources.Orders!.push([o(1, '08:00'), o(2, '09:00'), o(3, '10:00')]);
    job.sources.Shipments!.push([s(1, '11:00'), s(2, '14:00'), s(3, '09:59')]);
    job.sources.Orders!.push([o(4, '13:00')]);
    job.sources.Shipments!.push([s(4, '13:30')]);
    assert.deepEqual(lines(out.out), ['+I[1, 2024-01-01T08:00, 2024-01-01T11:00]', '+I[4, 2024-01-01T13:00, 2024-01-01T13:30]']);
    // the watermark is 13:00: order 1 (08:00, shippable until 12:00) can no longer match and is gone from the state
    const state = job.checkpoint().operators['1:IntervalJoin'] as { left: [number, unknown[][]][] };
    assert.deepEqual(state.left.map(([k]) => k).sort(), [2, 3, 4]);
  });

  it('a regular inner join with a residual condition', () => {
    const { job, out } = run(`
      CREATE TABLE a (k STRING, v INT) WITH ('connector' = 'kinesis', 'stream' = 'a', 'aws.region' = 'us-east-1', 'format' = 'json');
      CREATE TABLE b (k STRING, w INT) WITH ('connector' = 'kinesis', 'stream' = 'b', 'aws.region' = 'us-east-1', 'format' = 'json');
      CREATE TABLE out (k STRING, v INT, w INT) WITH ('connector' = 'print');
      INSERT INTO out SELECT a.k, v, w FROM a JOIN b ON a.k = b.k AND v < w;`);
    job.sources.a!.push([{ data: '{"k":"x","v":1}' }, { data: '{"k":"y","v":5}' }]);
    job.sources.b!.push([{ data: '{"k":"x","w":2}' }, { data: '{"k":"y","w":3}' }, { data: '{"k":"x","w":0}' }]);
    job.sources.a!.push([{ data: '{"k":"y","v":2}' }]);
    assert.deepEqual(out.out!.map((r) => new TextDecoder().decode(r.data)), ['+I[x, 1, 2]', '+I[y, 2, 3]']);
  });
});
