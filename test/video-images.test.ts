import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { execFileSync, spawnSync } from 'node:child_process';
import pino from 'pino';
import sharp from 'sharp';
import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { GetImagesCommand, KinesisVideoArchivedMediaClient, ListFragmentsCommand, type GetImagesCommandInput } from '@aws-sdk/client-kinesis-video-archived-media';
import { startTestServer, type TestServer } from './helpers.js';
import { info, producerStream, readMedia, tracksElement, type Media } from './video-producer.js';
import { ImageMaker } from '../src/video/images/image-maker.js';
import { chooseImageDecoder } from '../src/video/images/choose-decoder.js';
import { videoTrackOf } from '../src/video/images/keyframes.js';
import { splitJpegs, splitPngs } from '../src/video/images/ffmpeg-decoder.js';

/**
 * GetImages end to end (issue 17 §5): H.264 made by ffmpeg (2 s red, 2 s blue, 2 s green, a key
 * frame and so a fragment every second) is put through PutMedia with a known producer start, then
 * asked for through @aws-sdk/client-kinesis-video-archived-media; the JPEGs and PNGs are decoded
 * with sharp for their size and the colour the instant should show.
 */

const HAS_FFMPEG = spawnSync('ffmpeg', ['-version']).status === 0;
const needsFfmpeg = { skip: HAS_FFMPEG ? false : 'ffmpeg is not installed (.ci/run installs it)' };
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
/** Producer start of the media: its frame at t s has producer timestamp PRODUCER_START + t s. */
const PRODUCER_START = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const RED = [255, 0, 0];
const BLUE = [0, 0, 255];
const GREEN = [0, 255, 0];

let server: TestServer;
let kvs: KinesisVideoClient;
let archived: KinesisVideoArchivedMediaClient;
let media: Media;

function colourVideo(size = '640x360', profile = 'baseline'): Buffer {
  return execFileSync('ffmpeg', [
    '-hide_banner', '-loglevel', 'error',
    '-f', 'lavfi', '-i', `color=c=red:s=${size}:r=25:d=2`, '-f', 'lavfi', '-i', `color=c=blue:s=${size}:r=25:d=2`, '-f', 'lavfi', '-i', `color=c=lime:s=${size}:r=25:d=2`,
    '-filter_complex', '[0][1][2]concat=n=3:v=1[v]', '-map', '[v]',
    '-c:v', 'libx264', '-profile:v', profile, '-pix_fmt', 'yuv420p', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0',
    ...(profile === 'baseline' ? ['-bf', '0'] : []), '-f', 'matroska', '-',
  ], { maxBuffer: 64 * 1024 * 1024 });
}

/** PutMedia of a whole producer stream; resolves with the acks. */
function putMedia(stream: string, pieces: Buffer[], startMs = PRODUCER_START, gapMs = 0): Promise<Array<{ EventType: string }>> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${server.endpoint}/putMedia`);
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc`,
        'x-amz-date': '20240101T000000Z', 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE',
        'x-amzn-producer-start-timestamp': (startMs / 1000).toFixed(3), 'transfer-encoding': 'chunked',
      },
    }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body.split('\n').filter(Boolean).map((l) => JSON.parse(l))));
    });
    req.on('error', reject);
    void (async () => {
      for (const piece of pieces) {
        req.write(piece);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
      req.end();
    })();
  });
}

async function createStream(name: string, retention = 24) {
  await kvs.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: retention }));
}

async function images(input: Partial<GetImagesCommandInput>) {
  return archived.send(new GetImagesCommand({
    StreamName: 'colours', ImageSelectorType: 'PRODUCER_TIMESTAMP', Format: 'JPEG',
    StartTimestamp: new Date(PRODUCER_START), EndTimestamp: new Date(PRODUCER_START + 5500), SamplingInterval: 500, ...input,
  } as GetImagesCommandInput));
}

async function centre(image: string) {
  const { data, info } = await sharp(Buffer.from(image, 'base64')).raw().toBuffer({ resolveWithObject: true });
  const at = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
  return [data[at], data[at + 1], data[at + 2]];
}

function assertColour(actual: number[], expected: number[], what: string) {
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(actual[c] - expected[c]) <= 40, `${what}: ${actual} is not ${expected}`);
}

async function rejects(input: Partial<GetImagesCommandInput>, name: string, message: string) {
  await assert.rejects(images(input), (err: Error) => {
    assert.equal(err.name, name);
    assert.equal(err.message, message);
    return true;
  });
}

before(async () => {
  server = await startTestServer();
  kvs = new KinesisVideoClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  archived = new KinesisVideoArchivedMediaClient({ endpoint: server.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  await createStream('colours');
  if (!HAS_FFMPEG) return;
  media = await readMedia(colourVideo());
  const acks = await putMedia('colours', producerStream(media));
  assert.equal(acks.filter((a) => a.EventType === 'PERSISTED').length, 6);
});

after(async () => {
  kvs.destroy();
  archived.destroy();
  await server.stop();
});

const expectedAt = (seconds: number) => (seconds < 2 ? RED : seconds < 4 ? BLUE : GREEN);

test('JPEG every 500 ms by producer timestamp: one image per instant, 640×360, the colour of its key frame', needsFfmpeg, async () => {
  const { Images, NextToken } = await images({});
  assert.equal(NextToken, undefined);
  assert.equal(Images!.length, 12);
  for (const [n, image] of Images!.entries()) {
    assert.equal(image.TimeStamp!.getTime(), PRODUCER_START + n * 500);
    assert.equal(image.Error, undefined);
    const meta = await sharp(Buffer.from(image.ImageContent!, 'base64')).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(meta.width, 640);
    assert.equal(meta.height, 360);
    assertColour(await centre(image.ImageContent!), expectedAt(n * 0.5), `instant ${n * 0.5} s`);
  }
});

test('PNG, and WidthPixels/HeightPixels: one keeps the aspect ratio, both stretch', needsFfmpeg, async () => {
  const png = await images({ Format: 'PNG', WidthPixels: 320, EndTimestamp: new Date(PRODUCER_START + 2500), SamplingInterval: 2500 });
  assert.equal(png.Images!.length, 2);
  const meta = await sharp(Buffer.from(png.Images![0].ImageContent!, 'base64')).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ['png', 320, 180]);
  assertColour(await centre(png.Images![1].ImageContent!), BLUE, 'PNG at 2.5 s');
  const high = await images({ HeightPixels: 90, EndTimestamp: new Date(PRODUCER_START) });
  const highMeta = await sharp(Buffer.from(high.Images![0].ImageContent!, 'base64')).metadata();
  assert.deepEqual([highMeta.width, highMeta.height], [160, 90]);
  const both = await images({ WidthPixels: 100, HeightPixels: 100, EndTimestamp: new Date(PRODUCER_START) });
  const bothMeta = await sharp(Buffer.from(both.Images![0].ImageContent!, 'base64')).metadata();
  assert.deepEqual([bothMeta.width, bothMeta.height], [100, 100]);
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
  const one = { EndTimestamp: new Date(PRODUCER_START) };
  const [low, standard, high] = await Promise.all(['5', undefined, '100'].map((q) => images({ ...one, ...(q ? { FormatConfig: { JPEGQuality: q } } : {}) })));
  const table = (r: typeof low) => quantisation(Buffer.from(r.Images![0].ImageContent!, 'base64'));
  assert.ok(table(low) > table(standard), `${table(low)} > ${table(standard)}`);
  assert.ok(table(standard) > table(high), `${table(standard)} > ${table(high)}`);
});

test('instants no fragment spans are NO_MEDIA: before the first, after the last frame', needsFfmpeg, async () => {
  const { Images } = await images({ StartTimestamp: new Date(PRODUCER_START - 3000), EndTimestamp: new Date(PRODUCER_START + 8000), SamplingInterval: 1000 });
  const errors = Images!.map((i) => i.Error ?? 'image');
  // The last frame (5.96 s) shows until 6 s: instants -3…8 s.
  assert.deepEqual(errors, ['NO_MEDIA', 'NO_MEDIA', 'NO_MEDIA', 'image', 'image', 'image', 'image', 'image', 'image', 'image', 'NO_MEDIA', 'NO_MEDIA']);
  for (const image of Images!) assert.equal(image.ImageContent === undefined, image.Error !== undefined);
});

test('paging: MaxResults pages with a NextToken; the page size is at most 25', needsFfmpeg, async () => {
  const seen: number[] = [];
  let token: string | undefined;
  const sizes: number[] = [];
  do {
    const page = await images({ MaxResults: 5, NextToken: token });
    sizes.push(page.Images!.length);
    seen.push(...page.Images!.map((i) => i.TimeStamp!.getTime()));
    token = page.NextToken;
  } while (token);
  assert.deepEqual(sizes, [5, 5, 2]);
  assert.deepEqual(seen, Array.from({ length: 12 }, (_, n) => PRODUCER_START + n * 500));
  const capped = await images({ MaxResults: 100, EndTimestamp: new Date(PRODUCER_START + 30_000), SamplingInterval: 1000 });
  assert.equal(capped.Images!.length, 25);
  assert.ok(capped.NextToken);
  const rest = await images({ MaxResults: 100, EndTimestamp: new Date(PRODUCER_START + 30_000), SamplingInterval: 1000, NextToken: capped.NextToken });
  assert.equal(rest.Images!.length, 6);
  assert.equal(rest.NextToken, undefined);
});

test('SERVER_TIMESTAMP selects by the fragments\' server timestamps', needsFfmpeg, async () => {
  // Paced, so that each fragment has server time of its own.
  await createStream('paced');
  await putMedia('paced', producerStream(media), PRODUCER_START, 150);
  const { Fragments } = await archived.send(new ListFragmentsCommand({ StreamName: 'paced' }));
  const sorted = Fragments!.sort((a, b) => a.ServerTimestamp!.getTime() - b.ServerTimestamp!.getTime());
  const third = sorted[2].ServerTimestamp!;
  const { Images } = await images({ StreamName: 'paced', ImageSelectorType: 'SERVER_TIMESTAMP', StartTimestamp: third, EndTimestamp: third });
  assert.equal(Images!.length, 1);
  assertColour(await centre(Images![0].ImageContent!), BLUE, 'third fragment');
});

test('High profile with B-frames decodes too (ffmpeg path)', needsFfmpeg, async () => {
  await createStream('high');
  const high = await readMedia(colourVideo('320x240', 'high'));
  await putMedia('high', producerStream(high));
  const { Images } = await images({ StreamName: 'high', EndTimestamp: new Date(PRODUCER_START + 5000), SamplingInterval: 2500 });
  assert.deepEqual(Images!.map((i) => i.Error), [undefined, undefined, undefined]);
  for (const [n, image] of Images!.entries()) assertColour(await centre(image.ImageContent!), [RED, BLUE, GREEN][n], `High at ${n * 2.5} s`);
});

test('media no decoder takes is MEDIA_ERROR per image, never a failed request', needsFfmpeg, async () => {
  // Garbage where the key frames' NAL units should be: ffmpeg decodes nothing.
  await createStream('garbage');
  const broken: Media = { tracks: media.tracks, frames: media.frames.map((f) => ({ ...f, data: Buffer.concat([Buffer.from([0, 0, 0, 8, 0x65]), Buffer.alloc(7, 0xff)]) })) };
  await putMedia('garbage', producerStream(broken));
  const garbage = await images({ StreamName: 'garbage', EndTimestamp: new Date(PRODUCER_START + 1000), SamplingInterval: 1000 });
  assert.deepEqual(garbage.Images!.map((i) => i.Error), ['MEDIA_ERROR', 'MEDIA_ERROR']);
  // A codec GetImages does not decode (VP8).
  await createStream('vp8');
  const vp8: Media = { tracks: [{ ...media.tracks[0], codecId: 'V_VP8', codecPrivate: undefined }], frames: media.frames };
  await putMedia('vp8', producerStream(vp8));
  const other = await images({ StreamName: 'vp8', EndTimestamp: new Date(PRODUCER_START) });
  assert.deepEqual(other.Images!.map((i) => i.Error), ['MEDIA_ERROR']);
});

test('forced to ffmpeg without one, every image is MEDIA_ERROR (the maker makes none), with a reason logged', needsFfmpeg, async () => {
  const lines: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  const decoder = chooseImageDecoder('ffmpeg', '/nonexistent/ffmpeg', log);
  assert.equal(decoder, undefined);
  assert.ok(lines.some((l) => l.includes('no ffmpeg')), lines.join('\n'));
  const maker = new ImageMaker(decoder, log);
  const track = videoTrackOf(Buffer.concat([info(), tracksElement(media.tracks)]), 0);
  const keyFrame = media.frames.find((f) => f.keyframe)!.data;
  const made = await maker.make([{ track, trackKey: 'k', frame: keyFrame }], { format: 'JPEG', jpegQuality: 80 }, 'arn:test');
  assert.equal(made.size, 0);
  assert.ok(lines.some((l) => l.includes('no decoder')), lines.join('\n'));
  // auto without ffmpeg takes the npm decoder, and says so.
  const auto = chooseImageDecoder('auto', '/nonexistent/ffmpeg', log);
  assert.equal(auto?.name, 'npm');
  assert.ok(lines.some((l) => l.includes('GetImages decodes with tinyh264')), lines.join('\n'));
  await auto.close();
});

test('image splitting: concatenated JPEGs and PNGs come apart whole', needsFfmpeg, async () => {
  const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#ff0000' } }).jpeg().toBuffer();
  const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } }).png().toBuffer();
  assert.deepEqual(splitJpegs(Buffer.concat([jpeg, jpeg, jpeg.subarray(0, 10)])).map((b) => b.length), [jpeg.length, jpeg.length]);
  assert.deepEqual(splitPngs(Buffer.concat([png, png])).map((b) => b.length), [png.length, png.length]);
});

test('bad input gets InvalidArgumentException with its text; unknown streams and streams without retention their errors', async () => {
  await rejects({ EndTimestamp: new Date(PRODUCER_START + 300_001) }, 'InvalidArgumentException', 'The time range between StartTimestamp and EndTimestamp must not exceed 300 seconds.');
  await rejects({ EndTimestamp: new Date(PRODUCER_START - 1) }, 'InvalidArgumentException', 'The StartTimestamp must not be after the EndTimestamp.');
  await rejects({ SamplingInterval: 199 }, 'InvalidArgumentException', 'SamplingInterval 199 is below the minimum of 200 milliseconds.');
  await rejects({ FormatConfig: { JPEGQuality: '0' } }, 'InvalidArgumentException', 'JPEGQuality 0 must be an integer from 1 to 100.');
  await rejects({ FormatConfig: { JPEGQuality: '101' } }, 'InvalidArgumentException', 'JPEGQuality 101 must be an integer from 1 to 100.');
  await rejects({ NextToken: 'bm9wZQ==' }, 'InvalidArgumentException', 'The NextToken is not valid.');
  await rejects({ StreamName: 'nothing-here' }, 'ResourceNotFoundException', 'The requested stream is not found or not active.');
  await createStream('no-retention', 0);
  await rejects({ StreamName: 'no-retention' }, 'NoDataRetentionException', 'The Stream data retention in hours is equal to zero.');
});
