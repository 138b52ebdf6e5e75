import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, BID_DDL, BID_ROWS, bidRecord, lines, run, text } from './analytics-sql-fixtures.js';

const PRINT = (cols: string): string => `CREATE TABLE out (${cols}) WITH ('connector' = 'print');`;

function pushBids(job: ReturnType<typeof run>['job'], rows = BID_ROWS): void {
  job.sources.Bid!.push(rows.map(([tm, p, i, s]) => bidRecord(tm, p, i, s)));
}

describe('Flink SQL engine: window TVF aggregation on the Flink docs Bid table', () => {
  it('TUMBLE 10 minutes: 08:00–08:10 11.00, 08:10–08:20 10.00', () => {
    const { job, out } = run(`${BID_DDL}
      ${PRINT('window_start TIMESTAMP(3), window_end TIMESTAMP(3), total_price DECIMAL(10, 2)')}
      INSERT INTO out
      SELECT window_start, window_end, SUM(price) AS total_price
      FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
      GROUP BY window_start, window_end;`);
    pushBids(job);
    // watermark = 08:17 - 1 s: the first window has fired, the second has not
    assert.deepEqual(lines(out.out), ['+I[2020-04-15T08:00, 2020-04-15T08:10, 11.00]']);
    job.sources.Bid!.finishShard('shardId-000000000000');
    assert.deepEqual(lines(out.out), ['+I[2020-04-15T08:00, 2020-04-15T08:10, 11.00]', '+I[2020-04-15T08:10, 2020-04-15T08:20, 10.00]']);
  });

  it('HOP 5/10 minutes: four windows 11.00 / 15.00 / 10.00 / 6.00', () => {
    const { job, out } = run(`${BID_DDL}
      ${PRINT('window_start TIMESTAMP(3), window_end TIMESTAMP(3), total_price DECIMAL(10, 2)')}
      INSERT INTO out
      SELECT window_start, window_end, SUM(price)
      FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES, INTERVAL '10' MINUTES))
      GROUP BY window_start, window_end;`);
    pushBids(job);
    job.sources.Bid!.finishShard('shardId-000000000000');
    assert.deepEqual(lines(out.out), [
      '+I[2020-04-15T08:00, 2020-04-15T08:10, 11.00]',
      '+I[2020-04-15T08:05, 2020-04-15T08:15, 15.00]',
      '+I[2020-04-15T08:10, 2020-04-15T08:20, 10.00]',
      '+I[2020-04-15T08:15, 2020-04-15T08:25, 6.00]',
    ]);
  });

  it('CUMULATE 2/10 minutes: the eight cumulative windows of the docs', () => {
    const { job, out } = run(`${BID_DDL}
      ${PRINT('window_start TIMESTAMP(3), window_end TIMESTAMP(3), total_price DECIMAL(10, 2)')}
      INSERT INTO out
      SELECT window_start, window_end, SUM(price)
      FROM TABLE(CUMULATE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '2' MINUTES, INTERVAL '10' MINUTES))
      GROUP BY window_start, window_end;`);
    pushBids(job);
    job.sources.Bid!.finishShard('shardId-000000000000');
    assert.deepEqual(lines(out.out), [
      '+I[2020-04-15T08:00, 2020-04-15T08:06, 4.00]',
      '+I[2020-04-15T08:00, 2020-04-15T08:08, 6.00]',
      '+I[2020-04-15T08:00, 2020-04-15T08:10, 11.00]',
      '+I[2020-04-15T08:10, 2020-04-15T08:12, 3.00]',
      '+I[2020-04-15T08:10, 2020-04-15T08:14, 4.00]',
      '+I[2020-04-15T08:10, 2020-04-15T08:16, 4.00]',
      '+I[2020-04-15T08:10, 2020-04-15T08:18, 10.00]',
      '+I[2020-04-15T08:10, 2020-04-15T08:20, 10.00]',
    ]);
  });

  it('SESSION 5 minutes partitioned by supplier: gaps of 6 minutes split the sessions', () => {
    const { job, out } = run(`${BID_DDL}
      ${PRINT('supplier_id STRING, window_start TIMESTAMP(3), window_end TIMESTAMP(3), total_price DECIMAL(10, 2), cnt BIGINT')}
      INSERT INTO out
      SELECT supplier_id, window_start, window_end, SUM(price), COUNT(*)
      FROM TABLE(SESSION(TABLE Bid PARTITION BY supplier_id, DESCRIPTOR(bidtime), INTERVAL '5' MINUTES))
      GROUP BY supplier_id, window_start, window_end;`);
    pushBids(job);
    job.sources.Bid!.finishShard('shardId-000000000000');
    assert.deepEqual(lines(out.out), [
      '+I[supplier1, 2020-04-15T08:05, 2020-04-15T08:12, 6.00, 2]',
      '+I[supplier1, 2020-04-15T08:13, 2020-04-15T08:18, 1.00, 1]',
      '+I[supplier2, 2020-04-15T08:09, 2020-04-15T08:16, 8.00, 2]',
      '+I[supplier2, 2020-04-15T08:17, 2020-04-15T08:22, 6.00, 1]',
    ]);
  });

  it('SESSION without PARTITION BY (named arguments): one session 08:05–08:22', () => {
    const { job, out } = run(`${BID_DDL}
      ${PRINT('window_start TIMESTAMP(3), window_end TIMESTAMP(3), total_price DECIMAL(10, 2)')}
      INSERT INTO out
      SELECT window_start, window_end, SUM(price)
      FROM TABLE(SESSION(DATA => TABLE Bid, TIMECOL => DESCRIPTOR(bidtime), GAP => INTERVAL '5' MINUTES))
      GROUP BY window_start, window_end;`);
    // out of order within the watermark bound's tolerance of one batch: sessions merge
    pushBids(job, [...BID_ROWS].reverse());
    job.sources.Bid!.finishShard('shardId-000000000000');
    assert.deepEqual(lines(out.out), ['+I[2020-04-15T08:05, 2020-04-15T08:22, 21.00]']);
  });

  it('TUMBLE with keys, COUNT, COUNT DISTINCT, MIN, MAX, AVG, window_time, HAVING and WHERE', () => {
    const { job, out } = run(`${BID_DDL}
      ${PRINT('supplier_id STRING, window_start TIMESTAMP(3), window_time TIMESTAMP(3), cnt BIGINT, items BIGINT, lo DECIMAL(10, 2), hi DECIMAL(10, 2), mean DECIMAL(10, 2)')}
      INSERT INTO out
      SELECT supplier_id, window_start, window_time, COUNT(*), COUNT(DISTINCT item), MIN(price), MAX(price), AVG(price)
      FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
      WHERE price > 1
      GROUP BY supplier_id, window_start, window_end, window_time
      HAVING COUNT(*) >= 1;`);
    pushBids(job, [...BID_ROWS, ['08:08', 4.0, 'C', 'supplier1']]);
    job.sources.Bid!.finishShard('shardId-000000000000');
    assert.deepEqual(lines(out.out), [
      '+I[supplier1, 2020-04-15T08:00, 2020-04-15T08:09:59.999, 3, 2, 2.00, 4.00, 3.33]',
      '+I[supplier2, 2020-04-15T08:00, 2020-04-15T08:09:59.999, 1, 1, 5.00, 5.00, 5.00]',
      '+I[supplier2, 2020-04-15T08:10, 2020-04-15T08:19:59.999, 2, 2, 3.00, 6.00, 4.50]',
    ]);
  });

  it('legacy GROUP BY TUMBLE(...) with TUMBLE_START / TUMBLE_END, JSON to a kinesis sink', () => {
    const { job, out } = run(`${BID_DDL}
      CREATE TABLE agg (item STRING, wstart TIMESTAMP(3), wend TIMESTAMP(3), total DECIMAL(10, 2))
      PARTITIONED BY (item)
      WITH ('connector' = 'kinesis', 'stream' = 'out', 'aws.region' = 'us-east-1', 'format' = 'json');
      INSERT INTO agg
      SELECT item, TUMBLE_START(bidtime, INTERVAL '10' MINUTE), TUMBLE_END(bidtime, INTERVAL '10' MINUTE), SUM(price)
      FROM Bid
      GROUP BY TUMBLE(bidtime, INTERVAL '10' MINUTE), item;`);
    pushBids(job, BID_ROWS.map(([t, p, , s]) => [t, p, 'X', s] as [string, number, string, string]));
    job.sources.Bid!.finishShard('shardId-000000000000');
    assert.deepEqual(out.agg!.map(text), [
      '{"item":"X","wstart":"2020-04-15 08:00:00","wend":"2020-04-15 08:10:00","total":11.00}',
      '{"item":"X","wstart":"2020-04-15 08:10:00","wend":"2020-04-15 08:20:00","total":10.00}',
    ]);
    assert.equal(out.agg![0]!.partitionKey, 'X');
    assert.equal(out.agg![0]!.row.wstart, at('08:00'));
  });

  it('legacy HOP and SESSION group windows', () => {
    const { job, out } = run(`${BID_DDL}
      ${PRINT('s TIMESTAMP(3), e TIMESTAMP(3), total DECIMAL(10, 2)')}
      CREATE TABLE sess (supplier_id STRING, s TIMESTAMP(3), e TIMESTAMP(3), n BIGINT) WITH ('connector' = 'print');
      INSERT INTO out SELECT HOP_START(bidtime, INTERVAL '5' MINUTE, INTERVAL '10' MINUTE), HOP_END(bidtime, INTERVAL '5' MINUTE, INTERVAL '10' MINUTE), SUM(price)
        FROM Bid GROUP BY HOP(bidtime, INTERVAL '5' MINUTE, INTERVAL '10' MINUTE);
      INSERT INTO sess SELECT supplier_id, SESSION_START(bidtime, INTERVAL '5' MINUTE), SESSION_END(bidtime, INTERVAL '5' MINUTE), COUNT(*)
        FROM Bid GROUP BY supplier_id, SESSION(bidtime, INTERVAL '5' MINUTE);`);
    pushBids(job);
    job.sources.Bid!.finishShard('shardId-000000000000');
    assert.deepEqual(lines(out.out), [
      '+I[2020-04-15T08:00, 2020-04-15T08:10, 11.00]',
      '+I[2020-04-15T08:05, 2020-04-15T08:15, 15.00]',
      '+I[2020-04-15T08:10, 2020-04-15T08:20, 10.00]',
      '+I[2020-04-15T08:15, 2020-04-15T08:25, 6.00]',
    ]);
    assert.deepEqual(lines(out.sess), [
      '+I[supplier1, 2020-04-15T08:05, 2020-04-15T08:12, 2]',
      '+I[supplier1, 2020-04-15T08:13, 2020-04-15T08:18, 1]',
      '+I[supplier2, 2020-04-15T08:09, 2020-04-15T08:16, 2]',
      '+I[supplier2, 2020-04-15T08:17, 2020-04-15T08:22, 1]',
    ]);
  });

  it('window Top-N: the top 2 suppliers by sales per 10-minute window', () => {
    const { job, out } = run(`${BID_DDL}
      ${PRINT('window_start TIMESTAMP(3), supplier_id STRING, price DECIMAL(10, 2), cnt BIGINT, rownum BIGINT')}
      INSERT INTO out
      SELECT window_start, supplier_id, price, cnt, rownum FROM (
        SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY price DESC) AS rownum
        FROM (
          SELECT window_start, window_end, supplier_id, SUM(price) AS price, COUNT(*) AS cnt
          FROM TABLE(TUMBLE(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '10' MINUTES))
          GROUP BY window_start, window_end, supplier_id
        )
      ) WHERE rownum <= 2;`);
    pushBids(job, [
      ['08:05', 4, 'A', 'supplier1'], ['08:06', 4, 'C', 'supplier2'], ['08:07', 2, 'G', 'supplier1'],
      ['08:08', 2, 'B', 'supplier3'], ['08:09', 5, 'D', 'supplier4'], ['08:11', 2, 'B', 'supplier3'],
      ['08:13', 1, 'E', 'supplier1'], ['08:15', 3, 'H', 'supplier2'], ['08:17', 6, 'F', 'supplier5'],
    ]);
    job.sources.Bid!.finishShard('shardId-000000000000');
    assert.deepEqual(lines(out.out), [
      '+I[2020-04-15T08:00, supplier1, 6.00, 2, 1]',
      '+I[2020-04-15T08:00, supplier4, 5.00, 1, 2]',
      '+I[2020-04-15T08:10, supplier2, 3.00, 1, 2]',
      '+I[2020-04-15T08:10, supplier5, 6.00, 1, 1]',
    ]);
  });

  it('OVER aggregation: sum of the last 10 minutes per supplier, in event-time order', () => {
    const { job, out } = run(`${BID_DDL}
      ${PRINT('item STRING, supplier_id STRING, total DECIMAL(10, 2), n BIGINT')}
      INSERT INTO out
      SELECT item, supplier_id,
        SUM(price) OVER w, COUNT(*) OVER w
      FROM Bid
      WINDOW w AS (PARTITION BY supplier_id ORDER BY bidtime RANGE BETWEEN INTERVAL '5' MINUTE PRECEDING AND CURRENT ROW);`);
    pushBids(job, [...BID_ROWS].reverse());
    job.sources.Bid!.finishShard('shardId-000000000000');
    assert.deepEqual(lines(out.out), [
      '+I[A, supplier1, 6.00, 2]', '+I[B, supplier2, 8.00, 2]', '+I[C, supplier1, 4.00, 1]',
      '+I[D, supplier2, 5.00, 1]', '+I[E, supplier1, 1.00, 1]', '+I[F, supplier2, 6.00, 1]',
    ]);
  });
});

describe('Flink SQL engine: projections, filters, scalar functions, formats', () => {
  it('filter + project with CASE, CAST, string/math/time/JSON functions to JSON', () => {
    const { job, out } = run(`
      CREATE TABLE events (id INT, name STRING, amount DOUBLE, payload STRING, ts TIMESTAMP(3), proc AS PROCTIME())
      WITH ('connector' = 'kinesis', 'stream' = 'in', 'aws.region' = 'us-east-1', 'format' = 'json');
      CREATE TABLE sink (id BIGINT, label STRING, upper_name STRING, amt INT, rounded DOUBLE, minute TIMESTAMP(3), day STRING, city STRING, len INT, parts STRING)
      WITH ('connector' = 'firehose', 'delivery-stream' = 'ds', 'aws.region' = 'us-east-1', 'format' = 'json');
      INSERT INTO sink
      SELECT id,
        CASE WHEN amount >= 100 THEN 'big' WHEN amount >= 10 THEN 'medium' ELSE 'small' END,
        UPPER(TRIM(name)), CAST(amount AS INT), ROUND(amount * 1.5, 1),
        FLOOR(ts TO MINUTE), DATE_FORMAT(ts, 'yyyy/MM/dd HH'),
        JSON_VALUE(payload, '$.address.city'), CHAR_LENGTH(name),
        CONCAT_WS('-', SUBSTRING(name FROM 2 FOR 3), LOWER(name), CAST(id * 2 AS STRING))
      FROM events
      WHERE id IS NOT NULL AND name LIKE '%o%' AND amount BETWEEN 1 AND 1000;`);
    job.sources.events!.push([
      { data: JSON.stringify({ id: 1, name: ' Bob ', amount: 150.25, payload: '{"address":{"city":"Oslo"}}', ts: '2024-01-02 03:04:05.678' }) },
      { data: JSON.stringify({ id: 2, name: 'Ann', amount: 20, payload: '{}', ts: '2024-01-02 03:04:05' }) },
      { data: JSON.stringify({ id: 3, name: 'Joe', amount: 5.5, payload: 'not json', ts: '2024-01-02T23:59:59Z' }) },
      { data: JSON.stringify({ id: null, name: 'Jon', amount: 5 }) },
    ]);
    // Flink types this CASE as CHAR(6) and pads the shorter literals with spaces (a well-known Flink surprise)
    assert.deepEqual(out.sink!.map(text), [
      '{"id":1,"label":"big   ","upper_name":"BOB","amt":150,"rounded":225.4,"minute":"2024-01-02 03:04:00","day":"2024/01/02 03","city":"Oslo","len":5,"parts":"Bob- bob -2"}',
      '{"id":3,"label":"small ","upper_name":"JOE","amt":5,"rounded":8.3,"minute":"2024-01-02 23:59:00","day":"2024/01/02 23","city":null,"len":3,"parts":"oe-joe-6"}',
    ]);
  });

  it('computed columns, TO_TIMESTAMP, metadata columns and a CSV sink', () => {
    const { job, out } = run(`
      CREATE TABLE src (
        epoch_ms BIGINT, raw_time STRING, price DOUBLE,
        ts AS TO_TIMESTAMP(raw_time, 'yyyy-MM-dd''T''HH:mm:ss'),
        total AS price * 2,
        arrival TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
        shard STRING METADATA FROM 'shard-id' VIRTUAL,
        seq VARCHAR(128) METADATA FROM 'sequence-number' VIRTUAL
      ) WITH ('connector' = 'kinesis', 'stream' = 'in', 'aws.region' = 'us-east-1', 'format' = 'json');
      CREATE TABLE dst (ts TIMESTAMP(3), total DOUBLE, arrival TIMESTAMP(3), shard STRING, seq STRING, secs BIGINT)
      WITH ('connector' = 'filesystem', 'path' = 's3://bucket/out', 'format' = 'csv');
      INSERT INTO dst SELECT ts, total, CAST(arrival AS TIMESTAMP(3)), shard, seq, EXTRACT(SECOND FROM ts) FROM src;`);
    job.sources.src!.push([{ data: '{"epoch_ms": 1, "raw_time": "2024-05-06T07:08:09", "price": 2.5}', sequenceNumber: '4950', arrivalTime: Date.UTC(2024, 4, 6, 7, 8, 10) }], 'shardId-000000000007');
    assert.deepEqual(out.dst!.map(text), ['2024-05-06 07:08:09,5,2024-05-06 07:08:10,shardId-000000000007,4950,9\n']);
    assert.deepEqual(job.sources.src!.positions(), { 'shardId-000000000007': '4950' });
  });

  it('raw format in, json.ignore-parse-errors skips bad records, views, UNION ALL, statement sets', () => {
    const { job, out } = run(`
      SET 'pipeline.name' = 'demo';
      CREATE TABLE lines (line STRING) WITH ('connector' = 'kinesis', 'stream' = 'raw', 'aws.region' = 'us-east-1', 'format' = 'raw');
      CREATE TABLE objs (v INT) WITH ('connector' = 'kinesis', 'stream' = 'j', 'aws.region' = 'us-east-1', 'format' = 'json', 'json.ignore-parse-errors' = 'true');
      CREATE VIEW shouting AS SELECT UPPER(line) AS line FROM lines WHERE line <> '';
      CREATE TABLE a (line STRING) WITH ('connector' = 'print', 'print-identifier' = 'A');
      CREATE TABLE b (v INT) WITH ('connector' = 'blackhole');
      EXECUTE STATEMENT SET BEGIN
        INSERT INTO a SELECT line FROM shouting UNION ALL SELECT CAST(v AS STRING) FROM objs;
        INSERT INTO b SELECT v FROM objs;
      END;`);
    job.sources.lines!.push([{ data: 'hello' }, { data: '' }, { data: 'world' }]);
    job.sources.objs!.push([{ data: '{"v": 7}' }, { data: '{oops' }, { data: '{"v": "x"}' }]);
    assert.deepEqual(out.a!.map(text), ['A> +I[HELLO]', 'A> +I[WORLD]', 'A> +I[7]', 'A> +I[null]']);
    assert.equal(out.b!.length, 0); // blackhole drops
    assert.equal(job.metrics.recordsSkipped, 1);
    assert.equal(job.metrics.rowsOut, 6);
    assert.equal(job.config['pipeline.name'], 'demo');
  });

  it('a regular GROUP BY into print emits the changelog (+I, -U, +U)', () => {
    const { job, out } = run(`${BID_DDL}
      ${PRINT('supplier_id STRING, total DECIMAL(10, 2)')}
      INSERT INTO out SELECT supplier_id, SUM(price) FROM Bid GROUP BY supplier_id;`);
    pushBids(job, BID_ROWS.slice(0, 3));
    assert.deepEqual(out.out!.map(text), [
      '+I[supplier1, 4.00]', '-U[supplier1, 4.00]', '+U[supplier1, 6.00]', '+I[supplier2, 5.00]',
    ]);
  });

  it('datagen on the virtual clock, processing-time TUMBLE windows fire on advance()', () => {
    const { job, out } = run(`
      CREATE TABLE gen (id BIGINT, v INT, proc AS PROCTIME())
      WITH ('connector' = 'datagen', 'rows-per-second' = '10', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.v.min' = '1', 'fields.v.max' = '1');
      CREATE TABLE out (window_start TIMESTAMP(3), n BIGINT, total INT, max_id BIGINT) WITH ('connector' = 'print');
      INSERT INTO out SELECT window_start, COUNT(*), SUM(v), MAX(id)
      FROM TABLE(TUMBLE(TABLE gen, DESCRIPTOR(proc), INTERVAL '1' SECOND))
      GROUP BY window_start, window_end;`, 1_000);
    job.advance(1_500); // 5 rows at 1.5 s into window [1 s, 2 s)
    assert.equal(out.out!.length, 0);
    job.advance(2_000); // window [1 s, 2 s) fires at 1.999 s; then 5 more rows land in [2 s, 3 s)
    job.advance(3_000);
    assert.deepEqual(out.out!.map(text), ['+I[1970-01-01T00:00:01, 5, 5, 5]', '+I[1970-01-01T00:00:02, 5, 5, 10]']);
  });
});
