/**
 * GetImages against the target (≥ 50 JPEG 640×360 images/s with ffmpeg): 60 s of
 * ffmpeg-made H.264 testsrc (a key frame every second) put through PutMedia into Millrace in a
 * process of its own (bin/millrace, embedded store), then GetImages pages of 25 distinct key
 * frames (SamplingInterval 1 s) from `--concurrency` clients for `--seconds`. Reports images/s
 * and the latency of a page (p50/p99), one JSON line per decoder (`--images-decoder`), each on a
 * server of its own in the same run: ffmpeg is the npm decoder's peer.
 * Run: `npx tsc -p . && node dist/bench/video-images.js [--seconds N] [--concurrency N]
 * [--decoders ffmpeg,npm] [--profile baseline|high]` (the npm decoder takes Baseline only).
 */
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetImagesCommand, KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { producerStream, readMedia } from '../test/video-producer.js';

const argument = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const text = (name: string, fallback: string) => {
  const at = process.argv.indexOf(name);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const SECONDS = argument('--seconds', 10);
const DECODERS = text('--decoders', 'ffmpeg,npm').split(',');
const PROFILE = text('--profile', 'baseline');
const CONCURRENCY = argument('--concurrency', 2);
const MEDIA_SECONDS = 60;
const PAGE = 25;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const PRODUCER_START = Math.floor(Date.now() / 1000) * 1000 - 120_000;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * CPU seconds of the server process and the ffmpeg children it has reaped (/proc/PID/stat utime,
 * stime, cutime, cstime): images per CPU-second does not depend on how busy the machine is.
 */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = [11, 12, 13, 14].reduce((sum, k) => sum + Number(fields[k]), 0);
  return ticks / 100;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];

function putMedia(endpoint: string, pieces: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${endpoint}/putMedia`);
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
        'x-amz-date': '20240101T000000Z', 'x-amzn-stream-name': 'bench', 'x-amzn-fragment-timecode-type': 'RELATIVE',
        'x-amzn-producer-start-timestamp': (PRODUCER_START / 1000).toFixed(3), 'transfer-encoding': 'chunked',
      },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

async function run(decoder: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'millrace-bench-images-'));
  const port = await freePort();
  const bin = fileURLToPath(new URL('../../bin/millrace', import.meta.url));
  const child = spawn(bin, ['--port', String(port), '--data', dataDir, '--log-level', 'silent', '--images-decoder', decoder], { stdio: ['ignore', 'ignore', 'inherit'] });
  const endpoint = `http://127.0.0.1:${port}`;
  const kvs = new KinesisVideoClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const archived = new KinesisVideoArchivedMediaClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  try {
    for (let i = 0; ; i++) {
      try {
        await kvs.send(new CreateStreamCommand({ StreamName: 'bench', DataRetentionInHours: 1 }));
        break;
      } catch (error) {
        if (i > 100) throw error;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const mkv = execFileSync('ffmpeg', [
      '-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25', '-t', String(MEDIA_SECONDS),
      '-c:v', 'libx264', '-profile:v', PROFILE, ...(PROFILE === 'baseline' ? ['-bf', '0'] : []), '-pix_fmt', 'yuv420p', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-f', 'matroska', '-',
    ], { maxBuffer: 256 * 1024 * 1024 });
    await putMedia(endpoint, producerStream(await readMedia(mkv)));

    let images = 0;
    let failed = 0;
    const latencies: number[] = [];
    const deadline = Date.now() + SECONDS * 1000;
    const started = Date.now();
    const cpuBefore = cpuSeconds(child.pid!);
    await Promise.all(Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let n = worker; Date.now() < deadline; n += CONCURRENCY) {
        // Pages at different offsets, so that nothing is served twice in a row.
        const offset = (n * PAGE * 1000) % ((MEDIA_SECONDS - PAGE) * 1000);
        const t0 = performance.now();
        const { Images } = await archived.send(new GetImagesCommand({
          StreamName: 'bench', ImageSelectorType: 'PRODUCER_TIMESTAMP', Format: 'JPEG', SamplingInterval: 1000, MaxResults: PAGE,
          StartTimestamp: new Date(PRODUCER_START + offset), EndTimestamp: new Date(PRODUCER_START + offset + (PAGE - 1) * 1000),
        }));
        latencies.push(performance.now() - t0);
        for (const image of Images ?? []) {
          if (image.ImageContent) images++;
          else failed++;
        }
      }
    }));
    const elapsed = (Date.now() - started) / 1000;
    const cpu = cpuSeconds(child.pid!) - cpuBefore;
    console.log(JSON.stringify({
      benchmark: `GetImages JPEG 640x360 (H.264 ${PROFILE}, key frames, ${decoder} decoder)`,
      concurrency: CONCURRENCY,
      pages: latencies.length,
      images,
      failed,
      imagesPerSecond: Math.round((images / elapsed) * 10) / 10,
      serverCpuSeconds: Math.round(cpu * 100) / 100,
      imagesPerCpuSecond: Math.round((images / cpu) * 10) / 10,
      loadAverage: readFileSync('/proc/loadavg', 'utf8').split(' ')[0],
      pageMsP50: Math.round(percentile(latencies, 50)),
      pageMsP99: Math.round(percentile(latencies, 99)),
    }));
  } finally {
    kvs.destroy();
    archived.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

for (const decoder of DECODERS) await run(decoder);
