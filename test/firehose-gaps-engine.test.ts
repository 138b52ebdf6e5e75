import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateDeliveryStreamCommand, FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { CreateDatabaseCommand, CreateTableCommand, GlueClient, UpdateTableCommand } from '@aws-sdk/client-glue';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { MAX_ACTIVE_PARTITIONS } from '../src/firehose/delivery/engine.js';
import { PARTITION_LIMIT_ERROR_CODE, PARTITION_LIMIT_ERROR_MESSAGE } from '../src/firehose/delivery/error-output.js';
import { MALFORMED_DATA_CODE } from '../src/firehose/delivery/format-conversion.js';
import { available, startTestServer, type TestServer } from './helpers.js';

/**
 * Engine paths end to end that other tests cover only in parts (issue 14 items 6 and 9): JSON →
 * Parquet conversion against a table made through the Glue API, delivered by the engine and read
 * back with pyarrow; and dynamic partitioning past its 500 active partitions, where AWS sends the
 * records of every further partition to the `activePartitionExceeded` error output (FIREHOSE-SPEC
 * §8.2, §10.5). Real clients (@aws-sdk/client-firehose, -glue, -s3) against the embedded store.
 */

const pexec = promisify(execFile);
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
const ROLE = 'arn:aws:iam::123456789012:role/firehose';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

let server: TestServer;
let firehose: FirehoseClient;
let glue: GlueClient;
let s3: S3Client;
let dir: string;

before(async () => {
  server = await startTestServer();
  const common = { endpoint: server.endpoint, region: REGION, credentials, maxAttempts: 1 };
  firehose = new FirehoseClient(common);
  glue = new GlueClient(common);
  s3 = new S3Client({ ...common, forcePathStyle: true });
  dir = mkdtempSync(join(tmpdir(), 'millrace-fh-gaps-'));
});
after(async () => {
  firehose.destroy();
  glue.destroy();
  s3.destroy();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function objects(bucket: string, prefix: string): Promise<Array<{ key: string; body: Buffer }>> {
  const out: Array<{ key: string; body: Buffer }> = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const { Key } of page.Contents ?? []) {
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      out.push({ key: Key!, body: Buffer.from(await object.Body!.transformToByteArray()) });
    }
    token = page.NextContinuationToken;
  } while (token);
  return out;
}

const putAll = async (name: string, records: Buffer[]) => {
  for (let i = 0; i < records.length; i += 500) {
    const out = await firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: name, Records: records.slice(i, i + 500).map((Data) => ({ Data })) }));
    assert.equal(out.FailedPutCount, 0);
  }
};

/** pyarrow's view of a Parquet file: column types and the rows. */
async function readWithPyarrow(body: Buffer): Promise<{ types: Record<string, string>; rows: Record<string, unknown>[]; rowGroups: number }> {
  const file = join(dir, `f-${Math.random().toString(36).slice(2)}.parquet`);
  writeFileSync(file, body);
  const script = String.raw`
import json, sys, datetime, decimal
import pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
def plain(v):
    if isinstance(v, datetime.datetime): return v.isoformat()
    if isinstance(v, datetime.date): return v.isoformat()
    if isinstance(v, decimal.Decimal): return str(v)
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    return v
print(json.dumps({
  'types': {field.name: str(field.type) for field in t.schema},
  'rows': [{k: plain(v) for k, v in row.items()} for row in t.to_pylist()],
  'rowGroups': f.metadata.num_row_groups,
}))
`;
  const { stdout } = await pexec('python3', ['-c', script, file], { timeout: 60_000 });
  return JSON.parse(stdout);
}

test('JSON → Parquet through the engine: the Glue table made through the Glue API, objects pyarrow reads with the table types, failures under format-conversion-failed', async (t) => {
  if (!(await available('python3', ['-c', 'import pyarrow.parquet']))) return t.skip("`python3 -c 'import pyarrow.parquet'` fails here");
  await s3.send(new CreateBucketCommand({ Bucket: 'parquet-bucket' }));
  await glue.send(new CreateDatabaseCommand({ DatabaseInput: { Name: 'analytics' } }));
  await glue.send(
    new CreateTableCommand({
      DatabaseName: 'analytics',
      TableInput: {
        Name: 'orders',
        StorageDescriptor: {
          Columns: [
            { Name: 'id', Type: 'bigint' },
            { Name: 'customer', Type: 'string' },
            { Name: 'total', Type: 'decimal(10,2)' },
            { Name: 'paid', Type: 'boolean' },
            { Name: 'placed', Type: 'timestamp' },
            { Name: 'day', Type: 'date' },
            { Name: 'items', Type: 'array<struct<sku:string,qty:int>>' },
            { Name: 'attributes', Type: 'map<string,string>' },
          ],
        },
      },
    }),
  );
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'to-parquet',
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: 'arn:aws:s3:::parquet-bucket',
        Prefix: 'orders/!{timestamp:yyyy}/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 900 },
        DataFormatConversionConfiguration: {
          Enabled: true,
          SchemaConfiguration: { RoleARN: ROLE, DatabaseName: 'analytics', TableName: 'orders', Region: REGION, VersionId: 'LATEST' },
          InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
        },
      },
    }),
  );
  const good = Array.from({ length: 300 }, (_, i) => ({
    // OpenX is case-insensitive by default: `ID` fills column id.
    ID: i,
    customer: `c${i % 7}`,
    total: (i * 1.25).toFixed(2),
    paid: i % 2 === 0,
    placed: `2024-03-0${(i % 9) + 1}T10:00:00Z`,
    day: '2024-03-01',
    items: [{ sku: `s${i}`, qty: i % 5 }],
    attributes: { channel: i % 3 ? 'web' : 'store' },
  }));
  const broken = ['{"id": 1, "customer": "x"', 'not json at all'];
  // Two records in one put: OpenX reads concatenated JSON objects as separate rows.
  const concatenated = JSON.stringify({ id: 1000, customer: 'cat-a' }) + JSON.stringify({ id: 1001, customer: 'cat-b' });
  const payloads = [...good.slice(0, 150).map((r) => JSON.stringify(r)), broken[0]!, ...good.slice(150).map((r) => JSON.stringify(r)), broken[1]!, concatenated];
  await putAll('to-parquet', payloads.map((p) => Buffer.from(p)));
  await server.delivery.flush(ACCOUNT, REGION, 'to-parquet');

  const year = new Date().getUTCFullYear();
  const converted = await objects('parquet-bucket', 'orders/');
  assert.equal(converted.length, 1, 'one object for one buffer');
  assert.match(converted[0]!.key, new RegExp(`^orders/${year}/to-parquet-1-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9a-f-]{36}\\.parquet$`));
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'parquet-bucket', Key: converted[0]!.key }));
  assert.equal(head.ContentEncoding, undefined, 'Snappy is inside the file, not a Content-Encoding');
  const { types, rows } = await readWithPyarrow(converted[0]!.body);
  assert.deepEqual(types, {
    id: 'int64',
    customer: 'string',
    total: 'decimal128(10, 2)',
    paid: 'bool',
    placed: 'timestamp[ns]', // INT96, as Hive (and so AWS) writes timestamps
    day: 'date32[day]',
    // Hive's list layout (repeated group bag { array_element }); pyarrow names map entries after the column.
    items: 'list<array_element: struct<sku: string, qty: int32>>',
    attributes: "map<string, string ('attributes')>",
  });
  assert.equal(rows.length, 302);
  assert.deepEqual(rows[0], {
    id: 0,
    customer: 'c0',
    total: '0.00',
    paid: true,
    placed: '2024-03-01T10:00:00',
    day: '2024-03-01',
    items: [{ sku: 's0', qty: 0 }],
    attributes: [['channel', 'store']],
  });
  assert.deepEqual(rows[299], {
    id: 299,
    customer: 'c5',
    total: '373.75',
    paid: false,
    placed: '2024-03-03T10:00:00',
    day: '2024-03-01',
    items: [{ sku: 's299', qty: 4 }],
    attributes: [['channel', 'web']],
  });
  assert.deepEqual(
    rows.map((row) => row.id),
    [...good.map((r) => r.ID), 1000, 1001],
    'records in put order, the concatenated pair as two rows',
  );
  assert.deepEqual(rows[301], { id: 1001, customer: 'cat-b', total: null, paid: null, placed: null, day: null, items: null, attributes: null });

  const errors = await objects('parquet-bucket', 'errors/');
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.key, /^errors\/format-conversion-failed\/to-parquet-1-[\d-]+-[0-9a-f-]{36}$/);
  const documents = errors[0]!.body.toString().trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(
    documents.map((d) => Buffer.from(d.rawData, 'base64').toString()),
    broken,
  );
  for (const document of documents) {
    assert.equal(document.lastErrorCode, MALFORMED_DATA_CODE);
    assert.equal(typeof document.lastErrorMessage, 'string');
    assert.equal(document.attemptsMade, 1);
    const { versionId, ...table } = document.dataCatalogTable;
    assert.deepEqual(table, { catalogId: ACCOUNT, databaseName: 'analytics', tableName: 'orders', region: REGION, catalogArn: `arn:aws:glue:${REGION}:${ACCOUNT}:catalog` });
    assert.match(versionId, /^\d+$/, 'the version of the table the records were read against');
  }

  // A column added through UpdateTable is in the next object (VersionId LATEST).
  await glue.send(
    new UpdateTableCommand({
      DatabaseName: 'analytics',
      TableInput: { Name: 'orders', StorageDescriptor: { Columns: [{ Name: 'id', Type: 'bigint' }, { Name: 'note', Type: 'varchar(5)' }] } },
    }),
  );
  await putAll('to-parquet', [Buffer.from(JSON.stringify({ id: 7, note: 'truncated', customer: 'gone' }))]);
  await server.delivery.flush(ACCOUNT, REGION, 'to-parquet');
  const after = (await objects('parquet-bucket', 'orders/')).filter((o) => o.key !== converted[0]!.key);
  assert.equal(after.length, 1);
  const second = await readWithPyarrow(after[0]!.body);
  assert.deepEqual(second.types, { id: 'int64', note: 'string' });
  assert.deepEqual(second.rows, [{ id: 7, note: 'trunc' }]);
});

test(`dynamic partitioning: past ${MAX_ACTIVE_PARTITIONS} active partitions the records of new partitions go to activePartitionExceeded, the others to their partitions`, async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'dp-bucket' }));
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'partitioned',
      ExtendedS3DestinationConfiguration: {
        RoleARN: ROLE,
        BucketARN: 'arn:aws:s3:::dp-bucket',
        Prefix: 'data/customer=!{partitionKeyFromQuery:customer}/',
        ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
        // Nothing falls due during the test: every partition stays active until the flush.
        BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 900 },
        DynamicPartitioningConfiguration: { Enabled: true },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'MetadataExtraction',
              Parameters: [
                { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{customer: .customer}' },
                { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
              ],
            },
            { Type: 'AppendDelimiterToRecord', Parameters: [] },
          ],
        },
      },
    }),
  );
  const customers = MAX_ACTIVE_PARTITIONS + 100;
  // Two records for every customer: the second of an active partition joins its buffer; both of a
  // partition that found no room go to the error output. The put order interleaves them.
  const records: Buffer[] = [];
  for (let round = 0; round < 2; round++) for (let c = 0; c < customers; c++) records.push(Buffer.from(JSON.stringify({ customer: `c${String(c).padStart(3, '0')}`, round })));
  await putAll('partitioned', records);
  await server.delivery.flush(ACCOUNT, REGION, 'partitioned');

  const delivered = await objects('dp-bucket', 'data/');
  const partitions = new Map<string, string[]>();
  for (const { key, body } of delivered) {
    const match = /^data\/customer=(c\d{3})\/partitioned-1-[\d-]+-[0-9a-f-]{36}$/.exec(key);
    assert.ok(match, key);
    partitions.set(match[1]!, [...(partitions.get(match[1]!) ?? []), ...body.toString().trimEnd().split('\n')]);
  }
  assert.equal(partitions.size, MAX_ACTIVE_PARTITIONS);
  // The first 500 customers in log order got the partitions; each holds both its records.
  for (let c = 0; c < MAX_ACTIVE_PARTITIONS; c++) {
    const customer = `c${String(c).padStart(3, '0')}`;
    assert.deepEqual(
      partitions.get(customer)?.map((line) => JSON.parse(line).round).sort(),
      [0, 1],
      customer,
    );
  }

  const errors = await objects('dp-bucket', 'errors/');
  assert.ok(errors.length > 0);
  const documents: Array<Record<string, unknown>> = [];
  for (const { key, body } of errors) {
    assert.match(key, /^errors\/activePartitionExceeded\/partitioned-1-[\d-]+-[0-9a-f-]{36}$/);
    documents.push(...body.toString().trimEnd().split('\n').map((line) => JSON.parse(line)));
  }
  assert.equal(documents.length, 200);
  // Error objects are written per read of the log: their listing order is not the put order.
  const byPutOrder = (x: { customer: string; round: number }, y: { customer: string; round: number }) => x.round - y.round || x.customer.localeCompare(y.customer);
  const spilled = documents.map((d) => JSON.parse(Buffer.from(d.rawData as string, 'base64').toString())).sort(byPutOrder);
  const expectedSpilled: Array<{ customer: string; round: number }> = [];
  for (let round = 0; round < 2; round++) for (let c = MAX_ACTIVE_PARTITIONS; c < customers; c++) expectedSpilled.push({ customer: `c${String(c).padStart(3, '0')}`, round });
  assert.deepEqual(spilled, expectedSpilled);
  for (const document of documents) {
    assert.equal(document.errorCode, PARTITION_LIMIT_ERROR_CODE);
    assert.equal(document.errorMessage, PARTITION_LIMIT_ERROR_MESSAGE(MAX_ACTIVE_PARTITIONS));
    assert.equal(document.attemptsMade, 1);
    assert.equal(typeof document.arrivalTimestamp, 'number');
  }
  const metrics = server.delivery.metrics(`arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/partitioned`)!;
  assert.equal(metrics.ErrorOutputRecords.activePartitionExceeded, 200);

  // Once the flush has delivered the partitions they are no longer active: new customers get theirs.
  await putAll('partitioned', [Buffer.from(JSON.stringify({ customer: 'late', round: 2 }))]);
  await server.delivery.flush(ACCOUNT, REGION, 'partitioned');
  const late = await objects('dp-bucket', 'data/customer=late/');
  assert.equal(late.length, 1);
  assert.equal(late[0]!.body.toString(), '{"customer":"late","round":2}\n');
});
