/**
 * Kinesis Video playback against issue 17's targets, Millrace in a process of its own
 * (bin/millrace, embedded durable store):
 * 1. MB/s of HLS fMP4 media fragments served from stored 1 MiB fragments over keep-alive
 *    HTTP/1.1 with `--concurrency` requests in flight, in `--rounds` interleaved rounds of:
 *    - hot: 20 fragments asked for over and over (players of one stream); their parsed frames come
 *      from the node's cache (fragment-cache.ts), the record look-up, moof and mdat are per request;
 *    - cold: more fragments than the cache holds, asked for in turn, so every request reads the
 *      stored fragment and parses it;
 *    - floor: a bare node:http server (another process) sending the same fMP4 bytes from memory
 *      with Content-Length, to the same client at the same concurrency: what the stack gives.
 *    Beside MB/s, the server's CPU seconds per GB served (/proc), which shared cores disturb less.
 * 2. LIVE first-fragment latency: from the GetHLSStreamingSessionURL request to the first media
 *    fragment received, through master playlist, media playlist and init fragment (p50/p99).
 * 3. the packaging alone, in process over the same store (after the server stops): MB/s of
 *    fMP4 media fragments made from stored fragments, without HTTP, cold (no cache) and hot.
 * Run: `npx tsc -p . && node dist/bench/video-playback.js [--mb N] [--rounds N] [--concurrency N] [--sessions N] [--rows hot,cold,floor] [--server dist/src/cli.js]`.
 * MB = 10^6 bytes; --mb is per row and round; `--rows hot,cold,floor` picks the throughput rows. `--server` runs another build's cli.js (A/B);
 * BENCH_PROFILE=1 runs the server under --cpu-prof and prints where its time went.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetHLSStreamingSessionURLCommand, KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { startMillrace } from '../src/server.js';
import { summarize } from './profile.js';
import { FragmentStore, streamLogs } from '../src/video/media/fragment-store.js';
import { MAX_CACHED_FRAGMENT_BYTES } from '../src/video/playback/fragment-cache.js';
import { PlaybackMedia } from '../src/video/playback/fragment-media.js';
import { cluster, ebmlHeader, END_OF_FRAGMENT, info, segmentStart, tracksElement, type Frame } from '../test/video-producer.js';

const argument = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const SERVE_MB = argument('--mb', 500);
const ROUNDS = argument('--rounds', 3);
const CONCURRENCY = argument('--concurrency', 4);
const SESSIONS = argument('--sessions', 100);
const rowsAt = process.argv.indexOf('--rows');
/** Which throughput rows to run (`--rows hot,floor` to profile one path). */
const ROWS = (rowsAt > 0 ? process.argv[rowsAt + 1] : 'hot,cold,floor').split(',');
const serverAt = process.argv.indexOf('--server');
const SERVER_CLI = serverAt > 0 ? process.argv[serverAt + 1] : undefined;
const STORED_FRAGMENTS = 20;
/** The cold stream's fragments: more than the parsed-fragment cache holds, so asking in turn always misses. */
const COLD_FRAGMENTS = Math.ceil(MAX_CACHED_FRAGMENT_BYTES / (1024 * 1024)) + 16;
const FRAGMENT_BYTES = 1024 * 1024;
const FRAMES_PER_FRAGMENT = 25;
/** bin/environment.sh's settings, for a server started without it (profiling, --server). */
const SERVER_ENV = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '2097152' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** CPU seconds (user + system) a process has used so far (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15) in USER_HZ ticks
}

/** The floor's server: every file of a directory in memory, sent whole by the FragmentNumber asked for. */
const FLOOR_SERVER = `
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
const dir = process.argv[1];
const bodies = new Map(readdirSync(dir).map((f) => [f, readFileSync(dir + '/' + f)]));
const server = http.createServer((req, res) => {
  const body = bodies.get(new URL(req.url, 'http://localhost').searchParams.get('FragmentNumber'));
  if (!body) { res.writeHead(404); return res.end(); }
  res.writeHead(200, { 'Content-Type': 'video/mp4', 'Content-Length': body.length });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

const median = (values: number[]) => percentile(values, 50);
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

function putMedia(port: number, body: Buffer, startSeconds: number, stream = 'bench'): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/putMedia', method: 'POST',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
        'x-amz-date': '20240101T000000Z', 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE',
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
  // BENCH_PROFILE=1: the server runs under `node --cpu-prof` (bin/millrace's environment, which
  // cannot pass --cpu-prof through NODE_OPTIONS) and its self time is printed at the end.
  const profileDir = process.env.BENCH_PROFILE ? mkdtempSync(join(tmpdir(), 'millrace-playback-profile-')) : undefined;
  const serverArgs = ['--port', String(port), '--data', dataDir, '--log-level', 'silent'];
  const child = profileDir || SERVER_CLI
    ? spawn(process.execPath, [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--v8-pool-size=1', SERVER_CLI ?? fileURLToPath(new URL('../src/cli.js', import.meta.url)), ...serverArgs], {
        stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ...SERVER_ENV },
      })
    : spawn(fileURLToPath(new URL('../../bin/millrace', import.meta.url)), serverArgs, { stdio: ['ignore', 'ignore', 'inherit'] });
  const floorDir = mkdtempSync(join(tmpdir(), 'millrace-bench-playback-floor-'));
  let floor: ReturnType<typeof spawn> | undefined;
  const endpoint = `http://127.0.0.1:${port}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let streamArn = '';
  let fragmentNumbers: string[] = [];
  try {
    const kvs = new KinesisVideoClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
    for (let i = 0; ; i++) {
      try {
        await kvs.send(new CreateStreamCommand({ StreamName: 'bench', DataRetentionInHours: 1 }));
        await kvs.send(new CreateStreamCommand({ StreamName: 'bench-cold', DataRetentionInHours: 1 }));
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

    const cold = Array.from({ length: COLD_FRAGMENTS }, (_, n) => fragmentAt(n));
    const coldAcks = await putMedia(port, Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement([track]), ...cold]), start / 1000, 'bench-cold');
    if ((coldAcks.match(/PERSISTED/g) ?? []).length !== COLD_FRAGMENTS) throw new Error(`PutMedia did not persist every cold fragment: ${coldAcks}`);

    // 1. Media fragment throughput: hot, cold and the floor, interleaved.
    const sessionSegments = async (stream: string, count: number) => {
      const { HLSStreamingSessionURL } = await archived.send(new GetHLSStreamingSessionURLCommand({
        StreamName: stream, PlaybackMode: 'ON_DEMAND', Expires: 3600,
        HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(start - 1000), EndTimestamp: new Date(start + 120_000) } },
      }));
      const token = new URL(HLSStreamingSessionURL!).searchParams.get('SessionToken')!;
      const playlist = (await get(agent, port, `/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=${token}&TrackNumber=1`)).toString();
      const segments = playlist.split('\n').filter((l) => l.startsWith('getMP4MediaFragment.mp4')).map((l) => `/hls/v1/${l}`);
      if (segments.length !== count) throw new Error(`playlist of ${stream} lists ${segments.length} fragments`);
      return { token, segments };
    };
    const hot = await sessionSegments('bench', STORED_FRAGMENTS);
    const coldSession = await sessionSegments('bench-cold', COLD_FRAGMENTS);
    streamArn = JSON.parse(Buffer.from(hot.token.split('~')[0], 'base64url').toString()).streamArn;
    const fragmentOf = (path: string) => new URL(path, 'http://localhost').searchParams.get('FragmentNumber')!;
    fragmentNumbers = hot.segments.map(fragmentOf);

    // The floor serves the very bytes Millrace served for each fragment.
    mkdirSync(floorDir, { recursive: true });
    for (const path of hot.segments) writeFileSync(join(floorDir, fragmentOf(path)), await get(agent, port, path));
    floor = spawn(process.execPath, ['--v8-pool-size=1', '--input-type=module', '-e', FLOOR_SERVER, floorDir], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...SERVER_ENV } });
    const floorPort = await new Promise<number>((resolve, reject) => {
      floor!.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      floor!.once('exit', (code) => reject(new Error(`the floor server exited (${code})`)));
    });
    const floorAgent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

    const measure = async (pid: number, to: number, via: http.Agent, segments: string[]) => {
      for (const path of segments.slice(0, CONCURRENCY)) await getBytes(via, to, path); // connections open
      let served = 0;
      let next = 0;
      const cpu0 = cpuSeconds(pid);
      const began = performance.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (served < SERVE_MB * 1e6) served += await getBytes(via, to, segments[next++ % segments.length]);
      }));
      const seconds = (performance.now() - began) / 1000;
      return { mbps: served / 1e6 / seconds, cpuPerGb: (cpuSeconds(pid) - cpu0) / (served / 1e9) };
    };
    const rows = { hot: [] as Array<{ mbps: number; cpuPerGb: number }>, cold: [] as Array<{ mbps: number; cpuPerGb: number }>, floor: [] as Array<{ mbps: number; cpuPerGb: number }> };
    for (const path of hot.segments) await getBytes(agent, port, path); // hot: every fragment parsed once
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating order, so neither side always runs first in a round.
      const order: Array<keyof typeof rows> = round % 2 === 0 ? ['hot', 'floor', 'cold'] : ['floor', 'hot', 'cold'];
      for (const row of order.filter((r) => ROWS.includes(r))) {
        if (row === 'floor') rows.floor.push(await measure(floor.pid!, floorPort, floorAgent, hot.segments));
        else rows[row].push(await measure(child.pid!, port, agent, row === 'hot' ? hot.segments : coldSession.segments));
      }
    }
    floorAgent.destroy();
    const line = (values: Array<{ mbps: number; cpuPerGb: number }>) => {
      if (values.length === 0) return 'not run';
      const mbps = values.map((v) => v.mbps);
      return `median ${median(mbps).toFixed(0)} MB/s (${Math.min(...mbps).toFixed(0)}–${Math.max(...mbps).toFixed(0)}), ` +
        `server CPU ${median(values.map((v) => v.cpuPerGb)).toFixed(2)} s/GB`;
    };
    console.log(`HLS fMP4 media fragments, 1 MiB stored fragments, ${CONCURRENCY} in flight, ${ROUNDS} rounds of ${SERVE_MB} MB each:`);
    console.log(`  hot  (${STORED_FRAGMENTS} fragments; parsed frames cached, record look-up + moof per request): ${line(rows.hot)}`);
    console.log(`  cold (${COLD_FRAGMENTS} fragments in turn, past the ${MAX_CACHED_FRAGMENT_BYTES / 2 ** 20} MiB cache: store read + parse per request): ${line(rows.cold)}`);
    console.log(`  floor (node:http sending the same bytes from memory, same client): ${line(rows.floor)}`);
    console.log(`  hot / floor: ${(median(rows.hot.map((v) => v.mbps)) / median(rows.floor.map((v) => v.mbps))).toFixed(2)} (MB/s medians), ` +
      `${(median(rows.floor.map((v) => v.cpuPerGb)) / median(rows.hot.map((v) => v.cpuPerGb))).toFixed(2)} (CPU per GB)`);

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

    // 3. Packaging alone, over the store the server left: without the cache, then with it.
    const server = await startMillrace({ port: 0, host: '127.0.0.1', dataDir, logLevel: 'silent' });
    try {
      const logs = streamLogs(streamArn);
      for (const [label, cacheBytes] of [['cold, no cache', 0], ['hot, cached frames', MAX_CACHED_FRAGMENT_BYTES]] as const) {
        const media = new PlaybackMedia(new FragmentStore(server.store), cacheBytes);
        let bytes = 0;
        const t0 = performance.now();
        for (let i = 0; bytes < SERVE_MB * 1e6; i++) {
          const fragment = (await media.find(logs, fragmentNumbers[i % fragmentNumbers.length], 0))!;
          for (const piece of (await media.mediaSegment(logs, fragment, 1, 0))!) bytes += piece.length;
        }
        const packSeconds = (performance.now() - t0) / 1000;
        console.log(`fMP4 media fragments packaged from the store in process (${label}; look-up + read + repackage, no HTTP): ${(bytes / 1e6 / packSeconds).toFixed(0)} MB/s`);
      }
    } finally {
      await server.close();
    }
  } finally {
    agent.destroy();
    if (floor && floor.exitCode === null) {
      floor.kill('SIGTERM');
      await new Promise((r) => floor!.once('exit', r));
    }
    rmSync(floorDir, { recursive: true, force: true });
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (profileDir) {
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'))!;
    console.log(`server profile: ${join(profileDir, file)}`);
    console.log(summarize(JSON.parse(readFileSync(join(profileDir, file), 'utf8'))));
  }
}

await main();
