import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import {
  checkFormatConversion,
  checkFormatConversionDestination,
  compileTimestampFormat,
  CONVERSION_BUFFER_SIZE_MESSAGE,
  CONVERSION_COMPRESSION_MESSAGE,
  convertToParquet,
  convertWithCatalog,
  ENTITY_NOT_FOUND_CODE,
  formatConversionErrorRecord,
  MALFORMED_DATA_CODE,
  INVALID_SCHEMA_CODE,
  ORC_NOT_SUPPORTED_MESSAGE,
  type ConversionInputRecord,
  type GlueTable,
  int96Timestamp,
} from '../src/firehose/delivery/format-conversion.js';
import { parseHiveType } from '../src/glue/domain/hive-type.js';

const run = promisify(execFile);
let dir: string;
let pyarrow: string | undefined; // why pyarrow checks are skipped, when they are

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'millrace-conversion-'));
  try {
    await run('python3', ['-c', 'import pyarrow']);
  } catch {
    pyarrow = 'pyarrow is not installed for python3 (pip install pyarrow); files are read back with hyparquet only';
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

function table(columns: Array<[string, string]>): GlueTable {
  return {
    Name: 'events',
    DatabaseName: 'analytics',
    CatalogId: '123456789012',
    VersionId: '3',
    CreateTime: 0,
    UpdateTime: 0,
    Retention: 0,
    PartitionKeys: [],
    IsRegisteredWithLakeFormation: false,
    StorageDescriptor: { Columns: columns.map(([Name, Type]) => ({ Name, Type })) },
  };
}

function conversion(deserializer: Record<string, unknown> = { OpenXJsonSerDe: {} }, parquet: Record<string, unknown> = {}) {
  return {
    Enabled: true,
    SchemaConfiguration: { RoleARN: 'arn:aws:iam::123456789012:role/firehose', DatabaseName: 'analytics', TableName: 'events', Region: 'us-east-1' },
    InputFormatConfiguration: { Deserializer: deserializer },
    OutputFormatConfiguration: { Serializer: { ParquetSerDe: parquet } },
  };
}

const records = (items: Array<unknown>): ConversionInputRecord[] =>
  items.map((item, index) => ({ index, data: Buffer.from(typeof item === 'string' ? item : JSON.stringify(item)), arrival: 1_700_000_000_000 + index }));

const arrayBuffer = (body: Buffer) => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;

/** pyarrow's view of a file: column types, rows as JSON-able values, and the column codecs. */
async function readWithPyarrow(body: Buffer): Promise<{ types: Record<string, string>; rows: Record<string, unknown>[]; codecs: string[]; physical: Record<string, string> }> {
  const file = join(dir, `f-${Math.random().toString(36).slice(2)}.parquet`);
  writeFileSync(file, body);
  const script = String.raw`
import json, sys, datetime, decimal
import pyarrow.parquet as pq
f = pq.ParquetFile(sys.argv[1])
t = f.read()
def plain(v):
    if isinstance(v, (datetime.datetime,)): return v.isoformat()
    if isinstance(v, datetime.date): return v.isoformat()
    if isinstance(v, decimal.Decimal): return str(v)
    if isinstance(v, bytes): return v.decode()
    if isinstance(v, list): return [plain(x) for x in v]
    if isinstance(v, tuple): return [plain(x) for x in v]
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    return v
rg = f.metadata.row_group(0) if f.metadata.num_row_groups else None
print(json.dumps({
  'types': {field.name: str(field.type) for field in t.schema},
  'rows': [{k: plain(v) for k, v in row.items()} for row in t.to_pylist()],
  'codecs': [rg.column(i).compression for i in range(rg.num_columns)] if rg else [],
  'physical': {rg.column(i).path_in_schema: rg.column(i).physical_type for i in range(rg.num_columns)} if rg else {},
}))
`;
  const { stdout } = await run('python3', ['-c', script, file], { timeout: 60_000 });
  return JSON.parse(stdout);
}

const ALL_TYPES: Array<[string, string]> = [
  ['s', 'string'],
  ['vc', 'varchar(3)'],
  ['ti', 'tinyint'],
  ['si', 'smallint'],
  ['i', 'int'],
  ['b', 'bigint'],
  ['f', 'float'],
  ['d', 'double'],
  ['ok', 'boolean'],
  ['ts', 'timestamp'],
  ['dt', 'date'],
  ['amount', 'decimal(10,2)'],
  ['tags', 'array<string>'],
  ['scores', 'map<string,int>'],
  ['user', 'struct<id:bigint,name:string,roles:array<string>>'],
];

const FULL = {
  s: 'hello',
  vc: 'abcdef',
  ti: -7,
  si: 300,
  i: 2147483647,
  b: '9007199254740993', // beyond 2^53: exact when given as text
  f: 1.5,
  d: 2.25,
  ok: 'TRUE',
  ts: '2017-02-07T15:13:01.39256Z',
  dt: '2024-02-29',
  amount: 12.345,
  tags: ['a', 'b'],
  scores: { x: 1, y: 2 },
  user: { ID: 42, Name: 'ann', roles: ['admin'] },
};

test('OpenX JSON SerDe: every scalar type and nested types, read back with pyarrow and hyparquet', async (t) => {
  const result = await convertToParquet(records([FULL, { S: 'upper-case key', ts: 1518033528, i: '12' }, '{"s":"one"} {"s":"two"}']), conversion(), table(ALL_TYPES), {
    account: '123456789012',
    region: 'us-east-1',
  });
  assert.deepEqual(result.failed, []);
  assert.equal(result.rows, 4);
  assert.equal(result.convertedRecords, 3);
  assert.equal(result.extension, '.parquet');

  const rows = await parquetReadObjects({ file: arrayBuffer(result.body) });
  assert.equal(rows.length, 4);
  assert.equal(rows[0].s, 'hello');
  assert.equal(rows[0].vc, 'abc'); // varchar(3) truncates, as Hive does
  assert.equal(rows[0].ti, -7);
  assert.equal(rows[0].i, 2147483647);
  assert.equal(rows[0].b, 9007199254740993n);
  assert.equal(rows[0].ok, true);
  assert.equal((rows[0].ts as Date).toISOString(), '2017-02-07T15:13:01.392Z');
  assert.deepEqual(rows[0].tags, ['a', 'b']);
  assert.deepEqual(rows[0].scores, { x: 1, y: 2 });
  assert.deepEqual(rows[0].user, { id: 42n, name: 'ann', roles: ['admin'] });
  assert.equal(rows[1].s, 'upper-case key'); // CaseInsensitive defaults to true
  assert.equal((rows[1].ts as Date).toISOString(), '2018-02-07T19:58:48.000Z'); // epoch seconds
  assert.equal(rows[1].i, 12);
  assert.equal(rows[1].tags ?? null, null); // absent list: null
  assert.deepEqual([rows[2].s, rows[3].s], ['one', 'two']); // concatenated objects are rows

  if (pyarrow) return t.skip(pyarrow);
  const read = await readWithPyarrow(result.body);
  assert.deepEqual(read.types, {
    s: 'string',
    vc: 'string',
    ti: 'int8',
    si: 'int16',
    i: 'int32',
    b: 'int64',
    f: 'float',
    d: 'double',
    ok: 'bool',
    ts: 'timestamp[ns]', // INT96, as Hive writes it: no unit or zone in the file
    dt: 'date32[day]',
    amount: 'decimal128(10, 2)',
    tags: 'list<array_element: string>',
    scores: "map<string, int32 ('scores')>", // pyarrow names the entries after the column
    user: 'struct<id: int64, name: string, roles: list<array_element: string>>',
  });
  assert.deepEqual(read.rows[0], {
    s: 'hello',
    vc: 'abc',
    ti: -7,
    si: 300,
    i: 2147483647,
    b: 9007199254740993,
    f: 1.5,
    d: 2.25,
    ok: true,
    ts: '2017-02-07T15:13:01.392000',
    dt: '2024-02-29',
    amount: '12.35', // half-up to the scale
    tags: ['a', 'b'],
    scores: [['x', 1], ['y', 2]],
    user: { id: 42, name: 'ann', roles: ['admin'] },
  });
  assert.deepEqual(read.codecs, Array(read.codecs.length).fill('SNAPPY'));
  assert.equal(read.physical.ts, 'INT96');
  assert.equal(read.physical.amount, 'FIXED_LEN_BYTE_ARRAY', 'decimals keep theirs');
});

test('deeply nested types: lists of structs holding maps of lists, maps with int keys, lists of lists, nulls at every level', async (t) => {
  const columns = table([
    ['items', 'array<struct<a:int,m:map<string,array<int>>>>'],
    ['mm', 'map<int,struct<x:double>>'],
    ['aa', 'array<array<string>>'],
  ]);
  const result = await convertToParquet(
    records([
      { items: [{ a: 1, m: { k: [1, 2], e: [] } }, null, { a: null, m: null }], mm: { '5': { x: 1.5 }, '6': null }, aa: [['a'], [], null, ['b', null]] },
      { items: [], mm: {}, aa: [] },
      {},
      { mm: { notint: { x: 1 } } },
    ]),
    conversion(),
    columns,
  );
  assert.deepEqual(
    result.failed.map((f) => [f.index, f.errorMessage]),
    [[3, 'Data does not match the schema: cannot read "notint" as int for column mm.key']],
  );
  const rows = await parquetReadObjects({ file: arrayBuffer(result.body) });
  // hyparquet reads a null list as undefined and a null element as null.
  assert.deepEqual(rows[0].aa, [['a'], [], undefined, ['b', null]]);
  if (pyarrow) return t.skip(pyarrow);
  const read = await readWithPyarrow(result.body);
  assert.equal(read.types.items, "list<array_element: struct<a: int32, m: map<string, list<array_element: int32> ('m')>>>");
  assert.equal(read.types.mm, "map<int32, struct<x: double> ('mm')>");
  assert.deepEqual(read.rows, [
    { items: [{ a: 1, m: [['k', [1, 2]], ['e', []]] }, null, { a: null, m: null }], mm: [[5, { x: 1.5 }], [6, null]], aa: [['a'], [], null, ['b', null]] },
    { items: [], mm: [], aa: [] },
    { items: null, mm: null, aa: null },
  ]);
});

test('OpenX options: CaseInsensitive false, ConvertDotsInJsonKeysToUnderscores, ColumnToJsonKeyMappings', async () => {
  const columns: Array<[string, string]> = [
    ['user_id', 'string'],
    ['ts', 'timestamp'],
    ['Name', 'string'],
  ];
  const input = records([{ 'user.id': 'u1', timestamp: '2020-01-02 03:04:05.5', name: 'lower', Name: 'exact' }]);
  const defaults = await convertToParquet(input, conversion(), table(columns));
  assert.deepEqual(await parquetReadObjects({ file: arrayBuffer(defaults.body) }), [{ user_id: null, ts: null, Name: 'exact' }]);

  const options = conversion({ OpenXJsonSerDe: { CaseInsensitive: false, ConvertDotsInJsonKeysToUnderscores: true, ColumnToJsonKeyMappings: { ts: 'timestamp' } } });
  const converted = await convertToParquet(input, options, table(columns));
  const [row] = await parquetReadObjects({ file: arrayBuffer(converted.body) });
  assert.equal(row.user_id, 'u1');
  assert.equal((row.ts as Date).toISOString(), '2020-01-02T03:04:05.500Z');
  assert.equal(row.Name, 'exact');

  const caseSensitive = await convertToParquet(records([{ name: 'lower' }]), options, table(columns));
  assert.deepEqual(await parquetReadObjects({ file: arrayBuffer(caseSensitive.body) }), [{ user_id: null, ts: null, Name: null }]);
});

test('Hive JSON SerDe: TimestampFormats (Joda patterns and millis), its default format, no JSON text in string columns', async (t) => {
  const columns: Array<[string, string]> = [
    ['id', 'int'],
    ['at', 'timestamp'],
  ];
  const hive = conversion({ HiveJsonSerDe: { TimestampFormats: ["yyyy-MM-dd'T'HH:mm:ss.SSSZZ", 'dd/MMM/yyyy:HH:mm:ss Z', 'millis'] } });
  const result = await convertToParquet(
    records([
      { id: 1, at: '2021-06-01T10:00:00.250+02:00' },
      { id: 2, at: '01/Jun/2021:10:00:00 -0100' },
      { id: 3, at: 1622541600123 },
      { id: 4, at: '2021-06-01 10:00:00' },
      { id: 5, at: '2021-06-01T10:00:00Z' }, // matches no format given here
    ]),
    hive,
    table(columns),
  );
  assert.deepEqual(
    result.failed.map((f) => [f.index, f.errorCode]),
    [[4, MALFORMED_DATA_CODE]],
  );
  const rows = await parquetReadObjects({ file: arrayBuffer(result.body) });
  assert.deepEqual(
    rows.map((r) => [r.id, (r.at as Date).toISOString()]),
    [
      [1, '2021-06-01T08:00:00.250Z'],
      [2, '2021-06-01T11:00:00.000Z'],
      [3, '2021-06-01T10:00:00.123Z'],
      [4, '2021-06-01T10:00:00.000Z'],
    ],
  );
  const nested = await convertToParquet(records([{ s: { a: 1 } }]), conversion({ HiveJsonSerDe: {} }), table([['s', 'string']]));
  assert.equal(nested.failed.length, 1);
  const openx = await convertToParquet(records([{ s: { a: 1 } }]), conversion(), table([['s', 'string']]));
  assert.deepEqual(await parquetReadObjects({ file: arrayBuffer(openx.body) }), [{ s: '{"a":1}' }]);
  if (pyarrow) return t.skip(pyarrow);
  const read = await readWithPyarrow(result.body);
  assert.equal(read.types.at, 'timestamp[ns]');
  assert.deepEqual(read.rows.map((r) => r.at), ['2021-06-01T08:00:00.250000', '2021-06-01T11:00:00', '2021-06-01T10:00:00.123000', '2021-06-01T10:00:00']);
});

test('ParquetSerDe Compression: SNAPPY (default), GZIP, UNCOMPRESSED, in the file and as pyarrow reads it', async (t) => {
  const input = records(Array.from({ length: 200 }, (_, i) => ({ s: `row-${i % 7}`, i })));
  const columns = table([
    ['s', 'string'],
    ['i', 'int'],
  ]);
  for (const [compression, codec] of [
    [undefined, 'SNAPPY'],
    ['SNAPPY', 'SNAPPY'],
    ['GZIP', 'GZIP'],
    ['UNCOMPRESSED', 'UNCOMPRESSED'],
  ] as const) {
    const result = await convertToParquet(input, conversion(undefined, compression ? { Compression: compression } : {}), columns);
    const metadata = parquetMetadata(arrayBuffer(result.body));
    assert.deepEqual(
      metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)),
      [codec, codec],
      String(compression),
    );
    // hyparquet reads SNAPPY itself; GZIP pages are gzip members (zlib).
    const rows = await parquetReadObjects({ file: arrayBuffer(result.body), compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gunzipSync(input)) } });
    assert.equal(rows.length, 200);
    assert.deepEqual(rows[199], { s: 'row-3', i: 199 });
    if (!pyarrow) {
      const read = await readWithPyarrow(result.body);
      assert.deepEqual(read.codecs, [codec, codec]);
      assert.equal(read.rows.length, 200);
    }
  }
  if (pyarrow) t.skip(pyarrow);
});

test('records that do not convert come back as format-conversion-failed failures; the rest are written', async () => {
  const input = records([
    { i: 1 },
    '[{"i":2}]', // an array of documents is not valid input (§11)
    '{"i": 3', // truncated
    { i: 'three' },
    { i: 2 ** 40 }, // out of int's range
    { i: 4, when: '2021-13-01 00:00:00' },
    { i: 5, when: 'yesterday' },
    'not json at all',
    { i: 6, when: '2021-01-01 00:00:00' },
  ]);
  const result = await convertToParquet(
    input,
    conversion(),
    table([
      ['i', 'int'],
      ['when', 'timestamp'],
    ]),
    { account: '123456789012', region: 'us-east-1', now: () => 1_800_000_000_000 },
  );
  assert.deepEqual(
    result.failed.map((f) => f.index),
    [1, 2, 3, 4, 5, 6, 7],
  );
  for (const failure of result.failed) {
    assert.equal(failure.errorOutputType, 'format-conversion-failed');
    assert.equal(failure.errorCode, MALFORMED_DATA_CODE);
    assert.ok(failure.errorMessage.length > 0);
    assert.equal(failure.attemptsMade, 1);
    assert.equal(failure.attemptEndingTimestamp, 1_800_000_000_000);
    assert.deepEqual(failure.rawData, input[failure.index].data);
    assert.equal(failure.arrival, input[failure.index].arrival);
    assert.deepEqual(failure.dataCatalogTable, {
      catalogId: '123456789012',
      databaseName: 'analytics',
      tableName: 'events',
      region: 'us-east-1',
      versionId: '3',
      catalogArn: 'arn:aws:glue:us-east-1:123456789012:catalog',
    });
  }
  assert.match(result.failed[0].errorMessage, /array of JSON documents is not valid input/);
  // The error object's JSON (§8.4).
  const kinesisSourced = { ...result.failed[0], source: { shardId: 'shardId-000000000000', partitionKey: 'k', sequenceNumber: '4960', subsequenceNumber: 2, approximateArrivalTimestamp: 1 } };
  assert.deepEqual(formatConversionErrorRecord(kinesisSourced), {
    attemptsMade: 1,
    arrivalTimestamp: input[1].arrival,
    lastErrorCode: MALFORMED_DATA_CODE,
    lastErrorMessage: result.failed[0].errorMessage,
    attemptEndingTimestamp: 1_800_000_000_000,
    rawData: Buffer.from('[{"i":2}]').toString('base64'),
    sequenceNumber: '4960',
    subSequenceNumber: 2,
    dataCatalogTable: result.failed[0].dataCatalogTable,
  });
  assert.match(result.failed[2].errorMessage, /cannot read "three" as int for column i/);
  const rows = await parquetReadObjects({ file: arrayBuffer(result.body) });
  assert.deepEqual(
    rows.map((r) => r.i),
    [1, 6],
  );
});

test('a table that cannot be read or found fails every record (InvalidSchema / EntityNotFound)', async () => {
  const input = records([{ a: 1 }, { a: 2 }]);
  const badType = await convertToParquet(input, conversion(), table([['a', 'uniontype<int,string>']]));
  assert.deepEqual(
    badType.failed.map((f) => [f.index, f.errorCode]),
    [
      [0, INVALID_SCHEMA_CODE],
      [1, INVALID_SCHEMA_CODE],
    ],
  );
  const noColumns = await convertToParquet(input, conversion(), table([]));
  assert.equal(noColumns.failed.length, 2);
  const missing = await convertWithCatalog(input, conversion(), { getTable: async () => undefined }, { account: '123456789012', region: 'us-east-1' });
  assert.deepEqual(
    missing.failed.map((f) => [f.index, f.errorCode, f.dataCatalogTable.versionId]),
    [
      [0, ENTITY_NOT_FOUND_CODE, 'LATEST'],
      [1, ENTITY_NOT_FOUND_CODE, 'LATEST'],
    ],
  );
  let asked: unknown[] = [];
  const found = await convertWithCatalog(
    input,
    conversion(),
    {
      getTable: async (...args) => {
        asked = args;
        return table([['a', 'int']]);
      },
    },
    { account: '123456789012', region: 'us-east-1' },
  );
  assert.deepEqual(asked, ['123456789012', 'us-east-1', 'analytics', 'events', '123456789012', 'LATEST']);
  assert.deepEqual(await parquetReadObjects({ file: arrayBuffer(found.body) }), [{ a: 1 }, { a: 2 }]);
});

test('create-time checks: AWS texts in AWS order; ORC refused with a clear message', () => {
  const valid = conversion();
  assert.equal(checkFormatConversion(valid), undefined);
  assert.equal(checkFormatConversion(undefined), undefined);
  assert.equal(checkFormatConversion({ Enabled: false }), undefined);
  assert.equal(checkFormatConversion({}), 'InputFormatConfiguration must not be null'); // an omitted Enabled is enabled
  assert.equal(checkFormatConversion({ ...valid, OutputFormatConfiguration: undefined }), 'OutputFormatConfiguration must not be null');
  assert.equal(checkFormatConversion({ ...valid, SchemaConfiguration: undefined }), 'SchemaConfiguration must not be null');
  assert.equal(checkFormatConversion({ ...valid, InputFormatConfiguration: { Deserializer: {} } }), 'Deserializer must not be null');
  assert.equal(
    checkFormatConversion({ ...valid, InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {}, HiveJsonSerDe: {} } } }),
    'More than one deserializer specified. Only one may be chosen.',
  );
  assert.equal(checkFormatConversion({ ...valid, OutputFormatConfiguration: { Serializer: {} } }), 'Serializer must not be null');
  assert.equal(
    checkFormatConversion({ ...valid, OutputFormatConfiguration: { Serializer: { ParquetSerDe: {}, OrcSerDe: {} } } }),
    'More than one serializer specified. Only one may be chosen.',
  );
  const orc = checkFormatConversion({ ...valid, OutputFormatConfiguration: { Serializer: { OrcSerDe: {} } } });
  assert.equal(orc, ORC_NOT_SUPPORTED_MESSAGE);
  assert.match(orc!, /Millrace has no ORC writer/);
  assert.equal(checkFormatConversion({ ...valid, SchemaConfiguration: { DatabaseName: 'a', TableName: 'b' } }), 'SchemaConfiguration.RoleArn must not be null or empty');
  assert.equal(checkFormatConversion({ ...valid, SchemaConfiguration: { RoleARN: 'r', TableName: 'b' } }), 'SchemaConfiguration.DatabaseName must not be null or empty');
  assert.equal(checkFormatConversion({ ...valid, SchemaConfiguration: { RoleARN: 'r', DatabaseName: 'a', TableName: '' } }), 'SchemaConfiguration.TableName must not be null or empty');
  assert.match(checkFormatConversion(conversion({ HiveJsonSerDe: { TimestampFormats: ['yyyy-MM-dd QQ'] } }))!, /Invalid timestamp format 'yyyy-MM-dd QQ'/);

  assert.equal(checkFormatConversionDestination({ conversion: valid, compressionFormat: 'UNCOMPRESSED', sizeInMBs: 64 }), undefined);
  assert.equal(checkFormatConversionDestination({ conversion: valid }), undefined);
  // Compression first, then the buffer size, then the configuration itself.
  assert.equal(checkFormatConversionDestination({ conversion: {}, compressionFormat: 'GZIP', sizeInMBs: 5 }), CONVERSION_COMPRESSION_MESSAGE);
  assert.equal(checkFormatConversionDestination({ conversion: {}, compressionFormat: 'UNCOMPRESSED', sizeInMBs: 5 }), CONVERSION_BUFFER_SIZE_MESSAGE);
  assert.equal(CONVERSION_BUFFER_SIZE_MESSAGE, 'BufferingHints.SizeInMBs must be at least 64 when data format conversion is enabled.');
  assert.equal(checkFormatConversionDestination({ conversion: {}, sizeInMBs: 64 }), 'InputFormatConfiguration must not be null');
  assert.equal(checkFormatConversionDestination({ conversion: { Enabled: false }, compressionFormat: 'GZIP', sizeInMBs: 1 }), undefined);
});

test('Hive type strings and Joda patterns parse as Hive and Joda read them', () => {
  assert.deepEqual(parseHiveType('ARRAY<STRUCT<a:INT, `b c`:map<string,decimal(5,1)>>>'), {
    kind: 'array',
    element: {
      kind: 'struct',
      fields: [
        { name: 'a', type: { kind: 'int' } },
        { name: 'b c', type: { kind: 'map', key: { kind: 'string' }, value: { kind: 'decimal', precision: 5, scale: 1 } } },
      ],
    },
  });
  assert.deepEqual(parseHiveType('decimal'), { kind: 'decimal', precision: 10, scale: 0 });
  assert.throws(() => parseHiveType('array<int'), /'>' expected/);
  assert.throws(() => parseHiveType('decimal(40,2)'), /invalid decimal/);
  const parse = compileTimestampFormat('yyyy/MM/dd hh:mm a');
  assert.equal(parse('2022/03/04 01:05 PM'), Date.UTC(2022, 2, 4, 13, 5));
  assert.equal(parse('2022/02/30 01:05 PM'), undefined);
});

test('throughput of the conversion (reported, not asserted)', async (t) => {
  const n = 50_000;
  const input = records(
    Array.from({ length: n }, (_, i) => ({ id: i, user: `user-${i % 1000}`, amount: i / 100, at: '2024-05-01T12:00:00Z', ok: i % 2 === 0, tags: ['x', 'y'] })),
  );
  const schema = table([
    ['id', 'bigint'],
    ['user', 'string'],
    ['amount', 'double'],
    ['at', 'timestamp'],
    ['ok', 'boolean'],
    ['tags', 'array<string>'],
  ]);
  const started = process.hrtime.bigint();
  const result = await convertToParquet(input, conversion(), schema);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(result.rows, n);
  assert.equal(result.failed.length, 0);
  const rows = await parquetReadObjects({ file: arrayBuffer(result.body), columns: ['id'] });
  assert.equal(rows.at(-1)?.id, BigInt(n - 1));
  t.diagnostic(`${n} records → ${result.body.length} bytes of Parquet (SNAPPY) in ${seconds.toFixed(2)} s: ${Math.round(n / seconds)} records/s`);
});

test('INT96 timestamps: nanoseconds of the day then the Julian day, little-endian, as Hive writes them', async () => {
  const hex = (ms: number) => Buffer.from(int96Timestamp(ms)).toString('hex');
  assert.equal(hex(0), '0000000000000000' + Buffer.from(Uint32Array.of(2_440_588).buffer).toString('hex'));
  // 1970-01-01T00:00:01.5Z: 1.5e9 ns of day 2440588.
  const view = new DataView(int96Timestamp(1500).buffer);
  assert.equal(view.getBigInt64(0, true), 1_500_000_000n);
  assert.equal(view.getInt32(8, true), 2_440_588);
  // Before 1970 the day is the one the instant falls in, the nanoseconds count from its start.
  const before = new DataView(int96Timestamp(-1).buffer);
  assert.equal(before.getBigInt64(0, true), 86_399_999_000_000n);
  assert.equal(before.getInt32(8, true), 2_440_587);
  const footer = parquetMetadata(arrayBuffer((await convertToParquet(records([{ ts: '2020-01-01T00:00:00Z' }]), conversion(), table([['ts', 'timestamp']]))).body));
  assert.equal(footer.schema[1]!.type, 'INT96');
  assert.equal(footer.row_groups[0]!.columns[0]!.meta_data!.type, 'INT96');
});
