import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
/** Scripts and readers the analytics-run tests share. */

/** A tumbling 10 s COUNT/SUM per sensor, from `input` to `output`. */
export const tumblingSql = (input: string, output: string, initpos = 'TRIM_HORIZON') => `
CREATE TABLE readings (
  sensor STRING,
  temp DOUBLE,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '0' SECOND
) WITH ('connector' = 'kinesis', 'stream' = '${input}', 'aws.region' = 'us-east-1', 'scan.stream.initpos' = '${initpos}', 'format' = 'json');
CREATE TABLE per_window (
  sensor STRING,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  readings BIGINT,
  total DOUBLE
) WITH ('connector' = 'kinesis', 'stream' = '${output}', 'aws.region' = 'us-east-1', 'format' = 'json');
INSERT INTO per_window
SELECT sensor, window_start, window_end, COUNT(*), SUM(temp)
FROM TABLE(TUMBLE(TABLE readings, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY sensor, window_start, window_end;
`;

/** Every record of a one-shard stream so far, from TRIM_HORIZON, as JSON. */
export async function readJsonRecords(kinesis: KinesisClient, stream: string): Promise<Record<string, unknown>[]> {
  let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  const rows: Record<string, unknown>[] = [];
  for (;;) {
    const got = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
    for (const r of got.Records ?? []) rows.push(JSON.parse(Buffer.from(r.Data!).toString('utf8')) as Record<string, unknown>);
    iterator = got.NextShardIterator;
    if ((got.Records ?? []).length === 0 || got.MillisBehindLatest === 0) return rows;
  }
}
