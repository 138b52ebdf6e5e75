import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
  ListStreamsCommand,
} from '@aws-sdk/client-kinesis-video';
import { startTestServer, type TestServer } from './helpers.js';

/**
 * Kinesis Video Streams' control plane (issue 16 §1) through the JS SDK v3 client, and raw
 * requests where the exact error type header and message matter.
 */

let server: TestServer;
let kvs: KinesisVideoClient;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

before(async () => {
  server = await startTestServer();
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

test('CreateStream, DescribeStream by name and ARN, ListStreams, GetDataEndpoint, DeleteStream', async () => {
  const before = Date.now();
  const { StreamARN } = await kvs.send(new CreateStreamCommand({ StreamName: 'cam-1', MediaType: 'video/h264', DataRetentionInHours: 24, DeviceName: 'dev' }));
  const match = /^arn:aws:kinesisvideo:us-east-1:000000000000:stream\/cam-1\/(\d+)$/.exec(StreamARN!);
  assert.ok(match, StreamARN);
  assert.ok(Number(match[1]) >= before && Number(match[1]) <= Date.now());

  for (const ref of [{ StreamName: 'cam-1' }, { StreamARN }]) {
    const { StreamInfo } = await kvs.send(new DescribeStreamCommand(ref));
    assert.equal(StreamInfo!.StreamName, 'cam-1');
    assert.equal(StreamInfo!.StreamARN, StreamARN);
    assert.equal(StreamInfo!.Status, 'ACTIVE');
    assert.equal(StreamInfo!.MediaType, 'video/h264');
    assert.equal(StreamInfo!.DeviceName, 'dev');
    assert.equal(StreamInfo!.DataRetentionInHours, 24);
    assert.equal(StreamInfo!.KmsKeyId, 'arn:aws:kms:us-east-1:000000000000:alias/aws/kinesisvideo');
    assert.match(StreamInfo!.Version!, /^[a-zA-Z0-9]{20}$/);
    assert.equal(StreamInfo!.CreationTime!.getTime(), Number(match[1]));
  }

  const listed = await kvs.send(new ListStreamsCommand({}));
  assert.deepEqual(listed.StreamInfoList!.map((s) => s.StreamName), ['cam-1']);

  const { DataEndpoint } = await kvs.send(new GetDataEndpointCommand({ StreamName: 'cam-1', APIName: 'PUT_MEDIA' }));
  assert.equal(DataEndpoint, server.endpoint);

  await kvs.send(new DeleteStreamCommand({ StreamARN }));
  assert.deepEqual(await failure(kvs.send(new DescribeStreamCommand({ StreamName: 'cam-1' }))), {
    name: 'ResourceNotFoundException',
    message: 'The requested stream is not found or not active.',
    status: 404,
  });
});

test('an unknown stream is ResourceNotFoundException with the recorded text and the type suffix', async () => {
  const res = await fetch(`${server.endpoint}/describeStream`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc',
      'x-amz-date': '20240101T000000Z',
    },
    body: JSON.stringify({ StreamName: 'nope' }),
  });
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('x-amzn-errortype'), 'ResourceNotFoundException:https://kinesisvideo.amazonaws.com/doc/2017-09-30/');
  assert.deepEqual(await res.json(), { Message: 'The requested stream is not found or not active.' });
});
