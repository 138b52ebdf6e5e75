import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { CreateStreamCommand, GetDataEndpointCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import {
  GetDASHStreamingSessionURLCommand, GetHLSStreamingSessionURLCommand, KinesisVideoArchivedMediaClient,
} from '@aws-sdk/client-kinesis-video-archived-media';
import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from './helpers.js';
import { avFragments, avMkv } from './video-playback-fixture.js';
import { cluster, ebmlHeader, END_OF_FRAGMENT, info, readMedia, segmentStart, tracksElement, type Media } from './video-producer.js';

/**
 * The end-to-end playback check of issue 17 (Tests): Debian's chromium, driven headless by
 * playwright-core (never downloads a browser), plays a LIVE session of a stream that a producer keeps
 * PutMedia-ing into while the page plays — HLS (fMP4) with hls.js and DASH with dash.js, each in a
 * <video> element through Media Source Extensions.
 *
 * What this chromium can play (Debian bookworm's build, 156): its MSE accepts H.264
 * (`video/mp4; codecs="avc1.42E01E"`), AAC (`mp4a.40.2`), VP9 and AV1, but not H.265 (`hvc1`), so the
 * media here is ffmpeg's H.264 Baseline + AAC; H.265 playback stays covered by ffmpeg in
 * video-playback.test.ts. A chromium build without H.264 in MSE skips the playback tests with that reason.
 *
 * The page is served from its own origin (a node:http server on another loopback port), so every
 * playlist, manifest and fragment request crosses origins and needs the playback URLs' CORS header.
 */

const CHROMIUM = process.env.MILLRACE_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const HAVE_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const SKIP = !HAVE_CHROMIUM ? `no ${CHROMIUM} (apt-get install chromium)` : !HAVE_FFMPEG ? 'ffmpeg is not installed (.ci/run installs it)' : false;
if (SKIP) console.log(`video player browser tests skipped: ${SKIP}`);

/** The codecs string the master playlist gives this media (avc1 Baseline), checked in MSE first. */
const H264_MSE_TYPE = 'video/mp4; codecs="avc1.42E01E"';
/** Media seconds the playhead must advance through while the test watches. */
const PLAYED_SECONDS = 6;
/** Video frames of PLAYED_SECONDS at 25 fps, less a margin for the frame the watch starts and ends inside. */
const PLAYED_FRAMES = PLAYED_SECONDS * 25 - 25;
/** Fragments (1 s each) the producer puts at once before pacing the rest in real time. */
const PREFILL_FRAGMENTS = 3;
/** Seconds of media the live producer has to put, one fragment a second. */
const PRODUCER_SECONDS = 90;
/**
 * Non-fatal hls.js ERROR events of its normal work: recovery over small holes in the buffer, and a
 * fragment load it aborted itself (as dash.js's cancelled loads below; seen at load ~5 for audio).
 */
const HLS_GAP_HANDLING = ['bufferSeekOverHole', 'bufferNudgeOnStall', 'aborted'];
/** Generous waits for a loaded machine: the condition decides, never the clock. */
const WAIT_MS = 45_000;

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
let server: TestServer;
let kvs: KinesisVideoClient;
let archived: KinesisVideoArchivedMediaClient;
let endpoint: string;
let producer: LiveProducer;
let browser: Browser | undefined;
let pageServer: http.Server;
let pageOrigin: string;

const require = createRequire(import.meta.url);
const PLAYER_SCRIPTS: Record<string, string> = {
  '/hls.js': require.resolve('hls.js/dist/hls.min.js'),
  '/dash.js': require.resolve('dashjs'),
};

interface Ack { EventType: string; FragmentNumber?: string; FragmentTimecode?: number; ErrorCode?: number }

/**
 * A live producer as the KVS producer SDK behaves: one PutMedia connection, the MKV header, then one
 * 1-s fragment per second of real time (after a short prefill), acks read as they arrive.
 */
class LiveProducer {
  readonly acks: Ack[] = [];
  /** Fragments written so far. */
  written = 0;
  private timer?: NodeJS.Timeout;
  private readonly request: http.ClientRequest;
  private readonly finished: Promise<void>;

  constructor(dataEndpoint: string, stream: string, private readonly pieces: Buffer[], startSeconds: number) {
    const url = new URL(`${dataEndpoint}/putMedia`);
    let resolveFinished!: () => void;
    this.finished = new Promise((resolve) => (resolveFinished = resolve));
    this.request = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc',
        'x-amz-date': '20240101T000000Z', 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE',
        'x-amzn-producer-start-timestamp': startSeconds.toFixed(3), 'x-amzn-fragment-acknowledgment-required': '1', 'transfer-encoding': 'chunked',
      },
    }, (res) => {
      let pending = '';
      res.on('data', (chunk: Buffer) => {
        pending += chunk;
        let nl: number;
        while ((nl = pending.indexOf('\n')) !== -1) {
          const line = pending.slice(0, nl).trim();
          pending = pending.slice(nl + 1);
          if (line) this.acks.push(JSON.parse(line));
        }
      });
      res.on('end', resolveFinished);
      res.on('error', resolveFinished);
    });
    this.request.on('error', resolveFinished);
    this.request.write(pieces[0]);
  }

  /** Writes `prefill` fragments now, then one a second until the media runs out or stop(). */
  start(prefill: number): void {
    while (this.written < prefill) this.writeNext();
    this.timer = setInterval(() => {
      if (!this.writeNext()) clearInterval(this.timer);
    }, 1000);
  }

  private writeNext(): boolean {
    if (this.written + 1 >= this.pieces.length || this.request.destroyed) return false;
    this.request.write(this.pieces[this.written + 1]);
    this.written++;
    return true;
  }

  /** The fragment number of the n-th fragment written (0-based), once it is PERSISTED. */
  async persisted(n: number): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const acks = this.acks.filter((a) => a.EventType === 'PERSISTED');
      if (acks.length > n) return acks[n].FragmentNumber!;
      const error = this.acks.find((a) => a.EventType === 'ERROR');
      if (error) throw new Error(`PutMedia ack ${JSON.stringify(error)}`);
      if (Date.now() > deadline) throw new Error(`fragment ${n} not persisted; acks ${JSON.stringify(this.acks.slice(-3))}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.request.end();
    await this.finished;
  }
}

/** The PutMedia body in pieces: the MKV header, then one Cluster per fragment holding every track's frames. */
function producerPieces(media: Media): Buffer[] {
  return [
    Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement(media.tracks)]),
    ...avFragments(media).map((frames) => Buffer.concat([cluster(frames[0].ms, frames), END_OF_FRAGMENT])),
  ];
}

before(async () => {
  server = await startTestServer();
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  if (SKIP) return;
  await kvs.send(new CreateStreamCommand({ StreamName: 'camera', DataRetentionInHours: 1 }));
  endpoint = (await kvs.send(new GetDataEndpointCommand({ StreamName: 'camera', APIName: 'GET_HLS_STREAMING_SESSION_URL' }))).DataEndpoint!;
  archived = new KinesisVideoArchivedMediaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

  // H.264 Baseline + AAC, a keyframe (so a fragment) every second, enough for both tests on a slow
  // machine; the producer's clock starts PREFILL_FRAGMENTS seconds back so the paced fragments carry
  // about the wall time they are sent at.
  const pieces = producerPieces(await readMedia(avMkv(PRODUCER_SECONDS, { audio: true })));
  producer = new LiveProducer(endpoint, 'camera', pieces, Date.now() / 1000 - PREFILL_FRAGMENTS);
  producer.start(PREFILL_FRAGMENTS);
  await producer.persisted(0);

  pageServer = http.createServer((req, res) => {
    const script = PLAYER_SCRIPTS[req.url ?? ''];
    if (script) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return void res.end(readFileSync(script));
    }
    res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>player</title><video id="video" muted playsinline></video>');
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`;

  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
});

after(async () => {
  await browser?.close();
  await producer?.stop();
  await new Promise((resolve) => (pageServer ? pageServer.close(resolve) : resolve(undefined)));
  kvs.destroy();
  archived?.destroy();
  await server.stop();
});

/** A fresh page on the page origin with `script` loaded, and the answer to whether its MSE plays H.264. */
async function playerPage(script: string): Promise<{ page: Page; h264: boolean; failed: string[]; playbackResponses: Array<{ url: string; cors: string | null }> }> {
  const page = await browser!.newPage();
  const failed: string[] = [];
  const playbackResponses: Array<{ url: string; cors: string | null }> = [];
  page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.url().startsWith(endpoint)) playbackResponses.push({ url: response.url(), cors: response.headers()['access-control-allow-origin'] ?? null });
  });
  await page.goto(`${pageOrigin}/`);
  await page.addScriptTag({ url: script });
  const h264 = await page.evaluate((type) => MediaSource.isTypeSupported(type), H264_MSE_TYPE);
  return { page, h264, failed, playbackResponses };
}

/** What the page reports of its <video> element. */
interface VideoState { currentTime: number; frames: number; paused: boolean; playing: boolean; seeks: number; error: string | null }
const videoState = (page: Page): Promise<VideoState> => page.evaluate(() => {
  const video = document.getElementById('video') as HTMLVideoElement;
  const w = window as any;
  return { currentTime: video.currentTime, frames: video.getVideoPlaybackQuality().totalVideoFrames, paused: video.paused, playing: w.playing === true, seeks: w.seeks ?? 0, error: video.error ? `${video.error.code} ${video.error.message}` : null };
});

/** What the player did so far (its log, the element's buffered ranges and ready state), for a failure's message. */
const playerSummary = (page: Page): Promise<string> => page.evaluate(() => {
  const video = document.getElementById('video') as HTMLVideoElement;
  const log = (window as any).log ?? {};
  const ranges = Array.from({ length: video.buffered.length }, (_, i) => [video.buffered.start(i), video.buffered.end(i)]);
  return JSON.stringify({ readyState: video.readyState, buffered: ranges, seekTargets: (window as any).seekTargets, playlists: log.levels?.length ?? log.manifests, fragments: (log.fragments ?? []).map((f: any) => f.type ?? f.mediaType).join(' '), errors: log.errors });
});

/** Waits until the page's state satisfies `done`, failing with the player's errors once it has any fatal one. */
async function waitFor(page: Page, what: string, done: (state: VideoState) => boolean, fatal: () => Promise<unknown[]>): Promise<VideoState> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const state = await videoState(page);
    if (done(state)) return state;
    const errors = await fatal();
    if (errors.length || state.error) assert.fail(`${what}: player failed: ${JSON.stringify({ errors, video: state.error })}`);
    if (Date.now() > deadline) assert.fail(`${what}: not reached; video ${JSON.stringify(state)}; player ${await playerSummary(page)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The LIVE checks both players share: the playhead advances PLAYED_SECONDS, the decoder counts the
 * frames of that time, and a fragment the producer wrote only after playback began is played.
 */
async function assertLivePlayback(page: Page, reachedFragment: (fragmentNumber: string) => Promise<boolean>, fatal: () => Promise<unknown[]>) {
  const started = await waitFor(page, 'playing', (s) => s.playing && !s.paused && s.frames > 0, fatal);
  // Fragments from here on were put after the page was playing.
  const firstLater = producer.written;
  // Both, as a player may also seek (over a hole at the start, or back to the live edge when it falls behind).
  await waitFor(page, `currentTime past +${PLAYED_SECONDS} s and ${PLAYED_FRAMES} more frames decoded`,
    (s) => s.currentTime >= started.currentTime + PLAYED_SECONDS && s.frames - started.frames >= PLAYED_FRAMES, fatal);
  const later = await producer.persisted(firstLater);
  const deadline = Date.now() + WAIT_MS;
  while (!(await reachedFragment(later))) {
    const errors = await fatal();
    if (errors.length) assert.fail(`player failed: ${JSON.stringify(errors)}`);
    if (Date.now() > deadline) assert.fail(`fragment ${later} (put after playback began) never played; video ${JSON.stringify(await videoState(page))}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

test('hls.js in chromium plays a LIVE fMP4 session while the producer keeps putting fragments', { skip: SKIP, timeout: 4 * WAIT_MS }, async (t) => {
  const { HLSStreamingSessionURL: url } = await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'camera', PlaybackMode: 'LIVE', ContainerFormat: 'FRAGMENTED_MP4' }));
  assert.notEqual(new URL(url!).origin, pageOrigin, 'the page and the playback URLs are different origins');
  const { page, h264, failed, playbackResponses } = await playerPage('/hls.js');
  try {
    if (!h264) return t.skip(`this chromium's MSE does not play H.264 (${H264_MSE_TYPE})`);
    await page.evaluate((source) => {
      const w = window as any;
      const Hls = w.Hls;
      const video = document.getElementById('video') as HTMLVideoElement;
      w.log = { manifest: null, levels: [] as unknown[], fragments: [] as unknown[], changed: [] as string[], errors: [] as unknown[] };
      video.addEventListener('playing', () => (w.playing = true));
      video.addEventListener('seeking', () => {
        w.seeks = (w.seeks ?? 0) + 1;
        (w.seekTargets ??= []).push(Math.round(video.currentTime * 1000) / 1000);
      });
      const hls = new Hls();
      w.hls = hls;
      hls.on(Hls.Events.MANIFEST_PARSED, (_: unknown, data: any) => {
        w.log.manifest = { levels: data.levels.map((l: any) => ({ codecs: `${l.videoCodec},${l.audioCodec}`, width: l.width, height: l.height })), audioTracks: data.audioTracks.length };
        void video.play();
      });
      hls.on(Hls.Events.LEVEL_LOADED, (_: unknown, data: any) => w.log.levels.push({ live: data.details.live, fragments: data.details.fragments.length }));
      hls.on(Hls.Events.FRAG_LOADED, (_: unknown, data: any) => w.log.fragments.push({ type: data.frag.type, url: data.frag.url, bytes: data.frag.stats.loaded }));
      hls.on(Hls.Events.FRAG_CHANGED, (_: unknown, data: any) => w.log.changed.push(data.frag.url));
      hls.on(Hls.Events.ERROR, (_: unknown, data: any) => w.log.errors.push({ fatal: data.fatal, type: data.type, details: data.details, url: data.url ?? data.frag?.url, reason: data.reason ?? String(data.error ?? '') }));
      hls.loadSource(source);
      hls.attachMedia(video);
    }, url!);
    const fatal = () => page.evaluate(() => (window as any).log.errors.filter((e: any) => e.fatal));
    const played = (fragmentNumber: string) => page.evaluate((fn) => (window as any).log.changed.some((u: string) => u.includes(`FragmentNumber=${fn}&`)), fragmentNumber);
    await assertLivePlayback(page, played, fatal);

    const log = await page.evaluate(() => (window as any).log);
    t.diagnostic(`hls.js: ${log.levels.length} playlist loads, ${log.fragments.length} fragments, ${log.changed.length} played, ${(await videoState(page)).seeks} seeks`);
    assert.equal(log.manifest.audioTracks, 1);
    assert.equal(log.manifest.levels.length, 1);
    assert.match(log.manifest.levels[0].codecs, /^avc1\.42c0[0-9a-f]{2},mp4a\.40\.2$/);
    assert.deepEqual([log.manifest.levels[0].width, log.manifest.levels[0].height], [320, 240]);
    // The live media playlist was reloaded as it grew, and hls.js saw it as live each time.
    assert.ok(log.levels.length >= 2 && log.levels.every((l: any) => l.live === true), JSON.stringify(log.levels));
    // Only the non-fatal events of hls.js's gap handling (a live start lands a few ms before the first
    // buffered frame, and hls.js seeks 0.1 s over it), never a load, parse or buffer-append error.
    assert.deepEqual(log.errors.filter((e: any) => !HLS_GAP_HANDLING.includes(e.details)), [], 'hls.js reported no other errors');
    t.diagnostic(`hls.js gap handling: ${JSON.stringify(log.errors.map((e: any) => e.reason))}`);
    // Every fragment hls.js loaded has the bytes the server serves for that URL.
    const loaded = log.fragments as Array<{ type: string; url: string; bytes: number }>;
    assert.ok(loaded.some((f) => f.type === 'main') && loaded.some((f) => f.type === 'audio'), JSON.stringify(loaded.map((f) => f.type)));
    for (const fragment of loaded) {
      const served = await fetch(fragment.url);
      assert.equal(served.status, 200, fragment.url);
      assert.equal((await served.arrayBuffer()).byteLength, fragment.bytes, fragment.url);
    }
    assert.deepEqual(failed, []);
    assert.ok(playbackResponses.length > loaded.length);
    assert.deepEqual(playbackResponses.filter((r) => r.cors !== '*'), [], 'every playback response allows any origin');
  } finally {
    await page.close();
  }
});

test('dash.js in chromium plays a LIVE (dynamic) getDASHManifest.mpd while the producer keeps putting fragments', { skip: SKIP, timeout: 4 * WAIT_MS }, async (t) => {
  const { DASHStreamingSessionURL: url } = await archived.send(new GetDASHStreamingSessionURLCommand({ StreamName: 'camera', PlaybackMode: 'LIVE' }));
  assert.notEqual(new URL(url!).origin, pageOrigin, 'the page and the playback URLs are different origins');
  const { page, h264, failed, playbackResponses } = await playerPage('/dash.js');
  try {
    if (!h264) return t.skip(`this chromium's MSE does not play H.264 (${H264_MSE_TYPE})`);
    await page.evaluate((source) => {
      const w = window as any;
      const dashjs = w.dashjs;
      const video = document.getElementById('video') as HTMLVideoElement;
      w.log = { manifests: 0, dynamic: [] as boolean[], fragments: [] as unknown[], errors: [] as unknown[] };
      video.addEventListener('playing', () => (w.playing = true));
      video.addEventListener('seeking', () => {
        w.seeks = (w.seeks ?? 0) + 1;
        (w.seekTargets ??= []).push(Math.round(video.currentTime * 1000) / 1000);
      });
      const player = dashjs.MediaPlayer().create();
      w.player = player;
      // The page's clock is the server's (one machine); dash.js would otherwise ask time.akamai.com,
      // and the MPD response's Date header is not readable across origins.
      player.updateSettings({ streaming: { utcSynchronization: { enabled: false } } });
      const events = dashjs.MediaPlayer.events;
      player.on(events.MANIFEST_LOADED, (e: any) => {
        w.log.manifests++;
        w.log.dynamic.push(e.data.type === 'dynamic');
      });
      player.on(events.FRAGMENT_LOADING_COMPLETED, (e: any) => {
        const r = e.request;
        if (r.type === 'MediaSegment' || r.type === 'InitializationSegment') w.log.fragments.push({ type: r.type, mediaType: r.mediaType, url: r.url, start: r.startTime, bytes: r.bytesLoaded });
      });
      player.on(events.ERROR, (e: any) => w.log.errors.push({ fatal: true, code: e.error?.code, message: e.error?.message }));
      player.on(events.PLAYBACK_ERROR, (e: any) => w.log.errors.push({ fatal: true, code: e.error?.code, message: e.error?.message ?? String(e.error) }));
      player.initialize(video, source, true);
    }, url!);
    const fatal = () => page.evaluate(() => (window as any).log.errors);
    // dash.js names no playing fragment; a fragment is played once the playhead passes its start.
    const played = (fragmentNumber: string) => page.evaluate((fn) => {
      const video = document.getElementById('video') as HTMLVideoElement;
      const fragment = (window as any).log.fragments.find((f: any) => f.mediaType === 'video' && f.url.includes(`FragmentNumber=${fn}&`));
      return fragment !== undefined && video.currentTime > fragment.start;
    }, fragmentNumber);
    await assertLivePlayback(page, played, fatal);

    const log = await page.evaluate(() => (window as any).log);
    t.diagnostic(`dash.js seeks to ${JSON.stringify(await page.evaluate(() => (window as any).seekTargets))}`);
    t.diagnostic(`dash.js: ${log.manifests} manifest loads, ${log.fragments.length} fragments, ${(await videoState(page)).seeks} seeks`);
    assert.ok(log.manifests >= 2 && log.dynamic.every((d: boolean) => d), JSON.stringify(log.dynamic));
    assert.deepEqual(log.errors, [], 'dash.js reported no errors');
    const loaded = log.fragments as Array<{ type: string; mediaType: string; url: string; bytes: number }>;
    assert.ok(loaded.some((f) => f.mediaType === 'video' && f.type === 'MediaSegment') && loaded.some((f) => f.mediaType === 'audio' && f.type === 'MediaSegment'), JSON.stringify(loaded.map((f) => f.mediaType)));
    for (const fragment of loaded) {
      const served = await fetch(fragment.url);
      assert.equal(served.status, 200, fragment.url);
      assert.equal((await served.arrayBuffer()).byteLength, fragment.bytes, fragment.url);
    }
    // A request the player itself cancels (dash.js aborts fragment loads when it seeks) is not a failure.
    assert.deepEqual(failed.filter((f) => !f.endsWith(': net::ERR_ABORTED')), []);
    assert.deepEqual(playbackResponses.filter((r) => r.cors !== '*'), [], 'every playback response allows any origin');
  } finally {
    await page.close();
  }
});

test('the console\'s video page plays the LIVE stream in chromium (the page feeds Media Source Extensions itself)', { skip: SKIP, timeout: 4 * WAIT_MS }, async (t) => {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  try {
    await page.goto(`${server.endpoint}/_millrace/#/video/camera/player`);
    await page.locator('#player-state[data-state="ready"]').waitFor({ timeout: WAIT_MS });
    if (!(await page.evaluate((type) => MediaSource.isTypeSupported(type), H264_MSE_TYPE))) return t.skip(`this chromium's MSE does not play H.264 (${H264_MSE_TYPE})`);
    const state = () => page.evaluate(() => {
      const video = document.querySelector('video[aria-label="live video"]') as HTMLVideoElement;
      const end = video.buffered.length ? video.buffered.end(video.buffered.length - 1) : 0;
      return { currentTime: video.currentTime, frames: video.getVideoPlaybackQuality().totalVideoFrames, paused: video.paused, end, error: document.getElementById('player-error')?.textContent ?? null };
    });
    const until = async (what: string, done: (s: Awaited<ReturnType<typeof state>>) => boolean) => {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const s = await state();
        if (done(s)) return s;
        if (s.error) assert.fail(`${what}: ${s.error}`);
        if (Date.now() > deadline) assert.fail(`${what}: not reached; ${JSON.stringify(s)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const started = await until('playing', (s) => !s.paused && s.frames > 0);
    // Past the end of what was buffered when playback began: fragments appended since were played.
    await until(`currentTime past +${PLAYED_SECONDS} s, ${PLAYED_FRAMES} more frames, and past the first buffered end`,
      (s) => s.currentTime >= started.currentTime + PLAYED_SECONDS && s.frames - started.frames >= PLAYED_FRAMES && s.currentTime > started.end + 1);
    assert.deepEqual(errors, []);
  } finally {
    await page.close();
  }
});
