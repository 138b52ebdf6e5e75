import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetClipCommand, GetDASHStreamingSessionURLCommand, GetHLSStreamingSessionURLCommand, KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { startTestServer, type TestServer } from './helpers.js';
import { avMkv, putBody, putMedia, readMedia } from './video-playback-fixture.js';
import { cluster, ebmlHeader, END_OF_FRAGMENT, info, segmentStart, tracksElement, type TrackInfo } from './video-producer.js';
import { SessionKeys, type PlaybackSession } from '../src/video/playback/session-token.js';
import type { Media } from './video-producer.js';

/**
 * Playback's bad input (issue 17 "Bad input"): forged and expired session tokens, ranges without
 * fragments, bad ranges and parameters, unsupported or missing codecs, tracks that change within
 * a range, streams without retention — each with AWS's __type and message — and a session that
 * survives a server restart (its key is in the store).
 */

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const needsFfmpeg = { skip: HAS_FFMPEG ? false : 'ffmpeg is not installed (.ci/run installs it)' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const dataDir = mkdtempSync(join(tmpdir(), 'millrace-playback-errors-'));
let server: TestServer;
let kvs: KinesisVideoClient;
let archived: KinesisVideoArchivedMediaClient;
let video: Media;
let av: Media;
let start: number;

async function connect() {
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  archived = new KinesisVideoArchivedMediaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
}

before(async () => {
  server = await startTestServer({ dataDir });
  await connect();
  await kvs.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: 24 }));
  if (!HAS_FFMPEG) return;
  video = await readMedia(avMkv(3));
  av = await readMedia(avMkv(2, { audio: true }));
  start = Date.now() - 120_000;
  await putMedia(server.endpoint, 'cam', video, start / 1000);
});

after(async () => {
  kvs.destroy();
  archived.destroy();
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const range = (from: number, to: number, type: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP' = 'PRODUCER_TIMESTAMP') => ({ FragmentSelectorType: type, TimestampRange: { StartTimestamp: new Date(from), EndTimestamp: new Date(to) } });

/** The SDK's error for a call: its __type (name), message and HTTP status. */
async function failure(promise: Promise<unknown>): Promise<[string, string, number | undefined]> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return [e.name, e.message, e.$metadata?.httpStatusCode];
  }
  assert.fail('the call succeeded');
}

async function getJson(url: string): Promise<[number, string | null, unknown]> {
  const response = await fetch(url);
  return [response.status, response.headers.get('x-amzn-errortype'), await response.json()];
}

const NO_FRAGMENTS = 'No fragments found in the stream for the streaming request.';

test('ranges without fragments: ResourceNotFoundException for HLS, DASH and GetClip', needsFfmpeg, async () => {
  const empty = range(start - 600_000, start - 300_000);
  for (const call of [
    archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'cam', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: empty })),
    archived.send(new GetDASHStreamingSessionURLCommand({ StreamName: 'cam', PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: empty })),
    archived.send(new GetClipCommand({ StreamName: 'cam', ClipFragmentSelector: empty })),
  ]) {
    assert.deepEqual(await failure(call), ['ResourceNotFoundException', NO_FRAGMENTS, 404]);
  }
  // LIVE on a stream with nothing in it.
  await kvs.send(new CreateStreamCommand({ StreamName: 'empty', DataRetentionInHours: 1 }));
  assert.deepEqual(await failure(archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'empty' }))), ['ResourceNotFoundException', NO_FRAGMENTS, 404]);
  assert.deepEqual(await failure(archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'nope' }))), ['ResourceNotFoundException', 'The requested stream is not found or not active.', 404]);
});

test('mode and range rules: InvalidArgumentException with the exact text', needsFfmpeg, async () => {
  const hls = (input: Record<string, unknown>) => failure(archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'cam', ...input })));
  assert.deepEqual(await hls({ HLSFragmentSelector: range(start, start + 1000) }), ['InvalidArgumentException', 'A TimestampRange must not be specified for PlaybackMode LIVE.', 400]);
  assert.deepEqual(await hls({ PlaybackMode: 'ON_DEMAND' }), ['InvalidArgumentException', 'A fragment selector is required for PlaybackMode ON_DEMAND.', 400]);
  assert.deepEqual(await hls({ PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(start) } } }),
    ['InvalidArgumentException', 'The EndTimestamp is required for PlaybackMode ON_DEMAND.', 400]);
  assert.deepEqual(await hls({ PlaybackMode: 'LIVE_REPLAY', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: {} } }),
    ['InvalidArgumentException', 'The StartTimestamp is required for PlaybackMode LIVE_REPLAY.', 400]);
  assert.deepEqual(await hls({ PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(start + 1000, start) }), ['InvalidArgumentException', 'The StartTimestamp must be before the EndTimestamp.', 400]);
  assert.deepEqual(await hls({ PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(start - 25 * 3_600_000, start) }),
    ['InvalidArgumentException', 'The time range between StartTimestamp and EndTimestamp must not exceed 24 hours.', 400]);
  assert.deepEqual(await hls({ PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(start, Date.now() + 60_000, 'SERVER_TIMESTAMP') }),
    ['InvalidArgumentException', 'The EndTimestamp must be in the past for the SERVER_TIMESTAMP selector type.', 400]);
  assert.deepEqual(await failure(archived.send(new GetClipCommand({ StreamName: 'cam', ClipFragmentSelector: range(start + 1000, start + 1000) }))),
    ['InvalidArgumentException', 'The StartTimestamp must be before the EndTimestamp.', 400]);
});

test('model bounds: MaxMediaPlaylistFragmentResults above 5000, Expires below 300 (the shared model validator)', needsFfmpeg, async () => {
  assert.deepEqual(await failure(archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'cam', MaxMediaPlaylistFragmentResults: 5001 }))),
    ['ValidationException', "1 validation error detected: Value '5001' at 'maxMediaPlaylistFragmentResults' failed to satisfy constraint: Member must have value less than or equal to 5000", 400]);
  assert.deepEqual(await failure(archived.send(new GetDASHStreamingSessionURLCommand({ StreamName: 'cam', Expires: 299 }))),
    ['ValidationException', "1 validation error detected: Value '299' at 'expires' failed to satisfy constraint: Member must have value greater than or equal to 300", 400]);
});

test('session tokens: forged, altered, expired, or used on the other protocol get NotAuthorizedException; nothing else is disturbed', needsFfmpeg, async () => {
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'cam', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(start - 1000, start + 60_000) }));
  const token = new URL(url!).searchParams.get('SessionToken')!;
  const base = `${server.endpoint}/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=`;
  const invalid = [401, 'NotAuthorizedException:https://kinesisvideo.amazonaws.com/doc/2017-09-30/', { Message: 'The session token is not valid.' }];
  // The payload altered (another stream's ARN would be the attack): the signature no longer matches.
  const payload = JSON.parse(Buffer.from(token.split('~')[0], 'base64url').toString()) as PlaybackSession;
  const altered = `${Buffer.from(JSON.stringify({ ...payload, maxResults: 1 })).toString('base64url')}~${token.split('~')[1]}~`;
  assert.deepEqual(await getJson(base + altered), invalid);
  // One MAC character changed (the first: the last one's low bits are base64 padding).
  const [body, mac] = token.split('~');
  assert.deepEqual(await getJson(`${base}${body}~${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}~`), invalid);
  assert.deepEqual(await getJson(`${base}CiA2xyz~`), invalid);
  assert.deepEqual(await getJson(`${server.endpoint}/hls/v1/getHLSMasterPlaylist.m3u8`), invalid);
  assert.deepEqual(await getJson(`${server.endpoint}/dash/v1/getDASHManifest.mpd?SessionToken=${token}`), invalid);
  // Expired: a session signed with the store's key whose Expires has passed.
  const expired = await new SessionKeys(server.store).sign({ ...payload, expires: Date.now() - 1 });
  assert.deepEqual(await getJson(base + expired), [401, invalid[1], { Message: 'The session token has expired.' }]);
  // The genuine token still plays.
  assert.equal((await fetch(url!)).status, 200);
});

test('playback URL parameters: bad TrackNumber, FragmentNumber, SequenceNumber', needsFfmpeg, async () => {
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'cam', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(start - 1000, start + 60_000) }));
  const token = new URL(url!).searchParams.get('SessionToken')!;
  const at = (resource: string, query: string) => getJson(`${server.endpoint}/hls/v1/${resource}?SessionToken=${token}${query}`);
  const invalid = (message: string) => [400, 'InvalidArgumentException:https://kinesisvideo.amazonaws.com/doc/2017-09-30/', { Message: message }];
  assert.deepEqual(await at('getHLSMediaPlaylist.m3u8', ''), invalid('The TrackNumber parameter is missing or not valid.'));
  assert.deepEqual(await at('getHLSMediaPlaylist.m3u8', '&TrackNumber=2'), invalid('The requested track does not exist in the stream.'));
  assert.deepEqual(await at('getMP4MediaFragment.mp4', '&TrackNumber=1&FragmentNumber=abc'), invalid('The FragmentNumber parameter is missing or not valid.'));
  assert.deepEqual(await at('getMP4MediaFragment.mp4', `&TrackNumber=1&FragmentNumber=${'9'.repeat(47)}`),
    [404, 'ResourceNotFoundException:https://kinesisvideo.amazonaws.com/doc/2017-09-30/', { Message: 'The requested fragment is not found.' }]);
  assert.deepEqual(await at('getMP4InitFragment.mp4', '&TrackNumber=1&SequenceNumber=x'), invalid('The SequenceNumber parameter is missing or not valid.'));
  assert.deepEqual(await at('getTSFragment.ts', `&FragmentNumber=${'9'.repeat(47)}`), invalid('The SessionToken parameter is missing or not valid.'));
});

/** A one-track stream whose track is `track`, with two fragments of made-up frames. */
function syntheticBody(track: TrackInfo): Buffer {
  const frames = [0, 1000].map((ms) => ({ track: 1, ms, keyframe: true, data: Buffer.from([0, 0, 0, 2, 0x65, 0x88]) }));
  return Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement([track]), ...frames.map((f) => Buffer.concat([cluster(f.ms, [f]), END_OF_FRAGMENT]))]);
}

test('codecs: unsupported codec ids, missing and invalid codec private data, tracks that change within the range', needsFfmpeg, async () => {
  const cases: Array<[string, TrackInfo, string, string]> = [
    ['vp8', { number: 1, codecId: 'V_VP8', type: 1 }, 'UnsupportedStreamMediaTypeException',
      'The type of the media (for example, h.264 or h.265 video or ACC or G.711 audio) could not be determined from the codec IDs of the tracks in the first fragment for a playback session. The codec ID for track 1 should be V_MPEG/ISO/AVC and, optionally, the codec ID for track 2 should be A_AAC.'],
    ['nocpd', { number: 1, codecId: 'V_MPEG4/ISO/AVC', type: 1 }, 'MissingCodecPrivateDataException', 'No codec private data was found in at least one of tracks of the video stream.'],
    ['badcpd', { number: 1, codecId: 'V_MPEG4/ISO/AVC', type: 1, codecPrivate: Buffer.from([7, 7, 7]) }, 'InvalidCodecPrivateDataException',
      'The codec private data in at least one of the tracks of the video stream is not valid for this operation.'],
  ];
  const from = Date.now() - 60_000;
  for (const [name, track, type, message] of cases) {
    await kvs.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 1 }));
    assert.match(await putBody(server.endpoint, name, syntheticBody(track), from / 1000), /PERSISTED/);
    const selector = range(from - 1000, from + 10_000);
    assert.deepEqual(await failure(archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: name, PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: selector }))), [type, message, 400]);
    assert.deepEqual(await failure(archived.send(new GetDASHStreamingSessionURLCommand({ StreamName: name, PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: selector }))), [type, message, 400]);
    assert.deepEqual(await failure(archived.send(new GetClipCommand({ StreamName: name, ClipFragmentSelector: selector }))), [type, message, 400]);
  }
  // Video only, then video + audio in the same stream: a range over both fails; each part alone plays.
  await kvs.send(new CreateStreamCommand({ StreamName: 'switch', DataRetentionInHours: 1 }));
  await putMedia(server.endpoint, 'switch', video, from / 1000);
  await putMedia(server.endpoint, 'switch', av, from / 1000 + 10);
  assert.deepEqual(await failure(archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'switch', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(from - 1000, from + 30_000) }))),
    ['InvalidCodecPrivateDataException', 'The tracks of the stream changed within the requested range; a playback session needs the same tracks throughout.', 400]);
  const part = await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'switch', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(from + 9_000, from + 30_000) }));
  assert.equal((await fetch(part.HLSStreamingSessionURL!)).status, 200);
});

test('a stream that keeps no data: NoDataRetentionException', needsFfmpeg, async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'noretain', DataRetentionInHours: 0 }));
  const message = 'The Stream data retention in hours is equal to zero.';
  assert.deepEqual(await failure(archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'noretain' }))), ['NoDataRetentionException', message, 400]);
  assert.deepEqual(await failure(archived.send(new GetClipCommand({ StreamName: 'noretain', ClipFragmentSelector: range(start, start + 1000) }))), ['NoDataRetentionException', message, 400]);
});

test('GetClip covers at most the first 200 fragments', needsFfmpeg, async () => {
  // A keyframe on every frame: 210 one-frame fragments.
  await kvs.send(new CreateStreamCommand({ StreamName: 'many', DataRetentionInHours: 1 }));
  const from = Date.now() - 60_000;
  const { avMkvWithGop } = await import('./video-playback-fixture.js');
  const put = await putMedia(server.endpoint, 'many', await readMedia(avMkvWithGop(8.4, 1)), from / 1000);
  assert.equal(put.fragments, 210);
  const clip = await archived.send(new GetClipCommand({ StreamName: 'many', ClipFragmentSelector: range(from - 1000, from + 20_000) }));
  const { writeFileSync } = await import('node:fs');
  const file = join(dataDir, 'many.mp4');
  writeFileSync(file, Buffer.from(await clip.Payload!.transformToByteArray()));
  const { decodeFrames } = await import('./video-playback-fixture.js');
  assert.equal((await decodeFrames(file, 'v')).frames, 200);
});

test('a session survives a server restart (its key is in the store); a deleted stream ends it', needsFfmpeg, async () => {
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'cam', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(start - 1000, start + 60_000) }));
  const path = new URL(url!).pathname + new URL(url!).search;
  const before = await (await fetch(url!)).text();
  kvs.destroy();
  archived.destroy();
  await server.close();
  server = await startTestServer({ dataDir });
  await connect();
  const after = await fetch(server.endpoint + path);
  assert.equal(after.status, 200);
  assert.equal(await after.text(), before);
  await kvs.send(new DeleteStreamCommand({ StreamARN: JSON.parse(Buffer.from(new URL(url!).searchParams.get('SessionToken')!.split('~')[0], 'base64url').toString()).streamArn }));
  const gone = await getJson(server.endpoint + path);
  assert.equal(gone[0], 404);
  assert.equal(gone[1], 'ResourceNotFoundException:https://kinesisvideo.amazonaws.com/doc/2017-09-30/');
});

test('a media fragment served (and cached) is not served once its stream is deleted, nor to the old session of a stream re-created under its name', needsFfmpeg, async () => {
  const sessionFragment = async () => {
    const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'gone', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(start - 1000, start + 60_000) }));
    const media = await (await fetch(new URL(url!).href.replace('getHLSMasterPlaylist.m3u8', 'getHLSMediaPlaylist.m3u8') + '&TrackNumber=1')).text();
    return new URL(media.split('\n').find((l) => l.startsWith('getMP4MediaFragment.mp4'))!, url!).href;
  };
  await kvs.send(new CreateStreamCommand({ StreamName: 'gone', DataRetentionInHours: 24 }));
  await putMedia(server.endpoint, 'gone', video, start / 1000);
  const old = await sessionFragment();
  const first = await fetch(old);
  assert.equal(first.status, 200);
  const bytes = Buffer.from(await first.arrayBuffer());
  assert.ok(bytes.length > 1000);
  assert.deepEqual(Buffer.from(await (await fetch(old)).arrayBuffer()), bytes); // the second answer comes from the cache
  const { StreamInfo } = await kvs.send(new DescribeStreamCommand({ StreamName: 'gone' }));
  await kvs.send(new DeleteStreamCommand({ StreamARN: StreamInfo!.StreamARN }));
  const gone = await getJson(old);
  assert.equal(gone[0], 404);
  assert.equal(gone[1], 'ResourceNotFoundException:https://kinesisvideo.amazonaws.com/doc/2017-09-30/');
  // Same name, new incarnation (new ARN): the old session still finds nothing; a new one plays.
  await kvs.send(new CreateStreamCommand({ StreamName: 'gone', DataRetentionInHours: 24 }));
  await putMedia(server.endpoint, 'gone', video, start / 1000);
  const again = await getJson(old);
  assert.equal(again[0], 404);
  assert.equal(again[1], 'ResourceNotFoundException:https://kinesisvideo.amazonaws.com/doc/2017-09-30/');
  const fresh = await fetch(await sessionFragment());
  assert.equal(fresh.status, 200);
  assert.ok((await fresh.arrayBuffer()).byteLength > 1000);
});
