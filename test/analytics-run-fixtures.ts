/** Scripts the analytics-run tests share. */

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
