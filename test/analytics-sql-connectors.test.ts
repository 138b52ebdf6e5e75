import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileJob, extractPyFlinkSql, tableEndpoint } from '../src/analytics/sql/index.js';

describe('Flink SQL engine: connector endpoints for the caller to wire', () => {
  it('kinesis 5.x, kinesis legacy (Studio), firehose and filesystem options', () => {
    const job = compileJob(`
      CREATE TABLE a (v INT) WITH ('connector' = 'kinesis', 'stream.arn' = 'arn:aws:kinesis:eu-west-1:123456789012:stream/input-a',
        'aws.region' = 'eu-west-1', 'aws.endpoint' = 'https://127.0.0.1:4567', 'source.init.position' = 'AT_TIMESTAMP',
        'source.init.timestamp' = '2024-01-02T03:04:05.678Z', 'source.reader.type' = 'EFO', 'source.efo.consumer.name' = 'app', 'format' = 'json');
      CREATE TABLE b (v INT) WITH ('connector' = 'kinesis', 'stream' = 'input-b', 'aws.region' = 'us-east-1',
        'scan.stream.initpos' = 'AT_TIMESTAMP', 'scan.stream.initpos-timestamp' = '1459799926.480', 'format' = 'json');
      CREATE TABLE c (v INT) WITH ('connector' = 'firehose', 'delivery-stream' = 'ds', 'aws.region' = 'us-east-1', 'format' = 'json');
      CREATE TABLE d (v INT) WITH ('connector' = 'filesystem', 'path' = 's3://bucket/prefix/', 'format' = 'csv');
      EXECUTE STATEMENT SET BEGIN
        INSERT INTO c SELECT v FROM a;
        INSERT INTO d SELECT v FROM b;
      END;`);
    assert.deepEqual(Object.keys(job.sources).sort(), ['a', 'b']);
    assert.deepEqual(Object.keys(job.sinks).sort(), ['c', 'd']);
    assert.deepEqual(tableEndpoint(job.sources.a!.table), {
      connector: 'kinesis', streamName: 'input-a', streamArn: 'arn:aws:kinesis:eu-west-1:123456789012:stream/input-a', region: 'eu-west-1',
      endpoint: 'https://127.0.0.1:4567', initialPosition: 'AT_TIMESTAMP', initialTimestamp: Date.UTC(2024, 0, 2, 3, 4, 5, 678), readerType: 'EFO', efoConsumerName: 'app',
    });
    assert.deepEqual(tableEndpoint(job.sources.b!.table), {
      connector: 'kinesis', streamName: 'input-b', streamArn: undefined, region: 'us-east-1', endpoint: undefined,
      initialPosition: 'AT_TIMESTAMP', initialTimestamp: 1459799926480, readerType: 'POLLING', efoConsumerName: undefined,
    });
    assert.deepEqual(tableEndpoint(job.sinks.c!.table), { connector: 'firehose', deliveryStream: 'ds', region: 'us-east-1', endpoint: undefined });
    assert.deepEqual(tableEndpoint(job.sinks.d!.table), { connector: 'filesystem', path: 's3://bucket/prefix/' });
  });

  it('the default initial position is LATEST', () => {
    const job = compileJob(`CREATE TABLE a (v INT) WITH ('connector' = 'kinesis', 'stream' = 's', 'format' = 'json');
      CREATE TABLE p (v INT) WITH ('connector' = 'print'); INSERT INTO p SELECT v FROM a;`);
    assert.equal((tableEndpoint(job.sources.a!.table) as { initialPosition: string }).initialPosition, 'LATEST');
  });
});

describe('Flink SQL engine: SQL from a PyFlink main.py (best effort)', () => {
  it('takes the literals of execute_sql and add_insert_sql, in order', () => {
    const py = `
from pyflink.table import EnvironmentSettings, TableEnvironment
t_env = TableEnvironment.create(EnvironmentSettings.in_streaming_mode())
t_env.get_config().set("table.exec.source.idle-timeout", "5 s")
t_env.execute_sql("""
    CREATE TABLE input_table (ticker STRING, price DOUBLE)
    WITH ('connector' = 'kinesis', 'stream' = 'in', 'aws.region' = 'us-east-1', 'format' = 'json')
""")
t_env.execute_sql('CREATE TABLE output_table (ticker STRING, price DOUBLE) WITH (\\'connector\\' = \\'print\\')')
stmt_set = t_env.create_statement_set()
stmt_set.add_insert_sql("INSERT INTO output_table SELECT ticker, price FROM input_table WHERE price > 10;")
stmt_set.execute()
`;
    const sql = extractPyFlinkSql(py);
    assert.equal(sql.split(';\n').length, 3);
    const job = compileJob(sql);
    const got: string[] = [];
    job.sinks.output_table!.subscribe((r) => got.push(...r.map((x) => new TextDecoder().decode(x.data))));
    job.sources.input_table!.push([{ data: '{"ticker":"A","price":11}' }, { data: '{"ticker":"B","price":9}' }]);
    assert.deepEqual(got, ['+I[A, 11.0]']);
  });
});

describe('Flink SQL engine: csv format in and out', () => {
  it('reads delimited, quoted fields and writes them back with the same options', () => {
    const job = compileJob(`
      CREATE TABLE src (name STRING, qty INT, price DECIMAL(6, 2), ts TIMESTAMP(3))
        WITH ('connector' = 'kinesis', 'stream' = 'in', 'format' = 'csv', 'csv.field-delimiter' = '|', 'csv.null-literal' = 'n/a');
      CREATE TABLE dst (name STRING, total DECIMAL(8, 2), ts TIMESTAMP(3))
        WITH ('connector' = 'filesystem', 'path' = 's3://b/p', 'format' = 'csv', 'csv.field-delimiter' = '|', 'csv.null-literal' = 'n/a');
      INSERT INTO dst SELECT name, qty * price, ts FROM src;`);
    const got: string[] = [];
    job.sinks.dst!.subscribe((r) => got.push(...r.map((x) => new TextDecoder().decode(x.data))));
    job.sources.src!.push([{ data: '"a|b"|3|1.50|2024-01-01 00:00:01.5' }, { data: 'plain|n/a|2.00|2024-01-01 00:00:02' }]);
    assert.deepEqual(got, ['"a|b"|4.50|2024-01-01 00:00:01.5\n', 'plain|n/a|2024-01-01 00:00:02\n']);
  });

  it('a csv row that does not parse fails the job unless csv.ignore-parse-errors', () => {
    const script = (ignore: boolean): string => `CREATE TABLE src (qty INT) WITH ('connector' = 'kinesis', 'stream' = 'in', 'format' = 'csv'${ignore ? ", 'csv.ignore-parse-errors' = 'true'" : ''});
      CREATE TABLE p (qty INT) WITH ('connector' = 'print'); INSERT INTO p SELECT qty FROM src;`;
    assert.throws(() => compileJob(script(false)).sources.src!.push([{ data: 'abc' }]), { message: "Failed to deserialize CSV row 'abc'." });
    const job = compileJob(script(true));
    const got: string[] = [];
    job.sinks.p!.subscribe((r) => got.push(...r.map((x) => new TextDecoder().decode(x.data))));
    job.sources.src!.push([{ data: 'abc' }, { data: '7' }]);
    assert.deepEqual(got, ['+I[null]', '+I[7]']);
  });
});
