import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import protobuf from 'protobufjs/light.js';
import { openLocalModuleInvoker } from '../src/functions/local-modules.js';
import type { FunctionInvoker } from '../src/functions/invoker.js';
import { createLogger } from '../src/log.js';
import {
  acceptsPayload,
  checkProcessingConfiguration,
  createProcessor,
  type IngestRecord,
  type Processor,
  type ProcessorDeps,
} from '../src/firehose/processing/pipeline.js';
import { aggregateKpl, KPL_MAGIC } from '../src/firehose/processing/kpl-aggregation.js';
import { LAMBDA_ERRORS } from '../src/firehose/processing/lambda-transform.js';
import { MAX_SUB_RECORDS } from '../src/firehose/processing/record-deaggregation.js';
import { jqBinaryVersion, loadJqWeb, openJqQuery } from '../src/firehose/processing/jq.js';
import {
  EMPTY_KEY_VALUE_MESSAGE,
  METADATA_EXTRACTION_FAILED_CODE,
  NON_JSON_RECORD_MESSAGE,
} from '../src/firehose/processing/metadata-extraction.js';
import { REPEATED_PROCESSOR_MESSAGE } from '../src/firehose/processing/configuration.js';
import { processingErrorDocument } from '../src/firehose/processing/error-document.js';
import type { SourceMetadata } from '../src/firehose/domain/delivery-stream.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const STREAM_ARN = `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/processing-test`;
const KINESIS_ARN = `arn:aws:kinesis:${REGION}:${ACCOUNT}:stream/source`;
const fn = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
const log = createLogger('silent');

/** Firehose transforms as users write them; each notes its events in `<name>.events` beside it. */
const MODULES: Record<string, string> = {
  'transform.mjs': `
    import { appendFileSync } from 'node:fs';
    export const handler = async (event) => {
      appendFileSync(new URL('./transform.events', import.meta.url), JSON.stringify(event) + '\\n');
      return {
        records: event.records.map((record) => {
          const text = Buffer.from(record.data, 'base64').toString();
          if (text.startsWith('drop')) return { recordId: record.recordId, result: 'Dropped' };
          if (text.startsWith('fail')) return { recordId: record.recordId, result: 'ProcessingFailed', data: record.data };
          return {
            recordId: record.recordId,
            result: 'Ok',
            data: Buffer.from(text.toUpperCase()).toString('base64'),
            metadata: { partitionKeys: { first: text.slice(0, 1), length: text.length } },
          };
        }),
      };
    };`,
  'garbage.mjs': `export const handler = async () => 'this is not the status model';`,
  'not-json.mjs': `export const handler = async () => undefined;`,
  'too-few.mjs': `export const handler = async (event) => ({ records: event.records.slice(1).map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) });`,
  'none.mjs': `export const handler = async () => ({ records: [] });`,
  'duplicates.mjs': `
    export const handler = async (event) => ({
      records: [event.records[0], ...event.records].map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })),
    });`,
  'ok-without-data.mjs': `export const handler = async (event) => ({ records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok' })) });`,
  'not-base64.mjs': `export const handler = async (event) => ({ records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: 'plain text!' })) });`,
  'bad-result.mjs': `export const handler = async (event) => ({ records: event.records.map((r) => ({ recordId: r.recordId, result: 'OK', data: r.data })) });`,
  'throws.mjs': `
    import { appendFileSync } from 'node:fs';
    export const handler = async () => {
      appendFileSync(new URL('./throws.calls', import.meta.url), '.');
      throw new Error('transform broke');
    };`,
  'flaky.mjs': `
    import { appendFileSync, existsSync, readFileSync } from 'node:fs';
    const calls = new URL('./flaky.calls', import.meta.url);
    export const handler = async (event) => {
      appendFileSync(calls, '.');
      if (readFileSync(calls, 'utf8').length < 3) throw new Error('not yet');
      return { records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) };
    };`,
  'batch-sizes.mjs': `
    import { appendFileSync } from 'node:fs';
    export const handler = async (event) => {
      appendFileSync(new URL('./batch-sizes.events', import.meta.url), event.records.length + '\\n');
      return { records: event.records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data })) };
    };`,
};

let dir: string;
let functions: FunctionInvoker;
const processors: Processor[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'millrace-fh-processing-'));
  for (const [file, source] of Object.entries(MODULES)) writeFileSync(join(dir, file), source);
  functions = openLocalModuleInvoker({ dir, timeoutMs: 10_000, concurrency: 2, region: REGION, account: ACCOUNT });
});

after(async () => {
  for (const processor of processors) await processor.close();
  await functions.close();
  rmSync(dir, { recursive: true, force: true });
});

function deps(overrides: Partial<ProcessorDeps> = {}): ProcessorDeps {
  return { functions, log, deliveryStreamArn: STREAM_ARN, region: REGION, sleep: async () => {}, ...overrides };
}

function processor(processing: unknown, overrides: Partial<ProcessorDeps> = {}): Processor {
  const made = createProcessor(processing, deps(overrides));
  processors.push(made);
  return made;
}

type Parameters = Record<string, string>;
const proc = (Type: string, parameters: Parameters = {}) => ({
  Type,
  Parameters: Object.entries(parameters).map(([ParameterName, ParameterValue]) => ({ ParameterName, ParameterValue })),
});
const enabled = (...processors: unknown[]) => ({ Enabled: true, Processors: processors });

const records = (...items: Array<string | Buffer>): IngestRecord[] =>
  items.map((item, index) => ({ index, data: Buffer.isBuffer(item) ? item : Buffer.from(item), arrival: 1_700_000_000_000 + index }));
const texts = (list: Array<{ data: Buffer }>) => list.map((record) => record.data.toString());
const signal = () => new AbortController().signal;

const kinesisSource = (sequenceNumber: string): SourceMetadata => ({
  shardId: 'shardId-000000000001',
  partitionKey: 'outer-key',
  sequenceNumber,
  approximateArrivalTimestamp: 1_700_000_000_123,
});

// ---- KPL de-aggregation -------------------------------------------------------------------------

/** An aggregate written with protobufjs's .proto parser, independent of the module under test. */
function kplAggregate(subRecords: Array<{ key: string; data: string; hashKey?: string }>): Buffer {
  const root = protobuf.Root.fromJSON({
    nested: {
      AggregatedRecord: {
        edition: 'proto2',
        fields: {
          partition_key_table: { rule: 'repeated', type: 'string', id: 1 },
          explicit_hash_key_table: { rule: 'repeated', type: 'string', id: 2 },
          records: { rule: 'repeated', type: 'Record', id: 3 },
        },
      },
      Record: {
        edition: 'proto2',
        fields: {
          partition_key_index: { rule: 'required', type: 'uint64', id: 1 },
          explicit_hash_key_index: { rule: 'optional', type: 'uint64', id: 2 },
          data: { rule: 'required', type: 'bytes', id: 3 },
        },
      },
    },
  });
  const type = root.lookupType('AggregatedRecord');
  const keys = [...new Set(subRecords.map((r) => r.key))];
  const hashKeys = [...new Set(subRecords.flatMap((r) => (r.hashKey ? [r.hashKey] : [])))];
  const message = type
    .encode(
      type.fromObject({
        partition_key_table: keys,
        explicit_hash_key_table: hashKeys,
        records: subRecords.map((r) => ({
          partition_key_index: keys.indexOf(r.key),
          ...(r.hashKey ? { explicit_hash_key_index: hashKeys.indexOf(r.hashKey) } : {}),
          data: Buffer.from(r.data),
        })),
      }),
    )
    .finish();
  return Buffer.concat([KPL_MAGIC, message, createHash('md5').update(message).digest()]);
}

test('KPL aggregates from a Kinesis source become their sub-records, with partition keys and subsequence numbers', async () => {
  const aggregate = kplAggregate([
    { key: 'k1', data: 'alpha' },
    { key: 'k2', data: 'beta', hashKey: '170141183460469231731687303715884105728' },
    { key: 'k1', data: '' },
  ]);
  assert.deepEqual(aggregate, aggregateKpl([
    { partitionKey: 'k1', data: Buffer.from('alpha') },
    { partitionKey: 'k2', data: Buffer.from('beta'), explicitHashKey: '170141183460469231731687303715884105728' },
    { partitionKey: 'k1', data: Buffer.alloc(0) },
  ]), 'the module builds the same bytes as an independent encoder');
  const input: IngestRecord[] = [
    { index: 7, data: aggregate, arrival: 1, source: kinesisSource('4955') },
    { index: 8, data: Buffer.from('plain'), arrival: 2, source: kinesisSource('4956') },
  ];
  const result = await processor(undefined).process(input, signal());
  assert.deepEqual(texts(result.delivered), ['alpha', 'beta', '', 'plain']);
  assert.deepEqual(result.delivered.map((r) => r.index), [7, 7, 7, 8]);
  assert.deepEqual(result.delivered.map((r) => r.source?.partitionKey), ['k1', 'k2', 'k1', 'outer-key']);
  assert.deepEqual(result.delivered.map((r) => r.source?.subsequenceNumber), [0, 1, 2, undefined]);
  assert.ok(result.delivered.every((r) => r.source?.shardId === 'shardId-000000000001'));
  assert.deepEqual(result.failed, []);
});

/**
 * Aggregates written by other implementations (base64), so that the format read here is not only
 * the one this module writes: awslabs/kinesis-aggregation's reference record (quoted in a Python
 * deaggregator's tests), a Node deaggregator's fixture, and one with an explicit hash key table.
 */
const KPL_FIXTURES: Array<[string, Array<[string, string]>]> = [
  [
    '84mawgoEcGstMAoEcGstMQoEcGstMhoTCAAaD3sibXNnIjoibGluZTAifRoTCAEaD3sibXNnIjoibGluZTEifRoTCAIaD3sibXNnIjoibGluZTIifZ8hyadI+v2KZPZrUGim6cQ=',
    [['pk-0', '{"msg":"line0"}'], ['pk-1', '{"msg":"line1"}'], ['pk-2', '{"msg":"line2"}']],
  ],
  [
    '84mawgoCcDEaGAgAGhQwMTIzNDU2Nzg5MDEyMzQ1NjdfQRoYCAAaFDAxMjM0NTY3ODkwMTIzNDU2N19CGhgIABoUMDEyMzQ1Njc4OTAxMjM0NTY3X0NHjL02iyRk3D+kO2UC2X6u',
    [['p1', '012345678901234567_A'], ['p1', '012345678901234567_B'], ['p1', '012345678901234567_C']],
  ],
  [
    '84mawgokODE2MjJiMGUtNWFlOC00YjUzLWE1ODUtYzZjYjc3ODBlNjgwCiQyNWQ0YzNjMS0zMWZlLTQyNGYtOTFmMy04MTI0MWRjYzY1OTASCXVuZGVmaW5lZBoRCAAQABoLeyJhIjoiQUJDIn0aEQgBEAAaC3siYiI6IkRFRiJ9jU+TcO1bDHHEgOGh8mJlCw==',
    [['81622b0e-5ae8-4b53-a585-c6cb7780e680', '{"a":"ABC"}'], ['25d4c3c1-31fe-424f-91f3-81241dcc6590', '{"b":"DEF"}']],
  ],
];

test('KPL aggregates written by other implementations de-aggregate', async () => {
  for (const [base64, expected] of KPL_FIXTURES) {
    const result = await processor(undefined).process([{ index: 0, data: Buffer.from(base64, 'base64'), arrival: 0, source: kinesisSource('1') }], signal());
    assert.deepEqual(result.delivered.map((r) => [r.source?.partitionKey, r.data.toString()]), expected);
  }
});

test('a KPL-looking record with a bad MD5, bad protobuf or no Kinesis source is an ordinary record', async () => {
  const aggregate = kplAggregate([{ key: 'k', data: 'x' }]);
  const badDigest = Buffer.from(aggregate);
  badDigest[badDigest.length - 1]! ^= 0xff;
  const badProtobuf = Buffer.concat([KPL_MAGIC, Buffer.from([0xff, 0xff, 0xff]), createHash('md5').update(Buffer.from([0xff, 0xff, 0xff])).digest()]);
  const source = kinesisSource('1');
  const result = await processor(undefined).process(
    [
      { index: 0, data: badDigest, arrival: 0, source },
      { index: 1, data: badProtobuf, arrival: 0, source },
      { index: 2, data: aggregate, arrival: 0 }, // DirectPut: never de-aggregated
    ],
    signal(),
  );
  assert.equal(result.delivered.length, 3);
  assert.deepEqual(result.delivered[0]!.data, badDigest);
  assert.deepEqual(result.delivered[1]!.data, badProtobuf);
  assert.deepEqual(result.delivered[2]!.data, aggregate);
});

test('with processing disabled, records pass through untouched', async () => {
  const result = await processor({ Enabled: false, Processors: [proc('AppendDelimiterToRecord')] }).process(records('a', 'b'), signal());
  assert.deepEqual(texts(result.delivered), ['a', 'b']);
  assert.equal(result.dropped, 0);
});

// ---- CloudWatch Logs ------------------------------------------------------------------------------

const cwlPayload = (messageType: string, messages: string[]) =>
  gzipSync(
    JSON.stringify({
      messageType,
      owner: ACCOUNT,
      logGroup: '/aws/lambda/app',
      logStream: '2026/12/05/[$LATEST]abc',
      subscriptionFilters: ['to-firehose'],
      logEvents: messages.map((message, i) => ({ id: String(3195310660696698337880902507980421114328961542429822156 + i), timestamp: 1432826855000 + i, message })),
    }),
  );

test('Decompression unpacks CloudWatch Logs payloads; message extraction keeps the messages and drops CONTROL_MESSAGE', async () => {
  const data = cwlPayload('DATA_MESSAGE', ['{"eventVersion":"1.03","n":1}', '{"eventVersion":"1.03","n":2}']);
  const control = cwlPayload('CONTROL_MESSAGE', ['CWL CONTROL MESSAGE: Checking health of destination Firehose.']);
  const decompressOnly = await processor(enabled(proc('Decompression', { CompressionFormat: 'GZIP' }))).process(records(data, control), signal());
  assert.equal(decompressOnly.delivered.length, 2, 'Decompression alone keeps control messages');
  assert.equal(JSON.parse(decompressOnly.delivered[0]!.data.toString()).logGroup, '/aws/lambda/app');

  const extract = processor(
    enabled(proc('Decompression', { CompressionFormat: 'GZIP' }), proc('CloudWatchLogProcessing', { DataMessageExtraction: 'true' }), proc('AppendDelimiterToRecord')),
  );
  const result = await extract.process(records(data, control, Buffer.from('not gzip')), signal());
  assert.deepEqual(texts(result.delivered), ['{"eventVersion":"1.03","n":1}\n{"eventVersion":"1.03","n":2}\n']);
  assert.equal(result.dropped, 1);
  assert.equal(result.failed.length, 1);
  assert.equal(result.failed[0]!.errorOutputType, 'decompression-failed');
  assert.equal(result.failed[0]!.rawData.toString(), 'not gzip');

  // Then RecordDeAggregation splits the messages, and jq sees each one; failures report the compressed record.
  const partitioned = processor(
    enabled(
      proc('Decompression'),
      proc('CloudWatchLogProcessing', { DataMessageExtraction: 'true' }),
      proc('RecordDeAggregation', { SubRecordType: 'JSON' }),
      proc('MetadataExtraction', { MetadataExtractionQuery: '{n: .n}', JsonParsingEngine: 'JQ-1.6' }),
    ),
  );
  const split = await partitioned.process(records(data), signal());
  assert.deepEqual(split.delivered.map((r) => r.partitionKeys?.fromQuery), [{ n: '1' }, { n: '2' }]);
  const textMessages = await partitioned.process(records(cwlPayload('DATA_MESSAGE', ['plain text line'])), signal());
  assert.equal(textMessages.failed.length, 1);
  assert.equal(textMessages.failed[0]!.errorMessage, NON_JSON_RECORD_MESSAGE);
  assert.equal(textMessages.failed[0]!.rawData[0], 0x1f, 'the error output keeps the record compressed');
});

test('acceptsPayload: with Decompression on, only CloudWatch Logs payloads', () => {
  const decompression = enabled(proc('Decompression'));
  assert.equal(acceptsPayload(decompression, cwlPayload('DATA_MESSAGE', ['x'])), true);
  assert.equal(acceptsPayload(decompression, cwlPayload('CONTROL_MESSAGE', [])), true);
  assert.equal(acceptsPayload(decompression, Buffer.from('{"messageType":"DATA_MESSAGE","logEvents":[]}')), false);
  assert.equal(acceptsPayload(decompression, gzipSync('{"hello":"world"}')), false);
  assert.equal(acceptsPayload(undefined, Buffer.from('anything')), true);
  assert.equal(acceptsPayload({ Enabled: false, Processors: [proc('Decompression')] }, Buffer.from('anything')), true);
});

// ---- RecordDeAggregation --------------------------------------------------------------------------

test('RecordDeAggregation JSON splits concatenated objects and JSON lines, never arrays, at most 500 per record', async () => {
  const json = processor(enabled(proc('RecordDeAggregation', { SubRecordType: 'JSON' }), proc('AppendDelimiterToRecord')));
  const result = await json.process(
    records('{"a":1}{"a":2}', '{"b":"}{"}\n{"b":"x\\"y"}\n', '[{"c":1},{"c":2}]', 'not json', `${'{"d":1}'.repeat(MAX_SUB_RECORDS + 1)}`),
    signal(),
  );
  const out = texts(result.delivered);
  assert.deepEqual(out.slice(0, 6), ['{"a":1}\n', '{"a":2}\n', '{"b":"}{"}\n', '{"b":"x\\"y"}\n', '[{"c":1},{"c":2}]\n', 'not json\n']);
  assert.equal(out.length, 7, 'a record over the cap stays whole');
  assert.equal(out[6], `${'{"d":1}'.repeat(MAX_SUB_RECORDS + 1)}\n`);
  assert.deepEqual(result.delivered.map((r) => r.index), [0, 0, 1, 1, 2, 3, 4]);

  const atCap = await json.process(records('{"d":1}'.repeat(MAX_SUB_RECORDS)), signal());
  assert.equal(atCap.delivered.length, MAX_SUB_RECORDS);
});

test('RecordDeAggregation DELIMITED splits at the base64 Delimiter', async () => {
  const delimited = processor(enabled(proc('RecordDeAggregation', { SubRecordType: 'DELIMITED', Delimiter: Buffer.from('####').toString('base64') })));
  assert.equal(Buffer.from('####').toString('base64'), 'IyMjIw==');
  const result = await delimited.process(records('one####two####three####', 'solo'), signal());
  assert.deepEqual(texts(result.delivered), ['one', 'two', 'three', 'solo']);
});

// ---- Lambda --------------------------------------------------------------------------------------

const lambda = (name: string, extra: Parameters = {}) => proc('Lambda', { LambdaArn: fn(name), ...extra });

test('Lambda gets Firehose\'s event and its answer decides: Ok (with partition keys), Dropped, ProcessingFailed', async () => {
  const transform = processor(enabled(lambda('transform'), proc('AppendDelimiterToRecord')), { sourceKinesisStreamArn: KINESIS_ARN, now: () => 1_700_000_060_000 });
  const input: IngestRecord[] = [
    { index: 0, data: Buffer.from('hello'), arrival: 1_700_000_000_001, source: { ...kinesisSource('49590338271490256608559692538361571095921575989136588898'), subsequenceNumber: 0 } },
    { index: 1, data: Buffer.from('drop me'), arrival: 1_700_000_000_002 },
    { index: 2, data: Buffer.from('fail me'), arrival: 1_700_000_000_003 },
  ];
  const result = await transform.process(input, signal());
  assert.deepEqual(texts(result.delivered), ['HELLO\n']);
  assert.deepEqual(result.delivered[0]!.partitionKeys, { fromLambda: { first: 'h', length: '5' } });
  assert.equal(result.dropped, 1);
  assert.equal(result.failed.length, 1);
  assert.deepEqual(
    { ...result.failed[0], rawData: result.failed[0]!.rawData.toString() },
    {
      index: 2,
      rawData: 'fail me',
      arrival: 1_700_000_000_003,
      errorCode: LAMBDA_ERRORS.ProcessingFailedStatus.code,
      errorMessage: 'ProcessingFailed status set for record',
      attemptsMade: 1,
      attemptEndingTimestamp: 1_700_000_060_000,
      lambdaArn: fn('transform'),
      errorOutputType: 'processing-failed',
    },
  );
  assert.equal(
    processingErrorDocument(result.failed[0]!),
    `{"rawData":"ZmFpbCBtZQ==","errorCode":"Lambda.ProcessingFailedStatus","errorMessage":"ProcessingFailed status set for record","attemptsMade":1,"arrivalTimestamp":1700000000003,"attemptEndingTimestamp":1700000060000,"lambdaARN":"${fn('transform')}"}`,
  );
  assert.equal(result.metrics?.lambdaInvocations, 1);

  const [event] = readFileSync(join(dir, 'transform.events'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(Object.keys(event), ['invocationId', 'deliveryStreamArn', 'sourceKinesisStreamArn', 'region', 'records']);
  assert.match(event.invocationId, /^[0-9a-f-]{36}$/);
  assert.equal(event.deliveryStreamArn, STREAM_ARN);
  assert.equal(event.sourceKinesisStreamArn, KINESIS_ARN);
  assert.equal(event.region, REGION);
  assert.equal(event.records.length, 3);
  assert.deepEqual(Object.keys(event.records[0]), ['recordId', 'approximateArrivalTimestamp', 'data', 'kinesisRecordMetadata']);
  assert.equal(event.records[0].data, Buffer.from('hello').toString('base64'));
  assert.equal(event.records[0].approximateArrivalTimestamp, 1_700_000_000_001);
  assert.deepEqual(event.records[0].kinesisRecordMetadata, {
    shardId: 'shardId-000000000001',
    partitionKey: 'outer-key',
    approximateArrivalTimestamp: 1_700_000_000_123,
    sequenceNumber: '49590338271490256608559692538361571095921575989136588898',
    subsequenceNumber: 0,
  });
  assert.deepEqual(Object.keys(event.records[1]), ['recordId', 'approximateArrivalTimestamp', 'data']);
  assert.equal(new Set(event.records.map((r: { recordId: string }) => r.recordId)).size, 3, 'record ids are unique');
});

test('a Lambda answer that breaks the contract fails records with Lambda.* codes after one attempt', async () => {
  const input = records('r0', 'r1', 'r2');
  const run = (name: string) => processor(enabled(lambda(name))).process(input, signal());

  for (const name of ['garbage', 'not-json']) {
    const result = await run(name);
    assert.equal(result.delivered.length, 0, name);
    assert.deepEqual([...new Set(result.failed.map((f) => f.errorCode))], ['Lambda.JsonProcessingException'], name);
    assert.ok(result.failed.every((f) => f.attemptsMade === 1 && f.lambdaArn === fn(name)));
  }

  const tooFew = await run('too-few');
  assert.deepEqual(texts(tooFew.delivered), ['r1', 'r2']);
  assert.deepEqual(tooFew.failed.map((f) => [f.index, f.errorCode, f.errorMessage]), [[0, 'Lambda.MissingRecordId', LAMBDA_ERRORS.MissingRecordId.message]]);

  const none = await run('none');
  assert.deepEqual(none.failed.map((f) => [f.errorCode, f.attemptsMade]), [['Lambda.MissingRecordId', 1], ['Lambda.MissingRecordId', 1], ['Lambda.MissingRecordId', 1]]);

  const duplicates = await run('duplicates');
  assert.deepEqual(texts(duplicates.delivered), ['r1', 'r2']);
  assert.deepEqual(duplicates.failed.map((f) => [f.index, f.errorCode]), [[0, 'Lambda.DuplicatedRecordId']]);

  for (const name of ['ok-without-data', 'not-base64', 'bad-result']) {
    const result = await run(name);
    assert.equal(result.delivered.length, 0, name);
    assert.deepEqual([...new Set(result.failed.map((f) => f.errorCode))], ['Lambda.JsonProcessingException'], name);
  }
});

test('a failing invocation is tried 1 + NumberOfRetries times, then the batch fails with the last error', async () => {
  const calls = () => (existsSync(join(dir, 'throws.calls')) ? readFileSync(join(dir, 'throws.calls'), 'utf8').length : 0);
  const defaults = await processor(enabled(lambda('throws'))).process(records('a', 'b'), signal());
  assert.equal(calls(), 4, 'NumberOfRetries defaults to 3');
  assert.deepEqual(defaults.failed.map((f) => [f.errorCode, f.errorMessage, f.attemptsMade]), [
    ['Lambda.FunctionError', 'The Lambda function was successfully invoked but it returned an error result.', 4],
    ['Lambda.FunctionError', 'The Lambda function was successfully invoked but it returned an error result.', 4],
  ]);
  assert.equal(defaults.metrics?.lambdaInvocations, 4);
  assert.equal(defaults.metrics?.lambdaSucceededInvocations, 0);

  const once = await processor(enabled(lambda('throws', { NumberOfRetries: '0' }))).process(records('a'), signal());
  assert.equal(calls(), 5);
  assert.equal(once.failed[0]!.attemptsMade, 1);

  const flaky = await processor(enabled(lambda('flaky', { NumberOfRetries: '2' }))).process(records('x'), signal());
  assert.deepEqual(texts(flaky.delivered), ['x'], 'the third attempt succeeds');

  const missing = await processor(enabled(lambda('no-such-function', { NumberOfRetries: '1' }))).process(records('x'), signal());
  assert.deepEqual(missing.failed.map((f) => [f.errorCode, f.errorMessage, f.attemptsMade]), [
    ['Lambda.ResourceNotFound', 'The specified Lambda function does not exist. Use a different function that does exist.', 2],
  ]);
});

test('Lambda batches follow BufferSizeInMBs', async () => {
  const big = 'x'.repeat(300 * 1024);
  const result = await processor(enabled(lambda('batch-sizes', { BufferSizeInMBs: '1' }))).process(records(...Array.from({ length: 8 }, () => big)), signal());
  assert.equal(result.delivered.length, 8);
  const sizes = readFileSync(join(dir, 'batch-sizes.events'), 'utf8').trim().split('\n').map(Number);
  // Up to five invocations run at once, so they log in any order.
  assert.deepEqual(sizes.sort(), [2, 3, 3], '300 KiB records, 1 MiB per invocation');
});

test('an aborted signal stops processing', async () => {
  const controller = new AbortController();
  controller.abort(new Error('stopping'));
  await assert.rejects(processor(enabled(lambda('transform'))).process(records('a'), controller.signal), /stopping/);
});

// ---- MetadataExtraction (jq) ------------------------------------------------------------------------

const metadata = (query: string) => proc('MetadataExtraction', { MetadataExtractionQuery: query, JsonParsingEngine: 'JQ-1.6' });

/** The record of AWS's dynamic partitioning docs. */
const DOCS_RECORD = JSON.stringify({
  type: { device: 'mobile', event: 'user_clicked_submit_button' },
  customer_id: '123456789012',
  event_timestamp: 1565382027,
  region: 'sample_value',
});

test('jq: AWS\'s documented queries, strftime included', async (t) => {
  const version = await jqBinaryVersion();
  t.diagnostic(`jq binary: ${version ?? 'none (jq-web)'}`);
  const queries: Array<[string, Record<string, string>]> = [
    ['{customer_id: .customer_id}', { customer_id: '123456789012' }],
    ['{customer_id: .customer_id, device: .type.device, year: .event_timestamp|strftime("%Y")}', { customer_id: '123456789012', device: 'mobile', year: '2019' }],
    [
      '{ customer_id: .customer_id, device: .type.device, year: .event_timestamp|strftime("%Y"), month: .event_timestamp|strftime("%m"), day: .event_timestamp|strftime("%d"), hour: .event_timestamp|strftime("%H") }',
      { customer_id: '123456789012', device: 'mobile', year: '2019', month: '08', day: '09', hour: '20' },
    ],
  ];
  for (const [query, keys] of queries) {
    const result = await processor(enabled(metadata(query))).process(records(DOCS_RECORD), signal());
    assert.deepEqual(result.failed, [], query);
    assert.deepEqual(result.delivered[0]!.partitionKeys, { fromQuery: keys }, query);
    assert.equal(result.delivered[0]!.data.toString(), DOCS_RECORD, 'the record itself is unchanged');
  }
  const terraform = await processor(enabled(metadata('{account_id:.detail.accountId, year:(.time[0:4]), month:(.time[5:7]), day:(.time[8:10])}'))).process(
    records('{"detail":{"accountId":"111122223333"},\n  "time":"2026-12-05T05:33:40Z"}'),
    signal(),
  );
  assert.deepEqual(terraform.delivered[0]!.partitionKeys?.fromQuery, { account_id: '111122223333', year: '2026', month: '12', day: '05' });
});

test('jq: records that are not JSON, queries that error and unusable answers fail alone; the rest go on', async () => {
  const extract = processor(enabled(metadata('{year: .ts|strftime("%Y"), kind: .kind}'), proc('AppendDelimiterToRecord')));
  const result = await extract.process(
    records('{"ts":0,"kind":"a"}', 'not json', '{"ts":"yesterday","kind":"b"}', '{"ts":86400,"kind":null}', '{"ts":86400,"kind":""}', '{"ts":86400,"kind":{"x":1}}', '{"ts":1e9,"kind":7}'),
    signal(),
  );
  assert.deepEqual(texts(result.delivered), ['{"ts":0,"kind":"a"}\n', '{"ts":1e9,"kind":7}\n']);
  assert.deepEqual(result.delivered.map((r) => r.partitionKeys?.fromQuery), [{ year: '1970', kind: 'a' }, { year: '2001', kind: '7' }]);
  assert.deepEqual(result.failed.map((f) => f.index), [1, 2, 3, 4, 5]);
  assert.ok(result.failed.every((f) => f.errorCode === METADATA_EXTRACTION_FAILED_CODE && f.errorOutputType === 'metadata-extraction-failed'));
  assert.equal(result.failed[0]!.errorMessage, NON_JSON_RECORD_MESSAGE);
  assert.match(result.failed[1]!.errorMessage, /strftime/);
  assert.equal(result.failed[2]!.errorMessage, EMPTY_KEY_VALUE_MESSAGE);
  assert.equal(result.failed[3]!.errorMessage, EMPTY_KEY_VALUE_MESSAGE);
  assert.equal(result.failed[1]!.rawData.toString(), '{"ts":"yesterday","kind":"b"}', 'rawData is the record without the delimiter');
  // The same processor keeps working afterwards.
  const again = await extract.process(records('{"ts":0,"kind":"z"}'), signal());
  assert.deepEqual(again.delivered[0]!.partitionKeys?.fromQuery, { year: '1970', kind: 'z' });
});

test('jq: a child that dies is restarted; only the record it died on fails', async (t) => {
  if (!(await jqBinaryVersion())) return t.skip('no jq binary');
  const extract = processor(enabled(metadata('if .die then ("dying\\n" | halt_error) else {k: .k} end')));
  const input = records(...Array.from({ length: 50 }, (_, i) => JSON.stringify(i === 20 ? { die: true } : { k: `v${i}` })));
  const result = await extract.process(input, signal());
  assert.equal(result.delivered.length, 49);
  assert.deepEqual(result.failed.map((f) => f.index), [20]);
  assert.match(result.failed[0]!.errorMessage, /jq (exited|gave no result)/);
  assert.deepEqual(result.delivered.map((r) => r.partitionKeys?.fromQuery?.k), Array.from({ length: 50 }, (_, i) => `v${i}`).filter((_, i) => i !== 20));
});

test('jq: partition keys from jq and from Lambda travel together', async () => {
  const both = processor(enabled(lambda('transform'), metadata('{kind: .KIND}')));
  const result = await both.process(records('{"kind":"a"}'), signal());
  // transform upper-cases the record: the query runs on what Lambda returned.
  assert.deepEqual(result.delivered[0]!.partitionKeys, { fromQuery: { kind: 'A' }, fromLambda: { first: '{', length: '12' } });
});

test('jq-web stands in where no binary is found, in a child process of its own', async (t) => {
  if (!(await loadJqWeb())) return t.skip('jq-web is not installed');
  const query = await openJqQuery('if .loop then (def f: f; f) else {customer_id: .customer_id, year: .event_timestamp|strftime("%Y")} end', log, {
    engine: 'jq-web',
    inputTimeoutMs: 6_000,
  });
  t.after(() => query.close());
  assert.equal(query.engine, 'jq-web');
  const [docs, failure, loop, after] = await Promise.all([
    query.run(DOCS_RECORD),
    query.run('{"event_timestamp":"x"}'),
    query.run('{"loop":true}'),
    query.run('{"customer_id":"c","event_timestamp":0}'),
  ]);
  assert.deepEqual(docs, { ok: true, outputs: [{ customer_id: '123456789012', year: '2019' }] });
  assert.equal(failure.ok, false);
  assert.deepEqual(loop, { ok: false, error: 'jq query did not finish within 6000 ms' }, 'a looping query does not block the server');
  assert.deepEqual(after, { ok: true, outputs: [{ customer_id: 'c', year: '1970' }] });
  const count = 500;
  const started = process.hrtime.bigint();
  const outcomes = await Promise.all(Array.from({ length: count }, () => query.run(DOCS_RECORD)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.ok(outcomes.every((outcome) => outcome.ok));
  t.diagnostic(`jq-web: ${Math.round(count / seconds)} records/s over ${count} records`);
});

test('jq throughput (records/s)', async (t) => {
  const extract = processor(enabled(metadata('{customer_id: .customer_id, device: .type.device, year: .event_timestamp|strftime("%Y")}')));
  const count = 20_000;
  const input = records(...Array.from({ length: count }, (_, i) => DOCS_RECORD.replace('123456789012', String(100000000000 + i))));
  await extract.process(input.slice(0, 100), signal()); // starts the child
  const started = process.hrtime.bigint();
  const result = await extract.process(input, signal());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(result.delivered.length, count);
  assert.equal(result.delivered[count - 1]!.partitionKeys?.fromQuery?.customer_id, String(100000000000 + count - 1));
  t.diagnostic(`jq (${(await jqBinaryVersion()) ?? 'jq-web'}): ${Math.round(count / seconds)} records/s over ${count} records`);
});

// ---- Create/Update checks ---------------------------------------------------------------------------

test('checkProcessingConfiguration accepts valid processors and rejects invalid ones with a message', async () => {
  const valid = enabled(
    proc('RecordDeAggregation', { SubRecordType: 'DELIMITED', Delimiter: 'IyMjIw==' }),
    lambda('transform', { NumberOfRetries: '5', BufferSizeInMBs: '0.2', BufferIntervalInSeconds: '900', RoleArn: `arn:aws:iam::${ACCOUNT}:role/r` }),
    metadata('{customer_id: .customer_id, device: .type.device, year: .event_timestamp|strftime("%Y")}'),
    proc('AppendDelimiterToRecord'),
  );
  assert.equal(await checkProcessingConfiguration(valid), undefined);
  assert.equal(await checkProcessingConfiguration(undefined), undefined);
  // BufferIntervalInSeconds 0–900 (zero buffering, and the old 60 s minimum gone).
  for (const interval of ['0', '59', '900']) assert.equal(await checkProcessingConfiguration(enabled(lambda('f', { BufferIntervalInSeconds: interval }))), undefined, interval);
  assert.equal(await checkProcessingConfiguration(enabled(proc('Decompression', { CompressionFormat: 'GZIP' }), proc('CloudWatchLogProcessing', { DataMessageExtraction: 'true' }))), undefined);

  const invalid: Array<[unknown, RegExp | string]> = [
    [enabled(metadata('{customer_id: .customer_id')), /MetadataExtractionQuery.*not a valid jq 1\.6 query: syntax error/],
    [enabled(metadata('{a: no_such_function}')), /no_such_function\/0 is not defined/],
    [{ Enabled: false, Processors: [metadata('.[')] }, /not a valid jq/],
    [enabled(proc('MetadataExtraction', { MetadataExtractionQuery: '{a:.a}', JsonParsingEngine: 'JQ-1.5' })), /JsonParsingEngine/],
    [enabled(proc('MetadataExtraction', { MetadataExtractionQuery: '{a:.a}' })), /requires processor parameter JsonParsingEngine/],
    [enabled(proc('Lambda', { NumberOfRetries: '3' })), /requires processor parameter LambdaArn/],
    [enabled(lambda('f', { NumberOfRetries: '301' })), /NumberOfRetries/],
    [enabled(lambda('f', { NumberOfRetries: '-1' })), /NumberOfRetries/],
    [enabled(lambda('f', { BufferSizeInMBs: '3.5' })), /BufferSizeInMBs/],
    [enabled(lambda('f', { BufferSizeInMBs: '0.1' })), /BufferSizeInMBs/],
    [enabled(lambda('f', { BufferIntervalInSeconds: '901' })), "Invalid value '901' for processor parameter BufferIntervalInSeconds: an integer from 0 to 900."],
    [enabled(lambda('f', { BufferIntervalInSeconds: '-1' })), /BufferIntervalInSeconds: an integer from 0 to 900/],
    [enabled(lambda('f', { BufferIntervalInSeconds: '1.5' })), /BufferIntervalInSeconds: an integer from 0 to 900/],
    [enabled(lambda('f', { SubRecordType: 'JSON' })), /SubRecordType is not supported for processor type Lambda/],
    [enabled(proc('AppendDelimiterToRecord', { Delimiter: 'Cg==' })), /Delimiter is not supported/],
    [enabled(lambda('f'), lambda('g')), REPEATED_PROCESSOR_MESSAGE],
    [enabled(proc('RecordDeAggregation', { SubRecordType: 'DELIMITED' })), /Delimiter is required/],
    [enabled(proc('RecordDeAggregation', { SubRecordType: 'XML' })), /SubRecordType/],
    [enabled(proc('RecordDeAggregation', { SubRecordType: 'DELIMITED', Delimiter: '####' })), /Delimiter/],
    [enabled(proc('CloudWatchLogProcessing', { DataMessageExtraction: 'true' })), /requires processor type Decompression/],
    [enabled(proc('Decompression', { CompressionFormat: 'ZIP' })), /CompressionFormat/],
  ];
  for (const [processing, expected] of invalid) {
    const message = await checkProcessingConfiguration(processing);
    assert.ok(message, `rejected: ${JSON.stringify(processing)}`);
    if (typeof expected === 'string') assert.equal(message, expected);
    else assert.match(message!, expected);
  }
});

test('checkProcessingConfiguration does not hang on a query that never ends', async () => {
  assert.equal(await checkProcessingConfiguration(enabled(metadata('def f: f; {a: f}'))), undefined);
});

test('jq: a record the query loops on fails after the time limit; the child is replaced and the rest are answered', async (t) => {
  if (!(await jqBinaryVersion())) return t.skip('no jq binary');
  const query = await openJqQuery('if .loop then (def f: f; f) else {k: .k} end', log, { inputTimeoutMs: 2_000 });
  t.after(() => query.close());
  const outcomes = await Promise.all([
    query.run('{"k":"a"}'),
    query.run('{"loop":true}'),
    query.run('{"k":"b"}'),
    query.run('{"k":"c"}'),
  ]);
  assert.deepEqual(outcomes[0], { ok: true, outputs: [{ k: 'a' }] });
  assert.deepEqual(outcomes[1], { ok: false, error: 'jq query did not finish within 2000 ms' });
  assert.deepEqual(outcomes.slice(2), [{ ok: true, outputs: [{ k: 'b' }] }, { ok: true, outputs: [{ k: 'c' }] }]);
  assert.deepEqual(await query.run('{"k":"after"}'), { ok: true, outputs: [{ k: 'after' }] });
});

test('jq: an idle child is ended and started again on the next record; it sees none of the server\'s environment', async (t) => {
  if (!(await jqBinaryVersion())) return t.skip('no jq binary');
  const query = await openJqQuery('{path: ($ENV.PATH // "none"), k: .k}', log, { idleMs: 100 });
  t.after(() => query.close());
  assert.deepEqual(await query.run('{"k":1}'), { ok: true, outputs: [{ path: 'none', k: 1 }] });
  assert.equal(query.running, true);
  for (let i = 0; i < 100 && query.running; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(query.running, false, 'ended after being idle');
  assert.deepEqual(await query.run('{"k":2}'), { ok: true, outputs: [{ path: 'none', k: 2 }] });
  assert.equal(query.running, true);
});

test('jq: records near the 1,000 KiB limit go through a bounded window', async () => {
  const extract = processor(enabled(metadata('{k: .k}')));
  const big = (i: number) => JSON.stringify({ k: `v${i}`, pad: 'x'.repeat(900 * 1024) });
  const result = await extract.process(records(...Array.from({ length: 30 }, (_, i) => big(i))), signal());
  assert.equal(result.failed.length, 0);
  assert.deepEqual(result.delivered.map((r) => r.partitionKeys?.fromQuery?.k), Array.from({ length: 30 }, (_, i) => `v${i}`));
});

test('CloudWatch Logs payloads with more than 500 events stay whole after RecordDeAggregation, and jq refuses them (as users observe)', async () => {
  const partitioned = processor(
    enabled(
      proc('Decompression'),
      proc('CloudWatchLogProcessing', { DataMessageExtraction: 'true' }),
      proc('RecordDeAggregation', { SubRecordType: 'JSON' }),
      metadata('{n: .n}'),
    ),
  );
  const events = (count: number) => Array.from({ length: count }, (_, n) => JSON.stringify({ n }));
  const small = await partitioned.process(records(cwlPayload('DATA_MESSAGE', events(50))), signal());
  assert.equal(small.delivered.length, 50);
  const large = await partitioned.process(records(cwlPayload('DATA_MESSAGE', events(MAX_SUB_RECORDS + 1))), signal());
  assert.equal(large.delivered.length, 0);
  assert.deepEqual(large.failed.map((f) => [f.errorCode, f.errorMessage]), [[METADATA_EXTRACTION_FAILED_CODE, NON_JSON_RECORD_MESSAGE]]);
});
