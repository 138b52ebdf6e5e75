import { execFileSync } from 'node:child_process';
import { Decoder, type EbmlTag } from 'ebml';

/**
 * A test producer that writes what the KVS producer SDK (PIC) writes (VIDEO-SPEC §3.2): an EBML
 * header, an unknown-size Segment, Info ("Kinesis Video SDK") and Tracks, then per fragment an
 * unknown-size Cluster with Timecode and Position, SimpleBlocks, optional fragment-metadata Tags
 * and the AWS_KINESISVIDEO_END_OF_FRAGMENT Tags. Frames come from real media made by ffmpeg.
 */

export interface Frame {
  track: number;
  /** Timestamp in ms from the start of the media. */
  ms: number;
  keyframe: boolean;
  data: Buffer;
}

export interface TrackInfo {
  number: number;
  codecId: string;
  codecPrivate?: Buffer;
  /** 1 video, 2 audio. */
  type: number;
  width?: number;
  height?: number;
}

export interface Media {
  tracks: TrackInfo[];
  frames: Frame[];
}

/** Runs ffmpeg and returns its Matroska output. */
export function ffmpegMkv(args: string[]): Buffer {
  return execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', ...args, '-f', 'matroska', '-'], { maxBuffer: 512 * 1024 * 1024 });
}

/** H.264 Baseline video (no B-frames), `seconds` long, a keyframe every `gop` frames at 25 fps. */
export function testVideo(seconds: number, gop = 25, size = '320x240'): Buffer {
  return ffmpegMkv(['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=25`, '-t', String(seconds), '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-bf', '0']);
}

/** Every element of an MKV, decoded by the `ebml` package (the independent oracle). */
export async function decodeEbml(mkv: Buffer): Promise<Array<[string, EbmlTag]>> {
  const decoder = new Decoder();
  const out: Array<[string, EbmlTag]> = [];
  decoder.on('data', (chunk: [string, EbmlTag]) => out.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    decoder.on('finish', resolve);
    decoder.on('error', reject);
  });
  // Fed in odd-sized pieces, as a network would.
  for (let i = 0; i < mkv.length; i += 7919) decoder.write(mkv.subarray(i, i + 7919));
  decoder.end();
  await done;
  return out;
}

/** The tracks and frames of an MKV file. */
export async function readMedia(mkv: Buffer): Promise<Media> {
  const tracks: TrackInfo[] = [];
  const frames: Frame[] = [];
  let track: Partial<TrackInfo> | undefined;
  let clusterMs = 0;
  for (const [kind, tag] of await decodeEbml(mkv)) {
    if (kind === 'start' && tag.name === 'TrackEntry') track = {};
    else if (kind === 'end' && tag.name === 'TrackEntry') tracks.push(track as TrackInfo);
    else if (kind === 'tag' && track && !tracks.includes(track as TrackInfo)) {
      if (tag.name === 'TrackNumber') track.number = Number(tag.value);
      if (tag.name === 'CodecID') track.codecId = String(tag.value);
      if (tag.name === 'CodecPrivate') track.codecPrivate = Buffer.from(tag.data!);
      if (tag.name === 'TrackType') track.type = Number(tag.value);
      if (tag.name === 'PixelWidth') track.width = Number(tag.value);
      if (tag.name === 'PixelHeight') track.height = Number(tag.value);
    }
    if (kind === 'tag' && tag.name === 'Timecode') clusterMs = Number(tag.value);
    if (kind === 'tag' && tag.name === 'SimpleBlock') {
      frames.push({ track: tag.track!, ms: clusterMs + Number(tag.value), keyframe: tag.keyframe === true, data: Buffer.from(tag.payload!) });
    }
  }
  return { tracks, frames };
}

// EBML writing (independent of src/video/mkv/writer.ts on purpose).
function vint(value: number, length?: number): Buffer {
  let n = length ?? 1;
  while (!length && n < 8 && value >= 2 ** (7 * n) - 1) n++;
  const out = Buffer.alloc(n);
  let v = value;
  for (let k = n - 1; k >= 0; k--) {
    out[k] = v % 256;
    v = Math.floor(v / 256);
  }
  out[0] |= 0x80 >> (n - 1);
  return out;
}
function id(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}
export function el(hexId: string, ...body: Buffer[]): Buffer {
  const data = Buffer.concat(body);
  return Buffer.concat([id(hexId), vint(data.length), data]);
}
function uint(hexId: string, value: number, bytes = 0): Buffer {
  const hex = value.toString(16);
  const data = Buffer.from(hex.padStart(Math.max(bytes * 2, hex.length + (hex.length % 2)), '0'), 'hex');
  return el(hexId, data);
}
function str(hexId: string, text: string): Buffer {
  return el(hexId, Buffer.from(text));
}
const UNKNOWN = Buffer.from('01ffffffffffffff', 'hex');

export function ebmlHeader(): Buffer {
  return el('1a45dfa3', uint('4286', 1), uint('42f7', 1), uint('42f2', 4), uint('42f3', 8), str('4282', 'matroska'), uint('4287', 2), uint('4285', 2));
}

export function segmentStart(): Buffer {
  return Buffer.concat([id('18538067'), UNKNOWN]);
}

export function info(timecodeScale = 1_000_000): Buffer {
  return el('1549a966', uint('2ad7b1', timecodeScale), str('4d80', 'Kinesis Video SDK'), str('5741', 'Kinesis Video SDK'));
}

export function tracksElement(tracks: TrackInfo[]): Buffer {
  return el('1654ae6b', ...tracks.map((t) => el('ae',
    uint('d7', t.number), uint('73c5', t.number), str('86', t.codecId), uint('83', t.type),
    ...(t.codecPrivate ? [el('63a2', t.codecPrivate)] : []),
    ...(t.type === 1 ? [el('e0', uint('b0', t.width ?? 320), uint('ba', t.height ?? 240))] : []))));
}

export function simpleTagsElement(pairs: Array<[string, string]>): Buffer {
  return el('1254c367', el('7373', ...pairs.map(([n, v]) => el('67c8', str('45a3', n), str('4487', v)))));
}

export const END_OF_FRAGMENT = simpleTagsElement([['AWS_KINESISVIDEO_END_OF_FRAGMENT', '']]);

/** An unknown-size Cluster with an 8-byte Timecode and Position 0, as the PIC writes it. */
export function cluster(timecode: number, frames: Frame[], track = (f: Frame) => f.track): Buffer {
  const tc = Buffer.alloc(8);
  tc.writeBigUInt64BE(BigInt(timecode));
  const blocks = frames.map((f) => {
    const header = Buffer.alloc(3);
    header.writeInt16BE(Math.round(f.ms - timecode));
    header[2] = f.keyframe ? 0x80 : 0;
    return el('a3', vint(track(f)), header, f.data);
  });
  return Buffer.concat([id('1f43b675'), UNKNOWN, el('e7', tc), el('a7', Buffer.from([0])), ...blocks]);
}

export interface ProducerOptions {
  /** Cluster timecodes offset (RELATIVE: ms since producer start; ABSOLUTE: epoch ms). */
  timecodeBase?: number;
  /** Metadata tags written before each fragment's end-of-fragment tag. */
  metadata?: (fragment: number) => Array<[string, string]>;
  /** Write the end-of-fragment tag after every Cluster (the PIC does). */
  endOfFragment?: boolean;
}

/** Fragments of the media split at keyframes of the first video track. */
export function fragmentsOf(media: Media): Frame[][] {
  const fragments: Frame[][] = [];
  const video = media.tracks.find((t) => t.type === 1)?.number ?? media.tracks[0].number;
  for (const frame of media.frames) {
    if ((frame.track === video && frame.keyframe) || fragments.length === 0) fragments.push([]);
    fragments[fragments.length - 1].push(frame);
  }
  return fragments;
}

/** The whole PutMedia body a PIC-like producer writes for `media`, as a list of pieces (header, then one per fragment). */
export function producerStream(media: Media, options: ProducerOptions = {}): Buffer[] {
  const base = options.timecodeBase ?? 0;
  const pieces: Buffer[] = [Buffer.concat([ebmlHeader(), segmentStart(), info(), tracksElement(media.tracks)])];
  fragmentsOf(media).forEach((frames, n) => {
    const timecode = base + frames[0].ms;
    const tags = options.metadata?.(n) ?? [];
    pieces.push(Buffer.concat([
      cluster(timecode, frames.map((f) => ({ ...f, ms: base + f.ms }))),
      ...(tags.length ? [simpleTagsElement(tags)] : []),
      ...(options.endOfFragment !== false ? [END_OF_FRAGMENT] : []),
    ]));
  });
  return pieces;
}
