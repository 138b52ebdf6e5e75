/**
 * Kinesis Video PutMedia against the issue's target (issue 16 Performance: one PutMedia stream of
 * 1 MiB fragments, durable, ≥ 300 MB/s): Millrace in a process of its own (bin/millrace, embedded
 * store), and the floor under it in a process of its own: a bare node:http server that receives
 * the same bytes and makes the same store writes (about 1 MiB of media per append to one log of the
 * embedded store, as the same MediaBuffer cuts it, one small fragment record per fragment once its chunks are durable, a PERSISTED
 * line per fragment) with the same in-flight bound, and nothing else (no MKV parsing, no acks
 * other than PERSISTED, no lease, no authentication).
 * Reports MB/s of media accepted and PERSISTED, the PERSISTED ack latency after each fragment's
 * last byte (p50/p99), and Millrace's ratio to the floor.
 *
 * Run: `npx tsc -p . && node dist/bench/video.js [--mb N] [--target millrace|floor|both] [--runs N] [--profile DIR]`.
 * `--profile DIR` runs Millrace under `node --cpu-prof` and leaves the .cpuprofile in DIR. MB = 10^6 bytes.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { openLmdbStore } from '../src/store/lmdb-store.js';
import { MEDIA_CHUNK_BYTES, MediaBuffer } from '../src/video/media/media-buffer.js';
import { MAX_UNPERSISTED_BYTES_PER_CONNECTION } from '../src/video/media/limits.js';
import { peakRss, startProcess } from './launcher.js';
import { END_OF_FRAGMENT, ebmlHeader, el, info, segmentStart, tracksElement } from '../test/video-producer.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const TOTAL_MB = Number(argument('--mb', '1024'));
const TARGET = argument('--target', 'both');
const RUNS = Number(argument('--runs', '1'));
const PROFILE_DIR = argument('--profile', '');
const FRAGMENT_BYTES = 1024 * 1024;
const FRAMES_PER_FRAGMENT = 25;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const root = fileURLToPath(new URL('../..', import.meta.url));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

/**
 * The body, built once so that the client spends no CPU on it: the SimpleBlocks of a fragment are
 * the same in every fragment (their timecodes are relative to the Cluster), so each fragment is a
 * small Cluster head (unknown size, Timecode, Position) + the shared blocks + the end-of-fragment Tags.
 */
function media() {
  const frameBytes = Math.floor(FRAGMENT_BYTES / FRAMES_PER_FRAGMENT) - 16;
  const blocks = Buffer.concat(Array.from({ length: FRAMES_PER_FRAGMENT }, (_, k) => {
    const head = Buffer.from([0x81, 0, 0, k === 0 ? 0x80 : 0]);
    head.writeInt16BE(k * 40, 1);
    return el('a3', head, randomBytes(frameBytes));
  }));
  const track = { number: 1, codecId: 'V_MPEG4/ISO/AVC', type: 1, codecPrivate: randomBytes(40) };
  const header = Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement([track])]);
  const clusterHead = (timecode: number) => {
    const tc = Buffer.alloc(8);
    tc.writeBigUInt64BE(BigInt(timecode));
    return Buffer.concat([Buffer.from('1f43b67501ffffffffffffff', 'hex'), el('e7', tc), el('a7', Buffer.from([0]))]);
  };
  const fragmentBytes = clusterHead(0).length + blocks.length + END_OF_FRAGMENT.length;
  return { header, blocks, clusterHead, fragmentBytes };
}

interface Result {
  /** Peak resident memory of the server process (VmHWM), MB. */
  peakRssMb?: number;
  mbPerSecond: number;
  p50: number;
  p99: number;
  fragments: number;
}

/** One PutMedia of `fragments` fragments to `port`; PERSISTED acks timed against each fragment's last byte. */
async function putMedia(port: number, fragments: number, extraHeaders: Record<string, string> = {}): Promise<Result> {
  const body = media();
  const lastByteAt = new Map<number, number>();
  const latencies: number[] = [];
  let bytes = 0;
  const started = performance.now();
  let finished = 0;
  await new Promise<void>((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/putMedia', method: 'POST',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
        'x-amz-date': '20240101T000000Z', 'x-amzn-stream-name': 'bench', 'x-amzn-fragment-timecode-type': 'RELATIVE',
        'x-amzn-producer-start-timestamp': (Date.now() / 1000).toFixed(3), 'transfer-encoding': 'chunked', ...extraHeaders,
      },
    }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
      let pending = '';
      res.on('data', (d: Buffer) => {
        pending += d;
        let nl: number;
        while ((nl = pending.indexOf('\n')) !== -1) {
          const ack = JSON.parse(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
          if (ack.EventType === 'PERSISTED') {
            latencies.push(performance.now() - lastByteAt.get(ack.FragmentTimecode / 1000)!);
            finished = performance.now();
          }
          if (ack.EventType === 'ERROR') reject(new Error(JSON.stringify(ack)));
        }
      });
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    void (async () => {
      req.write(body.header);
      for (let n = 0; n < fragments; n++) {
        req.write(body.clusterHead(n * 1000));
        req.write(body.blocks);
        const more = req.write(END_OF_FRAGMENT);
        bytes += body.fragmentBytes;
        lastByteAt.set(n, performance.now());
        if (!more) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    })();
  });
  if (latencies.length !== fragments) throw new Error(`${latencies.length} PERSISTED acks for ${fragments} fragments`);
  const seconds = (finished - started) / 1000;
  return { mbPerSecond: bytes / 1e6 / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), fragments };
}



async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

async function benchMillrace(fragments: number): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-video-'));
  const port = await freePort();
  const args = ['--port', String(port), '--data', dataDir, '--log-level', 'silent'];
  // Under a profiler, node is started directly (bin/millrace's environment applied by hand).
  const child = PROFILE_DIR
    ? await startProcess(process.execPath, ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR, '--v8-pool-size=1', join(root, 'dist/src/cli.js'), ...args], port,
      { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '2097152' })
    : await startProcess(join(root, 'bin/millrace'), args, port);
  try {
    const kvs = new KinesisVideoClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials, maxAttempts: 1 });
    await kvs.send(new CreateStreamCommand({ StreamName: 'bench', DataRetentionInHours: 1 }));
    kvs.destroy();
    const result = await putMedia(port, fragments);
    return { ...result, peakRssMb: peakRss(child) };
  } finally {
    await stopProcess(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function benchFloor(fragments: number): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-video-floor-'));
  const port = await freePort();
  const child = await startProcess(process.execPath, ['--v8-pool-size=1', fileURLToPath(import.meta.url), '--serve-floor', String(port), dataDir], port,
    { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '2097152' });
  try {
    const result = await putMedia(port, fragments, { 'x-floor-fragment-bytes': String(media().fragmentBytes) });
    return { ...result, peakRssMb: peakRss(child) };
  } finally {
    await stopProcess(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The floor's server: the body cut into 1 MiB chunks appended to a log of the embedded store (the
 * store Millrace uses, opened the same way); each fragment's record appended once its chunks are
 * durable, in order; a PERSISTED line per fragment record; the upload paused while more than
 * MAX_UNPERSISTED_BYTES_PER_CONNECTION are not yet durable. Fragment boundaries come from a header
 * (the floor parses nothing).
 */
async function serveFloor(port: number, dataDir: string): Promise<void> {
  const store = openLmdbStore({ path: dataDir });
  const server = http.createServer((req, res) => {
    if (req.url !== '/putMedia') {
      res.end();
      return;
    }
    const fragmentBytes = Number(req.headers['x-floor-fragment-bytes']);
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const buffered = new MediaBuffer();
    let received = 0;
    let fragment = 0;
    let inFlight = 0;
    let chunkWrites: Array<Promise<unknown>> = [];
    let commits: Promise<unknown> = Promise.resolve();
    let issue: Promise<unknown> = Promise.resolve();
    const flushChunks = (all: boolean) => {
      while (buffered.bytes >= MEDIA_CHUNK_BYTES || (all && buffered.bytes > 0)) {
        const records = buffered.take();
        const bytes = records.reduce((sum, record) => sum + record.length, 0);
        inFlight += bytes;
        chunkWrites.push(store.records.append('media', records.map((data) => ({ partitionKey: 'm', data }))).then(() => {
          inFlight -= bytes;
          if (inFlight <= MAX_UNPERSISTED_BYTES_PER_CONNECTION) req.resume();
        }));
      }
    };
    const closeFragment = () => {
      flushChunks(true);
      const writes = chunkWrites;
      chunkWrites = [];
      const n = fragment++;
      // Records are appended in fragment order as soon as a fragment's chunks are durable, without
      // waiting for the previous record's flush (they share commits), as Millrace does.
      const issued = issue.then(async () => {
        await Promise.all(writes);
        const record = Buffer.from(JSON.stringify({ fn: String(n).padStart(47, '0'), st: Date.now(), pt: Date.now(), tc: n * 1000, len: 960, size: fragmentBytes, chunks: [[n, n]], header: 'h', ebml: 40 }));
        return { durable: store.records.append('fragments', [{ partitionKey: 'f', data: record }]) };
      });
      issue = issued;
      commits = Promise.all([commits, issued.then((append) => append.durable)]).then(() => {
        res.write(`{"EventType":"PERSISTED","FragmentTimecode":${n * 1000},"FragmentNumber":"${String(n).padStart(47, '0')}"}\n`);
      });
    };
    let headerLeft = -1;
    req.on('data', (data: Buffer) => {
      // The MKV header before the first fragment is not media (its length: everything up to the first Cluster).
      if (headerLeft < 0) headerLeft = data.indexOf(Buffer.from('1f43b675', 'hex'));
      let piece = data;
      if (headerLeft > 0) {
        const skip = Math.min(headerLeft, piece.length);
        headerLeft -= skip;
        piece = piece.subarray(skip);
      }
      while (piece.length) {
        const take = Math.min(piece.length, fragmentBytes - received);
        buffered.push(piece.subarray(0, take));
        received += take;
        piece = piece.subarray(take);
        if (received === fragmentBytes) {
          received = 0;
          closeFragment();
        } else flushChunks(false);
      }
      if (inFlight > MAX_UNPERSISTED_BYTES_PER_CONNECTION) req.pause();
    });
    req.on('end', () => void commits.then(() => res.end()));
  });
  server.listen(port, '127.0.0.1');
}

async function main() {
  if (process.argv.includes('--serve-floor')) {
    const at = process.argv.indexOf('--serve-floor');
    return serveFloor(Number(process.argv[at + 1]), process.argv[at + 2]);
  }
  const fragments = Math.max(1, Math.round((TOTAL_MB * 1e6) / FRAGMENT_BYTES));
  const show = (name: string, r: Result) => console.log(`${name}: PutMedia, one stream, ${r.fragments} fragments of 1 MiB, durable: ${r.mbPerSecond.toFixed(1)} MB/s; ` +
    `PERSISTED ack after the fragment's last byte: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms; peak RSS ${r.peakRssMb?.toFixed(0) ?? '?'} MB`);
  const best: Record<string, number> = {};
  for (let run = 0; run < RUNS; run++) {
    for (const target of ['floor', 'millrace']) {
      if (TARGET !== 'both' && TARGET !== target) continue;
      const result = target === 'floor' ? await benchFloor(fragments) : await benchMillrace(fragments);
      show(target, result);
      best[target] = Math.max(best[target] ?? 0, result.mbPerSecond);
    }
  }
  if (best.floor && best.millrace) console.log(`Millrace / floor (best of ${RUNS}): ${(best.millrace / best.floor).toFixed(2)}`);
}

await main();
