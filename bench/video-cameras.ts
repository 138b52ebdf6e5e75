/**
 * Kinesis Video PutMedia with many cameras at once, against issue 16's Performance targets:
 * - 200 concurrent PutMedia streams of a 2 Mbit/s camera with 2 s fragments: PERSISTED ack p99
 *   ≤ 100 ms after the fragment's last byte;
 * - a live GetMedia reader receives a fragment ≤ 50 ms (p99) after its PERSISTED ack.
 * Each camera writes its fragment in real time (a piece of 5 frames every 200 ms; 50 frames of
 * 10 kB per 2 s fragment, an unknown-size Cluster closed by the producer SDK's end-of-fragment
 * Tags), the cameras' starts spread over one fragment duration as real cameras are. `--readers`
 * of the streams have a live GetMedia (NOW) opened just before their camera starts; a fragment
 * counts as received when its trailing Tags (CONTINUATION_TOKEN) have arrived.
 * Millrace runs in a process of its own (bin/millrace, embedded store). The same-run floor is
 * bench/video.ts's floor server (node:http + the same store appends + a PERSISTED line per
 * fragment, nothing parsed) under the same cameras; it serves no GetMedia, so the reader latency
 * has no floor. The server's peak RSS (VmHWM) is printed for both.
 *
 * Run: `npx tsc -p . && node dist/bench/video-cameras.js [--cameras 200] [--seconds 20] [--readers 10] [--target millrace|floor|both]`.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { peakRss, startProcess } from './launcher.js';
import { END_OF_FRAGMENT, ebmlHeader, el, info, segmentStart, tracksElement } from '../test/video-producer.js';

const argument = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const CAMERAS = Number(argument('--cameras', '200'));
const SECONDS = Number(argument('--seconds', '20'));
const READERS = Number(argument('--readers', '10'));
const TARGET = argument('--target', 'both');
/** A 2 Mbit/s camera: 250 kB/s; 25 fps → 10 kB frames; 2 s fragments of 50 frames. */
const FRAME_BYTES = 10_000;
const FRAMES_PER_FRAGMENT = 50;
const FRAME_MS = 40;
const FRAGMENT_MS = FRAMES_PER_FRAGMENT * FRAME_MS;
const FRAMES_PER_PIECE = 5;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const auth = {
  authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
  'x-amz-date': '20240101T000000Z',
};
const root = fileURLToPath(new URL('../..', import.meta.url));
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))] ?? NaN;
const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())));

/** The body's parts, built once: header, a Cluster head per fragment, the pieces of 5 frames. */
const payload = randomBytes(FRAME_BYTES);
const header = Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement([{ number: 1, codecId: 'V_MPEG4/ISO/AVC', type: 1, codecPrivate: randomBytes(40) }])]);
const pieces = Array.from({ length: FRAMES_PER_FRAGMENT / FRAMES_PER_PIECE }, (_, p) => Buffer.concat(Array.from({ length: FRAMES_PER_PIECE }, (_, f) => {
  const k = p * FRAMES_PER_PIECE + f;
  const head = Buffer.from([0x81, 0, 0, k === 0 ? 0x80 : 0]);
  head.writeInt16BE(k * FRAME_MS, 1);
  return el('a3', head, payload);
})));
function clusterHead(timecode: number): Buffer {
  const tc = Buffer.alloc(8);
  tc.writeBigUInt64BE(BigInt(timecode));
  return Buffer.concat([Buffer.from('1f43b67501ffffffffffffff', 'hex'), el('e7', tc), el('a7', Buffer.from([0]))]);
}
const fragmentBytes = clusterHead(0).length + pieces.reduce((n, p) => n + p.length, 0) + END_OF_FRAGMENT.length;

interface Camera {
  persistedAt: Map<string, number>;
  ackLatencies: number[];
  errors: string[];
}

/** One camera: `fragments` fragments in real time from `startAt`; PERSISTED acks timed against each fragment's last byte. */
function camera(port: number, stream: string, startAt: number, fragments: number, floor: boolean): Promise<Camera> {
  const result: Camera = { persistedAt: new Map(), ackLatencies: [], errors: [] };
  const lastByteAt: number[] = [];
  let persisted = 0;
  return new Promise((resolve) => {
    const req = http.request({
      host: '127.0.0.1', port, path: '/putMedia', method: 'POST', agent,
      headers: {
        ...auth, 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE',
        'x-amzn-producer-start-timestamp': (Date.now() / 1000).toFixed(3), 'transfer-encoding': 'chunked',
        ...(floor ? { 'x-floor-fragment-bytes': String(fragmentBytes) } : {}),
      },
    }, (res) => {
      let pending = '';
      res.on('data', (d: Buffer) => {
        pending += d;
        let nl: number;
        while ((nl = pending.indexOf('\n')) !== -1) {
          const ack = JSON.parse(pending.slice(0, nl));
          pending = pending.slice(nl + 1);
          if (ack.EventType === 'PERSISTED') {
            const now = performance.now();
            result.ackLatencies.push(now - lastByteAt[persisted++]);
            result.persistedAt.set(ack.FragmentNumber, now);
          }
          if (ack.EventType === 'ERROR') result.errors.push(JSON.stringify(ack));
        }
      });
      res.on('end', () => resolve(result));
    });
    req.on('error', (error) => {
      result.errors.push(String(error));
      resolve(result);
    });
    void (async () => {
      await sleepUntil(startAt);
      req.write(header);
      for (let n = 0; n < fragments; n++) {
        for (const [p, piece] of pieces.entries()) {
          await sleepUntil(startAt + n * FRAGMENT_MS + (p + 1) * FRAMES_PER_PIECE * FRAME_MS);
          if (p === 0) req.write(clusterHead(n * FRAGMENT_MS));
          req.write(piece);
        }
        req.write(END_OF_FRAGMENT);
        lastByteAt[n] = performance.now();
      }
      req.end();
    })();
  });
}

const TOKEN_TAG = Buffer.from('AWS_KINESISVIDEO_CONTINUATION_TOKEN');

/**
 * A live GetMedia on `stream` until `done()`: NOW first, then (a GetMedia response ends after 5 s
 * without a fragment) again from the last CONTINUATION_TOKEN received, as consumers reconnect.
 * When each fragment's trailing CONTINUATION_TOKEN arrived, by fragment number.
 */
async function liveReader(port: number, stream: string, done: () => boolean): Promise<Map<string, number>> {
  const received = new Map<string, number>();
  let last: string | undefined;
  while (!done()) {
    const selector: Record<string, string> = last ? { StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: last } : { StartSelectorType: 'NOW' };
    await readOnce(port, stream, selector, received);
    last = [...received.keys()].at(-1) ?? last;
  }
  return received;
}

function readOnce(port: number, stream: string, selector: Record<string, string>, received: Map<string, number>): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/getMedia', method: 'POST', agent, headers: { ...auth, 'content-type': 'application/json' } }, (res) => {
      let tail = Buffer.alloc(0);
      res.on('data', (d: Buffer) => {
        const now = performance.now();
        // Only the bytes after the last complete token are kept (a tag never spans more than that).
        tail = Buffer.concat([tail, d]);
        for (;;) {
          const at = tail.indexOf(TOKEN_TAG);
          if (at === -1 || tail.length < at + TOKEN_TAG.length + 3 + 47) break;
          const digits = /[0-9]{47}/.exec(tail.subarray(at + TOKEN_TAG.length, at + TOKEN_TAG.length + 3 + 47).toString('latin1'));
          if (digits) received.set(digits[0], now);
          tail = tail.subarray(at + TOKEN_TAG.length);
        }
        if (tail.length > 4096 && tail.indexOf(TOKEN_TAG) === -1) tail = tail.subarray(tail.length - 4096);
      });
      res.on('end', () => resolve());
    });
    req.on('error', () => resolve());
    req.end(JSON.stringify({ StreamName: stream, StartSelector: selector }));
  });
}



async function run(target: 'millrace' | 'floor'): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), `millrace-bench-cameras-${target}-`));
  const port = await freePort();
  const child = target === 'millrace'
    ? await startProcess(join(root, 'bin/millrace'), ['--port', String(port), '--data', dataDir, '--log-level', 'silent'], port)
    : await startProcess(process.execPath, ['--v8-pool-size=1', join(root, 'dist/bench/video.js'), '--serve-floor', String(port), dataDir], port,
      { ...process.env, MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '2097152' });
  try {
    const names = Array.from({ length: CAMERAS }, (_, n) => `cam-${n}`);
    if (target === 'millrace') {
      const kvs = new KinesisVideoClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials, maxAttempts: 1 });
      for (const name of names) await kvs.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 1 }));
      kvs.destroy();
      await new Promise((r) => setTimeout(r, 500)); // CREATING → ACTIVE
    }
    const fragments = Math.max(1, Math.floor(SECONDS / (FRAGMENT_MS / 1000)));
    const start = performance.now() + 1000;
    const readers = target === 'millrace' ? names.slice(0, READERS) : [];
    const reading: Array<Promise<Map<string, number>>> = [];
    const cameras = names.map((name, n) => {
      const startAt = start + (n / CAMERAS) * FRAGMENT_MS;
      const done = { value: false };
      if (readers.includes(name)) {
        // Opened just before its camera starts (NOW = the next fragment to arrive).
        reading.push(sleepUntil(startAt - 300).then(() => liveReader(port, name, () => done.value)));
      }
      return camera(port, name, startAt, fragments, target === 'floor').then((result) => ((done.value = true), result));
    });
    const results = await Promise.all(cameras);
    const errors = results.flatMap((r) => r.errors);
    const latencies = results.flatMap((r) => r.ackLatencies);
    const expected = CAMERAS * fragments;
    console.log(`${target}: ${CAMERAS} cameras × ${fragments} fragments of 2 s at 2 Mbit/s (${(fragmentBytes / 1000).toFixed(0)} kB): ` +
      `${latencies.length}/${expected} PERSISTED; ack after the fragment's last byte p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${percentile(latencies, 100).toFixed(1)} ms; peak RSS ${peakRss(child)?.toFixed(0) ?? '?'} MB` +
      (errors.length ? `; ${errors.length} errors, first: ${errors[0]}` : ''));
    if (readers.length) {
      const received = await Promise.all(reading);
      const persistedAt = new Map(results.slice(0, READERS).flatMap((r) => [...r.persistedAt]));
      const lags: number[] = [];
      for (const map of received) for (const [fn, at] of map) if (persistedAt.has(fn)) lags.push(at - persistedAt.get(fn)!);
      console.log(`${target}: ${READERS} live GetMedia readers: ${lags.length}/${READERS * fragments} fragments received; after their PERSISTED ack ` +
        `p50 ${percentile(lags, 50).toFixed(1)} ms, p99 ${percentile(lags, 99).toFixed(1)} ms, max ${percentile(lags, 100).toFixed(1)} ms ` +
        '(negative: the reader had the fragment before the producer had its ack)');
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const target of ['floor', 'millrace'] as const) {
  if (TARGET === 'both' || TARGET === target) await run(target);
}
agent.destroy();
