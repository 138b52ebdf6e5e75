import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lines, run, text } from './analytics-sql-fixtures.js';

/** The stock-ticker demo stream of the KDA docs, declared as AWS's Studio migration page does (legacy option names). */
const TICKERS = `%flink.ssql
CREATE TABLE stock_table (
  ticker VARCHAR(6),
  sector VARCHAR(16),
  change DOUBLE,
  price DOUBLE,
  event_time TIMESTAMP(3),
  processing_time AS PROCTIME(),
  approximate_arrival_time TIMESTAMP(3) METADATA FROM 'timestamp' VIRTUAL,
  WATERMARK FOR event_time AS event_time - INTERVAL '60' SECOND
) PARTITIONED BY (ticker) WITH (
  'connector' = 'kinesis',
  'stream' = 'kinesis-analytics-demo-stream',
  'aws.region' = 'us-east-1',
  'aws.endpoint' = 'http://127.0.0.1:4567',
  'scan.stream.initpos' = 'LATEST',
  'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601'
);
`;
const tick = (ticker: string, sector: string, price: number, time: string): { data: string; arrivalTime: number } => ({
  data: JSON.stringify({ ticker, sector, change: 0.5, price, event_time: `2024-03-01T${time}` }),
  arrivalTime: Date.parse(`2024-03-01T${time}Z`),
});

describe('Flink SQL engine: Studio notebook paragraphs (AWS migration page patterns)', () => {
  it('string transform, regex replace and SIMILAR TO alerts', () => {
    const { job, out } = run(`${TICKERS}
      %flink.ssql(type=update)
      CREATE TABLE alerts (ticker STRING, sector STRING, message STRING) WITH ('connector' = 'print');
      INSERT INTO alerts
      SELECT LOWER(ticker), REGEXP_REPLACE(sector, 'TECH', 'Technology'), CONCAT(ticker, ' moved to ', CAST(price AS STRING))
      FROM stock_table WHERE sector SIMILAR TO '%TECH%' AND price > 50;`);
    job.sources.stock_table!.push([tick('AMZN', 'TECHNOLOGY', 100.5, '10:00:01'), tick('XOM', 'ENERGY', 90, '10:00:02'), tick('MSFT', 'TECH', 20, '10:00:03')]);
    assert.deepEqual(out.alerts!.map(text), ['+I[amzn, TechnologyNOLOGY, AMZN moved to 100.5]']);
  });

  it('tumbling on processing time (ROWTIME → PROCTIME()) and event-time GROUP BY TUMBLE with a 60 s watermark', () => {
    const { job, out, clock } = run(`${TICKERS}
      CREATE TABLE per_minute (ticker STRING, window_end TIMESTAMP(3), n BIGINT) WITH ('connector' = 'print');
      CREATE TABLE by_event (ticker STRING, minute TIMESTAMP(3), lo DOUBLE, hi DOUBLE) WITH ('connector' = 'print');
      EXECUTE STATEMENT SET BEGIN
      INSERT INTO per_minute SELECT ticker, TUMBLE_END(processing_time, INTERVAL '60' SECOND), COUNT(*)
        FROM stock_table GROUP BY TUMBLE(processing_time, INTERVAL '60' SECOND), ticker;
      INSERT INTO by_event SELECT ticker, TUMBLE_START(event_time, INTERVAL '60' SECOND), MIN(price), MAX(price)
        FROM stock_table GROUP BY TUMBLE(event_time, INTERVAL '60' SECOND), ticker;
      END;`, Date.parse('2024-03-01T10:00:00Z'));
    const src = job.sources.stock_table!;
    src.push([tick('AMZN', 'TECH', 10, '10:00:05'), tick('AMZN', 'TECH', 12, '10:00:30'), tick('XOM', 'ENERGY', 7, '10:00:50')]);
    job.advance(clock.now() + 30_000);
    src.push([tick('AMZN', 'TECH', 11, '10:01:10')]);
    job.advance(Date.parse('2024-03-01T10:01:00Z'));
    assert.deepEqual(lines(out.per_minute), ['+I[AMZN, 2024-03-01T10:01, 3]', '+I[XOM, 2024-03-01T10:01, 1]']);
    assert.deepEqual(out.by_event ?? [], [], 'the event-time window waits for the watermark (max event time - 60 s)');
    src.push([tick('AMZN', 'TECH', 9, '10:02:01')]);
    assert.deepEqual(lines(out.by_event), ['+I[AMZN, 2024-03-01T10:00, 10.0, 12.0]', '+I[XOM, 2024-03-01T10:00, 7.0, 7.0]']);
  });

  it('moving averages over the last 2 rows per ticker (ROWS OVER on processing time)', () => {
    const { job, out } = run(`${TICKERS}
      CREATE TABLE avgs (ticker STRING, price DOUBLE, avg2 DOUBLE) WITH ('connector' = 'print');
      INSERT INTO avgs SELECT ticker, price, AVG(price) OVER (PARTITION BY ticker ORDER BY processing_time ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS avg2
      FROM stock_table;`);
    job.sources.stock_table!.push([tick('A', 'X', 10, '10:00:00'), tick('A', 'X', 20, '10:00:01'), tick('B', 'X', 5, '10:00:02'), tick('A', 'X', 40, '10:00:03')]);
    assert.deepEqual(out.avgs!.map(text), ['+I[A, 10.0, 10.0]', '+I[A, 20.0, 15.0]', '+I[B, 5.0, 5.0]', '+I[A, 40.0, 30.0]']);
  });
});
