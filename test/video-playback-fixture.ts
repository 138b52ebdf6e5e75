import { execFile } from 'node:child_process';
import { cluster, ebmlHeader, END_OF_FRAGMENT, ffmpegMkv, info, readMedia, segmentStart, tracksElement, type Frame, type Media } from './video-producer.js';

/**
 * Media and oracles for the playback tests: ffmpeg-made H.264 (+AAC) put through PutMedia with the
 * PIC-like producer, and ffprobe / ffmpeg reading what the playback URLs serve.
 */

/** H.264 (Baseline by default) 25 fps with a keyframe every second, optionally with a 440 Hz AAC track. */
export function avMkv(seconds: number, options: { audio?: boolean; profile?: string; bframes?: number } = {}): Buffer {
  const video = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25'];
  const audio = options.audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100'] : [];
  return ffmpegMkv([
    ...video, ...audio, '-t', String(seconds),
    '-c:v', 'libx264', '-profile:v', options.profile ?? 'baseline', '-pix_fmt', 'yuv420p', '-g', '25', '-keyint_min', '25', '-sc_threshold', '0', '-bf', String(options.bframes ?? 0),
    ...(options.audio ? ['-c:a', 'aac', '-b:a', '64k'] : []),
  ]);
}

/** H.265 video 25 fps, a keyframe every second, no B-frames (VIDEO-SPEC §6 recipe). */
export function hevcMkv(seconds: number): Buffer {
  return ffmpegMkv(['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=25', '-t', String(seconds), '-c:v', 'libx265', '-pix_fmt', 'yuv420p', '-x265-params', 'keyint=25:min-keyint=25:scenecut=0:bframes=0:log-level=error']);
}

/** H.264 Baseline video with a keyframe every `gop` frames (gop 1: every frame a fragment). */
export function avMkvWithGop(seconds: number, gop: number): Buffer {
  return ffmpegMkv(['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=25', '-t', String(seconds), '-c:v', 'libx264', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-bf', '0']);
}

export interface PutResult {
  acks: Array<{ EventType: string; FragmentNumber?: string; ErrorCode?: string }>;
  fragments: number;
}

/** PutMedia of `media` (RELATIVE timecodes from `startSeconds`), resolving once the response ends. */
export async function putMedia(endpoint: string, stream: string, media: Media, startSeconds: number, timecodeBase = 0): Promise<PutResult> {
  const groups = avFragments(media);
  const body = Buffer.concat([
    ebmlHeader(), segmentStart(), info(), tracksElement(media.tracks),
    ...groups.map((frames) => Buffer.concat([cluster(timecodeBase + frames[0].ms, frames.map((f) => ({ ...f, ms: timecodeBase + f.ms }))), END_OF_FRAGMENT])),
  ]);
  const text = await putBody(endpoint, stream, body, startSeconds);
  return { acks: text.split('\n').filter(Boolean).map((l) => JSON.parse(l)), fragments: groups.length };
}

/** PutMedia of a ready MKV body; resolves with the ack lines once the response ends. */
export async function putBody(endpoint: string, stream: string, body: Buffer, startSeconds: number): Promise<string> {
  const response = await fetch(`${endpoint}/putMedia`, {
    method: 'POST',
    headers: {
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/kinesisvideo/aws4_request, SignedHeaders=host, Signature=abc',
      'x-amz-date': '20240101T000000Z',
      'x-amzn-stream-name': stream,
      'x-amzn-fragment-timecode-type': 'RELATIVE',
      'x-amzn-producer-start-timestamp': startSeconds.toFixed(3),
    },
    body: new Uint8Array(body),
  });
  return response.text();
}

export { readMedia };

/**
 * Fragments split at video keyframes, each holding frames of every track (KVS refuses a fragment
 * missing a track, ack 4011): audio before the first keyframe joins the first fragment.
 */
export function avFragments(media: Media): Frame[][] {
  const video = media.tracks.find((t) => t.type === 1)!.number;
  const groups: Frame[][] = [];
  let pending: Frame[] = [];
  for (const frame of media.frames) {
    if (frame.track === video && frame.keyframe) {
      groups.push([...pending]);
      pending = [];
    }
    (groups.length ? groups[groups.length - 1] : pending).push(frame);
  }
  return groups.map((g) => [...g].sort((a, b) => a.ms - b.ms || a.track - b.track));
}

export function run(command: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ stdout: String(stdout), stderr: String(stderr), code: error ? (typeof error.code === 'number' ? error.code : 1) : 0 });
    });
  });
}

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  nb_read_frames?: string;
  nb_read_packets?: string;
}

/** ffprobe's streams of a URL or file, with decoded frame counts. */
export async function probe(input: string, extra: string[] = []): Promise<{ streams: ProbedStream[]; format: { format_name: string; duration?: string } }> {
  const { stdout, stderr, code } = await run('ffprobe', ['-v', 'error', ...extra, '-count_frames', '-show_streams', '-show_format', '-of', 'json', input]);
  if (code !== 0) throw new Error(`ffprobe failed: ${stderr}`);
  return JSON.parse(stdout);
}

/** Frames `ffmpeg -f null` decodes from the input's streams of one type ('v' or 'a'), and its stderr. */
export async function decodeFrames(input: string, type: 'v' | 'a', extra: string[] = []): Promise<{ frames: number; stderr: string }> {
  const { stderr, code } = await run('ffmpeg', ['-hide_banner', '-nostats', '-v', 'error', ...extra, '-i', input, '-map', `0:${type}`, '-f', 'null', '-progress', 'pipe:2', '-']);
  if (code !== 0) throw new Error(`ffmpeg failed: ${stderr}`);
  const counts = [...stderr.matchAll(/^frame=(\d+)/gm)].map((m) => Number(m[1]));
  if (type === 'v') return { frames: counts[counts.length - 1] ?? 0, stderr };
  return { frames: -1, stderr };
}
