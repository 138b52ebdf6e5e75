import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetImagesCommand, KinesisVideoArchivedMediaClient, type GetImagesCommandInput } from '@aws-sdk/client-kinesis-video-archived-media';
import { startTestServer, type TestServer } from './helpers.js';
import { producerStream, readMedia } from './video-producer.js';
import { parseSps, nalUnits } from '../src/video/images/h264-sps.js';
import { banner } from '../src/banner.js';
import { DEFAULT_CONFIG } from '../src/config.js';

/**
 * GetImages through the pure-npm decoder (`--images-decoder npm`: tinyh264 WASM, sharp
 * encoding), as a machine without ffmpeg has it. Debian's ffmpeg only makes the test media: H.264
 * Baseline of four coloured quadrants (red, lime / blue, white for 2 s, then turned half a circle
 * for 2 s, a key frame every second), put through PutMedia; @aws-sdk/client-kinesis-video-archived-media
 * asks for the images and sharp reads them back for their size and the colour of each quadrant.
 * High profile and H.265, which tinyh264 cannot decode, are MEDIA_ERROR per image.
 */

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const needsFfmpeg = { skip: HAS_FFMPEG ? false : 'ffmpeg is not installed (.ci/run installs it)' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const PRODUCER_START = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const RED = [255, 0, 0];
const LIME = [0, 255, 0];
const BLUE = [0, 0, 255];
const WHITE = [255, 255, 255];
/** Quadrants top-left, top-right, bottom-left, bottom-right: the first 2 s, then the next 2 s. */
const FIRST = [RED, LIME, BLUE, WHITE];
const TURNED = [WHITE, BLUE, LIME, RED];

let server: TestServer;
let kvs: KinesisVideoClient;
let archived: KinesisVideoArchivedMediaClient;
const logLines: string[] = [];

function quadrantVideo(args: { size?: string; codec?: string; profile?: string } = {}): Buffer {
  const [w, h] = (args.size ?? '640x360').split('x').map(Number);
  const quadrant = (colour: string, label: string) => `color=c=${colour}:s=${w / 2}x${h / 2}:r=25:d=2[${label}]`;
  const graph = `${quadrant('red', 'a')};${quadrant('lime', 'b')};${quadrant('blue', 'c')};${quadrant('white', 'd')};` +
    '[a][b]hstack[top];[c][d]hstack[bottom];[top][bottom]vstack,split[first][copy];[copy]hflip,vflip[turned];[first][turned]concat=n=2:v=1[v]';
  const codec = args.codec === 'hevc'
    ? ['-c:v', 'libx265', '-x265-params', 'keyint=25:min-keyint=25:bframes=0:log-level=error']
    : ['-c:v', 'libx264', '-profile:v', args.profile ?? 'baseline', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', ...(args.profile === 'high' ? [] : ['-bf', '0'])];
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-filter_complex', graph, '-map', '[v]', ...codec, '-pix_fmt', 'yuv420p', '-f', 'matroska', '-'], { maxBuffer: 64 * 1024 * 1024 });
}

/** PutMedia of a whole producer stream; resolves with the acks. */
function putMedia(stream: string, pieces: Buffer[]): Promise<Array<{ EventType: string }>> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${server.endpoint}/putMedia`);
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
        'x-amz-date': '20240101T000000Z', 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE',
        'x-amzn-producer-start-timestamp': (PRODUCER_START / 1000).toFixed(3), 'transfer-encoding': 'chunked',
      },
    }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body.split('\n').filter(Boolean).map((l) => JSON.parse(l))));
    });
    req.on('error', reject);
    for (const piece of pieces) req.write(piece);
    req.end();
  });
}

async function putStream(name: string, mkv: Buffer) {
  await kvs.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 24 }));
  const acks = await putMedia(name, producerStream(await readMedia(mkv)));
  assert.equal(acks.filter((a) => a.EventType === 'PERSISTED').length, 4, JSON.stringify(acks));
}

async function images(input: Partial<GetImagesCommandInput>) {
  return archived.send(new GetImagesCommand({
    StreamName: 'quadrants', ImageSelectorType: 'PRODUCER_TIMESTAMP', Format: 'JPEG',
    StartTimestamp: new Date(PRODUCER_START), EndTimestamp: new Date(PRODUCER_START + 3000), SamplingInterval: 1000, ...input,
  } as GetImagesCommandInput));
}

/** The colours at the centres of the image's four quadrants. */
async function quadrants(image: string): Promise<number[][]> {
  const { data, info } = await sharp(Buffer.from(image, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return [[1, 1], [3, 1], [1, 3], [3, 3]].map(([qx, qy]) => {
    const at = (Math.floor((info.height * qy) / 4) * info.width + Math.floor((info.width * qx) / 4)) * info.channels;
    return [data[at], data[at + 1], data[at + 2]];
  });
}

function assertQuadrants(actual: number[][], expected: number[][], what: string) {
  for (let q = 0; q < 4; q++) {
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(actual[q][c] - expected[q][c]) <= 24, `${what}, quadrant ${q}: ${actual[q]} is not ${expected[q]}`);
  }
}

before(async () => {
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
  server = await startTestServer({ imagesDecoder: 'npm', logLevel: 'debug' }, logger);
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  archived = new KinesisVideoArchivedMediaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  if (HAS_FFMPEG) await putStream('quadrants', quadrantVideo());
});

after(async () => {
  kvs.destroy();
  archived.destroy();
  await server.stop();
});

test('the start-up banner and debug log name the decoder GetImages uses', () => {
  const line = logLines.find((l) => l.includes('GetImages decodes with'));
  assert.ok(line, logLines.join('\n'));
  assert.equal(JSON.parse(line).imagesDecoder, 'npm');
  assert.match(server.imagesDecoder ?? '', /^tinyh264 .*H\.264 Baseline only$/);
  assert.match(banner({ ...DEFAULT_CONFIG, host: '127.0.0.1' }, server), /^  images +GetImages decodes with tinyh264 /m);
});

test('JPEG of H.264 Baseline without ffmpeg: 640×360 (the SPS crop applied), each quadrant its colour', needsFfmpeg, async () => {
  const { Images, NextToken } = await images({});
  assert.equal(NextToken, undefined);
  assert.equal(Images!.length, 4);
  for (const [n, image] of Images!.entries()) {
    assert.equal(image.TimeStamp!.getTime(), PRODUCER_START + n * 1000);
    assert.equal(image.Error, undefined);
    const meta = await sharp(Buffer.from(image.ImageContent!, 'base64')).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 640, 360]);
    assertQuadrants(await quadrants(image.ImageContent!), n < 2 ? FIRST : TURNED, `image at ${n} s`);
  }
});

test('PNG and WidthPixels/HeightPixels: one keeps the aspect ratio, both stretch', needsFfmpeg, async () => {
  const png = await images({ Format: 'PNG', WidthPixels: 320, SamplingInterval: 2000, EndTimestamp: new Date(PRODUCER_START + 2000) });
  assert.deepEqual(png.Images!.map((i) => i.Error), [undefined, undefined]);
  for (const [n, image] of png.Images!.entries()) {
    const meta = await sharp(Buffer.from(image.ImageContent!, 'base64')).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['png', 320, 180]);
    assertQuadrants(await quadrants(image.ImageContent!), n === 0 ? FIRST : TURNED, `PNG at ${n * 2} s`);
  }
  const byHeight = await images({ HeightPixels: 90, EndTimestamp: new Date(PRODUCER_START) });
  const heightMeta = await sharp(Buffer.from(byHeight.Images![0].ImageContent!, 'base64')).metadata();
  assert.deepEqual([heightMeta.width, heightMeta.height], [160, 90]);
  const both = await images({ WidthPixels: 100, HeightPixels: 300, EndTimestamp: new Date(PRODUCER_START) });
  const bothMeta = await sharp(Buffer.from(both.Images![0].ImageContent!, 'base64')).metadata();
  assert.deepEqual([bothMeta.width, bothMeta.height], [100, 300]);
  assertQuadrants(await quadrants(both.Images![0].ImageContent!), FIRST, 'stretched to 100×300');
});

/** Sum of a JPEG's quantisation table entries (DQT segments): coarser tables mean lower quality. */
function quantisation(jpeg: Buffer): number {
  let sum = 0;
  for (let i = 2; i + 4 < jpeg.length && jpeg[i] === 0xff && jpeg[i + 1] !== 0xda; i += 2 + jpeg.readUInt16BE(i + 2)) {
    if (jpeg[i + 1] === 0xdb) for (let k = i + 5; k < i + 2 + jpeg.readUInt16BE(i + 2); k++) sum += jpeg[k];
  }
  return sum;
}

test('JPEGQuality changes the encoding: quality 5 quantises coarser than the default, the default than 100', needsFfmpeg, async () => {
  const one = { EndTimestamp: new Date(PRODUCER_START), WidthPixels: 160 };
  const [low, standard, high] = await Promise.all(['5', undefined, '100'].map((q) => images({ ...one, ...(q ? { FormatConfig: { JPEGQuality: q } } : {}) })));
  const table = (r: typeof low) => quantisation(Buffer.from(r.Images![0].ImageContent!, 'base64'));
  assert.ok(table(low) > table(standard), `${table(low)} > ${table(standard)}`);
  assert.ok(table(standard) > table(high), `${table(standard)} > ${table(high)}`);
});

test('High profile and H.265 under the npm decoder: MEDIA_ERROR per image, never a failed request', needsFfmpeg, async () => {
  await putStream('high', quadrantVideo({ size: '320x240', profile: 'high' }));
  const high = await images({ StreamName: 'high', SamplingInterval: 1500 });
  assert.deepEqual(high.Images!.map((i) => [i.TimeStamp!.getTime(), i.Error, i.ImageContent]), [
    [PRODUCER_START, 'MEDIA_ERROR', undefined],
    [PRODUCER_START + 1500, 'MEDIA_ERROR', undefined],
    [PRODUCER_START + 3000, 'MEDIA_ERROR', undefined],
  ]);
  assert.ok(logLines.some((l) => l.includes('H.264 High needs ffmpeg')), 'the reason is logged');
  await putStream('hevc', quadrantVideo({ size: '320x240', codec: 'hevc' }));
  const hevc = await images({ StreamName: 'hevc', EndTimestamp: new Date(PRODUCER_START + 1000) });
  assert.deepEqual(hevc.Images!.map((i) => [i.Error, i.ImageContent]), [['MEDIA_ERROR', undefined], ['MEDIA_ERROR', undefined]]);
});

for (const pixelFormat of ['yuv420p', 'yuvj420p']) {
  const range = pixelFormat === 'yuvj420p' ? 'full range (VUI video_full_range_flag)' : 'limited range';
  test(`a detailed picture (testsrc2, ${range}) comes out as ffmpeg decodes it: mean difference per channel under 4 of 255`, needsFfmpeg, async () => {
    const mkv = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '4',
      '-c:v', 'libx264', '-profile:v', 'baseline', '-g', '25', '-bf', '0', '-pix_fmt', pixelFormat, '-f', 'matroska', '-'], { maxBuffer: 64 * 1024 * 1024 });
    const stream = `pattern-${pixelFormat}`;
    await putStream(stream, mkv);
    const dir = mkdtempSync(join(tmpdir(), 'millrace-images-npm-'));
    let reference: Buffer;
    try {
      writeFileSync(join(dir, 'pattern.mkv'), mkv);
      reference = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', join(dir, 'pattern.mkv'), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 * 1024 * 1024 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const format of ['JPEG', 'PNG'] as const) {
      const { Images } = await images({ StreamName: stream, Format: format, EndTimestamp: new Date(PRODUCER_START), FormatConfig: { JPEGQuality: '90' } });
      const { data, info } = await sharp(Buffer.from(Images![0].ImageContent!, 'base64')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      assert.deepEqual([info.width, info.height, info.channels], [640, 360, 3]);
      let difference = 0;
      for (let i = 0; i < data.length; i++) difference += Math.abs(data[i] - reference[i]);
      assert.ok(difference / data.length < 4, `${format}: mean difference ${difference / data.length}`);
    }
  });
}

test('a Baseline stream whose key frames are garbage: MEDIA_ERROR per image, and the decoder still decodes good ones after', needsFfmpeg, async () => {
  const media = await readMedia(quadrantVideo({ size: '320x240' }));
  const broken = { tracks: media.tracks, frames: media.frames.map((f) => ({ ...f, data: Buffer.concat([Buffer.from([0, 0, 0, 8, 0x65]), Buffer.alloc(7, 0xff)]) })) };
  await kvs.send(new CreateStreamCommand({ StreamName: 'garbage', DataRetentionInHours: 24 }));
  await putMedia('garbage', producerStream(broken));
  const garbage = await images({ StreamName: 'garbage', EndTimestamp: new Date(PRODUCER_START + 1000) });
  assert.deepEqual(garbage.Images!.map((i) => [i.Error, i.ImageContent]), [['MEDIA_ERROR', undefined], ['MEDIA_ERROR', undefined]]);
  const good = await images({ EndTimestamp: new Date(PRODUCER_START) });
  assert.equal(good.Images![0].Error, undefined);
  assertQuadrants(await quadrants(good.Images![0].ImageContent!), FIRST, 'after the garbage');
});

test('SPS parsing: profile and crop window of x264 Baseline and High', needsFfmpeg, () => {
  const sps = (profile: string, size: string, pixelFormat = 'yuv420p') => {
    const h264 = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `color=c=red:s=${size}:d=0.04`, '-c:v', 'libx264', '-profile:v', profile, '-pix_fmt', pixelFormat, '-f', 'h264', '-']);
    return parseSps(nalUnits(h264).find((nal) => (nal[0] & 0x1f) === 7)!);
  };
  assert.deepEqual(sps('baseline', '642x362'), { profileIdc: 66, baseline: true, width: 642, height: 362, cropLeft: 0, cropTop: 0, fullRange: false });
  assert.deepEqual(sps('high', '320x240'), { profileIdc: 100, baseline: false, width: 320, height: 240, cropLeft: 0, cropTop: 0, fullRange: false });
  assert.equal(sps('baseline', '320x240', 'yuvj420p').fullRange, true);
  assert.throws(() => parseSps(Uint8Array.from([0x67, 66])), RangeError);
});
