import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { DECODE_TIMEOUT_MS, DecoderUnavailable, type DecodedImages, type ImageDecoder, type ImageRequest } from './decoder.js';
import type { VideoCodec } from './keyframes.js';

/**
 * Key frames to JPEG/PNG through an ffmpeg process (VIDEO-SPEC §1 fact 11, §9.4 item 4): Debian's
 * ffmpeg, or the binary `--ffmpeg` names. One process per batch: the key frames go in as one raw
 * Annex-B elementary stream (each with its parameter sets), one image per frame comes out on
 * stdout, split here by the image format's own structure. Without ffmpeg, choose-decoder.ts
 * takes the npm decoder (H.264 Baseline only).
 */

/** ffmpeg's mjpeg -q:v range: 2 is the best quality it is used with, 31 the worst. */
const MJPEG_BEST_Q = 2;
const MJPEG_WORST_Q = 31;

/** The ffmpeg to run: the configured path, else `ffmpeg` found on PATH; undefined when none is there. */
export function locateFfmpeg(configured: string | undefined, path = process.env.PATH ?? ''): string | undefined {
  const candidates = configured ? [configured] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, 'ffmpeg'));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** JPEGQuality 1..100 onto mjpeg's -q:v 31..2 (higher quality, smaller q). */
export function mjpegQ(quality: number): number {
  return Math.round(MJPEG_WORST_Q - ((quality - 1) * (MJPEG_WORST_Q - MJPEG_BEST_Q)) / 99);
}

/** The scale filter: both sizes stretch; one keeps the aspect ratio (§5.6); none keeps the stream's size. */
function scaleFilter(request: ImageRequest): string[] {
  if (request.width === undefined && request.height === undefined) return [];
  return ['-vf', `scale=${request.width ?? -1}:${request.height ?? -1}`];
}

/**
 * Decodes Annex-B key frames (each self-contained) and encodes one image per frame. Resolves with
 * the images in order and ffmpeg's complaint if it failed; fewer images than frames means some
 * frame failed (the caller finds which).
 */
function decodeBatch(ffmpeg: string, codec: VideoCodec, frames: Buffer[], request: ImageRequest): Promise<{ images: Buffer[]; problem?: string }> {
  const encoder = request.format === 'JPEG'
    ? ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj420p', '-q:v', String(mjpegQ(request.jpegQuality))]
    : ['-c:v', 'png', '-pix_fmt', 'rgb24'];
  // One thread each for decoding and encoding: a batch of key frames gains nothing from frame
  // threads, and starting them cost a fifth of a 25-frame batch's CPU (bench/results.md); requests
  // in parallel still run in processes of their own.
  const args = [
    '-hide_banner', '-loglevel', 'error', '-nostdin',
    '-threads', '1', '-f', codec === 'h264' ? 'h264' : 'hevc', '-i', 'pipe:0',
    '-an', '-fps_mode', 'passthrough', ...scaleFilter(request),
    ...encoder, '-threads', '1', '-f', 'image2pipe', 'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpeg, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), DECODE_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new DecoderUnavailable(`ffmpeg could not be started: ${err.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const data = Buffer.concat(out);
      const images = request.format === 'JPEG' ? splitJpegs(data) : splitPngs(data);
      // A failed run may still have produced the images before the bad frame; the caller checks the count.
      resolve({ images, problem: code === 0 ? undefined : stderr.trim() || `ffmpeg exited with ${code}` });
    });
    child.stdin.on('error', () => undefined);
    for (const frame of frames) child.stdin.write(frame);
    child.stdin.end();
  });
}

/** ffmpeg as an ImageDecoder: one run per batch; when a batch comes short, one run per frame tells which failed. */
export class FfmpegDecoder implements ImageDecoder {
  readonly name = 'ffmpeg';
  readonly description: string;

  constructor(private readonly ffmpeg: string) {
    this.description = `ffmpeg (${ffmpeg}): H.264 of every profile and H.265`;
  }

  async decode(codec: VideoCodec, frames: Buffer[], request: ImageRequest): Promise<DecodedImages> {
    const batch = await decodeBatch(this.ffmpeg, codec, frames, request);
    if (batch.images.length === frames.length) return { images: batch.images };
    const images: Array<Buffer | undefined> = [];
    for (const frame of frames) {
      const single = await decodeBatch(this.ffmpeg, codec, [frame], request);
      images.push(single.images.length === 1 ? single.images[0] : undefined);
    }
    return { images, problem: batch.problem ?? 'ffmpeg produced fewer images than frames' };
  }

  async close(): Promise<void> {
    // Nothing outlives a batch.
  }
}

/** Concatenated JPEGs: SOI, marker segments up to SOS, entropy-coded data up to EOI (0xFF is stuffed in scans, so FF D9 ends it). */
export function splitJpegs(data: Buffer): Buffer[] {
  const images: Buffer[] = [];
  let at = 0;
  while (at + 4 <= data.length && data[at] === 0xff && data[at + 1] === 0xd8) {
    let i = at + 2;
    let end = -1;
    while (i + 4 <= data.length) {
      if (data[i] !== 0xff) return images;
      const marker = data[i + 1];
      const length = data.readUInt16BE(i + 2);
      i += 2 + length;
      if (marker === 0xda) {
        while (i + 1 < data.length && !(data[i] === 0xff && data[i + 1] === 0xd9)) i++;
        if (i + 1 >= data.length) return images;
        end = i + 2;
        break;
      }
    }
    if (end < 0) return images;
    images.push(data.subarray(at, end));
    at = end;
  }
  return images;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Concatenated PNGs: signature, then chunks (length, type, data, CRC) up to IEND. */
export function splitPngs(data: Buffer): Buffer[] {
  const images: Buffer[] = [];
  let at = 0;
  while (at + 8 <= data.length && data.subarray(at, at + 8).equals(PNG_SIGNATURE)) {
    let i = at + 8;
    let end = -1;
    while (i + 12 <= data.length) {
      const length = data.readUInt32BE(i);
      const type = data.toString('latin1', i + 4, i + 8);
      i += 12 + length;
      if (type === 'IEND') {
        end = i;
        break;
      }
    }
    if (end < 0 || end > data.length) return images;
    images.push(data.subarray(at, end));
    at = end;
  }
  return images;
}
