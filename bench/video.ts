/**
 * Kinesis Video PutMedia against the target: one PutMedia stream of 1 MiB fragments,
 * durable (embedded store), Millrace in a process of its own (bin/millrace). Reports MB/s of media
 * accepted and PERSISTED, and the PERSISTED ack latency after each fragment's last byte (p50/p99).
 * Run: `npx tsc -p . && node dist/bench/video.js [--mb N]`. MB = 10^6 bytes.
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
import { cluster, ebmlHeader, END_OF_FRAGMENT, info, segmentStart, tracksElement, type Frame } from '../test/video-producer.js';

const argument = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const TOTAL_MB = argument('--mb', 1024);
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

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-video-'));
  const port = await freePort();
  const bin = fileURLToPath(new URL('../../bin/millrace', import.meta.url));
  const child = spawn(bin, ['--port', String(port), '--data', dataDir, '--log-level', 'silent'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const endpoint = `http://127.0.0.1:${port}`;
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

    // One fragment of 1 MiB: 25 frames of 40 ms, the first a keyframe; payloads random (incompressible).
    const frameBytes = Math.floor(FRAGMENT_BYTES / FRAMES_PER_FRAGMENT) - 16;
    const payloads = Array.from({ length: FRAMES_PER_FRAGMENT }, () => randomBytes(frameBytes));
    const track = { number: 1, codecId: 'V_MPEG4/ISO/AVC', type: 1, codecPrivate: randomBytes(40) };
    const fragments = Math.max(1, Math.round((TOTAL_MB * 1e6) / FRAGMENT_BYTES));
    const fragmentAt = (n: number) => {
      const frames: Frame[] = payloads.map((data, k) => ({ track: 1, ms: n * 1000 + k * 40, keyframe: k === 0, data }));
      return Buffer.concat([cluster(n * 1000, frames), END_OF_FRAGMENT]);
    };

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
          'x-amzn-producer-start-timestamp': (Date.now() / 1000).toFixed(3), 'transfer-encoding': 'chunked',
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
        req.write(Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement([track])]));
        for (let n = 0; n < fragments; n++) {
          const piece = fragmentAt(n);
          bytes += piece.length;
          const more = req.write(piece);
          lastByteAt.set(n, performance.now());
          if (!more) await new Promise((r) => req.once('drain', r));
        }
        req.end();
      })();
    });
    const seconds = (finished - started) / 1000;
    console.log(`PutMedia, one stream, ${fragments} fragments of 1 MiB, durable: ${(bytes / 1e6 / seconds).toFixed(1)} MB/s ` +
      `(${(bytes / 1e6).toFixed(0)} MB in ${seconds.toFixed(2)} s); PERSISTED ack after the fragment's last byte: ` +
      `p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms (${latencies.length} acks)`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
