/**
 * Kinesis Video playback against issue 17's targets, Millrace in a process of its own
 * (bin/millrace, embedded durable store):
 * 1. MB/s of HLS fMP4 media fragments served from stored 1 MiB fragments, repackaged on every
 *    request (no segment cache), over keep-alive HTTP/1.1 with `--concurrency` requests in flight;
 * 2. LIVE first-fragment latency: from the GetHLSStreamingSessionURL request to the first media
 *    fragment received, through master playlist, media playlist and init fragment (p50/p99).
 * 3. the packaging alone, in process over the same store (after the server stops): MB/s of
 *    fMP4 media fragments made from stored fragments, without HTTP.
 * Run: `npx tsc -p . && node dist/bench/video-playback.js [--mb N] [--concurrency N] [--sessions N]`. MB = 10^6 bytes.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetHLSStreamingSessionURLCommand, KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { startMillrace } from '../src/server.js';
import { FragmentStore, streamLogs } from '../src/video/media/fragment-store.js';
import { PlaybackMedia } from '../src/video/playback/fragment-media.js';
import { cluster, ebmlHeader, END_OF_FRAGMENT, info, segmentStart, tracksElement, type Frame } from '../test/video-producer.js';

const argument = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const SERVE_MB = argument('--mb', 2000);
const CONCURRENCY = argument('--concurrency', 4);
const SESSIONS = argument('--sessions', 100);
const STORED_FRAGMENTS = 20;
const FRAGMENT_BYTES = 1024 * 1024;
const FRAMES_PER_FRAGMENT = 25;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

/** A structurally valid avcC (Baseline 3.0, one SPS, one PPS); packaging copies it, nothing decodes here. */
const AVCC = Buffer.from([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x42, 0xc0, 0x1e, 1, 0, 2, 0x68, 0xce]);

function get(agent: http.Agent, port: number, path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(parts)) : reject(new Error(`${res.statusCode} ${Buffer.concat(parts)}`))));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Bytes of a GET, counted without keeping them. */
function getBytes(agent: http.Agent, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(String(res.statusCode)))));
      res.on('error', reject);
    }).on('error', reject);
  });
}

function putMedia(port: number, body: Buffer, startSeconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/putMedia', method: 'POST',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
        'x-amz-date': '20240101T000000Z', 'x-amzn-stream-name': 'bench', 'x-amzn-fragment-timecode-type': 'RELATIVE',
        'x-amzn-producer-start-timestamp': startSeconds.toFixed(3), 'content-length': body.length,
      },
    }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-playback-'));
  const port = await freePort();
  const bin = fileURLToPath(new URL('../../bin/millrace', import.meta.url));
  const child = spawn(bin, ['--port', String(port), '--data', dataDir, '--log-level', 'silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const endpoint = `http://127.0.0.1:${port}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let streamArn = '';
  let fragmentNumbers: string[] = [];
  try {
    const kvs = new KinesisVideoClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    for (let i = 0; ; i++) {
      try {
        await kvs.send(new CreateStreamCommand({ StreamName: 'bench', DataRetentionInHours: 1 }));
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    kvs.destroy();
    const archived = new KinesisVideoArchivedMediaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

    // Stored media: 1 MiB fragments of 25 frames (40 ms each), random payloads.
    const frameBytes = Math.floor(FRAGMENT_BYTES / FRAMES_PER_FRAGMENT) - 16;
    const payloads = Array.from({ length: FRAMES_PER_FRAGMENT }, () => randomBytes(frameBytes));
    const track = { number: 1, codecId: 'V_MPEG4/ISO/AVC', type: 1, codecPrivate: AVCC, width: 1280, height: 720 };
    const fragmentAt = (n: number) => {
      const frames: Frame[] = payloads.map((data, k) => ({ track: 1, ms: n * 1000 + k * 40, keyframe: k === 0, data }));
      return Buffer.concat([cluster(n * 1000, frames), END_OF_FRAGMENT]);
    };
    const start = Date.now() - STORED_FRAGMENTS * 1000;
    const acks = await putMedia(port, Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement([track]), ...Array.from({ length: STORED_FRAGMENTS }, (_, n) => fragmentAt(n))]), start / 1000);
    if ((acks.match(/PERSISTED/g) ?? []).length !== STORED_FRAGMENTS) throw new Error(`PutMedia did not persist every fragment: ${acks}`);

    // 1. Media fragment throughput.
    const { HLSStreamingSessionURL } = await archived.send(new GetHLSStreamingSessionURLCommand({
      StreamName: 'bench', PlaybackMode: 'ON_DEMAND', Expires: 3600,
      HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(start - 1000), EndTimestamp: new Date(start + 60_000) } },
    }));
    const token = new URL(HLSStreamingSessionURL!).searchParams.get('SessionToken')!;
    const playlist = (await get(agent, port, `/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${token}&TrackNumber=1`)).toString();
    const segments = playlist.split('\n').filter((l) => l.startsWith('getMP4MediaFragment.mp4'));
    if (segments.length !== STORED_FRAGMENTS) throw new Error(`playlist lists ${segments.length} fragments`);
    streamArn = JSON.parse(Buffer.from(token.split('~')[0], 'base64url').toString()).streamArn;
    fragmentNumbers = segments.map((s) => new URLSearchParams(s.slice(s.indexOf('?') + 1)).get('FragmentNumber')!);
    for (const s of segments.slice(0, 2 * CONCURRENCY)) await getBytes(agent, port, `/hls/v1/${s}`); // warm-up
    let served = 0;
    let next = 0;
    const began = performance.now();
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (served < SERVE_MB * 1e6) served += await getBytes(agent, port, `/hls/v1/${segments[next++ % segments.length]}`);
    }));
    const seconds = (performance.now() - began) / 1000;
    console.log(`HLS fMP4 media fragments (1 MiB stored fragments, repackaged per request, ${CONCURRENCY} in flight): ` +
      `${(served / 1e6 / seconds).toFixed(0)} MB/s (${(served / 1e6).toFixed(0)} MB in ${seconds.toFixed(2)} s)`);

    // 2. LIVE: session request to first media fragment received.
    const latencies: number[] = [];
    let lastPut = 0;
    let nextFragment = STORED_FRAGMENTS;
    for (let i = 0; i < SESSIONS; i++) {
      // LIVE needs a fragment that arrived in the last 30 s: keep one fresh (untimed).
      if (performance.now() - lastPut > 10_000) {
        const n = nextFragment++;
        await putMedia(port, Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement([track]), fragmentAt(n)]), (start + n * 1000) / 1000 - n);
        lastPut = performance.now();
      }
      const t0 = performance.now();
      const { HLSStreamingSessionURL: live } = await archived.send(new GetHLSStreamingSessionURLCommand({ StreamName: 'bench', PlaybackMode: 'LIVE' }));
      const url = new URL(live!);
      const master = (await get(agent, port, url.pathname + url.search)).toString();
      const mediaPath = master.trim().split('\n').at(-1)!;
      const media = (await get(agent, port, `/hls/v1/${mediaPath}`)).toString();
      const init = media.match(/#EXT-X-MAP:URI="([^"]+)"/)![1];
      const first = media.split('\n').find((l) => l.startsWith('getMP4MediaFragment.mp4'))!;
      await get(agent, port, `/hls/v1/${init}`);
      await getBytes(agent, port, `/hls/v1/${first}`);
      latencies.push(performance.now() - t0);
    }
    console.log(`HLS LIVE first playable fragment (session URL → master → media playlist → init → 1 MiB fragment), ${SESSIONS} sessions: ` +
      `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms`);
    archived.destroy();
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));

    // 3. Packaging alone, over the store the server left.
    const server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
    try {
      const media = new PlaybackMedia(new FragmentStore(server.store));
      const logs = streamLogs(streamArn);
      let bytes = 0;
      const t0 = performance.now();
      for (let i = 0; bytes < SERVE_MB * 1e6; i++) {
        const fragment = (await media.find(logs, fragmentNumbers[i % fragmentNumbers.length], 0))!;
        for (const piece of (await media.mediaSegment(logs, fragment, 1, 0))!) bytes += piece.length;
      }
      const packSeconds = (performance.now() - t0) / 1000;
      console.log(`fMP4 media fragments packaged from the store in process (look-up + read + repackage, no HTTP): ${(bytes / 1e6 / packSeconds).toFixed(0)} MB/s`);
    } finally {
      await server.close();
    }
  } finally {
    agent.destroy();
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
