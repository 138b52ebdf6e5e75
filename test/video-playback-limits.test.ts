import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetHLSStreamingSessionURLCommand, KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { startTestServer, type TestServer } from './helpers.js';
import { avMkvWithGop, putMedia, readMedia } from './video-playback-fixture.js';

/**
 * Archived-media playback limits with --enforce-limits (issue 17 §7; VIDEO-SPEC §5.4 "Sessions"):
 * playlists at most 5 requests a second per session, fragments at most 20, each over-limit
 * request answered with ClientLimitExceededException and nothing else disturbed.
 */

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const needsFfmpeg = { skip: HAS_FFMPEG ? false : 'ffmpeg is not installed (.ci/run installs it)' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
let server: TestServer;
let kvs: KinesisVideoClient;
let archived: KinesisVideoArchivedMediaClient;
let start: number;

before(async () => {
  server = await startTestServer({ enforceLimits: true });
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  archived = new KinesisVideoArchivedMediaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  await kvs.send(new CreateStreamCommand({ StreamName: 'cam', DataRetentionInHours: 1 }));
  if (!HAS_FFMPEG) return;
  start = Date.now() - 60_000;
  await putMedia(server.endpoint, 'cam', await readMedia(avMkvWithGop(2, 25)), start / 1000);
});

after(async () => {
  kvs.destroy();
  archived.destroy();
  await server.stop();
});

const THROTTLED = [400, 'ClientLimitExceededException:https://kinesisvideo.amazonaws.com/doc/2017-09-30/',
  { Message: 'Kinesis Video Streams has throttled the request because you have exceeded the limit of allowed client calls. Try making the call later.' }];

async function burst(url: string, count: number): Promise<Array<[number, string | null, unknown]>> {
  return Promise.all(Array.from({ length: count }, async () => {
    const response = await fetch(url);
    const body = response.status === 200 ? undefined : await response.json();
    if (response.status === 200) await response.arrayBuffer();
    return [response.status, response.headers.get('x-amzn-errortype'), body] as [number, string | null, unknown];
  }));
}

test('playlists: 5 requests a second per session; more are throttled with ClientLimitExceededException', needsFfmpeg, async () => {
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({
    StreamName: 'cam', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(start - 1000), EndTimestamp: new Date(start + 10_000) } },
  }));
  // 40 at once: unless they spread over 8 seconds, some go over 5 a second.
  const results = await burst(url!, 40);
  const ok = results.filter((r) => r[0] === 200).length;
  const throttled = results.filter((r) => r[0] === 400);
  assert.ok(ok >= 5, String(ok));
  assert.ok(throttled.length > 0);
  for (const r of throttled) assert.deepEqual(r, THROTTLED);
  // Another session of the same stream has its own budget.
  const { HLSStreamingSessionURL: other } = await archived.send(new GetHLSStreamingSessionURLCommand({
    StreamName: 'cam', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(start - 1000), EndTimestamp: new Date(start + 10_000) } },
  }));
  assert.equal((await fetch(other!)).status, 200);
});

test('media fragments: 20 requests a second per session', needsFfmpeg, async () => {
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({
    StreamName: 'cam', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(start - 1000), EndTimestamp: new Date(start + 10_000) } },
  }));
  const token = new URL(url!).searchParams.get('SessionToken')!;
  const playlist = await (await fetch(`${server.endpoint}/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${token}&TrackNumber=1`)).text();
  const fragment = playlist.split('\n').find((l) => l.startsWith('getMP4MediaFragment.mp4'))!;
  const results = await burst(`${server.endpoint}/hls/v1/${fragment}`, 100);
  const throttled = results.filter((r) => r[0] === 400);
  assert.ok(results.filter((r) => r[0] === 200).length >= 20);
  assert.ok(throttled.length > 0);
  for (const r of throttled) assert.deepEqual(r, THROTTLED);
});
