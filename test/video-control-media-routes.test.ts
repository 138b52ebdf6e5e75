import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import pino from 'pino';
import { DEFAULT_CONFIG } from '../src/config.js';
import { createAuthenticator } from '../src/protocol/authenticator.js';
import { openMemoryStore } from '../src/store/memory-store.js';
import type { Store } from '../src/store/store.js';
import { createVideoContext, createVideoService, type VideoMediaRoutes, type VideoRequestContext } from '../src/video/service.js';
import type { VideoStreamDoc } from '../src/video/domain/video-stream.js';

/**
 * The interface the media side plugs into (PLAN.md "video-control"): media and archived-media
 * operations it names are routed and validated from their models, `POST /putMedia` reaches it with
 * the caller and the Video context, and a deleted stream is handed to onStreamDeleted. A stand-in
 * media side records what it is given.
 */

const SUFFIX = ':https://kinesisvideo.amazonaws.com/doc/2017-09-30/';
let store: Store;
let httpServer: http.Server;
let endpoint: string;
const deleted: VideoStreamDoc[] = [];
const seen: Array<{ operation: string; input: Record<string, unknown>; account: string; region: string; endpoint: string }> = [];

const media: VideoMediaRoutes = {
  operations: {
    async GetMedia(input, context: VideoRequestContext) {
      const stream = await context.video.streams.find(context.account, context.region, input);
      seen.push({ operation: context.operation, input, account: context.account, region: context.region, endpoint: context.endpoint });
      return { ContentType: 'video/webm', Payload: Readable.from([Buffer.from(`media of ${stream.StreamName}`)]) };
    },
    async ListFragments(input, context: VideoRequestContext) {
      seen.push({ operation: context.operation, input, account: context.account, region: context.region, endpoint: context.endpoint });
      return { Fragments: [] };
    },
  },
  async putMedia(req, res, context) {
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    const stream = await context.video.streams.find(context.account, context.region, { StreamName: String(req.headers['x-amzn-stream-name']) });
    seen.push({ operation: context.operation, input: { bytes, stream: stream.StreamName }, account: context.account, region: context.region, endpoint: context.endpoint });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"EventType":"IDLE"}\n');
  },
  async onStreamDeleted(stream) {
    deleted.push(stream);
  },
};

function signed(region = 'us-east-1', accessKey = '123456789012') {
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/20240101/${region}/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
    'x-amz-date': '20240101T000000Z',
  };
}

async function call(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${endpoint}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...signed(), ...headers }, body: JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), contentType: res.headers.get('content-type'), text: await res.text() };
}

before(async () => {
  store = openMemoryStore();
  const config = { ...DEFAULT_CONFIG };
  const log = pino({ level: 'silent' });
  const video = createVideoContext(config, store, log);
  const service = await createVideoService(video, createAuthenticator(config), media);
  httpServer = http.createServer(service.handle);
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((resolve) => httpServer.close(resolve));
  await store.close();
});

test('media operations the media side names are routed with the Video context; others are not', async () => {
  assert.equal((await call('createStream', { StreamName: 'cam', DataRetentionInHours: 1 })).status, 200);
  const got = await call('getMedia', { StreamName: 'cam', StartSelector: { StartSelectorType: 'NOW' } });
  assert.deepEqual(got, { status: 200, type: null, contentType: 'video/webm', text: 'media of cam' });
  assert.deepEqual(seen.pop(), {
    operation: 'GetMedia',
    input: { StreamName: 'cam', StartSelector: { StartSelectorType: 'NOW' } },
    account: '123456789012',
    region: 'us-east-1',
    endpoint,
  });
  // The media model validates before the media side runs.
  assert.deepEqual(await call('getMedia', { StreamName: 'cam' }), {
    status: 400,
    type: `ValidationException${SUFFIX}`,
    contentType: 'application/json',
    text: JSON.stringify({ message: "1 validation error detected: Value null at 'startSelector' failed to satisfy constraint: Member must not be null" }),
  });
  // Media errors use the media model's statuses (ResourceNotFoundException is 404 there too).
  const missing = await call('getMedia', { StreamName: 'nope', StartSelector: { StartSelectorType: 'NOW' } });
  assert.deepEqual([missing.status, missing.type, JSON.parse(missing.text)], [404, `ResourceNotFoundException${SUFFIX}`, { Message: 'The requested stream is not found or not active.' }]);
  assert.equal((await call('listFragments', { StreamName: 'cam' })).status, 200);
  assert.equal(seen.pop()?.operation, 'ListFragments');
  // Archived-media operations the media side does not name stay unrouted.
  assert.equal((await call('getClip', { StreamName: 'cam', ClipFragmentSelector: {} })).type, `UnknownOperationException${SUFFIX}`);
});

test('POST /putMedia reaches the media side unread, with the caller and the endpoint', async () => {
  const res = await fetch(`${endpoint}/putMedia`, {
    method: 'POST',
    headers: { ...signed('eu-west-1'), 'x-amzn-stream-name': 'eu-cam', 'x-amzn-fragment-timecode-type': 'ABSOLUTE', 'x-amzn-producer-start-timestamp': '1700000000.000' },
    body: Buffer.alloc(1000, 1),
  });
  // No stream eu-cam in eu-west-1 yet: the media side's lookup fails and the service answers AWS-style.
  assert.equal(res.status, 404);
  assert.equal(res.headers.get('x-amzn-errortype'), `ResourceNotFoundException${SUFFIX}`);
  assert.deepEqual(await res.json(), { Message: 'The requested stream is not found or not active.' });

  assert.equal((await call('createStream', { StreamName: 'eu-cam', DataRetentionInHours: 1 }, signed('eu-west-1'))).status, 200);
  const ok = await fetch(`${endpoint}/putMedia`, { method: 'POST', headers: { ...signed('eu-west-1'), 'x-amzn-stream-name': 'eu-cam' }, body: Buffer.alloc(1000, 1) });
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), '{"EventType":"IDLE"}\n');
  assert.deepEqual(seen.pop(), { operation: 'PutMedia', input: { bytes: 1000, stream: 'eu-cam' }, account: '123456789012', region: 'eu-west-1', endpoint });

  // An unsigned PutMedia gets the authentication error, not the media side.
  const unsigned = await fetch(`${endpoint}/putMedia`, { method: 'POST', body: 'x' });
  assert.equal(unsigned.status, 400);
  assert.equal(unsigned.headers.get('x-amzn-errortype'), `MissingAuthenticationTokenException${SUFFIX}`);
  assert.equal(seen.length, 0);
});

test('DeleteStream hands the deleted stream to onStreamDeleted before its document goes', async () => {
  const created = await call('createStream', { StreamName: 'to-delete', DataRetentionInHours: 1 });
  const { StreamARN } = JSON.parse(created.text);
  assert.equal((await call('deleteStream', { StreamARN })).status, 200);
  assert.deepEqual(deleted.map((stream) => [stream.StreamARN, stream.Status]), [[StreamARN, 'DELETING']]);
  assert.equal((await call('describeStream', { StreamName: 'to-delete' })).status, 404);
});
