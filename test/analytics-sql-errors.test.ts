import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileJob, FlinkSqlError, SqlParseError, SqlValidationError, TableError, UnsupportedSqlError } from '../src/analytics/sql/index.js';

const BID = `CREATE TABLE Bid (bidtime TIMESTAMP(3), price DECIMAL(10, 2), item STRING, WATERMARK FOR bidtime AS bidtime - INTERVAL '1' SECOND) WITH ('connector' = 'kinesis', 'stream' = 's', 'aws.region' = 'us-east-1', 'format' = 'json');
CREATE TABLE out (a STRING, b BIGINT) WITH ('connector' = 'kinesis', 'stream' = 'o', 'aws.region' = 'us-east-1', 'format' = 'json');
`;
const DG = "CREATE TABLE t (a INT) WITH ('connector' = 'datagen'); CREATE TABLE p (a INT) WITH ('connector' = 'print'); ";

function fails(script: string, cls: new (...a: never[]) => FlinkSqlError, message: string): void {
  assert.throws(() => compileJob(script), (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${(e as Error).constructor.name}: ${(e as Error).message}`);
    assert.equal((e as Error).message, message);
    return true;
  });
}

describe('Flink SQL engine: syntax errors', () => {
  it('names the token, line and column as Calcite does', () => {
    fails('SELECT * FROMM Bid', SqlParseError, 'SQL parse failed. Encountered "Bid" at line 1, column 16.\nWas expecting one of:\n    ";" ...\n    <EOF> ...');
    fails(`${DG}\nINSERT INTO p SELECT a FROM t WHERE a >`, SqlParseError, 'SQL parse failed. Encountered <EOF> at line 2, column 40.\nWas expecting one of:\n    <IDENTIFIER> ...\n    <LITERAL> ...\n    "(" ...');
    fails("CREATE TABLE t (a INT) WITH ('connector' 'datagen')", SqlParseError, 'SQL parse failed. Encountered "\'datagen\'" at line 1, column 42.\nWas expecting one of:\n    "=" ...');
    fails("SELECT 'abc", FlinkSqlError, 'SQL parse failed. Lexical error at line 1, column 12.  Encountered: <EOF> after : "\'abc"');
  });

  it('carries the position on the error object', () => {
    try {
      compileJob('CREATE TABLE t (a INT)\nWITH (connector = 1)');
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof SqlParseError);
      assert.equal(e.line, 2);
      assert.equal(e.column, 7);
      assert.equal(e.flinkClass, 'org.apache.flink.table.api.SqlParserException');
    }
  });
});

describe('Flink SQL engine: validation errors', () => {
  it('unknown table, column, qualifier and function, with spans', () => {
    fails(`${BID}INSERT INTO out SELECT item, COUNT(*) FROM Bidd GROUP BY item;`, SqlValidationError, "SQL validation failed. From line 3, column 44 to line 3, column 47: Object 'Bidd' not found");
    fails(`${BID}INSERT INTO nope SELECT item, 1 FROM Bid;`, SqlValidationError, "SQL validation failed. From line 3, column 13 to line 3, column 16: Object 'nope' not found");
    fails(`${BID}INSERT INTO out SELECT itemx, 1 FROM Bid;`, SqlValidationError, "SQL validation failed. From line 3, column 24 to line 3, column 28: Column 'itemx' not found in any table");
    fails(`${DG}INSERT INTO p SELECT t.b FROM t;`, SqlValidationError, "SQL validation failed. From line 1, column 130 to line 1, column 132: Column 'b' not found in table 't'");
    fails(`${DG}INSERT INTO p SELECT x.a FROM t;`, SqlValidationError, "SQL validation failed. From line 1, column 130 to line 1, column 132: Table 'x' not found");
    fails(`${BID}INSERT INTO out SELECT FOO(item), 1 FROM Bid;`, SqlValidationError, 'SQL validation failed. From line 3, column 24 to line 3, column 32: No match found for function signature FOO(<CHARACTER>)');
    fails(`${BID}INSERT INTO out SELECT item, COUNT(*) FROM Bid GROUP BY price;`, SqlValidationError, "SQL validation failed. From line 3, column 24 to line 3, column 27: Expression 'item' is not being grouped");
  });

  it('type errors', () => {
    fails(`${BID}INSERT INTO out SELECT item, 1 FROM Bid WHERE item + 1 > 2;`, SqlValidationError,
      "SQL validation failed. From line 3, column 47 to line 3, column 54: Cannot apply '+' to arguments of type '<VARCHAR(2147483647)> + <INTEGER NOT NULL>'. Supported form(s): '<NUMERIC> + <NUMERIC>'\n'<DATETIME_INTERVAL> + <DATETIME_INTERVAL>'\n'<DATETIME> + <DATETIME_INTERVAL>'");
    fails(`${BID}INSERT INTO out SELECT item, 1 FROM Bid WHERE COUNT(*) > 1;`, SqlValidationError, 'SQL validation failed. From line 3, column 47 to line 3, column 54: Aggregate expression is illegal in WHERE clause');
    fails(`${BID}INSERT INTO out SELECT item, bidtime FROM Bid;`, TableError,
      "Column types of query result and sink for 'default_catalog.default_database.out' do not match.\nCause: Incompatible types for sink column 'b' at position 1.\n\nQuery schema: [item: STRING, bidtime: TIMESTAMP(3) *ROWTIME*]\nSink schema:  [a: STRING, b: BIGINT]");
    fails(`${BID}INSERT INTO out SELECT item FROM Bid;`, TableError,
      "Column types of query result and sink for 'default_catalog.default_database.out' do not match.\nCause: Different number of columns.\n\nQuery schema: [item: STRING]\nSink schema:  [a: STRING, b: BIGINT]");
  });

  it('append-only sinks refuse updating queries with Flink\'s reason', () => {
    fails(`${BID}INSERT INTO out SELECT item, COUNT(*) FROM Bid GROUP BY item;`, TableError,
      "Table sink 'default_catalog.default_database.out' doesn't support consuming update changes which is produced by node GroupAggregate(groupBy=[item], select=[item, COUNT(*) AS EXPR$1])");
  });

  it('connector and format options', () => {
    fails(`CREATE TABLE t (a INT) WITH ('connector' = 'kafka');`, TableError,
      "Could not find any factory for identifier 'kafka' that implements 'org.apache.flink.table.factories.DynamicTableFactory' in the classpath.\n\nAvailable factory identifiers are:\n\nblackhole\ndatagen\nfilesystem\nfirehose\nkinesis\nkinesis-legacy\nprint");
    fails(`CREATE TABLE t (a INT) WITH ('connector' = 'kinesis', 'aws.region' = 'x', 'format' = 'json'); CREATE TABLE o (a INT) WITH ('connector'='print'); INSERT INTO o SELECT a FROM t;`, TableError,
      'One or more required options are missing.\n\nMissing required options are:\n\nstream.arn');
    fails(`CREATE TABLE t (a INT) WITH ('connector' = 'datagen', 'format' = 'avro'); CREATE TABLE p (a INT) WITH ('connector'='print'); INSERT INTO p SELECT a FROM t;`, TableError,
      "Unsupported options found for 'datagen'.\n\nUnsupported options:\n\nformat\n\nSupported options:\n\nconnector\nfields.*\nnumber-of-rows\nrows-per-second\nscan.parallelism");
    fails(`CREATE TABLE t (a INT) WITH ('connector' = 'kinesis', 'stream' = 's', 'format' = 'avro-glue'); CREATE TABLE o (a INT) WITH ('connector'='print'); INSERT INTO o SELECT a FROM t;`, TableError,
      "Could not find any factory for identifier 'avro-glue' that implements 'org.apache.flink.table.factories.DeserializationFormatFactory' in the classpath (Millrace's Flink SQL engine reads and writes the json, csv and raw formats).");
    fails(`CREATE TABLE t (a INT) WITH ('connector' = 'print'); CREATE TABLE p (a INT) WITH ('connector'='print'); INSERT INTO p SELECT a FROM t;`, TableError,
      "Connector 'print' can only be used as a sink. It cannot be used as a source.");
    fails(`CREATE TABLE t (a INT, ts TIMESTAMP(3) METADATA FROM 'timestampx') WITH ('connector' = 'kinesis', 'stream'='x', 'format'='json');`, TableError,
      "Invalid metadata key 'timestampx' in column 'ts' of table 'default_catalog.default_database.t'. The DynamicTableSource class for connector 'kinesis' supports the following metadata keys for reading:\ntimestamp\nshard-id\nsequence-number");
  });

  it('watermarks and windows', () => {
    fails(`CREATE TABLE t (a INT, WATERMARK FOR a AS a) WITH ('connector' = 'datagen');`, TableError,
      "Invalid data type of time field for watermark definition. The field must be of type TIMESTAMP(p) or TIMESTAMP_LTZ(p), the supported precision 'p' is from 0 to 3, but the time field type is INT");
    fails(`CREATE TABLE t (a INT, ts TIMESTAMP(3)) WITH ('connector' = 'datagen'); CREATE TABLE p (a TIMESTAMP(3)) WITH ('connector'='print'); INSERT INTO p SELECT window_start FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' MINUTE)) GROUP BY window_start, window_end;`, SqlValidationError,
      'SQL validation failed. From line 1, column 194 to line 1, column 207: The window function TUMBLE(TABLE table_name, DESCRIPTOR(timecol), datetime interval[, datetime interval]) requires the timecol to be a time attribute type, but is TIMESTAMP(3).');
    fails(`${BID}CREATE TABLE p (a TIMESTAMP(3), b DECIMAL(10,2)) WITH ('connector'='print'); INSERT INTO p SELECT window_start, SUM(price) FROM TABLE(HOP(TABLE Bid, DESCRIPTOR(bidtime), INTERVAL '3' MINUTES, INTERVAL '10' MINUTES)) GROUP BY window_start, window_end;`, TableError,
      'HOP table function based aggregate requires size must be an integral multiple of slide, but got size 600000 ms and slide 180000 ms');
  });

  it('unsupported constructs are named, and a script without INSERT is refused', () => {
    fails(`${DG}INSERT INTO p SELECT a FROM t ORDER BY a;`, UnsupportedSqlError,
      "Unsupported SQL construct in Millrace's Flink SQL engine: ORDER BY / LIMIT on an unbounded stream (use window Top-N: ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY …))");
    fails(`CREATE TABLE t (a INT) WITH ('connector' = 'datagen');`, TableError, 'No operators defined in streaming topology. Cannot execute.');
  });

  it('a record that is not JSON fails the job with Flink\'s deserialization error, and the job stays failed', () => {
    const job = compileJob(`${DG.replace("'datagen'", "'kinesis', 'stream' = 's', 'format' = 'json'")}INSERT INTO p SELECT a FROM t;`);
    assert.throws(() => job.sources.t!.push([{ data: 'not json' }]), { message: "Failed to deserialize JSON 'not json'." });
    assert.throws(() => job.sources.t!.push([{ data: '{"a":1}' }]), { message: "Failed to deserialize JSON 'not json'." });
    assert.throws(() => job.checkpoint(), { message: "Failed to deserialize JSON 'not json'." });
  });

  it('json.fail-on-missing-field and run-time arithmetic errors', () => {
    const job = compileJob(`CREATE TABLE t (a INT, b INT) WITH ('connector' = 'kinesis', 'stream' = 's', 'format' = 'json', 'json.fail-on-missing-field' = 'true');
      CREATE TABLE p (a INT) WITH ('connector' = 'print'); INSERT INTO p SELECT a / b FROM t;`);
    assert.throws(() => job.sources.t!.push([{ data: '{"a": 1}' }]), { message: 'Failed to deserialize JSON \'{"a": 1}\'.' });
    const job2 = compileJob(`CREATE TABLE t (a INT, b INT) WITH ('connector' = 'kinesis', 'stream' = 's', 'format' = 'json');
      CREATE TABLE p (a INT) WITH ('connector' = 'print'); INSERT INTO p SELECT a / b FROM t;`);
    assert.throws(() => job2.sources.t!.push([{ data: '{"a": 1, "b": 0}' }]), { message: '/ by zero' });
  });
});
