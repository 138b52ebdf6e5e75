import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import { GetMediaForFragmentListCommand, KinesisVideoArchivedMediaClient, ListFragmentsCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { startTestServer, type TestServer } from './helpers.js';
import { streamLogs } from '../src/video/media/fragment-store.js';
import { decodeEbml } from './video-producer.js';
import { cluster, ebmlHeader, el, END_OF_FRAGMENT, info, producerStream, segmentStart, tracksElement, type Frame } from './video-producer.js';
import { fragmentsIn, putMediaHeaders, readFragments, syntheticMedia, type AckLine } from './video-gaps-helpers.js';

/**
 * Issue 16's Bad input and Limits items that video-media.test.ts does not reach (the audit in
 * docs/video-part1-audit.md): the hard fragment limits (a 60 MB fragment, a fragment over 20 s,
 * more than 10 metadata tags), a Cluster without a Timecode, a producer that stops mid-cluster and
 * one that sends nothing, a stream that keeps no data, unknown streams on the read APIs, and the
 * per-stream limits of --enforce-limits (PutMedia TPS, GetMedia connections). Synthetic media
 * (no ffmpeg), PutMedia over HTTP/1.1 chunked, reads through the JS SDK v3 clients.
 */

let server: TestServer;
let kvs: KinesisVideoClient;
let mediaClient: KinesisVideoMediaClient;
let archived: KinesisVideoArchivedMediaClient;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const NOT_FOUND = 'The requested stream is not found or not active.';

before(async () => {
  server = await startTestServer({ enforceLimits: true });
  const config = { endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 };
  kvs = new KinesisVideoClient(config);
  mediaClient = new KinesisVideoMediaClient(config);
  archived = new KinesisVideoArchivedMediaClient(config);
});

after(async () => {
  kvs.destroy();
  mediaClient.destroy();
  archived.destroy();
  await server.stop();
});

const create = (name: string, retention = 1) => kvs.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: retention }));

/**
 * PutMedia over HTTP/1.1 chunked: `pieces` written 20 ms apart; the request is ended unless `end`
 * is false (a producer gone quiet). Resolves with the status, the ack lines and the raw body once
 * the response ends.
 */
function putMedia(stream: string, pieces: Buffer[], end = true): Promise<{ status: number; acks: AckLine[]; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${server.endpoint}/putMedia`);
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...putMediaHeaders(stream), 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d));
      res.on('end', () => {
        // The upload is over for the server: the rest of it is not written.
        req.destroy();
        resolve({ status: res.statusCode!, body, acks: body.split('\n').filter(Boolean).map((line) => JSON.parse(line)) });
      });
      res.on('error', reject);
    });
    // The server closes a connection whose upload it no longer reads; the response has ended by then.
    req.on('error', () => undefined);
    req.on('socket', (socket) => socket.on('error', () => undefined));
    void (async () => {
      for (const piece of pieces) {
        if (req.destroyed) return;
        req.write(piece);
        await new Promise((r) => setTimeout(r, 20));
      }
      if (end) req.end();
    })();
  });
}

const media = syntheticMedia(2);
const header = () => Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement(media.tracks)]);
/** The first synthetic fragment (timecode 0, 10 frames 40 ms apart) with its end-of-fragment Tags. */
const goodFragment = () => Buffer.concat([cluster(0, media.frames.slice(0, 10)), END_OF_FRAGMENT]);
const frames = (count: number, bytes: number, firstMs: number, stepMs: number): Frame[] =>
  Array.from({ length: count }, (_, k) => ({ track: 1, ms: firstMs + k * stepMs, keyframe: k === 0, data: randomBytes(bytes) }));
const events = (acks: AckLine[]) => acks.map((a) => a.EventType);
const persisted = (acks: AckLine[]) => acks.filter((a) => a.EventType === 'PERSISTED').length;

async function listed(stream: string): Promise<number> {
  return (await archived.send(new ListFragmentsCommand({ StreamName: stream }))).Fragments!.length;
}

test('a 60 MB fragment: ERROR 4001 MAX_FRAGMENT_SIZE_REACHED for it; the fragment before it stays', async () => {
  await create('too-large');
  const big = frames(1, 4 * 1024 * 1024, 400, 0)[0].data;
  // 15 frames of 4 MiB sharing one payload: 63 MB in one Cluster.
  const bigFrames: Frame[] = Array.from({ length: 15 }, (_, k) => ({ track: 1, ms: 400 + k * 40, keyframe: k === 0, data: big }));
  const put = await putMedia('too-large', [header(), goodFragment(), cluster(400, bigFrames)]);
  assert.equal(put.status, 200);
  const error = put.acks.at(-1)!;
  assert.deepEqual(error, { EventType: 'ERROR', FragmentTimecode: 400, FragmentNumber: error.FragmentNumber, ErrorCode: 'MAX_FRAGMENT_SIZE_REACHED', ErrorId: 4001 });
  assert.match(error.FragmentNumber!, /^[0-9]{47}$/);
  assert.equal(persisted(put.acks), 1);
  assert.equal(await listed('too-large'), 1);
});

test('a fragment longer than 20 s: ERROR 4002 MAX_FRAGMENT_DURATION_REACHED', async () => {
  await create('too-long');
  const put = await putMedia('too-long', [header(), cluster(0, frames(23, 200, 0, 1000))]);
  assert.deepEqual(put.acks.map((a) => [a.EventType, a.FragmentTimecode, a.ErrorId, a.ErrorCode]), [
    ['BUFFERING', 0, undefined, undefined],
    ['ERROR', 0, 4002, 'MAX_FRAGMENT_DURATION_REACHED'],
  ]);
  assert.equal(await listed('too-long'), 0);
});

test('more than 10 metadata tags on a fragment: ERROR 4009 FRAGMENT_METADATA_LIMIT_REACHED', async () => {
  await create('tagged');
  const eleven = Array.from({ length: 11 }, (_, k): [string, string] => [`tag${k}`, String(k)]);
  const ten = eleven.slice(0, 10);
  // Ten are fine (fragment 0), eleven are not (fragment 1).
  const put = await putMedia('tagged', producerStream(media, { metadata: (n) => (n === 0 ? ten : eleven) }));
  assert.deepEqual(events(put.acks).filter((e) => e !== 'PERSISTED'), ['BUFFERING', 'RECEIVED', 'BUFFERING', 'ERROR']);
  assert.deepEqual([put.acks.at(-1)!.FragmentTimecode, put.acks.at(-1)!.ErrorId, put.acks.at(-1)!.ErrorCode], [400, 4009, 'FRAGMENT_METADATA_LIMIT_REACHED']);
  assert.equal(persisted(put.acks), 1);
});

test('a Cluster without a Timecode: ERROR 4006 INVALID_MKV_DATA, with no fragment to name', async () => {
  await create('no-timecode');
  const block = el('a3', Buffer.from([0x81, 0, 0, 0x80]), randomBytes(100));
  const noTimecode = Buffer.concat([Buffer.from('1f43b67501ffffffffffffff', 'hex'), el('a7', Buffer.from([0])), block]);
  const put = await putMedia('no-timecode', [header(), noTimecode]);
  assert.equal(put.status, 200);
  assert.equal(put.body, '{"EventType":"ERROR","ErrorCode":"INVALID_MKV_DATA","ErrorId":4006}\n');
  assert.equal(await listed('no-timecode'), 0);
});

test('a producer that stops mid-cluster: what came before is PERSISTED, then ERROR 4006; the half fragment is never listed; the stream takes the next upload', async () => {
  await create('cut');
  const second = Buffer.concat([cluster(400, media.frames.slice(10, 20)), END_OF_FRAGMENT]);
  const put = await putMedia('cut', [header(), goodFragment(), second.subarray(0, second.length >> 1)]);
  assert.equal(put.status, 200);
  assert.deepEqual(events(put.acks).filter((e) => e !== 'PERSISTED'), ['BUFFERING', 'RECEIVED', 'BUFFERING', 'ERROR']);
  assert.deepEqual([put.acks.at(-1)!.FragmentTimecode, put.acks.at(-1)!.ErrorId, put.acks.at(-1)!.ErrorCode], [400, 4006, 'INVALID_MKV_DATA']);
  assert.equal(persisted(put.acks), 1);
  assert.equal(await listed('cut'), 1);
  const again = await putMedia('cut', producerStream(media, { timecodeBase: 10_000 }));
  assert.equal(persisted(again.acks), 2);
  assert.equal(await listed('cut'), 3);
});

test('a producer that sends nothing: IDLE acks, then the response ends 30 s after the last data; its fragment is PERSISTED', { timeout: 90_000 }, async () => {
  await create('quiet');
  const put = await putMedia('quiet', [header(), goodFragment()], false);
  assert.equal(put.status, 200);
  const kinds = events(put.acks);
  assert.deepEqual(kinds.slice(0, 3), ['BUFFERING', 'RECEIVED', 'PERSISTED']);
  const idle = put.body.split('\n').filter((line) => line === '{"EventType":"IDLE"}');
  assert.ok(idle.length >= 1, 'IDLE keep-alives while nothing arrives');
  assert.deepEqual(kinds.slice(3), kinds.slice(3).map(() => 'IDLE'), 'nothing but IDLE after the fragment');
  assert.equal(await listed('quiet'), 1);
});

test('a stream that keeps no data (retention 0): BUFFERING and RECEIVED without PERSISTED; readers still get the fragments', async () => {
  await create('no-retention', 0);
  const put = await putMedia('no-retention', producerStream(media));
  assert.equal(put.status, 200);
  assert.deepEqual(events(put.acks), ['BUFFERING', 'RECEIVED', 'BUFFERING', 'RECEIVED']);
  const out = await mediaClient.send(new GetMediaCommand({ StreamName: 'no-retention', StartSelector: { StartSelectorType: 'EARLIEST' } }));
  const read = await fragmentsIn(await readFragments(out.Payload as AsyncIterable<Uint8Array>, 2));
  assert.deepEqual(read.map((f) => f.tags.AWS_KINESISVIDEO_FRAGMENT_NUMBER), put.acks.filter((a) => a.EventType === 'RECEIVED').map((a) => a.FragmentNumber));
});

test('GetMedia, ListFragments and GetMediaForFragmentList on an unknown stream: ResourceNotFoundException', async () => {
  const calls: Array<() => Promise<unknown>> = [
    () => mediaClient.send(new GetMediaCommand({ StreamName: 'nowhere', StartSelector: { StartSelectorType: 'NOW' } })),
    () => archived.send(new ListFragmentsCommand({ StreamName: 'nowhere' })),
    () => archived.send(new GetMediaForFragmentListCommand({ StreamName: 'nowhere', Fragments: ['91343852333181432392682062607743920146159169392'] })),
  ];
  for (const call of calls) {
    await assert.rejects(call(), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(error.name, 'ResourceNotFoundException');
      assert.equal(error.message, NOT_FOUND);
      assert.equal(error.$metadata?.httpStatusCode, 404);
      return true;
    });
  }
});

test('--enforce-limits: more than 5 PutMedia requests a second on a stream get ClientLimitExceededException', async () => {
  await create('rate');
  const answers = await Promise.all(Array.from({ length: 10 }, () =>
    fetch(`${server.endpoint}/putMedia`, { method: 'POST', headers: putMediaHeaders('rate'), body: new Uint8Array(header()) })
      .then(async (res) => ({ status: res.status, type: res.headers.get('x-amzn-errortype'), body: await res.text() }))));
  const throttled = answers.filter((a) => a.type?.startsWith('ClientLimitExceededException'));
  assert.ok(throttled.length >= 1, JSON.stringify(answers));
  for (const answer of throttled) {
    assert.equal(answer.status, 400);
    assert.deepEqual(JSON.parse(answer.body), { Message: 'PutMedia request rate for the stream exceeded.' });
  }
  // The others were admitted: one upload, the rest refused by the one-connection rule.
  for (const answer of answers.filter((a) => !throttled.includes(a))) {
    assert.ok(answer.status === 200 || answer.type?.startsWith('ConnectionLimitExceededException'), JSON.stringify(answer));
  }
});

test('--enforce-limits: a fourth concurrent GetMedia on a stream gets ConnectionLimitExceededException', async () => {
  await create('readers');
  const open = [];
  for (let k = 0; k < 3; k++) {
    open.push(await mediaClient.send(new GetMediaCommand({ StreamName: 'readers', StartSelector: { StartSelectorType: 'NOW' } })));
  }
  await assert.rejects(mediaClient.send(new GetMediaCommand({ StreamName: 'readers', StartSelector: { StartSelectorType: 'NOW' } })), (error: Error) => {
    assert.equal(error.name, 'ConnectionLimitExceededException');
    assert.equal(error.message, 'Too many concurrent GetMedia connections to this stream.');
    return true;
  });
  // The three end (no fragment arrives) and free their places.
  for (const out of open) for await (const _ of out.Payload as AsyncIterable<Uint8Array>) void _;
  const next = await mediaClient.send(new GetMediaCommand({ StreamName: 'readers', StartSelector: { StartSelectorType: 'NOW' } }));
  for await (const _ of next.Payload as AsyncIterable<Uint8Array>) void _;
});

test('GetMedia of a fragment whose media went meanwhile (as a trim racing the read): the error tags 4000, and the response ends there', async () => {
  const { StreamARN } = await create('vanished');
  const put = await putMedia('vanished', producerStream(media));
  assert.equal(persisted(put.acks), 2);
  // The fragment records stay; their media chunks go (what a retention trim does between listing and reading).
  await server.store.records.drop(streamLogs(StreamARN!).media);
  const out = await mediaClient.send(new GetMediaCommand({ StreamName: 'vanished', StartSelector: { StartSelectorType: 'EARLIEST' } }));
  const parts: Buffer[] = [];
  for await (const chunk of out.Payload as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
  const tags: string[] = [];
  for (const [kind, tag] of await decodeEbml(Buffer.concat(parts))) {
    if (kind === 'tag' && (tag.name === 'TagName' || tag.name === 'TagString')) tags.push(String(tag.value));
    assert.notEqual(tag.name, 'Cluster', 'no cut fragment is sent');
  }
  assert.deepEqual(tags, ['AWS_KINESISVIDEO_ERROR_CODE', 'FRAGMENT_NOT_FOUND', 'AWS_KINESISVIDEO_ERROR_ID', '4000']);
});
