import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import {
  CreateSignalingChannelCommand,
  CreateStreamCommand,
  DeleteEdgeConfigurationCommand,
  DeleteSignalingChannelCommand,
  DeleteStreamCommand,
  DescribeEdgeConfigurationCommand,
  DescribeImageGenerationConfigurationCommand,
  DescribeMappedResourceConfigurationCommand,
  DescribeMediaStorageConfigurationCommand,
  DescribeNotificationConfigurationCommand,
  DescribeSignalingChannelCommand,
  DescribeStreamCommand,
  DescribeStreamStorageConfigurationCommand,
  GetDataEndpointCommand,
  GetSignalingChannelEndpointCommand,
  KinesisVideoClient,
  ListEdgeAgentConfigurationsCommand,
  ListSignalingChannelsCommand,
  ListStreamsCommand,
  ListTagsForResourceCommand,
  ListTagsForStreamCommand,
  StartEdgeConfigurationUpdateCommand,
  TagResourceCommand,
  TagStreamCommand,
  UntagResourceCommand,
  UntagStreamCommand,
  UpdateDataRetentionCommand,
  UpdateImageGenerationConfigurationCommand,
  UpdateMediaStorageConfigurationCommand,
  UpdateNotificationConfigurationCommand,
  UpdateSignalingChannelCommand,
  UpdateStreamCommand,
  UpdateStreamStorageConfigurationCommand,
} from '@aws-sdk/client-kinesis-video';
import { available, startTestServer, type TestServer } from './helpers.js';

/**
 * Kinesis Video Streams' control plane (issue 16 §1, VIDEO-SPEC §2): all 32 operations through the
 * JS SDK v3 client, boto3 and the AWS CLI, and raw requests where the exact error type header and
 * message matter. Lifecycle delays are in video-control-lifecycle.test.ts.
 */

let server: TestServer;
let kvs: KinesisVideoClient;
const ACCOUNT = '000000000000';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const SUFFIX = ':https://kinesisvideo.amazonaws.com/doc/2017-09-30/';
const NOT_FOUND = 'The requested stream is not found or not active.';
const STALE = 'The stream version that you specified is not the latest version. To get the latest version, use the DescribeStream API.';
const STALE_CHANNEL = 'The channel version that you specified is not the latest version. To get the latest version, use the DescribeSignalingChannel API.';
const TOO_MANY_TAGS = 'You have exceeded the limit of tags that you can associate with the resource. A Kinesis video stream can support up to 50 tags.';
const HUB = `arn:aws:iot:us-east-1:${ACCOUNT}:thing/hub-1`;
const SECRET = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:camera-uri`;

before(async () => {
  server = await startTestServer({ tls: true });
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
});

after(async () => {
  kvs.destroy();
  await server.stop();
});

/** The SDK error's name, message and HTTP status. */
async function failure(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  assert.fail('expected the call to fail');
}

/** A REST-JSON call as the SDKs send it (signatures are not verified here), answered raw. */
async function raw(path: string, body: unknown, init: { rawBody?: string; region?: string; host?: string } = {}) {
  const res = await fetch(`${server.endpoint}/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/${init.region ?? 'us-east-1'}/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
      'x-amz-date': '20240101T000000Z',
    },
    body: init.rawBody ?? JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: text ? JSON.parse(text) : undefined };
}

/** An error answer: status, `x-amzn-ErrorType` with AWS's namespace suffix, and the body. */
async function rawError(path: string, body: unknown, status: number, type: string, message: string | undefined, key = 'Message') {
  const res = await raw(path, body);
  assert.deepEqual(res, { status, type: `${type}${SUFFIX}`, body: message === undefined ? {} : { [key]: message } }, `${path} ${JSON.stringify(body)}`);
}

const describe = async (StreamName: string) => (await kvs.send(new DescribeStreamCommand({ StreamName }))).StreamInfo!;

test('CreateStream, DescribeStream by name and ARN, ListStreams, GetDataEndpoint, DeleteStream', async () => {
  const before = Date.now();
  const { StreamARN } = await kvs.send(new CreateStreamCommand({ StreamName: 'cam-1', MediaType: 'video/h264', DataRetentionInHours: 24, DeviceName: 'dev' }));
  const match = /^arn:aws:kinesisvideo:us-east-1:000000000000:stream\/cam-1\/(\d+)$/.exec(StreamARN!);
  assert.ok(match, StreamARN);
  assert.ok(Number(match[1]) >= before && Number(match[1]) <= Date.now());

  for (const ref of [{ StreamName: 'cam-1' }, { StreamARN }, { StreamName: 'cam-1', StreamARN }]) {
    const { StreamInfo } = await kvs.send(new DescribeStreamCommand(ref));
    assert.deepEqual({ ...StreamInfo, Version: undefined }, {
      StreamName: 'cam-1',
      StreamARN,
      Status: 'ACTIVE',
      MediaType: 'video/h264',
      DeviceName: 'dev',
      DataRetentionInHours: 24,
      KmsKeyId: 'arn:aws:kms:us-east-1:000000000000:alias/aws/kinesisvideo',
      CreationTime: new Date(Number(match[1])),
      Version: undefined,
    });
    assert.match(StreamInfo!.Version!, /^[a-zA-Z0-9]{20}$/);
  }

  const listed = await kvs.send(new ListStreamsCommand({ StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'cam-' } }));
  assert.deepEqual(listed.StreamInfoList!.map((s) => s.StreamName), ['cam-1']);
  assert.equal(listed.NextToken, undefined);

  for (const APIName of ['PUT_MEDIA', 'GET_MEDIA', 'LIST_FRAGMENTS', 'GET_MEDIA_FOR_FRAGMENT_LIST', 'GET_HLS_STREAMING_SESSION_URL', 'GET_DASH_STREAMING_SESSION_URL', 'GET_CLIP', 'GET_IMAGES'] as const) {
    const { DataEndpoint } = await kvs.send(new GetDataEndpointCommand({ StreamARN, APIName }));
    assert.equal(DataEndpoint, server.endpoint, APIName);
  }

  await kvs.send(new DeleteStreamCommand({ StreamARN }));
  assert.deepEqual(await failure(kvs.send(new DescribeStreamCommand({ StreamName: 'cam-1' }))), { name: 'ResourceNotFoundException', message: NOT_FOUND, status: 404 });
  // The name is free again; the new incarnation has an ARN of its own.
  const again = await kvs.send(new CreateStreamCommand({ StreamName: 'cam-1' }));
  assert.equal((await describe('cam-1')).StreamARN, again.StreamARN);
  await kvs.send(new DeleteStreamCommand({ StreamARN: again.StreamARN }));
});

test('GetDataEndpoint answers the host the client used, with no trailing slash', async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'endpoint-host' }));
  const byLocalhost = new KinesisVideoClient({ endpoint: `http://localhost:${server.port}`, region: 'us-east-1', credentials, maxAttempts: 1 });
  try {
    const { DataEndpoint } = await byLocalhost.send(new GetDataEndpointCommand({ StreamName: 'endpoint-host', APIName: 'GET_MEDIA' }));
    assert.equal(DataEndpoint, `http://localhost:${server.port}`);
  } finally {
    byLocalhost.destroy();
  }
  await rawError('getDataEndpoint', { StreamName: 'no-such', APIName: 'PUT_MEDIA' }, 404, 'ResourceNotFoundException', NOT_FOUND);
  await rawError(
    'getDataEndpoint',
    { StreamName: 'endpoint-host', APIName: 'PUT_SOMETHING' },
    400,
    'ValidationException',
    "1 validation error detected: Value 'PUT_SOMETHING' at 'aPIName' failed to satisfy constraint: Member must satisfy enum value set: [PUT_MEDIA, GET_MEDIA, LIST_FRAGMENTS, GET_MEDIA_FOR_FRAGMENT_LIST, GET_HLS_STREAMING_SESSION_URL, GET_DASH_STREAMING_SESSION_URL, GET_CLIP, GET_IMAGES]",
    'message',
  );
});

/** GetDataEndpoint over HTTP/2, cleartext (prior knowledge) or TLS with the server's own certificate. */
async function dataEndpointOverHttp2(base: string, ca?: Buffer): Promise<unknown> {
  const session = http2.connect(base, ca ? { ca } : {});
  try {
    const req = session.request({
      ':method': 'POST',
      ':path': '/getDataEndpoint',
      'content-type': 'application/json',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc',
      'x-amz-date': '20240101T000000Z',
    });
    req.end(JSON.stringify({ StreamName: 'h2-endpoint', APIName: 'GET_MEDIA' }));
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    await new Promise((resolve, reject) => req.on('end', resolve).on('error', reject));
    return JSON.parse(text);
  } finally {
    session.close();
  }
}

test('GetDataEndpoint answers https:// to a TLS client and the :authority of an HTTP/2 one', async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'h2-endpoint' }));
  const ca = readFileSync(server.certificateFile!);
  assert.ok(server.secureEndpoint);
  assert.deepEqual(await dataEndpointOverHttp2(server.secureEndpoint!, ca), { DataEndpoint: server.secureEndpoint });
  assert.deepEqual(await dataEndpointOverHttp2(server.endpoint), { DataEndpoint: server.endpoint });
});

test("the producer SDK's flow with its own request bodies: DescribeStream (404), CreateStream, poll ACTIVE, GetDataEndpoint", async () => {
  // producer-c's JSON templates (CurlApiCallbacks.c), whitespace included.
  const describeBody = '{\n\t"StreamName": "kvs-producer"\n}';
  const first = await raw('describeStream', undefined, { rawBody: describeBody });
  assert.deepEqual(first, { status: 404, type: `ResourceNotFoundException${SUFFIX}`, body: { Message: NOT_FOUND } });
  const create = await raw('createStream', undefined, {
    rawBody: '{\n\t"DeviceName": "Kinesis_Video_Device",\n\t"StreamName": "kvs-producer",\n\t"MediaType": "video/h264,audio/aac",\n\t"DataRetentionInHours": 2\n}',
  });
  assert.equal(create.status, 200);
  assert.match(create.body.StreamARN, /^arn:aws:kinesisvideo:us-east-1:000000000000:stream\/kvs-producer\/\d{13}$/);
  const described = await raw('describeStream', undefined, { rawBody: describeBody });
  assert.equal(described.status, 200);
  const info = described.body.StreamInfo;
  assert.deepEqual(Object.keys(info).sort(), ['CreationTime', 'DataRetentionInHours', 'DeviceName', 'KmsKeyId', 'MediaType', 'Status', 'StreamARN', 'StreamName', 'Version']);
  // producer-c reads DataRetentionInHours with STRTOUI64: a JSON integer; CreationTime is epoch seconds.
  assert.ok(Number.isInteger(info.DataRetentionInHours) && info.DataRetentionInHours === 2);
  assert.equal(info.CreationTime, Number(create.body.StreamARN.split('/').pop()) / 1000);
  assert.deepEqual([info.Status, info.DeviceName, info.MediaType], ['ACTIVE', 'Kinesis_Video_Device', 'video/h264,audio/aac']);
  const endpoint = await raw('getDataEndpoint', undefined, { rawBody: '{"StreamName": "kvs-producer","APIName":"PUT_MEDIA"}' });
  assert.deepEqual(endpoint, { status: 200, type: null, body: { DataEndpoint: server.endpoint } });
});

test('CreateStream errors: duplicate name, retention above 87,600 hours, model constraints', async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'dup' }));
  await rawError('createStream', { StreamName: 'dup' }, 400, 'ResourceInUseException', 'The stream dup already exists.');
  await rawError('createStream', { StreamName: 'long', DataRetentionInHours: 87_601 }, 400, 'InvalidArgumentException', 'DataRetentionInHours 87601 exceeds the maximum of 87600 hours.');
  await rawError('createStream', {}, 400, 'ValidationException', "1 validation error detected: Value null at 'streamName' failed to satisfy constraint: Member must not be null", 'message');
  await rawError(
    'createStream',
    { StreamName: 'bad name!', DataRetentionInHours: -1, MediaType: 'h264' },
    400,
    'ValidationException',
    "3 validation errors detected: Value '-1' at 'dataRetentionInHours' failed to satisfy constraint: Member must have value greater than or equal to 0; " +
      "Value 'h264' at 'mediaType' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\-\\.\\+]+/[\\w\\-\\.\\+]+(,[\\w\\-\\.\\+]+/[\\w\\-\\.\\+]+)*; " +
      "Value 'bad name!' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    'message',
  );
  // §2.1: the Android SDK's `Tags: {}` got a ValidationException (the map's minimum is 1).
  await rawError('createStream', { StreamName: 'empty-tags', Tags: {} }, 400, 'ValidationException', "1 validation error detected: Value '{}' at 'tags' failed to satisfy constraint: Member must have length greater than or equal to 1", 'message');
  await rawError('createStream', { StreamName: 'typed', DataRetentionInHours: 'a' }, 400, 'SerializationException', 'class java.lang.String can not be converted to an Integer', 'message');
  const bad = await raw('createStream', undefined, { rawBody: '{not json' });
  assert.deepEqual(bad, { status: 400, type: `SerializationException${SUFFIX}`, body: {} });
  // Nothing was created by the refused calls.
  const names = (await kvs.send(new ListStreamsCommand({}))).StreamInfoList!.map((s) => s.StreamName);
  assert.ok(!names.includes('long') && !names.includes('empty-tags') && !names.includes('typed'));
});

test('a stream is named by exactly one StreamName or StreamARN of this account, region and incarnation', async () => {
  const { StreamARN } = await kvs.send(new CreateStreamCommand({ StreamName: 'named' }));
  await rawError('describeStream', {}, 400, 'InvalidArgumentException', 'Either StreamName or StreamARN must be specified.');
  await rawError('describeStream', { StreamName: 'other', StreamARN }, 400, 'InvalidArgumentException', 'StreamName and StreamARN do not refer to the same stream.');
  const suffix = StreamARN!.split('/').pop()!;
  await rawError('describeStream', { StreamARN: StreamARN!.replace(/\/\d+$/, `/${Number(suffix) - 1}`) }, 404, 'ResourceNotFoundException', NOT_FOUND);
  await rawError('describeStream', { StreamARN: StreamARN!.replace(ACCOUNT, '111111111111') }, 404, 'ResourceNotFoundException', NOT_FOUND);
  await rawError('describeStream', { StreamARN: StreamARN!.replace('us-east-1', 'eu-west-1') }, 404, 'ResourceNotFoundException', NOT_FOUND);
  // Another region of the same account sees none of this region's streams.
  const west = await raw('describeStream', { StreamName: 'named' }, { region: 'eu-west-1' });
  assert.equal(west.status, 404);
  await rawError(
    'describeStream',
    { StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/named/1' },
    400,
    'ValidationException',
    "1 validation error detected: Value 'arn:aws:kinesis:us-east-1:000000000000:stream/named/1' at 'streamARN' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[a-z\\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+",
    'message',
  );
});

test('ListStreams pages by MaxResults and NextToken in name order', async () => {
  for (const name of ['page-c', 'page-a', 'page-b', 'page-d', 'page-e']) await kvs.send(new CreateStreamCommand({ StreamName: name }));
  const seen: string[] = [];
  let NextToken: string | undefined;
  let pages = 0;
  do {
    const out = await kvs.send(new ListStreamsCommand({ MaxResults: 2, NextToken, StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'page-' } }));
    assert.ok(out.StreamInfoList!.length <= 2);
    seen.push(...out.StreamInfoList!.map((s) => s.StreamName!));
    NextToken = out.NextToken;
    if (NextToken) assert.match(NextToken, /^[a-zA-Z0-9+/=]+$/);
    pages++;
  } while (NextToken);
  assert.deepEqual(seen, ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']);
  assert.equal(pages, 3);
  await rawError('listStreams', { NextToken: 'abc' }, 400, 'InvalidArgumentException', 'The NextToken is not valid.');
  await rawError('listStreams', { MaxResults: 0 }, 400, 'ValidationException', "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", 'message');
});

test('UpdateStream and UpdateDataRetention: Version compare-and-set, delta retention within 0..87,600', async () => {
  const { StreamARN } = await kvs.send(new CreateStreamCommand({ StreamName: 'upd', DataRetentionInHours: 2, MediaType: 'video/h264' }));
  const v1 = (await describe('upd')).Version!;
  await kvs.send(new UpdateStreamCommand({ StreamName: 'upd', CurrentVersion: v1, DeviceName: 'cam', MediaType: 'video/h265,audio/aac' }));
  const after1 = await describe('upd');
  assert.equal(after1.DeviceName, 'cam');
  assert.equal(after1.MediaType, 'video/h265,audio/aac');
  assert.equal(after1.Status, 'ACTIVE');
  assert.notEqual(after1.Version, v1);
  // A stale version is refused and changes nothing.
  await rawError('updateStream', { StreamName: 'upd', CurrentVersion: v1, DeviceName: 'other' }, 400, 'VersionMismatchException', STALE);
  assert.equal((await describe('upd')).DeviceName, 'cam');
  // Members not given keep their values.
  await kvs.send(new UpdateStreamCommand({ StreamARN, CurrentVersion: after1.Version!, DeviceName: 'cam2' }));
  const after2 = await describe('upd');
  assert.equal(after2.MediaType, 'video/h265,audio/aac');

  await kvs.send(new UpdateDataRetentionCommand({ StreamName: 'upd', CurrentVersion: after2.Version!, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 5 }));
  const after3 = await describe('upd');
  assert.equal(after3.DataRetentionInHours, 7);
  await kvs.send(new UpdateDataRetentionCommand({ StreamARN, CurrentVersion: after3.Version!, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: 7 }));
  const after4 = await describe('upd');
  assert.equal(after4.DataRetentionInHours, 0);
  await rawError(
    'updateDataRetention',
    { StreamName: 'upd', CurrentVersion: after4.Version, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: 1 },
    400,
    'InvalidArgumentException',
    'The resulting data retention -1 hours is out of range: it must be between 0 and 87600 hours.',
  );
  await rawError(
    'updateDataRetention',
    { StreamName: 'upd', CurrentVersion: after4.Version, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 87_601 },
    400,
    'InvalidArgumentException',
    'The resulting data retention 87601 hours is out of range: it must be between 0 and 87600 hours.',
  );
  await rawError(
    'updateDataRetention',
    { StreamName: 'upd', CurrentVersion: 'stale', Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 1 },
    400,
    'VersionMismatchException',
    STALE,
  );
  await rawError(
    'updateDataRetention',
    { StreamName: 'upd', CurrentVersion: after4.Version, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 0 },
    400,
    'ValidationException',
    "1 validation error detected: Value '0' at 'dataRetentionChangeInHours' failed to satisfy constraint: Member must have value greater than or equal to 1",
    'message',
  );
  await rawError('updateStream', { StreamName: 'upd' }, 400, 'ValidationException', "1 validation error detected: Value null at 'currentVersion' failed to satisfy constraint: Member must not be null", 'message');
  await rawError('updateStream', { StreamName: 'gone', CurrentVersion: 'abc' }, 404, 'ResourceNotFoundException', NOT_FOUND);

  // DeleteStream takes a CurrentVersion too.
  await rawError('deleteStream', { StreamARN, CurrentVersion: v1 }, 400, 'VersionMismatchException', STALE);
  await kvs.send(new DeleteStreamCommand({ StreamARN, CurrentVersion: after4.Version }));
  await rawError('deleteStream', { StreamARN }, 404, 'ResourceNotFoundException', NOT_FOUND);
  await rawError('deleteStream', { StreamName: 'upd' }, 400, 'ValidationException', "1 validation error detected: Value null at 'streamARN' failed to satisfy constraint: Member must not be null", 'message');
});

test('stream storage configuration: HOT by default, WARM at create or by update with Version CAS', async () => {
  const { StreamARN } = await kvs.send(new CreateStreamCommand({ StreamName: 'tiered', StreamStorageConfiguration: { DefaultStorageTier: 'WARM' } }));
  assert.deepEqual(await kvs.send(new DescribeStreamStorageConfigurationCommand({ StreamARN })).then(({ $metadata, ...out }) => out), {
    StreamName: 'tiered',
    StreamARN,
    StreamStorageConfiguration: { DefaultStorageTier: 'WARM' },
  });
  const version = (await describe('tiered')).Version!;
  await kvs.send(new UpdateStreamStorageConfigurationCommand({ StreamName: 'tiered', CurrentVersion: version, StreamStorageConfiguration: { DefaultStorageTier: 'HOT' } }));
  const out = await kvs.send(new DescribeStreamStorageConfigurationCommand({ StreamName: 'tiered' }));
  assert.equal(out.StreamStorageConfiguration!.DefaultStorageTier, 'HOT');
  assert.notEqual((await describe('tiered')).Version, version);
  await rawError(
    'updateStreamStorageConfiguration',
    { StreamName: 'tiered', CurrentVersion: version, StreamStorageConfiguration: { DefaultStorageTier: 'WARM' } },
    400,
    'VersionMismatchException',
    STALE,
  );
  await kvs.send(new CreateStreamCommand({ StreamName: 'hot' }));
  assert.equal((await kvs.send(new DescribeStreamStorageConfigurationCommand({ StreamName: 'hot' }))).StreamStorageConfiguration!.DefaultStorageTier, 'HOT');
});

test('stream tags: TagStream, UntagStream, ListTagsForStream and the resource tag APIs on streams', async () => {
  const { StreamARN } = await kvs.send(new CreateStreamCommand({ StreamName: 'tagged', Tags: { team: 'video' } }));
  await kvs.send(new TagStreamCommand({ StreamName: 'tagged', Tags: { env: 'dev', team: 'media' } }));
  assert.deepEqual((await kvs.send(new ListTagsForStreamCommand({ StreamARN }))).Tags, { env: 'dev', team: 'media' });
  await kvs.send(new UntagStreamCommand({ StreamARN, TagKeyList: ['env', 'absent'] }));
  assert.deepEqual((await kvs.send(new ListTagsForStreamCommand({ StreamName: 'tagged' }))).Tags, { team: 'media' });
  // TagResource and its siblings take stream ARNs as well.
  await kvs.send(new TagResourceCommand({ ResourceARN: StreamARN, Tags: [{ Key: 'cost', Value: 'c1' }] }));
  assert.deepEqual((await kvs.send(new ListTagsForResourceCommand({ ResourceARN: StreamARN }))).Tags, { team: 'media', cost: 'c1' });
  await kvs.send(new UntagResourceCommand({ ResourceARN: StreamARN, TagKeyList: ['team'] }));
  assert.deepEqual((await kvs.send(new ListTagsForStreamCommand({ StreamName: 'tagged' }))).Tags, { cost: 'c1' });

  // 50 tags at most, counted after the call; a refused call changes nothing.
  const many = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, `v${i}`]));
  await kvs.send(new TagStreamCommand({ StreamName: 'tagged', Tags: many }));
  await rawError('tagStream', { StreamName: 'tagged', Tags: { one: 'more' } }, 400, 'TagsPerResourceExceededLimitException', TOO_MANY_TAGS);
  await rawError('TagResource', { ResourceARN: StreamARN, Tags: [{ Key: 'one', Value: 'more' }] }, 400, 'TagsPerResourceExceededLimitException', TOO_MANY_TAGS);
  assert.equal(Object.keys((await kvs.send(new ListTagsForStreamCommand({ StreamName: 'tagged' }))).Tags!).length, 50);
  const fiftyOne = Array.from({ length: 51 }, (_, i) => `k${i}`);
  await rawError(
    'createStream',
    { StreamName: 'too-many', Tags: Object.fromEntries(fiftyOne.map((key) => [key, 'v'])) },
    400,
    'ValidationException',
    `1 validation error detected: Value '{${fiftyOne.map((key) => `${key}=v`).join(', ')}}' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50`,
    'message',
  );

  await rawError('tagStream', { StreamName: 'no-such', Tags: { a: 'b' } }, 404, 'ResourceNotFoundException', NOT_FOUND);
  const channelArn = `arn:aws:kinesisvideo:us-east-1:${ACCOUNT}:channel/tagged/1`;
  await rawError('tagStream', { StreamARN: channelArn, Tags: { a: 'b' } }, 400, 'InvalidResourceFormatException', 'The format of the StreamARN is invalid.');
  await rawError('listTagsForStream', { StreamARN: channelArn }, 400, 'InvalidResourceFormatException', 'The format of the StreamARN is invalid.');
  await rawError('TagResource', { ResourceARN: `arn:aws:kinesisvideo:us-east-1:${ACCOUNT}:thing/tagged/1`, Tags: [{ Key: 'a', Value: 'b' }] }, 404, 'ResourceNotFoundException', 'The requested resource is not found.');
  await rawError('UntagResource', { ResourceARN: StreamARN, TagKeyList: [] }, 400, 'ValidationException', "1 validation error detected: Value '[]' at 'tagKeyList' failed to satisfy constraint: Member must have length greater than or equal to 1", 'message');
});

test('signaling channels: create, describe, list, update with Version CAS, tags, endpoints, delete', async () => {
  const { ChannelARN } = await kvs.send(new CreateSignalingChannelCommand({ ChannelName: 'door', Tags: [{ Key: 'site', Value: 'front' }] }));
  assert.match(ChannelARN!, /^arn:aws:kinesisvideo:us-east-1:000000000000:channel\/door\/\d{13}$/);
  const info = (await kvs.send(new DescribeSignalingChannelCommand({ ChannelName: 'door' }))).ChannelInfo!;
  assert.deepEqual({ ...info, Version: undefined, CreationTime: undefined }, {
    ChannelName: 'door',
    ChannelARN,
    ChannelType: 'SINGLE_MASTER',
    ChannelStatus: 'ACTIVE',
    SingleMasterConfiguration: { MessageTtlSeconds: 60 },
    Version: undefined,
    CreationTime: undefined,
  });
  assert.equal(info.CreationTime!.getTime(), Number(ChannelARN!.split('/').pop()));
  assert.deepEqual((await kvs.send(new DescribeSignalingChannelCommand({ ChannelARN }))).ChannelInfo, info);
  await kvs.send(new CreateSignalingChannelCommand({ ChannelName: 'dock', ChannelType: 'SINGLE_MASTER', SingleMasterConfiguration: { MessageTtlSeconds: 5 } }));
  const listed = await kvs.send(new ListSignalingChannelsCommand({ ChannelNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'do' }, MaxResults: 1 }));
  assert.deepEqual(listed.ChannelInfoList!.map((c) => c.ChannelName), ['dock']);
  const rest = await kvs.send(new ListSignalingChannelsCommand({ ChannelNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'do' }, NextToken: listed.NextToken }));
  assert.deepEqual(rest.ChannelInfoList!.map((c) => c.ChannelName), ['door']);

  await kvs.send(new UpdateSignalingChannelCommand({ ChannelARN, CurrentVersion: info.Version, SingleMasterConfiguration: { MessageTtlSeconds: 120 } }));
  const updated = (await kvs.send(new DescribeSignalingChannelCommand({ ChannelARN }))).ChannelInfo!;
  assert.equal(updated.SingleMasterConfiguration!.MessageTtlSeconds, 120);
  assert.notEqual(updated.Version, info.Version);
  await rawError('updateSignalingChannel', { ChannelARN, CurrentVersion: info.Version, SingleMasterConfiguration: { MessageTtlSeconds: 30 } }, 400, 'VersionMismatchException',
    STALE_CHANNEL);
  await rawError('updateSignalingChannel', { ChannelARN, CurrentVersion: updated.Version, SingleMasterConfiguration: { MessageTtlSeconds: 121 } }, 400, 'ValidationException',
    "1 validation error detected: Value '121' at 'singleMasterConfiguration.messageTtlSeconds' failed to satisfy constraint: Member must have value less than or equal to 120", 'message');

  await kvs.send(new TagResourceCommand({ ResourceARN: ChannelARN, Tags: [{ Key: 'floor', Value: '1' }] }));
  assert.deepEqual((await kvs.send(new ListTagsForResourceCommand({ ResourceARN: ChannelARN }))).Tags, { site: 'front', floor: '1' });
  await kvs.send(new UntagResourceCommand({ ResourceARN: ChannelARN, TagKeyList: ['site'] }));
  assert.deepEqual((await kvs.send(new ListTagsForResourceCommand({ ResourceARN: ChannelARN }))).Tags, { floor: '1' });

  const endpoints = await kvs.send(new GetSignalingChannelEndpointCommand({ ChannelARN, SingleMasterChannelEndpointConfiguration: { Protocols: ['WSS', 'HTTPS'], Role: 'MASTER' } }));
  assert.deepEqual(endpoints.ResourceEndpointList, [
    { Protocol: 'WSS', ResourceEndpoint: server.endpoint.replace('http://', 'ws://') },
    { Protocol: 'HTTPS', ResourceEndpoint: server.endpoint },
  ]);
  const viewer = await kvs.send(new GetSignalingChannelEndpointCommand({ ChannelARN, SingleMasterChannelEndpointConfiguration: { Protocols: ['HTTPS'], Role: 'VIEWER' } }));
  assert.deepEqual(viewer.ResourceEndpointList, [{ Protocol: 'HTTPS', ResourceEndpoint: server.endpoint }]);
  await rawError('getSignalingChannelEndpoint', { ChannelARN, SingleMasterChannelEndpointConfiguration: { Protocols: ['WEBRTC'], Role: 'MASTER' } }, 400, 'InvalidArgumentException',
    'The WEBRTC protocol is only available for a signaling channel whose media storage configuration is ENABLED.');

  await rawError('createSignalingChannel', { ChannelName: 'door' }, 400, 'ResourceInUseException', 'The signalingchannel door already exists.');
  await rawError('describeSignalingChannel', {}, 400, 'InvalidArgumentException', 'Either ChannelName or ChannelARN must be specified.');
  await rawError('describeSignalingChannel', { ChannelName: 'nope' }, 404, 'ResourceNotFoundException', 'The requested channel is not found or not active.');
  await rawError('deleteSignalingChannel', { ChannelARN, CurrentVersion: info.Version }, 400, 'VersionMismatchException', STALE_CHANNEL);
  await kvs.send(new DeleteSignalingChannelCommand({ ChannelARN }));
  await rawError('describeSignalingChannel', { ChannelARN }, 404, 'ResourceNotFoundException', 'The requested channel is not found or not active.');
  await rawError('getSignalingChannelEndpoint', { ChannelARN }, 404, 'ResourceNotFoundException', 'The requested channel is not found or not active.');
});

test('media storage configuration maps a channel to a stream that retains data, one channel per stream', async () => {
  const { ChannelARN } = await kvs.send(new CreateSignalingChannelCommand({ ChannelName: 'ingest' }));
  const { ChannelARN: otherChannel } = await kvs.send(new CreateSignalingChannelCommand({ ChannelName: 'ingest-2' }));
  const { StreamARN } = await kvs.send(new CreateStreamCommand({ StreamName: 'webrtc-store', DataRetentionInHours: 1 }));
  const { StreamARN: noRetention } = await kvs.send(new CreateStreamCommand({ StreamName: 'webrtc-none' }));
  assert.deepEqual((await kvs.send(new DescribeMediaStorageConfigurationCommand({ ChannelName: 'ingest' }))).MediaStorageConfiguration, { Status: 'DISABLED' });
  assert.deepEqual((await kvs.send(new DescribeMappedResourceConfigurationCommand({ StreamARN }))).MappedResourceConfigurationList, []);

  await rawError('updateMediaStorageConfiguration', { ChannelARN, MediaStorageConfiguration: { Status: 'ENABLED', StreamARN: noRetention } }, 400, 'NoDataRetentionException', 'The Stream data retention in hours is equal to zero.');
  await rawError('updateMediaStorageConfiguration', { ChannelARN, MediaStorageConfiguration: { Status: 'ENABLED' } }, 400, 'InvalidArgumentException', 'StreamARN is required when the media storage Status is ENABLED.');
  await rawError('updateMediaStorageConfiguration', { ChannelARN, MediaStorageConfiguration: { Status: 'ENABLED', StreamARN: StreamARN!.replace(/\d+$/, '1') } }, 404, 'ResourceNotFoundException', NOT_FOUND);
  await kvs.send(new UpdateMediaStorageConfigurationCommand({ ChannelARN, MediaStorageConfiguration: { Status: 'ENABLED', StreamARN } }));
  assert.deepEqual((await kvs.send(new DescribeMediaStorageConfigurationCommand({ ChannelARN }))).MediaStorageConfiguration, { Status: 'ENABLED', StreamARN });
  assert.deepEqual((await kvs.send(new DescribeMappedResourceConfigurationCommand({ StreamName: 'webrtc-store' }))).MappedResourceConfigurationList, [{ Type: 'SIGNALING_CHANNEL', ARN: ChannelARN }]);
  await rawError('updateMediaStorageConfiguration', { ChannelARN: otherChannel, MediaStorageConfiguration: { Status: 'ENABLED', StreamARN } }, 400, 'ResourceInUseException',
    `The stream ${StreamARN} is already mapped to the signaling channel ${ChannelARN}.`);
  // With storage ENABLED the channel offers WEBRTC.
  const endpoints = await kvs.send(new GetSignalingChannelEndpointCommand({ ChannelARN, SingleMasterChannelEndpointConfiguration: { Protocols: ['WEBRTC'], Role: 'MASTER' } }));
  assert.deepEqual(endpoints.ResourceEndpointList, [{ Protocol: 'WEBRTC', ResourceEndpoint: server.endpoint }]);
  await rawError('describeMappedResourceConfiguration', { StreamName: 'webrtc-store', MaxResults: 2 }, 400, 'ValidationException',
    "1 validation error detected: Value '2' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1", 'message');

  await kvs.send(new UpdateMediaStorageConfigurationCommand({ ChannelARN, MediaStorageConfiguration: { Status: 'DISABLED' } }));
  assert.deepEqual((await kvs.send(new DescribeMediaStorageConfigurationCommand({ ChannelARN }))).MediaStorageConfiguration, { Status: 'DISABLED' });
  assert.deepEqual((await kvs.send(new DescribeMappedResourceConfigurationCommand({ StreamARN }))).MappedResourceConfigurationList, []);
  await kvs.send(new UpdateMediaStorageConfigurationCommand({ ChannelARN: otherChannel, MediaStorageConfiguration: { Status: 'ENABLED', StreamARN } }));
});

const IMAGE_CONFIG = {
  Status: 'ENABLED' as const,
  ImageSelectorType: 'SERVER_TIMESTAMP' as const,
  DestinationConfig: { Uri: 's3://bucket/prefix', DestinationRegion: 'us-east-1' },
  SamplingInterval: 3000,
  Format: 'JPEG' as const,
  FormatConfig: { JPEGQuality: '80' },
  WidthPixels: 640,
  HeightPixels: 480,
};

test('image generation configuration: stored and echoed, deleted by null, checked as AWS documents', async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'images', DataRetentionInHours: 1 }));
  await kvs.send(new CreateStreamCommand({ StreamName: 'images-none' }));
  assert.deepEqual(await kvs.send(new DescribeImageGenerationConfigurationCommand({ StreamName: 'images' })).then(({ $metadata, ...out }) => out), {});
  await kvs.send(new UpdateImageGenerationConfigurationCommand({ StreamName: 'images', ImageGenerationConfiguration: IMAGE_CONFIG }));
  assert.deepEqual((await kvs.send(new DescribeImageGenerationConfigurationCommand({ StreamName: 'images' }))).ImageGenerationConfiguration, IMAGE_CONFIG);
  await rawError('updateImageGenerationConfiguration', { StreamName: 'images-none', ImageGenerationConfiguration: IMAGE_CONFIG }, 400, 'NoDataRetentionException', 'The Stream data retention in hours is equal to zero.');
  await rawError('updateImageGenerationConfiguration', { StreamName: 'images', ImageGenerationConfiguration: { ...IMAGE_CONFIG, SamplingInterval: 199 } }, 400, 'InvalidArgumentException',
    'SamplingInterval 199 is below the minimum of 200 milliseconds.');
  await rawError('updateImageGenerationConfiguration', { StreamName: 'images', ImageGenerationConfiguration: { ...IMAGE_CONFIG, DestinationConfig: { Uri: 's3://b/p', DestinationRegion: 'eu-west-1' } } },
    400, 'InvalidArgumentException', 'DestinationRegion eu-west-1 must be the Region of the stream, us-east-1.');
  await rawError('updateImageGenerationConfiguration', { StreamName: 'images', ImageGenerationConfiguration: { ...IMAGE_CONFIG, FormatConfig: { JPEGQuality: '101' } } },
    400, 'InvalidArgumentException', 'JPEGQuality 101 must be an integer from 1 to 100.');
  await rawError('updateImageGenerationConfiguration', { StreamName: 'images', ImageGenerationConfiguration: { ...IMAGE_CONFIG, WidthPixels: 3841 } }, 400, 'ValidationException',
    "1 validation error detected: Value '3841' at 'imageGenerationConfiguration.widthPixels' failed to satisfy constraint: Member must have value less than or equal to 3840", 'message');
  // The refused updates left the stored configuration alone; null deletes it (and needs no retention).
  assert.deepEqual((await kvs.send(new DescribeImageGenerationConfigurationCommand({ StreamName: 'images' }))).ImageGenerationConfiguration, IMAGE_CONFIG);
  await kvs.send(new UpdateImageGenerationConfigurationCommand({ StreamName: 'images' }));
  assert.equal((await kvs.send(new DescribeImageGenerationConfigurationCommand({ StreamName: 'images' }))).ImageGenerationConfiguration, undefined);
  await kvs.send(new UpdateImageGenerationConfigurationCommand({ StreamName: 'images-none' }));
});

test('notification configuration: stored and echoed, deleted by null, NoDataRetentionException without retention', async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'notify', DataRetentionInHours: 1 }));
  await kvs.send(new CreateStreamCommand({ StreamName: 'notify-none' }));
  const config = { Status: 'ENABLED' as const, DestinationConfig: { Uri: `arn:aws:sns:us-east-1:${ACCOUNT}:fragments` } };
  await kvs.send(new UpdateNotificationConfigurationCommand({ StreamName: 'notify', NotificationConfiguration: config }));
  assert.deepEqual((await kvs.send(new DescribeNotificationConfigurationCommand({ StreamName: 'notify' }))).NotificationConfiguration, config);
  await rawError('updateNotificationConfiguration', { StreamName: 'notify-none', NotificationConfiguration: config }, 400, 'NoDataRetentionException', 'The Stream data retention in hours is equal to zero.');
  await rawError('updateNotificationConfiguration', { StreamName: 'notify', NotificationConfiguration: { Status: 'ENABLED' } }, 400, 'ValidationException',
    "1 validation error detected: Value null at 'notificationConfiguration.destinationConfig' failed to satisfy constraint: Member must not be null", 'message');
  await kvs.send(new UpdateNotificationConfigurationCommand({ StreamName: 'notify' }));
  assert.equal((await kvs.send(new DescribeNotificationConfigurationCommand({ StreamName: 'notify' }))).NotificationConfiguration, undefined);
  await rawError('describeNotificationConfiguration', { StreamName: 'notify-gone' }, 404, 'ResourceNotFoundException', NOT_FOUND);
});

const EDGE_CONFIG = {
  HubDeviceArn: HUB,
  RecorderConfig: { MediaSourceConfig: { MediaUriSecretArn: SECRET, MediaUriType: 'RTSP_URI' as const }, ScheduleConfig: { ScheduleExpression: '0 0 9 * * ? *', DurationInSeconds: 600 } },
  UploaderConfig: { ScheduleConfig: { ScheduleExpression: '0 0 18 * * ? *', DurationInSeconds: 3600 } },
  DeletionConfig: { EdgeRetentionInHours: 24, LocalSizeConfig: { MaxLocalMediaSizeInMB: 64, StrategyOnFullSize: 'DELETE_OLDEST_MEDIA' as const }, DeleteAfterUpload: true },
};

test('edge configuration: SYNCING, refused while syncing, listed by hub device, deleted', async () => {
  const { StreamARN } = await kvs.send(new CreateStreamCommand({ StreamName: 'edge', DataRetentionInHours: 1 }));
  await kvs.send(new CreateStreamCommand({ StreamName: 'edge-none' }));
  await rawError('describeEdgeConfiguration', { StreamName: 'edge' }, 404, 'StreamEdgeConfigurationNotFoundException', 'The edge configuration for stream edge is not found.');
  const before = Date.now();
  const started = await kvs.send(new StartEdgeConfigurationUpdateCommand({ StreamName: 'edge', EdgeConfig: EDGE_CONFIG }));
  assert.equal(started.StreamName, 'edge');
  assert.equal(started.StreamARN, StreamARN);
  assert.equal(started.SyncStatus, 'SYNCING');
  assert.deepEqual(started.EdgeConfig, EDGE_CONFIG);
  assert.ok(started.CreationTime!.getTime() >= before && started.LastUpdatedTime!.getTime() === started.CreationTime!.getTime());
  const described = await kvs.send(new DescribeEdgeConfigurationCommand({ StreamARN }));
  assert.equal(described.SyncStatus, 'SYNCING');
  assert.deepEqual(described.EdgeConfig, EDGE_CONFIG);
  assert.equal(described.EdgeAgentStatus, undefined);

  await rawError('startEdgeConfigurationUpdate', { StreamName: 'edge', EdgeConfig: EDGE_CONFIG }, 400, 'ResourceInUseException',
    'The edge configuration of stream edge is being synced; wait for IN_SYNC or SYNC_FAILED.');
  await rawError('startEdgeConfigurationUpdate', { StreamName: 'edge-none', EdgeConfig: EDGE_CONFIG }, 400, 'NoDataRetentionException', 'The Stream data retention in hours is equal to zero.');
  await rawError('startEdgeConfigurationUpdate', { StreamName: 'edge', EdgeConfig: { ...EDGE_CONFIG, HubDeviceArn: 'arn:aws:iot:us-east-1:1:device/x' } }, 400, 'ValidationException',
    "1 validation error detected: Value 'arn:aws:iot:us-east-1:1:device/x' at 'edgeConfig.hubDeviceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:[a-z\\d-]+:iot:[a-z0-9-]+:[0-9]+:thing/[a-zA-Z0-9_.-]+", 'message');

  const listed = await kvs.send(new ListEdgeAgentConfigurationsCommand({ HubDeviceArn: HUB }));
  assert.deepEqual(listed.EdgeConfigs!.map((c) => [c.StreamName, c.SyncStatus]), [['edge', 'SYNCING']]);
  assert.deepEqual((await kvs.send(new ListEdgeAgentConfigurationsCommand({ HubDeviceArn: `${HUB}-other` }))).EdgeConfigs, []);
  await rawError('listEdgeAgentConfigurations', { HubDeviceArn: HUB, MaxResults: 11 }, 400, 'ValidationException',
    "1 validation error detected: Value '11' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10", 'message');

  await kvs.send(new DeleteEdgeConfigurationCommand({ StreamName: 'edge' }));
  await rawError('describeEdgeConfiguration', { StreamName: 'edge' }, 404, 'StreamEdgeConfigurationNotFoundException', 'The edge configuration for stream edge is not found.');
  await rawError('deleteEdgeConfiguration', { StreamName: 'edge' }, 404, 'StreamEdgeConfigurationNotFoundException', 'The edge configuration for stream edge is not found.');
  assert.deepEqual((await kvs.send(new ListEdgeAgentConfigurationsCommand({ HubDeviceArn: HUB }))).EdgeConfigs, []);
  // Deleted, it can be started again, on another hub device too.
  const again = await kvs.send(new StartEdgeConfigurationUpdateCommand({ StreamName: 'edge', EdgeConfig: { ...EDGE_CONFIG, HubDeviceArn: `${HUB}-2` } }));
  assert.equal(again.SyncStatus, 'SYNCING');
});

test('media operations are routed by their exact paths; paths are case-sensitive', async () => {
  const media = await raw('getMedia', { StreamName: 'x', StartSelector: { StartSelectorType: 'NOW' } });
  assert.deepEqual(media, { status: 404, type: `ResourceNotFoundException${SUFFIX}`, body: { Message: 'The requested stream is not found or not active.' } });
  const upper = await raw('GetMedia', { StreamName: 'x', StartSelector: { StartSelectorType: 'NOW' } });
  assert.deepEqual(upper, { status: 404, type: `UnknownOperationException${SUFFIX}`, body: {} });
  const lower = await raw('tagResource', { ResourceARN: 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/x/1', Tags: [{ Key: 'a', Value: 'b' }] });
  assert.equal(lower.type, `UnknownOperationException${SUFFIX}`);
});

const CLIENT_ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_DEFAULT_OUTPUT: 'json',
  AWS_CONFIG_FILE: '/nonexistent/millrace-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/millrace-credentials',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_PAGER: '',
};

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { env: CLIENT_ENV, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

test('the AWS CLI creates, describes, updates, tags and deletes a video stream and reports errors', async (t) => {
  if (!(await available('aws', ['--version']))) return t.skip('`aws --version` does not run here');
  const aws = async (...args: string[]) => {
    const result = await run('aws', ['--endpoint-url', server.endpoint, 'kinesisvideo', ...args]);
    return { ...result, json: result.code === 0 && result.stdout.trim() ? JSON.parse(result.stdout) : undefined };
  };
  const created = await aws('create-stream', '--stream-name', 'cli-cam', '--data-retention-in-hours', '24', '--media-type', 'video/h264', '--tags', 'owner=cli');
  assert.equal(created.code, 0, created.stderr);
  assert.match(created.json.StreamARN, /^arn:aws:kinesisvideo:us-east-1:000000000000:stream\/cli-cam\/\d{13}$/);
  const described = await aws('describe-stream', '--stream-name', 'cli-cam');
  assert.equal(described.json.StreamInfo.Status, 'ACTIVE');
  assert.equal(described.json.StreamInfo.DataRetentionInHours, 24);
  const endpoint = await aws('get-data-endpoint', '--stream-name', 'cli-cam', '--api-name', 'PUT_MEDIA');
  assert.deepEqual(endpoint.json, { DataEndpoint: server.endpoint });
  const retention = await aws('update-data-retention', '--stream-name', 'cli-cam', '--current-version', described.json.StreamInfo.Version, '--operation', 'DECREASE_DATA_RETENTION', '--data-retention-change-in-hours', '4');
  assert.equal(retention.code, 0, retention.stderr);
  assert.equal((await aws('describe-stream', '--stream-arn', created.json.StreamARN)).json.StreamInfo.DataRetentionInHours, 20);
  assert.deepEqual((await aws('list-tags-for-stream', '--stream-name', 'cli-cam')).json.Tags, { owner: 'cli' });
  const stale = await aws('update-stream', '--stream-name', 'cli-cam', '--current-version', described.json.StreamInfo.Version, '--device-name', 'x');
  assert.notEqual(stale.code, 0);
  assert.match(stale.stderr, /An error occurred \(VersionMismatchException\) when calling the UpdateStream operation: The stream version that you specified is not the latest version\. To get the latest version, use the DescribeStream API\./);
  const missing = await aws('describe-stream', '--stream-name', 'cli-missing');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /An error occurred \(ResourceNotFoundException\) when calling the DescribeStream operation: The requested stream is not found or not active\./);
  const channel = await aws('create-signaling-channel', '--channel-name', 'cli-channel');
  assert.equal(channel.code, 0, channel.stderr);
  const endpoints = await aws('get-signaling-channel-endpoint', '--channel-arn', channel.json.ChannelARN, '--single-master-channel-endpoint-configuration', 'Protocols=WSS,Role=VIEWER');
  assert.deepEqual(endpoints.json.ResourceEndpointList, [{ Protocol: 'WSS', ResourceEndpoint: server.endpoint.replace('http://', 'ws://') }]);
  const deleted = await aws('delete-stream', '--stream-arn', created.json.StreamARN);
  assert.equal(deleted.code, 0, deleted.stderr);
  const listed = await aws('list-streams', '--stream-name-condition', 'ComparisonOperator=BEGINS_WITH,ComparisonValue=cli-');
  assert.deepEqual(listed.json.StreamInfoList, []);
});

const BOTO3_SCRIPT = `
import json, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

c = boto3.client('kinesisvideo', endpoint_url=sys.argv[1], region_name='us-east-1',
    aws_access_key_id='AKIDEXAMPLE', aws_secret_access_key='secret',
    config=Config(retries={'max_attempts': 1, 'mode': 'standard'}))
def error(call):
    try:
        call()
    except ClientError as e:
        return [e.response['Error']['Code'], e.response['Error'].get('Message'), e.response['ResponseMetadata']['HTTPStatusCode']]
    return None
out = {}
arn = c.create_stream(StreamName='boto-cam', DataRetentionInHours=1, Tags={'team': 'video'})['StreamARN']
info = c.describe_stream(StreamARN=arn)['StreamInfo']
out['status'] = info['Status']
out['created'] = info['CreationTime'].timestamp()
out['arn_ms'] = int(arn.rsplit('/', 1)[1])
out['endpoint'] = c.get_data_endpoint(StreamName='boto-cam', APIName='GET_MEDIA')['DataEndpoint']
c.tag_stream(StreamARN=arn, Tags={'env': 'test'})
out['tags'] = c.list_tags_for_stream(StreamName='boto-cam')['Tags']
c.update_stream(StreamName='boto-cam', CurrentVersion=info['Version'], MediaType='video/h264')
out['media_type'] = c.describe_stream(StreamName='boto-cam')['StreamInfo']['MediaType']
out['stale'] = error(lambda: c.update_stream(StreamName='boto-cam', CurrentVersion=info['Version'], MediaType='video/h265'))
out['missing'] = error(lambda: c.describe_stream(StreamName='boto-missing'))
out['exists'] = error(lambda: c.create_stream(StreamName='boto-cam'))
out['invalid'] = error(lambda: c.describe_stream())
ch = c.create_signaling_channel(ChannelName='boto-channel', Tags=[{'Key': 'a', 'Value': 'b'}])['ChannelARN']
out['channel_tags'] = c.list_tags_for_resource(ResourceARN=ch)['Tags']
out['channels'] = [x['ChannelName'] for x in c.list_signaling_channels()['ChannelInfoList']]
c.update_media_storage_configuration(ChannelARN=ch, MediaStorageConfiguration={'Status': 'ENABLED', 'StreamARN': arn})
out['mapped'] = c.describe_mapped_resource_configuration(StreamARN=arn)['MappedResourceConfigurationList']
c.update_image_generation_configuration(StreamName='boto-cam', ImageGenerationConfiguration={
    'Status': 'ENABLED', 'ImageSelectorType': 'PRODUCER_TIMESTAMP', 'DestinationConfig': {'Uri': 's3://b/p', 'DestinationRegion': 'us-east-1'},
    'SamplingInterval': 1000, 'Format': 'PNG'})
out['image'] = c.describe_image_generation_configuration(StreamName='boto-cam')['ImageGenerationConfiguration']
c.delete_signaling_channel(ChannelARN=ch)
c.delete_stream(StreamARN=arn)
out['after_delete'] = error(lambda: c.describe_stream(StreamARN=arn))
print(json.dumps(out))
`;

test('boto3: streams, tags, updates, channels, configurations and errors', async (t) => {
  if (!(await available('python3', ['-c', 'import boto3']))) return t.skip("`python3 -c 'import boto3'` fails here");
  const result = await run('python3', ['-c', BOTO3_SCRIPT, server.endpoint]);
  assert.equal(result.code, 0, result.stderr);
  const out = JSON.parse(result.stdout);
  assert.equal(out.status, 'ACTIVE');
  assert.equal(Math.round(out.created * 1000), out.arn_ms);
  assert.equal(out.endpoint, server.endpoint);
  assert.deepEqual(out.tags, { team: 'video', env: 'test' });
  assert.equal(out.media_type, 'video/h264');
  assert.deepEqual(out.stale, ['VersionMismatchException', STALE, 400]);
  assert.deepEqual(out.missing, ['ResourceNotFoundException', NOT_FOUND, 404]);
  assert.deepEqual(out.exists, ['ResourceInUseException', 'The stream boto-cam already exists.', 400]);
  assert.deepEqual(out.invalid, ['InvalidArgumentException', 'Either StreamName or StreamARN must be specified.', 400]);
  assert.deepEqual(out.channel_tags, { a: 'b' });
  assert.ok(out.channels.includes('boto-channel'));
  assert.equal(out.mapped.length, 1);
  assert.equal(out.mapped[0].Type, 'SIGNALING_CHANNEL');
  assert.deepEqual(out.image, {
    Status: 'ENABLED',
    ImageSelectorType: 'PRODUCER_TIMESTAMP',
    DestinationConfig: { Uri: 's3://b/p', DestinationRegion: 'us-east-1' },
    SamplingInterval: 1000,
    Format: 'PNG',
  });
  assert.deepEqual(out.after_delete, ['ResourceNotFoundException', NOT_FOUND, 404]);
});
