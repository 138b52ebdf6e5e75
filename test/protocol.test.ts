import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { CreateStreamCommand, PutRecordCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { Decoder } from 'cbor-x';
import { startTestServer, rawRequest, kinesisJson, kinesisCbor, javaCbor, type RawResponse, type TestServer } from './helpers.js';
import { randomBytes } from 'node:crypto';
import { decodeBody, encodeBody } from '../src/protocol/codec.js';
import { ShardSequences, toApiRecords } from '../src/kinesis/domain/records.js';
import { recordSequenceNumber, type ShardMeta } from '../src/kinesis/domain/stream.js';
import type { StoredRecord } from '../src/store/store.js';
import { ModelValidator } from '../src/model/validate.js';
import { KINESIS_MODEL } from '../src/kinesis/service.js';
import { BodyCollector, MAX_BODY_BYTES } from '../src/protocol/http-exchange.js';
import type { ServiceModel } from '../src/model/service-model.js';
import { readCredentials } from '../src/protocol/auth.js';
import type { AwsError } from '../src/protocol/errors.js';

/**
 * The protocol layer against KINESIS-SPEC §1.4–1.9 and A.2: processing order, protocol errors,
 * type and constraint errors, and CBOR as the Java SDK v2 speaks it. Every bad request is followed
 * by a check that the server still answers and that no stream state changed.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const JSON_TYPE = 'application/x-amz-json-1.1';
const CBOR_TYPE = 'application/x-amz-cbor-1.1';
const ACCESS_DENIED_XML =
  '<AccessDeniedException>\n  <Message>Unable to determine service/operation name to be authorized</Message>\n</AccessDeniedException>\n';
const EXPOSE = 'x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date';
const BASE = 'protocol-base';
/** The model's bound on a record's Data (shape `Data`, max 10 MiB). */
const MAX_DATA = 10 * 1024 * 1024;
/** A CreateStream body for the bad requests: if any of them got through, this stream would exist. */
const INTRUDER = { StreamName: 'protocol-intruder', ShardCount: 1 };
// Independent of src/protocol/codec.ts's tag-1 handling: raw tag values are checked by hand below.
const plainCbor = new Decoder({ useRecords: false, mapsAsObjects: true });

let server: TestServer;
let baseline: string;

/** Everything a bad request could have changed, read over a fresh connection. */
async function snapshot(): Promise<string> {
  const list = await kinesisJson(server.endpoint, 'ListStreams', {});
  const describe = await kinesisJson(server.endpoint, 'DescribeStream', { StreamName: BASE });
  assert.equal(list.status, 200, 'the server still serves ListStreams');
  assert.equal(describe.status, 200, 'the server still serves DescribeStream');
  return JSON.stringify([list.json, describe.json]);
}

async function assertUnchanged(): Promise<void> {
  assert.equal(await snapshot(), baseline, 'a bad request changed stream state');
}

function assertIds(res: RawResponse, id2 = true): void {
  assert.match(String(res.headers['x-amzn-requestid']), UUID);
  if (id2) assert.equal(Buffer.from(String(res.headers['x-amz-id-2']), 'base64').length, 72);
  else assert.equal(res.headers['x-amz-id-2'], undefined);
}

function errorBody(type: string, message?: string): Record<string, string> {
  if (message === undefined) return { __type: type };
  return { __type: type, [type === 'SerializationException' ? 'Message' : 'message']: message };
}

function assertJsonError(res: RawResponse, status: number, type: string, message?: string): void {
  assert.equal(res.status, status, res.body.toString());
  assert.equal(res.headers['content-type'], JSON_TYPE);
  assert.equal(res.headers['x-amzn-errortype'], type);
  assertIds(res);
  assert.equal(res.body.toString(), JSON.stringify(errorBody(type, message)));
  assert.equal(res.headers['content-length'], String(res.body.length));
}

function assertCborError(res: RawResponse, status: number, type: string, message?: string): void {
  assert.equal(res.status, status);
  assert.equal(res.headers['content-type'], CBOR_TYPE);
  assert.equal(res.headers['x-amzn-errortype'], type);
  assertIds(res);
  assert.deepEqual(plainCbor.decode(res.body), errorBody(type, message));
}

function assertXml(res: RawResponse, status: number, body: string): void {
  assert.equal(res.status, status);
  assert.equal(res.headers['content-type'], undefined);
  assert.equal(res.headers['x-amzn-errortype'], undefined);
  assertIds(res);
  assert.equal(res.body.toString(), body);
}

before(async () => {
  // Short enough for the slow-client tests, long enough that a 14 MB request's headers arrive in time on a
  // loaded machine (300 ms cut one off with ECONNRESET while the previous body was being decoded).
  server = await startTestServer({ headersTimeoutMs: 2_000 });
  await server.client().send(new CreateStreamCommand({ StreamName: BASE, ShardCount: 2 }));
  baseline = await snapshot();
});
after(() => server.stop());

test('CORS: preflight answers 200 with the echoed headers and no x-amz-id-2 (§1.4, §1.6 step 1)', async () => {
  const res = await rawRequest(server.endpoint, {
    method: 'OPTIONS',
    contentType: '',
    headers: { Origin: 'http://example.com', 'Access-Control-Request-Headers': 'x-amz-target,content-type', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(res.status, 200);
  assert.equal(res.body.length, 0);
  assert.equal(res.headers['access-control-allow-origin'], '*');
  assert.equal(res.headers['access-control-allow-headers'], 'x-amz-target,content-type');
  assert.equal(res.headers['access-control-allow-methods'], 'POST');
  assert.equal(res.headers['access-control-max-age'], '172800');
  assert.equal(res.headers['content-type'], undefined);
  assertIds(res, false);

  const ok = await kinesisJson(server.endpoint, 'DescribeStreamSummary', { StreamName: BASE }, { Origin: 'http://example.com' });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['access-control-allow-origin'], '*');
  assert.equal(ok.headers['access-control-expose-headers'], EXPOSE);
  assertIds(ok);

  const failed = await kinesisJson(server.endpoint, 'Nope', {}, { Origin: 'http://example.com' });
  assertJsonError(failed, 400, 'UnknownOperationException');
  assert.equal(failed.headers['access-control-allow-origin'], '*');
  assert.equal(failed.headers['access-control-expose-headers'], EXPOSE);

  const noCors = await kinesisJson(server.endpoint, 'DescribeStreamSummary', { StreamName: BASE });
  assert.equal(noCors.headers['access-control-allow-origin'], undefined);
  await assertUnchanged();
});

test('a method other than POST gets the 403 XML AccessDeniedException (§1.6 step 2)', async () => {
  for (const method of ['GET', 'PUT', 'DELETE', 'OPTIONS']) {
    const res = await rawRequest(server.endpoint, { method, target: 'Kinesis_20131202.CreateStream', body: method === 'PUT' ? JSON.stringify(INTRUDER) : undefined });
    assertXml(res, 403, ACCESS_DENIED_XML);
  }
  await assertUnchanged();
});

test('an empty body is a SerializationException or UnknownOperationException, CBOR unless JSON 1.1 (§1.6 step 3)', async () => {
  const cases: Array<[string | undefined, string, string, 'json' | 'cbor']> = [
    [JSON_TYPE, 'Kinesis_20131202.CreateStream', 'SerializationException', 'json'],
    [JSON_TYPE, 'Kinesis_20131202.Nope', 'UnknownOperationException', 'json'],
    [JSON_TYPE, '', 'UnknownOperationException', 'json'],
    [CBOR_TYPE, 'Kinesis_20131202.CreateStream', 'SerializationException', 'cbor'],
    ['text/plain', 'Kinesis_20131202.CreateStream', 'SerializationException', 'cbor'],
    ['application/json', 'Kinesis_20131202.ListStreams', 'SerializationException', 'cbor'],
    ['', '', 'UnknownOperationException', 'cbor'],
    [JSON_TYPE, 'Kinesis_20131201.ListStreams', 'UnknownOperationException', 'json'],
  ];
  for (const [contentType, target, type, encoding] of cases) {
    const res = await rawRequest(server.endpoint, { contentType, target, headers: { Authorization: '' } });
    if (encoding === 'json') assertJsonError(res, 400, type);
    else assertCborError(res, 400, type);
  }
  await assertUnchanged();
});

test('content types other than JSON 1.1 / CBOR 1.1 / application/json get 404 or 403 XML (§1.6 step 4)', async () => {
  const body = JSON.stringify(INTRUDER);
  for (const contentType of ['text/plain', 'application/x-amz-json-1.0', 'application/xml', '']) {
    assertXml(await rawRequest(server.endpoint, { contentType, target: 'Kinesis_20131202.CreateStream', body }), 404, '<UnknownOperationException/>\n');
    assertXml(await rawRequest(server.endpoint, { contentType, target: 'Kinesis_20131202.Nope', body }), 404, '<UnknownOperationException/>\n');
    assertXml(await rawRequest(server.endpoint, { contentType, target: 'Kinesis_20131202', body }), 403, ACCESS_DENIED_XML);
    assertXml(await rawRequest(server.endpoint, { contentType, body }), 403, ACCESS_DENIED_XML);
  }
  // Content type comes before authentication.
  assertXml(await rawRequest(server.endpoint, { contentType: 'text/plain', target: 'Kinesis_20131202.CreateStream', body, headers: { Authorization: '' } }), 404, '<UnknownOperationException/>\n');
  // Parameters and whitespace after the media type are ignored (§1.2).
  const withCharset = await rawRequest(server.endpoint, { contentType: ' application/x-amz-json-1.1 ; charset=utf-8', target: 'Kinesis_20131202.DescribeStreamSummary', body: JSON.stringify({ StreamName: BASE }) });
  assert.equal(withCharset.status, 200);
  assert.equal(withCharset.headers['content-type'], JSON_TYPE);
  await assertUnchanged();
});

test('bodies that do not parse or are not objects are SerializationExceptions without a message (§1.6 step 5)', async () => {
  for (const body of ['{', '{"StreamName": "protocol-intruder",', '{}x', '"text"', '123', 'null', 'true', '[]', '[{"StreamName":"x"}]', '\u00ff']) {
    assertJsonError(await rawRequest(server.endpoint, { target: 'Kinesis_20131202.CreateStream', body }), 400, 'SerializationException');
  }
  const cborBodies = [
    Buffer.from([0xff, 0xff]), // break without a container
    Buffer.from([0xa2, 0x61, 0x61]), // map of two cut short
    javaCbor('text'),
    javaCbor(42),
    javaCbor([INTRUDER]),
    Buffer.from([0xf6]), // null
  ];
  for (const body of cborBodies) {
    assertCborError(await rawRequest(server.endpoint, { contentType: CBOR_TYPE, target: 'Kinesis_20131202.CreateStream', body }), 400, 'SerializationException');
  }
  await assertUnchanged();
});

test('legacy application/json answers in the coral envelope (§1.6 step 6)', async () => {
  const unknown = await rawRequest(server.endpoint, { contentType: 'application/json', target: 'Kinesis_20131202.CreateStream', body: JSON.stringify(INTRUDER) });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.headers['content-type'], 'application/json');
  assertIds(unknown);
  assert.equal(unknown.body.toString(), '{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}');
  const broken = await rawRequest(server.endpoint, { contentType: 'application/json', target: 'Kinesis_20131202.CreateStream', body: '{' });
  assert.equal(broken.status, 400);
  assert.equal(broken.headers['content-type'], 'application/json');
  assert.equal(broken.body.toString(), '{"Output":{"__type":"com.amazon.coral.service#SerializationException"},"Version":"1.0"}');
  await assertUnchanged();
});

test('unknown services and operations are UnknownOperationException, before authentication (§1.6 step 7)', async () => {
  const targets = ['Kinesis_20131202.Nope', 'Kinesis_20131202.createStream', 'Kinesis_20131201.CreateStream', 'DynamoDB_20120810.CreateStream', 'Kinesis_20131202.CreateStream.x', 'Kinesis_20131202.', 'Kinesis_20131202', ''];
  for (const target of targets) {
    assertJsonError(await rawRequest(server.endpoint, { target, body: JSON.stringify(INTRUDER) }), 400, 'UnknownOperationException');
    assertJsonError(await rawRequest(server.endpoint, { target, body: JSON.stringify(INTRUDER), headers: { Authorization: '' } }), 400, 'UnknownOperationException');
    assertCborError(await rawRequest(server.endpoint, { target, contentType: CBOR_TYPE, body: javaCbor(INTRUDER) }), 400, 'UnknownOperationException');
  }
  await assertUnchanged();
});

test('SigV4 shape errors carry AWS texts (§1.7)', async () => {
  const send = (headers: Record<string, string>, path?: string) =>
    rawRequest(server.endpoint, { target: 'Kinesis_20131202.CreateStream', body: JSON.stringify(INTRUDER), headers, path });
  assertJsonError(await send({ Authorization: '' }), 400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  assertJsonError(
    await send({}, '/?X-Amz-Algorithm=AWS4-HMAC-SHA256'),
    400,
    'InvalidSignatureException',
    "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
  );
  assertJsonError(
    await send({ Authorization: 'AWS4- Signature=b, Credential=a' }),
    400,
    'IncompleteSignatureException',
    "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- Signature=b, Credential=a",
  );
  assertJsonError(
    await send({ Authorization: 'AWS4-HMAC-SHA256', 'X-Amz-Date': '' }),
    400,
    'IncompleteSignatureException',
    "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
      "Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
      'Authorization=AWS4-HMAC-SHA256',
  );
  // A parameter without a value counts as missing, as AWS's `!params[name]` check has it.
  assertJsonError(
    await send({ Authorization: 'AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=abc' }),
    400,
    'IncompleteSignatureException',
    "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 Credential=, SignedHeaders=host, Signature=abc",
  );
  // `Date` stands in for X-Amz-Date.
  const withDate = await kinesisJson(server.endpoint, 'DescribeStreamSummary', { StreamName: BASE }, { 'X-Amz-Date': '', Date: new Date().toUTCString() });
  assert.equal(withDate.status, 200);

  const credential = encodeURIComponent('AKIDEXAMPLE/20240101/us-east-1/kinesis/aws4_request');
  assertJsonError(
    await send({ Authorization: '' }, `/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credential}&X-Amz-Signature=`),
    400,
    'IncompleteSignatureException',
    "AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
      "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.",
  );
  const presigned = `/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credential}&X-Amz-Signature=abc&X-Amz-SignedHeaders=host&X-Amz-Date=20240101T000000Z`;
  const query = await rawRequest(server.endpoint, { target: 'Kinesis_20131202.DescribeStreamSummary', body: JSON.stringify({ StreamName: BASE }), headers: { Authorization: '' }, path: presigned });
  assert.equal(query.status, 200);

  assertCborError(
    await rawRequest(server.endpoint, { target: 'Kinesis_20131202.CreateStream', contentType: CBOR_TYPE, body: javaCbor(INTRUDER), headers: { Authorization: '' } }),
    400,
    'MissingAuthenticationTokenException',
    'Missing Authentication Token',
  );
  await assertUnchanged();
});

test("the SDKs' Authorization header reads as the general scan reads it (auth.ts fast path)", () => {
  // A leading space keeps a header off the fast path (the scan skips it): both ways must agree,
  // in the credentials found and in the errors thrown.
  const outcome = (authorization: string, date = true) => {
    const headers: Record<string, string> = { authorization };
    if (date) headers['x-amz-date'] = '20240101T000000Z';
    try {
      return readCredentials(headers, new URLSearchParams());
    } catch (err) {
      return { error: (err as AwsError).type, message: (err as Error).message.replace('Authorization= ', 'Authorization=') };
    }
  };
  const sdk = 'SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-length;content-type;host;x-amz-date;x-amz-target;x-amz-user-agent';
  const headers = [
    `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240101/us-east-1/kinesis/aws4_request, ${sdk}, Signature=${'0f'.repeat(32)}`,
    'AWS4-HMAC-SHA256 Credential=123456789012/20240101/eu-west-2/kinesis/aws4_request,SignedHeaders=host,Signature=x',
    'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=a=b',
    'AWS4-HMAC-SHA256 Credential=AK=ID/20240101/us-gov-west-1/firehose/aws4_request, SignedHeaders=host, Signature=x',
    'AWS4-HMAC-SHA256 Credential=AKID, SignedHeaders=host, Signature=x',
    'AWS4-HMAC-SHA256 Credential=AKID/20240101, SignedHeaders=host, Signature=x',
    'AWS4-HMAC-SHA256 Credential=AKID/20240101/not-a-region/kinesis/aws4_request, SignedHeaders=host, Signature=x',
    'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=',
    'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=x, Credential=OTHER/20240101/us-west-2/kinesis/aws4_request',
    'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kinesis/aws4_request\u00a0SignedHeaders=host, Signature=x',
  ];
  for (const authorization of headers) {
    for (const date of [true, false]) {
      assert.deepEqual(outcome(authorization, date), outcome(` ${authorization}`, date), `${authorization} (date: ${date})`);
    }
  }
  // The usual header itself: its credential scope, and the account of a 12-digit key (§1.7).
  assert.deepEqual(outcome(headers[0]), { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', region: 'us-east-1', service: 'kinesis', form: 'header' });
  assert.deepEqual(outcome(headers[1]), { accessKeyId: '123456789012', region: 'eu-west-2', service: 'kinesis', form: 'header' });
  assert.equal((outcome(headers[6]) as { error: string }).error, 'InvalidSignatureException');
  assert.equal((outcome(headers[0], false) as { error: string }).error, 'IncompleteSignatureException');
});

test('an oversized body gets 413 and the server keeps serving, over HTTP/1.1 and HTTP/2 (§1.6)', async () => {
  const big = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20);
  // Declared length over the bound.
  const declared = await sendTolerant(server.endpoint, big, { 'content-length': String(big.length) });
  assert.equal(declared.status, 413);
  // Chunked, so the bound is only found while reading.
  const chunked = await sendTolerant(server.endpoint, big, { 'transfer-encoding': 'chunked' });
  assert.equal(chunked.status, 413);
  // Exactly the bound is accepted as far as size goes (then fails as JSON).
  const atBound = await rawRequest(server.endpoint, { target: 'Kinesis_20131202.CreateStream', body: Buffer.alloc(MAX_BODY_BYTES, 0x20) });
  assertJsonError(atBound, 400, 'SerializationException');

  // The SDK over HTTP/2: 13 MiB of data is ~17.3 MiB of base64.
  const client = server.client();
  const err = await client.send(new PutRecordCommand({ StreamName: BASE, PartitionKey: 'a', Data: Buffer.alloc(13 * 1024 * 1024) })).then(
    () => assert.fail('accepted an oversized body'),
    (e) => e,
  );
  assert.equal(err.$metadata?.httpStatusCode, 413);
  const summary = await client.send(new DescribeStreamSummaryCommand({ StreamName: BASE }));
  assert.equal(summary.StreamDescriptionSummary?.OpenShardCount, 2);
  await assertUnchanged();
});

/** An HTTP/1.1 POST that reports the response even if the server closes before the upload ends. */
function sendTolerant(endpoint: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      new URL('/', endpoint),
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': JSON_TYPE,
          'x-amz-target': 'Kinesis_20131202.CreateStream',
          authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abc',
          'x-amz-date': '20240101T000000Z',
          ...headers,
        },
      },
      (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0 });
      },
    );
    req.on('error', reject);
    for (let i = 0; i < body.length; i += 1 << 20) req.write(body.subarray(i, i + (1 << 20)));
    req.end();
  });
}

// ---- §1.8 type errors ------------------------------------------------------------------------

test('SerializationException texts for every row of §1.8', async () => {
  const NUMBER = 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber';
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['CreateStream', { StreamName: true }, 'class java.lang.Boolean can not be converted to an String'],
    ['CreateStream', { StreamName: 12 }, `${NUMBER} can not be converted to an String`],
    ['CreateStream', { StreamName: 'x', ShardCount: '1' }, 'class java.lang.String can not be converted to an Integer'],
    ['CreateStream', { StreamName: 'x', ShardCount: false }, 'class java.lang.Boolean can not be converted to an Integer'],
    ['DeleteStream', { StreamName: BASE, EnforceConsumerDeletion: 1 }, `${NUMBER} can not be converted to an Boolean`],
    ['DeleteStream', { StreamName: BASE, EnforceConsumerDeletion: 'yes' }, "'YES' can not be converted to an Boolean"],
    ['PutRecord', { StreamName: BASE, PartitionKey: 'a', Data: true }, 'class java.lang.Boolean can not be converted to a Blob'],
    ['PutRecord', { StreamName: BASE, PartitionKey: 'a', Data: 12 }, `${NUMBER} can not be converted to a Blob`],
    ['PutRecord', { StreamName: BASE, PartitionKey: 'a', Data: 'abc' }, "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3"],
    ['PutRecord', { StreamName: BASE, PartitionKey: 'a', Data: 'ab!d' }, "'ab!d' can not be converted to a Blob: Invalid Base64 character: '!'"],
    ['PutRecord', { StreamName: BASE, PartitionKey: 'a', Data: 'ab=d' }, "'ab=d' can not be converted to a Blob: Invalid Base64 character: '='"],
    ['PutRecord', { StreamName: BASE, PartitionKey: 'a', Data: 'YQ==YQ==' }, "'YQ==YQ==' can not be converted to a Blob: Invalid Base64 character: '='"],
    ['PutRecord', { StreamName: BASE, PartitionKey: 'a', Data: 'YR==' }, "'YR==' can not be converted to a Blob: Invalid last non-pad Base64 character dectected"],
    ['ListShards', { StreamName: BASE, StreamCreationTimestamp: '2024-01-01' }, 'class java.lang.String can not be converted to milliseconds since epoch'],
    ['ListShards', { StreamName: BASE, StreamCreationTimestamp: true }, 'class java.lang.Boolean can not be converted to milliseconds since epoch'],
    ['ListShards', { StreamName: BASE, ShardFilter: { Type: 'AT_TIMESTAMP', Timestamp: 'now' } }, 'class java.lang.String can not be converted to milliseconds since epoch'],
    ['CreateStream', { StreamName: ['x'] }, 'Start of list found where not expected'],
    ['CreateStream', { StreamName: { x: 1 } }, 'Start of structure or map found where not expected.'],
    ['CreateStream', { StreamName: 'x', ShardCount: [1] }, 'Start of list found where not expected'],
    ['PutRecord', { StreamName: BASE, PartitionKey: 'a', Data: {} }, 'Start of structure or map found where not expected.'],
    ['RemoveTagsFromStream', { StreamName: BASE, TagKeys: 'a' }, 'Expected list or null'],
    ['RemoveTagsFromStream', { StreamName: BASE, TagKeys: 3 }, 'Expected list or null'],
    ['RemoveTagsFromStream', { StreamName: BASE, TagKeys: { a: 1 } }, 'Start of structure or map found where not expected.'],
    ['RemoveTagsFromStream', { StreamName: BASE, TagKeys: [1] }, `${NUMBER} can not be converted to an String`],
    ['AddTagsToStream', { StreamName: BASE, Tags: 'a' }, 'Expected map or null'],
    ['AddTagsToStream', { StreamName: BASE, Tags: ['a'] }, 'Start of list found where not expected'],
    ['AddTagsToStream', { StreamName: BASE, Tags: { a: true } }, 'class java.lang.Boolean can not be converted to an String'],
    ['CreateStream', { StreamName: 'x', StreamModeDetails: 'ON_DEMAND' }, 'Expected null'],
    ['CreateStream', { StreamName: 'x', StreamModeDetails: ['ON_DEMAND'] }, 'Start of list found where not expected'],
    ['CreateStream', { StreamName: 'x', StreamModeDetails: { StreamMode: 1 } }, `${NUMBER} can not be converted to an String`],
    ['PutRecords', { StreamName: BASE, Records: [{ PartitionKey: 'a', Data: 'a' }] }, "'a' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 1"],
    ['PutRecords', { StreamName: BASE, Records: ['a'] }, 'Expected null'],
  ];
  for (const [operation, body, message] of cases) {
    const res = await kinesisJson(server.endpoint, operation, body);
    assertJsonError(res, 400, 'SerializationException', message);
  }
  await assertUnchanged();
});

test('Long fields name Long in their type errors (§1.8)', () => {
  // No Kinesis input has a long member today; a small model shows the text the validator would use.
  const model: ServiceModel = {
    metadata: { targetPrefix: 'T', apiVersion: '1', endpointPrefix: 't' },
    operations: { Op: { name: 'Op', input: { shape: 'In' } } },
    shapes: { In: { type: 'structure', members: { N: { shape: 'L' } } }, L: { type: 'long' } },
  };
  const validator = new ModelValidator(model, 'p');
  assert.throws(() => validator.parseInput('Op', { N: 'x' }), { type: 'SerializationException', message: 'class java.lang.String can not be converted to an Long' });
  assert.throws(() => validator.parseInput('Op', { N: true }), { type: 'SerializationException', message: 'class java.lang.Boolean can not be converted to an Long' });
  // Longs floor but are not clamped to 32 bits.
  assert.deepEqual(validator.parseInput('Op', { N: 5000000000.7 }), { N: 5000000000 });
});

test('integers floor and clamp to 2147483647; nulls are absent; unknown members are ignored (§1.3)', async () => {
  const floor = await kinesisJson(server.endpoint, 'DescribeStream', { StreamName: BASE, Limit: 0.9 });
  assertJsonError(floor, 400, 'ValidationException', "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1");
  const clamp = await kinesisJson(server.endpoint, 'DescribeStream', { StreamName: BASE, Limit: 100000000000 });
  assertJsonError(clamp, 400, 'ValidationException', "1 validation error detected: Value '2147483647' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000");
  const negative = await kinesisJson(server.endpoint, 'DescribeStream', { StreamName: BASE, Limit: -1.5 });
  assertJsonError(negative, 400, 'ValidationException', "1 validation error detected: Value '-2' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1");
  const floored = await kinesisJson(server.endpoint, 'DescribeStream', { StreamName: BASE, Limit: 1.99 });
  assert.equal(floored.status, 200);
  assert.equal(floored.json.StreamDescription.Shards.length, 1);

  const nulls = await kinesisJson(server.endpoint, 'DescribeStream', { StreamName: BASE, Limit: null, ExclusiveStartShardId: null, StreamARN: null });
  assert.equal(nulls.status, 200);
  assert.equal(nulls.json.StreamDescription.Shards.length, 2);
  const requiredNull = await kinesisJson(server.endpoint, 'PutRecord', { StreamName: BASE, PartitionKey: null, Data: null });
  assertJsonError(
    requiredNull,
    400,
    'ValidationException',
    "2 validation errors detected: Value null at 'data' failed to satisfy constraint: Member must not be null; Value null at 'partitionKey' failed to satisfy constraint: Member must not be null",
  );
  const unknown = await kinesisJson(server.endpoint, 'DescribeStreamSummary', { StreamName: BASE, Foo: 'bar', Nested: { Limit: 'x' }, List: [1, [2]] });
  assert.equal(unknown.status, 200);
  assert.equal(unknown.json.StreamDescriptionSummary.StreamName, BASE);
  await assertUnchanged();
});

// ---- §1.9 constraint errors ------------------------------------------------------------------

test('ValidationException: the recorded CreateStream example, singular and plural (§1.9)', async () => {
  // Model members are in alphabetical order, so shardCount precedes streamName as AWS recorded.
  const res = await kinesisJson(server.endpoint, 'CreateStream', { StreamName: '', ShardCount: 0 });
  assertJsonError(
    res,
    400,
    'ValidationException',
    "3 validation errors detected: Value '0' at 'shardCount' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
      "Value '' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
      "Value '' at 'streamName' failed to satisfy constraint: Member must have length greater than or equal to 1",
  );
  const one = await kinesisJson(server.endpoint, 'CreateStream', { StreamName: 'a'.repeat(129), ShardCount: 1 });
  assertJsonError(one, 400, 'ValidationException', `1 validation error detected: Value '${'a'.repeat(129)}' at 'streamName' failed to satisfy constraint: Member must have length less than or equal to 128`);
  await assertUnchanged();
});

test('ValidationException: at most ten items, list-of-structure paths, blobs, lists, maps and enums (§1.9)', async () => {
  const capped = await kinesisJson(server.endpoint, 'PutRecords', { StreamName: BASE, Records: [{}, {}, {}, {}, {}, {}] });
  const items: string[] = [];
  for (let i = 1; i <= 5; i++) {
    items.push(`Value null at 'records.${i}.member.data' failed to satisfy constraint: Member must not be null`);
    items.push(`Value null at 'records.${i}.member.partitionKey' failed to satisfy constraint: Member must not be null`);
  }
  assertJsonError(capped, 400, 'ValidationException', `10 validation errors detected: ${items.join('; ')}`);

  const nested = await kinesisJson(server.endpoint, 'PutRecords', {
    StreamName: BASE,
    Records: [
      { Data: 'YQ==', PartitionKey: 'a' },
      { Data: 'YQ==', PartitionKey: '' },
      { Data: 'YQ==', PartitionKey: 'b', ExplicitHashKey: 'x' },
    ],
  });
  assertJsonError(
    nested,
    400,
    'ValidationException',
    "2 validation errors detected: Value '' at 'records.2.member.partitionKey' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
      "Value 'x' at 'records.3.member.explicitHashKey' failed to satisfy constraint: Member must satisfy regular expression pattern: 0|([1-9]\\d{0,38})",
  );

  const tooMany = await kinesisJson(server.endpoint, 'PutRecords', { StreamName: BASE, Records: Array.from({ length: 501 }, () => ({ Data: 'YQ==', PartitionKey: 'a' })) });
  assert.equal(tooMany.status, 400);
  assert.match(
    tooMany.json.message,
    /^1 validation error detected: Value '\[(com\.amazonaws\.kinesis\.v20131202\.PutRecordsRequestEntry@[0-9a-f]{8}, ){500}com\.amazonaws\.kinesis\.v20131202\.PutRecordsRequestEntry@[0-9a-f]{8}\]' at 'records' failed to satisfy constraint: Member must have length less than or equal to 500$/,
  );

  // The model bounds Data at 10 MiB (the per-stream MaxRecordSizeInKiB is the operation's check).
  const blob = await kinesisJson(server.endpoint, 'PutRecord', { StreamName: BASE, PartitionKey: 'a'.repeat(257), Data: Buffer.alloc(MAX_DATA + 1).toString('base64') });
  assertJsonError(
    blob,
    400,
    'ValidationException',
    `2 validation errors detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=${MAX_DATA + 1} cap=${MAX_DATA + 1}]' at 'data' failed to satisfy constraint: Member must have length less than or equal to ${MAX_DATA}; ` +
      `Value '${'a'.repeat(257)}' at 'partitionKey' failed to satisfy constraint: Member must have length less than or equal to 256`,
  );

  const keyList = await kinesisJson(server.endpoint, 'RemoveTagsFromStream', { StreamName: BASE, TagKeys: ['', 'a', 'k'.repeat(129)] });
  assertJsonError(
    keyList,
    400,
    'ValidationException',
    `1 validation error detected: Value '[, a, ${'k'.repeat(129)}]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]`,
  );
  const emptyList = await kinesisJson(server.endpoint, 'RemoveTagsFromStream', { StreamName: BASE, TagKeys: [] });
  assertJsonError(emptyList, 400, 'ValidationException', "1 validation error detected: Value '[]' at 'tagKeys' failed to satisfy constraint: Member must have length greater than or equal to 1");

  const map = await kinesisJson(server.endpoint, 'AddTagsToStream', { StreamName: BASE, Tags: { '': 'v', k: 'x'.repeat(257) } });
  assertJsonError(
    map,
    400,
    'ValidationException',
    `2 validation errors detected: Value '{=v, k=${'x'.repeat(257)}}' at 'tags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]; ` +
      `Value '{=v, k=${'x'.repeat(257)}}' at 'tags' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 256, Member must have length greater than or equal to 0]`,
  );
  const emptyMap = await kinesisJson(server.endpoint, 'AddTagsToStream', { StreamName: BASE, Tags: {} });
  assertJsonError(emptyMap, 400, 'ValidationException', "1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1");

  const iterator = await kinesisJson(server.endpoint, 'GetShardIterator', { StreamName: BASE, ShardId: 'shardId-000000000000', ShardIteratorType: 'NOPE' });
  assertJsonError(
    iterator,
    400,
    'ValidationException',
    "1 validation error detected: Value 'NOPE' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_TIMESTAMP, AT_SEQUENCE_NUMBER, TRIM_HORIZON]",
  );
  const mode = await kinesisJson(server.endpoint, 'CreateStream', { StreamName: 'protocol-intruder', StreamModeDetails: { StreamMode: 'SOMETIMES' } });
  assertJsonError(
    mode,
    400,
    'ValidationException',
    "1 validation error detected: Value 'SOMETIMES' at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]",
  );
  const modeMissing = await kinesisJson(server.endpoint, 'CreateStream', { StreamName: 'protocol-intruder', StreamModeDetails: {} });
  assertJsonError(modeMissing, 400, 'ValidationException', "1 validation error detected: Value null at 'streamModeDetails.streamMode' failed to satisfy constraint: Member must not be null");
  const filter = await kinesisJson(server.endpoint, 'ListShards', { StreamName: BASE, ShardFilter: { Type: 'X', ShardId: '' } });
  assertJsonError(
    filter,
    400,
    'ValidationException',
    "3 validation errors detected: Value '' at 'shardFilter.shardId' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; " +
      "Value '' at 'shardFilter.shardId' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
      "Value 'X' at 'shardFilter.type' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SHARD_ID, AT_TRIM_HORIZON, FROM_TRIM_HORIZON, AT_LATEST, AT_TIMESTAMP, FROM_TIMESTAMP]",
  );
  await assertUnchanged();
});

test('null list elements are ValidationExceptions, and map keys like __proto__ stay keys', async () => {
  const records = await kinesisJson(server.endpoint, 'PutRecords', { StreamName: BASE, Records: [{ Data: 'YQ==', PartitionKey: 'a' }, null] });
  assertJsonError(records, 400, 'ValidationException', "1 validation error detected: Value null at 'records.2.member' failed to satisfy constraint: Member must not be null");
  const keys = await kinesisJson(server.endpoint, 'RemoveTagsFromStream', { StreamName: BASE, TagKeys: [null, ''] });
  assertJsonError(
    keys,
    400,
    'ValidationException',
    "2 validation errors detected: Value null at 'tagKeys.1.member' failed to satisfy constraint: Member must not be null; " +
      "Value '[null, ]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]",
  );
  const validator = new ModelValidator(KINESIS_MODEL, 'com.amazonaws.kinesis.v20131202');
  const input = validator.parseInput('AddTagsToStream', JSON.parse('{"StreamName":"s","Tags":{"__proto__":"v","k":null}}'));
  assert.deepEqual(Object.entries(input.Tags as object), [['__proto__', 'v']]);
  await assertUnchanged();
});

// ---- CBOR as the Java SDK v2 speaks it (§1.3, A.2) -------------------------------------------

test('CBOR: Java-style requests work; responses carry tag 1 + integer milliseconds, never C1 FB', async () => {
  const created = await kinesisCbor(server.endpoint, 'CreateStream', { StreamName: 'protocol-cbor', ShardCount: 1 });
  assert.equal(created.status, 200);
  assert.equal(created.headers['content-type'], CBOR_TYPE);
  assert.equal(created.body.length, 0);
  assertIds(created);

  const summary = await kinesisCbor(server.endpoint, 'DescribeStreamSummary', { StreamName: 'protocol-cbor' });
  assert.equal(summary.status, 200);
  assert.equal(summary.headers['content-type'], CBOR_TYPE);
  const key = Buffer.from('StreamCreationTimestamp');
  const at = summary.body.indexOf(key);
  assert.ok(at > 0);
  assert.equal(summary.body.indexOf(Buffer.from([0xc1, 0xfb])), -1, 'a float inside tag 1');
  const value = summary.body.subarray(at + key.length);
  assert.equal(value[0], 0xc1, 'tag 1');
  assert.ok(value[1] === 0x1b || value[1] === 0x1a, `integer after tag 1, got ${value[1].toString(16)}`);
  const ms = value[1] === 0x1b ? Number(value.readBigUInt64BE(2)) : value.readUInt32BE(2);
  const json = await kinesisJson(server.endpoint, 'DescribeStreamSummary', { StreamName: 'protocol-cbor' });
  assert.equal(ms, Math.round(json.json.StreamDescriptionSummary.StreamCreationTimestamp * 1000));
  assert.match(json.body.toString(), /"StreamCreationTimestamp":\d+(\.\d{1,3})?[,}]/, 'JSON timestamps are plain decimals');

  // Indefinite-length maps, as AWS and Jackson may send them.
  const indefinite = Buffer.concat([Buffer.from([0xbf, 0x6a]), Buffer.from('StreamName'), Buffer.from([0x6d]), Buffer.from('protocol-cbor'), Buffer.from([0xff])]);
  const viaIndefinite = await rawRequest(server.endpoint, { target: 'Kinesis_20131202.DescribeStreamSummary', contentType: CBOR_TYPE, body: indefinite });
  assert.equal(viaIndefinite.status, 200);

  const missing = await kinesisCbor(server.endpoint, 'DescribeStream', { StreamName: 'protocol-nowhere' });
  assertCborError(missing, 400, 'ResourceNotFoundException', 'Stream protocol-nowhere under account 000000000000 not found.');
  const textBlob = await kinesisCbor(server.endpoint, 'PutRecord', { StreamName: BASE, PartitionKey: 'a', Data: 'abc' });
  assertCborError(textBlob, 400, 'SerializationException', "'abc' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: 3");
  const bigBlob = await kinesisCbor(server.endpoint, 'PutRecord', { StreamName: BASE, PartitionKey: 'a', Data: Buffer.alloc(MAX_DATA + 1) });
  assertCborError(
    bigBlob,
    400,
    'ValidationException',
    `1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=${MAX_DATA + 1} cap=${MAX_DATA + 1}]' at 'data' failed to satisfy constraint: Member must have length less than or equal to ${MAX_DATA}`,
  );
  const invalid = await kinesisCbor(server.endpoint, 'CreateStream', { StreamName: '', ShardCount: 0 });
  assert.equal(invalid.status, 400);
  assert.equal(plainCbor.decode(invalid.body).message.split(';').length, 3);

  const del = await kinesisCbor(server.endpoint, 'DeleteStream', { StreamName: 'protocol-cbor' });
  assert.ok(del.status === 200 || del.status === 400, 'DeleteStream answers');
  baseline = await snapshot();
});

test('CBOR timestamps decode from tag 1 integer ms, tag 1 seconds and untagged seconds', () => {
  const validator = new ModelValidator(KINESIS_MODEL, 'com.amazonaws.kinesis.v20131202');
  const ms = 1787036486712;
  const head = Buffer.concat([Buffer.from([0xa2, 0x6a]), Buffer.from('StreamName'), Buffer.from([0x61, 0x73, 0x77]), Buffer.from('StreamCreationTimestamp')]);
  const float = Buffer.alloc(9);
  float[0] = 0xfb;
  float.writeDoubleBE(ms / 1000, 1);
  const bodies: Array<[string, Buffer]> = [
    ['Java SDK tag 1 + uint64 ms', javaCbor({ StreamName: 's', StreamCreationTimestamp: new Date(ms) })],
    ['recorded bytes C1 1B 000001A013ACCC38', Buffer.concat([head, Buffer.from('c11b000001a013accc38', 'hex')])],
    ['tag 1 + float seconds', Buffer.concat([head, Buffer.from([0xc1]), float])],
    ['tag 1 + float milliseconds', Buffer.concat([head, Buffer.from([0xc1, 0xfb]), (() => { const b = Buffer.alloc(8); b.writeDoubleBE(ms + 0.25); return b; })()])],
    ['untagged float seconds', Buffer.concat([head, float])],
  ];
  for (const [label, body] of bodies) {
    const input = validator.parseInput('ListShards', decodeBody('cbor', body) as Record<string, unknown>);
    assert.equal((input.StreamCreationTimestamp as Date).getTime(), ms, label);
  }
  // RFC 8949 encoders such as Python's cbor2 put integer seconds in tag 1.
  const seconds = validator.parseInput('ListShards', decodeBody('cbor', Buffer.concat([head, Buffer.from('c11a6a840346', 'hex')])) as Record<string, unknown>);
  assert.equal((seconds.StreamCreationTimestamp as Date).getTime(), 1787036486000);
  const data = validator.parseInput('PutRecord', decodeBody('cbor', javaCbor({ StreamName: 's', PartitionKey: 'k', Data: Buffer.from([1, 2, 3]) })) as Record<string, unknown>);
  assert.deepEqual(data.Data, Buffer.from([1, 2, 3]));
});

// ---- transport guards ------------------------------------------------------------------------

test('a client that never finishes its headers is disconnected without disturbing others', { timeout: 15_000 }, async () => {
  const slow = net.connect(server.port, '127.0.0.1');
  const closed = new Promise<void>((resolve) => slow.on('close', () => resolve()));
  slow.on('error', () => {});
  slow.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n');
  // Meanwhile, others are served over HTTP/1.1 and HTTP/2.
  assert.equal((await kinesisJson(server.endpoint, 'ListStreams', {})).status, 200);
  const h2 = await server.client().send(new DescribeStreamSummaryCommand({ StreamName: BASE }));
  assert.equal(h2.StreamDescriptionSummary?.StreamName, BASE);
  // Keep trickling bytes: an idle timer alone would never fire.
  const trickle = setInterval(() => slow.writable && slow.write('X-Slow: 1\r\n'), 50);
  await closed;
  clearInterval(trickle);
  // A client that connects and says nothing is dropped too.
  const silent = net.connect(server.port, '127.0.0.1');
  silent.on('error', () => {});
  await new Promise<void>((resolve) => silent.on('close', () => resolve()));
  await assertUnchanged();
});

test('Records JSON written as bytes equals JSON.stringify of the plain records (GetRecords, SubscribeToShard)', () => {
  const shard = { index: 7, createdAt: 1_700_000_000_123 } as ShardMeta;
  const keys = ['k', 'plain key 0-9', 'quote"d', 'back\\slash', 'tab\there', 'ünïcødé', '日本', '\u0001', 'emoji 🚀', 'lone \ud800 surrogate', '~'];
  const records: StoredRecord[] = [];
  let index = 0;
  let arrival = 1_700_000_001_000;
  for (let i = 0; i < 400; i++) {
    // Runs of consecutive indexes within one second, gaps, and seconds that change.
    index += i % 37 === 0 ? 5 : 1;
    arrival += i % 11 === 0 ? 999 : i % 5 === 0 ? 1 : 0;
    // Sizes for every path of the base64 writer: the loop, one native call, and several slices.
    const size = i === 100 ? 3 * 49152 + 1 : i === 200 ? 49152 : i === 300 ? 2 * 49152 + 2 : i % 50 === 0 ? 1500 + i : i % 7;
    const record: StoredRecord = { index, arrival, partitionKey: keys[i % keys.length], data: randomBytes(size) };
    if (i % 13 === 0) record.keyRef = 'key-ref';
    records.push(record);
  }
  // Across a second boundary of the decimal carry: index steps that ripple through many digits.
  records.push({ index: 2 ** 40 - 1, arrival, partitionKey: 'k', data: Buffer.alloc(3) }, { index: 2 ** 40, arrival, partitionKey: 'k', data: Buffer.alloc(2) });
  const api = toApiRecords(shard, records);
  const bytes = encodeBody('json', { Records: api, MillisBehindLatest: 0 });
  const expected = JSON.stringify({
    Records: records.map((r) => ({
      SequenceNumber: recordSequenceNumber(shard, r.index, r.arrival),
      ApproximateArrivalTimestamp: r.arrival / 1000,
      Data: r.data.toString('base64'),
      PartitionKey: r.partitionKey,
      ...(r.keyRef === undefined ? {} : { EncryptionType: 'KMS' }),
    })),
    MillisBehindLatest: 0,
  });
  assert.equal(bytes.toString('utf8'), expected);
  assert.deepEqual(JSON.parse(bytes.toString('utf8')), JSON.parse(expected));
  assert.equal(encodeBody('json', { Records: toApiRecords(shard, []) }).toString(), '{"Records":[]}');
  // Several self-encoding values in one answer are written one after the other.
  const two = encodeBody('json', { A: toApiRecords(shard, records.slice(0, 3)), B: [toApiRecords(shard, records.slice(3, 5))], C: 'end' });
  assert.deepEqual(JSON.parse(two.toString()), { A: JSON.parse(expected).Records.slice(0, 3), B: [JSON.parse(expected).Records.slice(3, 5)], C: 'end' });
});

test('large JSON bodies decode as JSON.parse decodes them (long literals taken from the bytes)', () => {
  const big = randomBytes(900_000).toString('base64');
  const bodies = [
    { StreamName: 's', Data: big, PartitionKey: 'ünïcødé 🚀' },
    { StreamName: 's', Records: Array.from({ length: 8 }, (_, i) => ({ Data: randomBytes(70_000 + i).toString('base64'), PartitionKey: `k${i}` })) },
    { StreamName: 's', Data: 'é'.repeat(200_000), PartitionKey: 'k' }, // a long literal that is not ASCII
    { StreamName: 's', ['x'.repeat(300_000)]: 1 }, // a long literal as a key
    { Nested: [[big], { deeper: big }], Short: 'a', Number: 12.5, Null: null, Bool: true },
  ];
  for (const body of bodies) {
    const text = JSON.stringify(body);
    assert.deepEqual(decodeBody('json', Buffer.from(text)), JSON.parse(text));
  }
  // A body with escapes (here an escaped slash, as some encoders write base64) takes the plain way.
  const escaped = `{"Data":"${big.replaceAll('/', '\\/')}"}`;
  assert.deepEqual(decodeBody('json', Buffer.from(escaped)), { Data: big });
  // Broken JSON around a long literal is still broken.
  assert.throws(() => decodeBody('json', Buffer.from(`{"Data":"${big}" "x"}`)), SyntaxError);
  assert.throws(() => decodeBody('json', Buffer.from(`{"Data":"${big}`)), SyntaxError);
});

test('sequence numbers stepped in decimal equal the BigInt ones (PutRecord(s) answers)', () => {
  const shard = { index: 0x1234_5678, createdAt: 1_600_000_000_999 } as ShardMeta;
  const stepped = new ShardSequences(shard);
  const reference = new ShardSequences(shard);
  let index = 0;
  let arrival = 1_700_000_000_000;
  for (let i = 0; i < 3000; i++) {
    // Mostly consecutive records within a second; sometimes a gap, a new second, a huge index.
    index += i % 97 === 0 ? 1000 : 1;
    if (i % 250 === 0) arrival += 1000;
    if (i === 2000) index = 2 ** 52;
    assert.equal(stepped.text(index, arrival), reference.format(index, arrival));
  }
});

test('request bodies are gathered byte for byte, whatever the declared length says', () => {
  const READ = 64 * 1024;
  const reads = (body: Buffer) => Array.from({ length: Math.ceil(body.length / READ) }, (_, i) => body.subarray(i * READ, (i + 1) * READ));
  const cases: [string, number, number][] = [
    ['small, declared', 300, 300],
    ['small, undeclared', 300, -1],
    ['large, as declared (several copy batches)', 3 * 1024 * 1024 + 17, 3 * 1024 * 1024 + 17],
    ['large, undeclared', 200_000, -1],
    ['fewer bytes than declared', 200_000, 300_000],
    ['more bytes than declared', 2_500_000, 100_000],
    ['empty', 0, 0],
  ];
  for (const [what, size, declared] of cases) {
    const body = randomBytes(size);
    const collector = new BodyCollector(declared);
    for (const read of reads(body)) collector.add(read);
    assert.equal(collector.size, size, what);
    assert.ok(collector.finish().equals(body), what);
  }
});
