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
import { avMkv, decodeFrames, hevcMkv, probe, putMedia, readMedia } from './video-playback-fixture.js';
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

const FN = /^[0-9]{47}$/;

async function text(url: string): Promise<string> {
  const response = await fetch(url);
  assert.equal(response.status, 200, await response.clone().text());
  return response.text();
}

/** The stream's fragments as ListFragments gives them, in time order. */
async function listed(stream: string) {
  const { Fragments } = await archived.send(new ListFragmentsCommand({ StreamName: stream }));
  return Fragments!.sort((a, b) => a.ProducerTimestamp!.getTime() - b.ProducerTimestamp!.getTime());
}

test('HLS fMP4 ON_DEMAND: master and media playlists shaped as captured; ffprobe and ffmpeg read every frame', needsFfmpeg, async () => {
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({
    StreamName: 'av', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(avStart - 1000, avStart + 60_000), DisplayFragmentTimestamp: 'ALWAYS', DiscontinuityMode: 'NEVER',
  }));
  assert.match(url!, new RegExp(`^${endpoint}/hls/v1/getHLSMasterPlaylist\\.m3u8\\?SessionToken=[A-Za-z0-9_~-]+~$`));
  const token = new URL(url!).searchParams.get('SessionToken')!;

  const masterText = await text(url!);
  const lines = masterText.trim().split('\n');
  assert.deepEqual(lines.slice(0, 2), ['#EXTM3U', '#EXT-X-VERSION:1']);
  assert.equal(lines[2], `#EXT-X-MEDIA:AUTOSELECT=YES,FORCED=NO,TYPE=AUDIO,URI="getHLSMediaPlaylist.m3u8?SessionToken=${token}&TrackNumber=2",GROUP-ID="audio",DEFAULT=NO,NAME="audio"`);
  assert.match(lines[3], /^#EXT-X-STREAM-INF:CODECS="avc1\.42c0[0-9a-f]{2},mp4a\.40\.2",RESOLUTION=320x240,FRAME-RATE=25\.00,BANDWIDTH=\d+,AUDIO="audio"$/);
  assert.equal(lines[4], `getHLSMediaPlaylist.m3u8?SessionToken=${token}&TrackNumber=1`);
  const master = HLS.parse(masterText) as HLS.types.MasterPlaylist;
  assert.equal(master.isMasterPlaylist, true);
  assert.equal(master.variants.length, 1);
  assert.deepEqual(master.variants[0].resolution, { width: 320, height: 240 });
  assert.equal(master.variants[0].audio[0].groupId, 'audio');

  const fragments = await listed('av');
  assert.equal(fragments.length, 6);
  for (const track of [1, 2]) {
    const mediaText = await text(`${endpoint}/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${token}&TrackNumber=${track}`);
    const head = mediaText.split('\n').slice(0, 7);
    assert.deepEqual(head.slice(0, 3), ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-PLAYLIST-TYPE:VOD']);
    assert.match(head[3], /^#EXT-X-TARGETDURATION:[12]$/);
    assert.deepEqual(head.slice(4, 6), ['#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-INDEPENDENT-SEGMENTS']);
    assert.match(head[6], new RegExp(`^#EXT-X-MAP:URI="getMP4InitFragment\\.mp4\\?SessionToken=${token}&TrackNumber=${track}&SequenceNumber=\\d+"$`));
    assert.ok(mediaText.endsWith('#EXT-X-ENDLIST\n'));
    assert.equal(mediaText.match(/#EXT-X-DISCONTINUITY/g), null);
    const playlist = HLS.parse(mediaText) as HLS.types.MediaPlaylist;
    assert.equal(playlist.playlistType, 'VOD');
    assert.equal(playlist.segments.length, 6);
    playlist.segments.forEach((segment, k) => {
      const fn = fragments[k].FragmentNumber!;
      assert.match(fn, FN);
      assert.equal(segment.uri, `getMP4MediaFragment.mp4?FragmentNumber=${fn}&SessionToken=${token}&TrackNumber=${track}`);
      assert.equal(segment.programDateTime!.getTime(), fragments[k].ProducerTimestamp!.getTime());
      assert.ok(segment.duration > 0.9 && segment.duration < 1.1, String(segment.duration));
    });
  }

  const probed = await probe(url!);
  const video = probed.streams.find((s) => s.codec_type === 'video')!;
  const audio = probed.streams.find((s) => s.codec_type === 'audio')!;
  assert.equal(probed.format.format_name, 'hls');
  assert.deepEqual([video.codec_name, video.width, video.height, Number(video.nb_read_frames)], ['h264', 320, 240, VIDEO_FRAMES]);
  assert.deepEqual([audio.codec_name, audio.sample_rate, Number(audio.nb_read_frames)], ['aac', '44100', audioFrames]);
  assert.equal((await decodeFrames(url!, 'v')).frames, VIDEO_FRAMES);
});

test('HLS DiscontinuityMode ALWAYS: a discontinuity and an init map before every fragment; ON_DISCONTINUITY: none on contiguous media', needsFfmpeg, async () => {
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({
    StreamName: 'av', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { ...range(avStart - 1000, Date.now() - 1), FragmentSelectorType: 'SERVER_TIMESTAMP' },
  }));
  const token = new URL(url!).searchParams.get('SessionToken')!;
  const mediaText = await text(`${endpoint}/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${token}&TrackNumber=1`);
  // SERVER_TIMESTAMP defaults to ALWAYS (§5.4).
  assert.equal(mediaText.match(/#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=/g)?.length, 6);
  assert.equal(mediaText.match(/#EXT-X-PROGRAM-DATE-TIME/g), null);
  assert.equal((await decodeFrames(url!, 'v')).frames, VIDEO_FRAMES);

  const { HLSStreamingSessionURL: onGap } = await archived.send(new GetHLSStreamingSessionURLCommand({
    StreamName: 'av', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(avStart - 1000, avStart + 60_000), DiscontinuityMode: 'ON_DISCONTINUITY', MaxMediaPlaylistFragmentResults: 4,
  }));
  const gapToken = new URL(onGap!).searchParams.get('SessionToken')!;
  const gapText = await text(`${endpoint}/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${gapToken}&TrackNumber=1`);
  assert.equal(gapText.match(/#EXT-X-DISCONTINUITY/g), null);
  assert.equal(gapText.match(/#EXTINF/g)?.length, 4);
});

test('HLS MPEG_TS ON_DEMAND: TS fragments with all tracks; 188-byte packets; ffprobe and ffmpeg read every frame', needsFfmpeg, async () => {
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({
    StreamName: 'av', PlaybackMode: 'ON_DEMAND', ContainerFormat: 'MPEG_TS', HLSFragmentSelector: range(avStart - 1000, avStart + 60_000),
  }));
  const token = new URL(url!).searchParams.get('SessionToken')!;
  const masterText = await text(url!);
  assert.ok(!masterText.includes('#EXT-X-MEDIA:'));
  assert.ok(masterText.trim().endsWith(`getHLSMediaPlaylist.m3u8?SessionToken=${token}`));
  const mediaText = await text(`${endpoint}/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${token}`);
  const playlist = HLS.parse(mediaText) as HLS.types.MediaPlaylist;
  assert.equal(playlist.version, 3);
  assert.ok(!mediaText.includes('#EXT-X-MAP'));
  const fragments = await listed('av');
  assert.deepEqual(playlist.segments.map((s) => s.uri), fragments.map((f) => `getTSFragment.ts?FragmentNumber=${f.FragmentNumber}&SessionToken=${token}`));

  const ts = Buffer.from(await (await fetch(`${endpoint}/hls/v1/${playlist.segments[1].uri}`)).arrayBuffer());
  assert.equal(ts.length % 188, 0);
  for (let i = 0; i < ts.length; i += 188) assert.equal(ts[i], 0x47);
  const file = join(tmp, 'one.ts');
  writeFileSync(file, ts);
  const one = await probe(file);
  assert.equal(one.format.format_name, 'mpegts');
  assert.equal(Number(one.streams.find((s) => s.codec_type === 'video')!.nb_read_frames), 25);

  const probed = await probe(url!);
  assert.equal(Number(probed.streams.find((s) => s.codec_type === 'video')!.nb_read_frames), VIDEO_FRAMES);
  assert.equal(Number(probed.streams.find((s) => s.codec_type === 'audio')!.nb_read_frames), audioFrames);
  const decoded = await decodeFrames(url!, 'v');
  assert.equal(decoded.frames, VIDEO_FRAMES);
});

test('init + media fragment of one track make a playable fMP4 of that fragment', needsFfmpeg, async () => {
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({
    StreamName: 'av', PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: range(avStart - 1000, avStart + 60_000),
  }));
  const token = new URL(url!).searchParams.get('SessionToken')!;
  const playlist = HLS.parse(await text(`${endpoint}/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${token}&TrackNumber=1`)) as HLS.types.MediaPlaylist;
  const init = await fetch(`${endpoint}/hls/v1/${playlist.segments[2].map!.uri}`);
  assert.equal(init.headers.get('content-type'), 'video/mp4');
  const media = await fetch(`${endpoint}/hls/v1/${playlist.segments[2].uri}`);
  assert.equal(media.headers.get('access-control-allow-origin'), '*');
  const file = join(tmp, 'fragment.mp4');
  writeFileSync(file, Buffer.concat([Buffer.from(await init.arrayBuffer()), Buffer.from(await media.arrayBuffer())]));
  const probed = await probe(file);
  assert.equal(probed.streams.length, 1);
  assert.deepEqual([probed.streams[0].codec_name, Number(probed.streams[0].nb_read_frames)], ['h264', 25]);
  assert.equal((await decodeFrames(file, 'v')).frames, 25);
});

test('HLS LIVE: the newest MaxMediaPlaylistFragmentResults fragments, sliding as fragments arrive; LIVE_REPLAY paces from its start', needsFfmpeg, async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'live', DataRetentionInHours: 1 }));
  const clip = await readMedia(avMkv(4, { audio: true }));
  const start = Date.now() - 60_000;
  await putMedia(endpoint, 'live', clip, start / 1000);
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'live', MaxMediaPlaylistFragmentResults: 3 }));
  const token = new URL(url!).searchParams.get('SessionToken')!;
  const playlistUrl = `${endpoint}/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${token}&TrackNumber=1`;
  const first = await text(playlistUrl);
  assert.ok(!first.includes('#EXT-X-ENDLIST'));
  assert.ok(!first.includes('#EXT-X-PLAYLIST-TYPE'));
  const before = HLS.parse(first) as HLS.types.MediaPlaylist;
  assert.equal(before.segments.length, 3);
  assert.equal(before.mediaSequenceBase, 1); // 4 fragments, indexes 0..3: the window starts at 1
  const listedBefore = (await listed('live')).map((f) => f.FragmentNumber);
  assert.deepEqual(before.segments.map((s) => new URL(s.uri, endpoint).searchParams.get('FragmentNumber')), listedBefore.slice(1));

  // Two more fragments: the window slides by two, and never goes back.
  await putMedia(endpoint, 'live', await readMedia(avMkv(2, { audio: true })), start / 1000 + 30);
  const after = HLS.parse(await text(playlistUrl)) as HLS.types.MediaPlaylist;
  assert.equal(after.mediaSequenceBase, 3);
  const listedAfter = (await listed('live')).map((f) => f.FragmentNumber);
  assert.deepEqual(after.segments.map((s) => new URL(s.uri, endpoint).searchParams.get('FragmentNumber')), listedAfter.slice(3));

  // The newest fragment is playable through its init fragment.
  const init = Buffer.from(await (await fetch(`${endpoint}/hls/v1/${after.segments[2].map?.uri ?? after.segments[0].map!.uri}`)).arrayBuffer());
  const media = Buffer.from(await (await fetch(`${endpoint}/hls/v1/${after.segments[2].uri}`)).arrayBuffer());
  const file = join(tmp, 'live.mp4');
  writeFileSync(file, Buffer.concat([init, media]));
  assert.equal((await decodeFrames(file, 'v')).frames, 25);

  // LIVE_REPLAY from the first fragment: only what real time since the session began has reached.
  const { HLSStreamingSessionURL: replay } = await archived.send(new GetHLSStreamingSessionURLCommand({
    StreamName: 'live', PlaybackMode: 'LIVE_REPLAY', HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(start) } },
  }));
  const replayToken = new URL(replay!).searchParams.get('SessionToken')!;
  const replayed = await text(`${endpoint}/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${replayToken}&TrackNumber=1`);
  assert.ok(!replayed.includes('#EXT-X-ENDLIST'));
  const count = (HLS.parse(replayed) as HLS.types.MediaPlaylist).segments.length;
  assert.ok(count >= 1 && count < 6, String(count));
});

test('DASH ON_DEMAND: SegmentTimeline with kvs:fn and kvs:ts over the same fMP4 fragments; ffprobe and ffmpeg read every frame', needsFfmpeg, async () => {
  const { DASHStreamingSessionURL: url } = await archived.send(new GetDASHStreamingSessionURLCommand({
    StreamName: 'av', PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: range(avStart - 1000, avStart + 60_000), DisplayFragmentNumber: 'ALWAYS', DisplayFragmentTimestamp: 'ALWAYS',
  }));
  assert.match(url!, new RegExp(`^${endpoint}/dash/v1/getDASHManifest\\.mpd\\?SessionToken=[A-Za-z0-9_~-]+~$`));
  const response = await fetch(url!);
  assert.equal(response.headers.get('content-type'), 'application/dash+xml');
  const mpd = await response.text();
  assert.match(mpd, /<MPD [^>]*type="static"/);
  assert.match(mpd, /xmlns:kvs="/);
  const fragments = await listed('av');
  const entries = [...mpd.matchAll(/<S t="(\d+)" d="(\d+)" kvs:fn="(\d+)" kvs:ts="(\d+)"\/>/g)];
  assert.equal(entries.length, 12); // 6 per AdaptationSet, video and audio
  entries.slice(0, 6).forEach((m, k) => {
    assert.equal(m[3], fragments[k].FragmentNumber);
    assert.equal(Number(m[1]), fragments[k].ProducerTimestamp!.getTime());
    assert.equal(Number(m[4]), fragments[k].ProducerTimestamp!.getTime());
  });
  assert.equal(mpd.match(/<SegmentURL media="getMP4MediaFragment\.mp4\?FragmentNumber=\d{47}&amp;SessionToken=[^"]+&amp;TrackNumber=[12]"\/>/g)?.length, 12);
  assert.match(mpd, /codecs="avc1\.42c0[0-9a-f]{2}"/);
  assert.match(mpd, /codecs="mp4a\.40\.2"/);

  const probed = await probe(url!);
  assert.equal(probed.format.format_name, 'dash');
  assert.equal(Number(probed.streams.find((s) => s.codec_type === 'video')!.nb_read_frames), VIDEO_FRAMES);
  // The presentation lasts as long as the video; the one AAC frame past its end (6.014 s) is not played.
  assert.ok(audioFrames - Number(probed.streams.find((s) => s.codec_type === 'audio')!.nb_read_frames) <= 1);
  assert.equal((await decodeFrames(url!, 'v')).frames, VIDEO_FRAMES);
});

test('GetClip: one non-fragmented MP4 of the range, read by ffprobe with every frame', needsFfmpeg, async () => {
  const whole = await archived.send(new GetClipCommand({ StreamName: 'av', ClipFragmentSelector: range(avStart - 1000, avStart + 60_000) }));
  assert.equal(whole.ContentType, 'video/mp4');
  const bytes = Buffer.from(await whole.Payload!.transformToByteArray());
  assert.deepEqual([bytes.subarray(4, 8).toString(), bytes.subarray(bytes.readUInt32BE(0) + 4, bytes.readUInt32BE(0) + 8).toString()], ['ftyp', 'moov']);
  const file = join(tmp, 'clip.mp4');
  writeFileSync(file, bytes);
  const probed = await probe(file);
  assert.equal(probed.format.format_name, 'mov,mp4,m4a,3gp,3g2,mj2');
  const video = probed.streams.find((s) => s.codec_type === 'video')!;
  assert.deepEqual([video.codec_name, video.width, Number(video.nb_read_frames)], ['h264', 320, VIDEO_FRAMES]);
  assert.equal(Number(probed.streams.find((s) => s.codec_type === 'audio')!.nb_read_frames), audioFrames);
  assert.ok(Math.abs(Number(probed.format.duration) - SECONDS) < 0.1, probed.format.duration);
  assert.equal((await decodeFrames(file, 'v')).frames, VIDEO_FRAMES);

  // Fragments start in [start, end]: 1.5 s .. 3.5 s after the start takes those at 2 and 3 s.
  const part = await archived.send(new GetClipCommand({ StreamName: 'av', ClipFragmentSelector: range(avStart + 1500, avStart + 3500) }));
  const partFile = join(tmp, 'part.mp4');
  writeFileSync(partFile, Buffer.from(await part.Payload!.transformToByteArray()));
  assert.equal((await decodeFrames(partFile, 'v')).frames, 50);
});

/** Every player path over one stream: HLS fMP4, HLS TS, DASH and GetClip, each decoded with `frames` video frames. */
async function playsEverywhere(stream: string, from: number, frames: number, codec: string) {
  const selector = range(from - 1000, from + 60_000);
  const fmp4 = (await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: stream, PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: selector }))).HLSStreamingSessionURL!;
  const ts = (await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: stream, PlaybackMode: 'ON_DEMAND', ContainerFormat: 'MPEG_TS', HLSFragmentSelector: selector }))).HLSStreamingSessionURL!;
  const dash = (await archived.send(new GetDASHStreamingSessionURLCommand({ StreamName: stream, PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: selector }))).DASHStreamingSessionURL!;
  const clip = await archived.send(new GetClipCommand({ StreamName: stream, ClipFragmentSelector: selector }));
  const file = join(tmp, `${stream}.mp4`);
  writeFileSync(file, Buffer.from(await clip.Payload!.transformToByteArray()));
  for (const input of [fmp4, ts, dash, file]) {
    const probed = await probe(input);
    const video = probed.streams.find((s) => s.codec_type === 'video')!;
    assert.deepEqual([video.codec_name, Number(video.nb_read_frames)], [codec, frames], input);
    const decoded = await decodeFrames(input, 'v');
    assert.equal(decoded.frames, frames, input);
  }
  return { fmp4, ts, dash, file };
}

test('H.265: hvcC sample entries, Annex-B with VPS/SPS/PPS in TS; every path decodes every frame', needsFfmpeg, async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'hevc', DataRetentionInHours: 1 }));
  const from = Date.now() - 40_000;
  const hevc = await readMedia(hevcMkv(3));
  assert.equal(hevc.tracks[0].codecId, 'V_MPEGH/ISO/HEVC');
  await putMedia(endpoint, 'hevc', hevc, from / 1000);
  const { fmp4 } = await playsEverywhere('hevc', from, 75, 'hevc');
  assert.match(await text(fmp4), /CODECS="hvc1\.1\.6\.L\d+\.[0-9a-f.]+"/);
});

test('H.264 High with B-frames: composition offsets in fMP4/MP4 and PTS/DTS in TS keep every frame', needsFfmpeg, async () => {
  await kvs.send(new CreateStreamCommand({ StreamName: 'high', DataRetentionInHours: 1 }));
  const from = Date.now() - 40_000;
  const high = await readMedia(avMkv(3, { profile: 'high', bframes: 2 }));
  // The input really reorders frames: some block's time is before its predecessor's.
  assert.ok(high.frames.some((f, k) => k > 0 && f.ms < high.frames[k - 1].ms));
  await putMedia(endpoint, 'high', high, from / 1000);
  const { fmp4 } = await playsEverywhere('high', from, 75, 'h264');
  assert.match(await text(fmp4), /CODECS="avc1\.6400[0-9a-f]{2}"/);
});

test('DASH LIVE: a dynamic manifest over the newest fragments', needsFfmpeg, async () => {
  // LIVE needs a fragment that arrived in the last 30 s.
  await kvs.send(new CreateStreamCommand({ StreamName: 'dashlive', DataRetentionInHours: 1 }));
  await putMedia(endpoint, 'dashlive', await readMedia(avMkv(3, { audio: true })), Date.now() / 1000 - 3);
  const { DASHStreamingSessionURL: url } = await archived.send(new GetDASHStreamingSessionURLCommand({ StreamName: 'dashlive', MaxManifestFragmentResults: 2 }));
  const mpd = await text(url!);
  assert.match(mpd, /<MPD [^>]*type="dynamic"[^>]*minimumUpdatePeriod="PT1S"/);
  const fragments = await listed('dashlive');
  const urls = [...mpd.matchAll(/FragmentNumber=(\d+)&amp;SessionToken=[^&]+&amp;TrackNumber=1"/g)].map((m) => m[1]);
  assert.deepEqual(urls, fragments.slice(-2).map((f) => f.FragmentNumber));
  assert.ok(!mpd.includes('kvs:fn'));
});
