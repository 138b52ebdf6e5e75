import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateSignalingChannelCommand,
  CreateStreamCommand,
  DeleteSignalingChannelCommand,
  DeleteStreamCommand,
  DescribeSignalingChannelCommand,
  DescribeStreamCommand,
  KinesisVideoClient,
  ListStreamsCommand,
  UpdateDataRetentionCommand,
  UpdateStreamCommand,
} from '@aws-sdk/client-kinesis-video';
import { openMemoryStore } from '../src/store/memory-store.js';
import { VideoStreams } from '../src/video/domain/video-streams.js';
import { videoStreamKey, type VideoStreamDoc } from '../src/video/domain/video-stream.js';
import { sleep, startTestServer, type TestServer } from './helpers.js';

/**
 * The CREATING / UPDATING / DELETING lifecycle of video streams and signaling channels with the
 * --create/update/delete-video-stream-ms delays (VIDEO-SPEC §2.3), and the purge of a deleted
 * stream by the lifecycle sweep. The delays are long enough that the transitional status is
 * always seen first; the tests then wait for the transition, never time it.
 */

const DELAY_MS = 2_000;
const SUFFIX = ':https://kinesisvideo.amazonaws.com/doc/2017-09-30/';
let server: TestServer;
let kvs: KinesisVideoClient;

before(async () => {
  server = await startTestServer({ createVideoStreamMs: DELAY_MS, updateVideoStreamMs: DELAY_MS, deleteVideoStreamMs: DELAY_MS });
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, maxAttempts: 1 });
});

after(async () => {
  kvs.destroy();
  await server.stop();
});

async function raw(path: string, body: unknown) {
  const res = await fetch(`${server.endpoint}/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc',
      'x-amz-date': '20240101T000000Z',
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: await res.json() };
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await sleep(100);
  }
}

const status = async (StreamName: string) => (await kvs.send(new DescribeStreamCommand({ StreamName }))).StreamInfo!;

test('a stream is CREATING, then ACTIVE; it cannot be updated or deleted until then', async () => {
  const { StreamARN } = await kvs.send(new CreateStreamCommand({ StreamName: 'slow', DataRetentionInHours: 1 }));
  const creating = await status('slow');
  assert.equal(creating.Status, 'CREATING');
  assert.deepEqual(await raw('updateStream', { StreamName: 'slow', CurrentVersion: creating.Version, DeviceName: 'd' }), {
    status: 400,
    type: `ResourceInUseException${SUFFIX}`,
    body: { Message: 'The stream slow is in CREATING status; it must be ACTIVE.' },
  });
  assert.deepEqual(await raw('deleteStream', { StreamARN }), {
    status: 400,
    type: `ResourceInUseException${SUFFIX}`,
    body: { Message: 'The stream slow is in CREATING status; it must be ACTIVE.' },
  });
  // A producer polls DescribeStream until ACTIVE (producer-c), and may ask for the endpoint meanwhile.
  assert.equal((await raw('getDataEndpoint', { StreamName: 'slow', APIName: 'PUT_MEDIA' })).status, 200);
  const active = await waitFor(() => status('slow'), (info) => info.Status !== 'CREATING');
  assert.equal(active.Status, 'ACTIVE');
  assert.equal(active.Version, creating.Version);
});

test('UpdateStream and UpdateDataRetention leave the stream UPDATING with its new Version', async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'upd' }));
  const v1 = (await waitFor(() => status('upd'), (info) => info.Status === 'ACTIVE')).Version!;
  await kvs.send(new UpdateStreamCommand({ StreamName: 'upd', CurrentVersion: v1, MediaType: 'video/h264' }));
  const updating = await status('upd');
  assert.equal(updating.Status, 'UPDATING');
  assert.equal(updating.MediaType, 'video/h264');
  assert.notEqual(updating.Version, v1);
  assert.deepEqual(await raw('updateDataRetention', { StreamName: 'upd', CurrentVersion: updating.Version, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 1 }), {
    status: 400,
    type: `ResourceInUseException${SUFFIX}`,
    body: { Message: 'The stream upd is in UPDATING status; it must be ACTIVE.' },
  });
  const active = await waitFor(() => status('upd'), (info) => info.Status !== 'UPDATING');
  assert.equal(active.Status, 'ACTIVE');
  await kvs.send(new UpdateDataRetentionCommand({ StreamName: 'upd', CurrentVersion: active.Version, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 3 }));
  assert.deepEqual([(await status('upd')).Status, (await status('upd')).DataRetentionInHours], ['UPDATING', 3]);
});

test('a deleted stream is DELETING (described and listed, no endpoint, name taken), then purged by the sweep', async () => {
  const { StreamARN } = await kvs.send(new CreateStreamCommand({ StreamName: 'doomed' }));
  await waitFor(() => status('doomed'), (info) => info.Status === 'ACTIVE');
  await kvs.send(new DeleteStreamCommand({ StreamARN }));
  assert.equal((await status('doomed')).Status, 'DELETING');
  const listed = (await kvs.send(new ListStreamsCommand({}))).StreamInfoList!.find((s) => s.StreamName === 'doomed');
  assert.equal(listed?.Status, 'DELETING');
  assert.deepEqual(await raw('getDataEndpoint', { StreamName: 'doomed', APIName: 'GET_MEDIA' }), {
    status: 404,
    type: `ResourceNotFoundException${SUFFIX}`,
    body: { Message: 'The requested stream is not found or not active.' },
  });
  assert.deepEqual(await raw('createStream', { StreamName: 'doomed' }), {
    status: 400,
    type: `ResourceInUseException${SUFFIX}`,
    body: { Message: 'The stream doomed already exists.' },
  });
  // Nobody reads the stream now: the lifecycle sweep alone removes its document.
  await waitFor(() => server.store.meta.get(videoStreamKey('000000000000', 'us-east-1', 'doomed')), (entry) => entry === undefined);
  assert.equal((await raw('describeStream', { StreamName: 'doomed' })).status, 404);
});

test('signaling channels are CREATING, then ACTIVE, and DELETING before they go', async () => {
  const { ChannelARN } = await kvs.send(new CreateSignalingChannelCommand({ ChannelName: 'slow-channel' }));
  const describe = async () => (await kvs.send(new DescribeSignalingChannelCommand({ ChannelARN }))).ChannelInfo!;
  assert.equal((await describe()).ChannelStatus, 'CREATING');
  assert.deepEqual(await raw('getSignalingChannelEndpoint', { ChannelARN }), {
    status: 400,
    type: `ResourceInUseException${SUFFIX}`,
    body: { Message: 'The signaling channel slow-channel is in CREATING status; it must be ACTIVE.' },
  });
  await waitFor(describe, (info) => info.ChannelStatus === 'ACTIVE');
  await kvs.send(new DeleteSignalingChannelCommand({ ChannelARN }));
  assert.equal((await describe()).ChannelStatus, 'DELETING');
  await waitFor(() => raw('describeSignalingChannel', { ChannelARN }), (res) => res.status === 404);
});

test('a purge listener runs before the document goes; one that fails leaves the stream DELETING to be retried', async () => {
  const store = openMemoryStore();
  try {
    const streams = new VideoStreams(store);
    const purged: string[] = [];
    let failNext = true;
    streams.whenPurged(async (stream) => {
      if (failNext) {
        failNext = false;
        throw new Error('media store unavailable');
      }
      purged.push(stream.StreamARN);
    });
    const now = Date.now();
    const doc: VideoStreamDoc = {
      account: '111122223333',
      region: 'eu-west-1',
      StreamName: 'purge-me',
      StreamARN: `arn:aws:kinesisvideo:eu-west-1:111122223333:stream/purge-me/${now}`,
      Status: 'ACTIVE',
      Version: 'abc',
      CreationTime: now,
      DataRetentionInHours: 1,
      KmsKeyId: 'k',
      DefaultStorageTier: 'HOT',
      tags: {},
    };
    assert.equal(await streams.create(doc), true);
    assert.equal(await streams.create(doc), false);
    // The failed purge is not the caller's failure: the delete is recorded, the stream stays DELETING.
    const deleting = await streams.update('111122223333', 'eu-west-1', { StreamName: 'purge-me' }, (stream) => ({ ...stream, Status: 'DELETING', pendingUntil: Date.now() }));
    assert.equal(deleting.Status, 'DELETING');
    assert.equal((await store.meta.get<VideoStreamDoc>(videoStreamKey('111122223333', 'eu-west-1', 'purge-me')))?.value.Status, 'DELETING');
    assert.deepEqual(purged, []);
    // The next read retries, and the listener sees the document before it goes.
    await assert.rejects(streams.find('111122223333', 'eu-west-1', { StreamName: 'purge-me' }), { message: 'The requested stream is not found or not active.' });
    assert.deepEqual(purged, [doc.StreamARN]);
    assert.equal(await store.meta.get(videoStreamKey('111122223333', 'eu-west-1', 'purge-me')), undefined);
  } finally {
    await store.close();
  }
});
