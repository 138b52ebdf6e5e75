import type { VideoRequestContext } from '../context.js';
import { invalidArgument, jpegQualityInvalid, noDataRetention, samplingIntervalTooSmall, streamNotFound } from '../errors.js';
import { NEXT_TOKEN_INVALID, TIMESTAMP_RANGE_INVALID } from '../media/errors.js';
import { streamLogs, type StoredFragment, type StreamLogs } from '../media/fragment-store.js';
import { MAX_FRAGMENT_DURATION_MS } from '../media/limits.js';
import { retentionHorizon, servesMedia, type MediaRuntime } from '../media/runtime.js';
import { DEFAULT_JPEG_QUALITY, type ImageFormat } from './decoder.js';
import type { ImageMaker, ImageJob } from './image-maker.js';
import { keyFramesOf, MediaProblem, videoTrackOf, type VideoTrack } from './keyframes.js';

/**
 * GetImages (VIDEO-SPEC §5.6): one image per sampling instant from StartTimestamp to
 * EndTimestamp (both inclusive), each the key frame at or before the instant in the fragment that
 * spans it (AWS's choice between the key frame and the exact frame is UNVERIFIED; the key frame
 * needs one decoded frame per image). An instant no fragment spans is NO_MEDIA; one whose media
 * cannot be decoded (no video track, unknown codec, corrupt frame, no decoder) is MEDIA_ERROR.
 */

/** §5.6 [doc]: End − Start must not exceed 300 s. */
export const MAX_IMAGES_RANGE_MS = 300_000;
/** §5.6 [doc]: SamplingInterval minimum, 200 ms (5 images/s). */
export const MIN_SAMPLING_INTERVAL_MS = 200;
/** UNVERIFIED: the instant step when SamplingInterval is not given (the model has no default). */
export const DEFAULT_SAMPLING_INTERVAL_MS = 3_000;
/** Model docs: "The default limit is 25 images per API response. Providing a MaxResults greater than this value will result in a page size of 25." */
export const IMAGES_PAGE_SIZE = 25;
/** Model (ImageContent max): larger images are MEDIA_ERROR. */
export const MAX_IMAGE_CONTENT_CHARS = 6_291_456;
/**
 * UNVERIFIED: how far past its last frame a fragment still spans an instant (FragmentLength is
 * last frame − first frame, so the last frame's own duration is not counted): frame rates down to
 * 4 fps leave no false NO_MEDIA between contiguous fragments.
 */
export const FRAME_SPAN_TOLERANCE_MS = 250;
/** UNVERIFIED texts. */
export const IMAGES_RANGE_TOO_LONG = `The time range between StartTimestamp and EndTimestamp must not exceed ${MAX_IMAGES_RANGE_MS / 1000} seconds.`;
export const FORMAT_CONFIG_KEY_INVALID = (key: string) => `FormatConfig key ${key} is not supported; the only key is JPEGQuality.`;

const JPEG_QUALITY_KEY = 'JPEGQuality';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  ImageSelectorType: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
  StartTimestamp: Date;
  EndTimestamp: Date;
  SamplingInterval?: number;
  Format: ImageFormat;
  FormatConfig?: Record<string, string>;
  WidthPixels?: number;
  HeightPixels?: number;
  MaxResults?: number;
  NextToken?: string;
}

interface Image {
  TimeStamp: Date;
  Error?: 'NO_MEDIA' | 'MEDIA_ERROR';
  ImageContent?: string;
}

export async function getImages(runtime: MediaRuntime, maker: ImageMaker, input: Input, context: VideoRequestContext) {
  const stream = await context.video.streams.find(context.account, context.region, input);
  if (!servesMedia(stream)) throw streamNotFound();
  if (stream.DataRetentionInHours === 0) throw noDataRetention();
  const startMs = input.StartTimestamp.getTime();
  const endMs = input.EndTimestamp.getTime();
  if (startMs > endMs) throw invalidArgument(TIMESTAMP_RANGE_INVALID);
  if (endMs - startMs > MAX_IMAGES_RANGE_MS) throw invalidArgument(IMAGES_RANGE_TOO_LONG);
  const interval = input.SamplingInterval ?? DEFAULT_SAMPLING_INTERVAL_MS;
  if (interval < MIN_SAMPLING_INTERVAL_MS) throw samplingIntervalTooSmall(interval, MIN_SAMPLING_INTERVAL_MS);
  let jpegQuality = DEFAULT_JPEG_QUALITY;
  for (const [key, value] of Object.entries(input.FormatConfig ?? {})) {
    if (key !== JPEG_QUALITY_KEY) throw invalidArgument(FORMAT_CONFIG_KEY_INVALID(key));
    const quality = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
    if (!(quality >= 1 && quality <= 100)) throw jpegQualityInvalid(value);
    jpegQuality = quality;
  }

  // Instants are Start + k·interval up to End; a range shorter than the interval has only Start.
  const total = Math.floor((endMs - startMs) / interval) + 1;
  const first = input.NextToken === undefined ? 0 : decodeToken(input.NextToken, total);
  const pageSize = Math.min(input.MaxResults ?? IMAGES_PAGE_SIZE, IMAGES_PAGE_SIZE);
  const last = Math.min(total, first + pageSize);
  const instants: number[] = [];
  for (let k = first; k < last; k++) instants.push(startMs + k * interval);

  const logs = streamLogs(stream.StreamARN);
  const byServer = input.ImageSelectorType === 'SERVER_TIMESTAMP';
  const fragments = await spanningFragments(runtime, logs, byServer, instants[0], instants[instants.length - 1], retentionHorizon(stream));
  const startOf = (f: StoredFragment) => (byServer ? f.st : f.pt);

  // Instant → fragment (the latest-starting one whose frames span it; on a tie the earlier one in the log).
  const images: Image[] = instants.map((t) => ({ TimeStamp: new Date(t) }));
  const fragmentOf = instants.map((t) => {
    let best: StoredFragment | undefined;
    for (const f of fragments) {
      const start = startOf(f);
      if (start <= t && t <= start + f.len + FRAME_SPAN_TOLERANCE_MS && (!best || start > startOf(best))) best = f;
    }
    return best;
  });

  // Each fragment's key frames, read once.
  const jobs = new Map<string, ImageJob>();
  const jobOf: Array<ImageJob | undefined> = [];
  const framesOf = new Map<number, { track: VideoTrack; keyFrames: ReturnType<typeof keyFramesOf> } | MediaProblem>();
  for (let n = 0; n < instants.length; n++) {
    const fragment = fragmentOf[n];
    if (!fragment) {
      images[n].Error = 'NO_MEDIA';
      continue;
    }
    let frames = framesOf.get(fragment.index);
    if (!frames) {
      frames = await readKeyFrames(runtime, logs, fragment, maker);
      framesOf.set(fragment.index, frames);
    }
    if (frames instanceof MediaProblem) {
      maker.report(stream.StreamARN, frames.message);
      images[n].Error = 'MEDIA_ERROR';
      continue;
    }
    const offset = instants[n] - startOf(fragment);
    let chosen = -1;
    frames.keyFrames.forEach((frame, k) => {
      if (frame.offsetMs <= offset || chosen === -1) chosen = k;
    });
    if (chosen === -1) {
      maker.report(stream.StreamARN, `fragment ${fragment.fn} has no key frame`);
      images[n].Error = 'MEDIA_ERROR';
      continue;
    }
    const key = `${fragment.index}/${chosen}`;
    let job = jobs.get(key);
    if (!job) jobs.set(key, (job = { track: frames.track, trackKey: fragment.header, frame: frames.keyFrames[chosen].data }));
    jobOf[n] = job;
  }

  const results = await maker.make([...jobs.values()], {
    format: input.Format,
    jpegQuality,
    width: input.WidthPixels,
    height: input.HeightPixels,
  }, stream.StreamARN);
  for (let n = 0; n < instants.length; n++) {
    const job = jobOf[n];
    if (!job) continue;
    const image = results.get(job);
    const content = image?.toString('base64');
    if (content && content.length <= MAX_IMAGE_CONTENT_CHARS) images[n].ImageContent = content;
    else images[n].Error = 'MEDIA_ERROR';
  }
  return { Images: images, NextToken: last < total ? encodeToken(last) : undefined };
}

/** Fragments whose span may hold an instant in [from, to], in log order. */
async function spanningFragments(runtime: MediaRuntime, logs: StreamLogs, byServer: boolean, from: number, to: number, horizon: number): Promise<StoredFragment[]> {
  // A fragment starting before `from − reach` cannot span `from`.
  const reach = MAX_FRAGMENT_DURATION_MS + FRAME_SPAN_TOLERANCE_MS;
  const spans = (fragment: StoredFragment, start: number) => start <= to && start + fragment.len + FRAME_SPAN_TOLERANCE_MS >= from;
  if (!byServer) {
    // Producer timestamps may go back across sessions: the producer-time index finds them in any run.
    const indices = (await runtime.fragments.producerTimes(logs, horizon)).inRange(from - reach, to, 0, Number.MAX_SAFE_INTEGER);
    return (await runtime.fragments.fragmentsAt(logs, indices, horizon)).filter((f) => spans(f, f.pt));
  }
  // Commit time ≥ server timestamp, and server timestamps grow along the log.
  const out: StoredFragment[] = [];
  for await (const fragment of runtime.fragments.scan(logs, await runtime.fragments.indexAtTime(logs, from - reach), horizon)) {
    if (fragment.st > to) break;
    if (spans(fragment, fragment.st)) out.push(fragment);
  }
  return out;
}

async function readKeyFrames(runtime: MediaRuntime, logs: StreamLogs, fragment: StoredFragment, maker: ImageMaker) {
  try {
    const track = await maker.trackOf(fragment.header, async () => {
      const header = await runtime.fragments.header(logs, fragment.header);
      if (!header) throw new MediaProblem(`the header of fragment ${fragment.fn} is gone`);
      return videoTrackOf(header, fragment.ebml);
    });
    const chunks: Buffer[] = [];
    const media = runtime.fragments.media(logs, fragment);
    for (;;) {
      const next = await media.next();
      if (next.done) {
        if (next.value === false) throw new MediaProblem(`fragment ${fragment.fn} is gone`);
        break;
      }
      chunks.push(next.value);
    }
    return { track, keyFrames: keyFramesOf(Buffer.concat(chunks), track) };
  } catch (error) {
    if (error instanceof MediaProblem) return error;
    // A malformed stored Cluster (MkvError) is the stream's media, not the server's fault.
    return new MediaProblem(`fragment ${fragment.fn} cannot be read: ${(error as Error).message}`);
  }
}

const TOKEN_PREFIX = 'gi1:';

function encodeToken(index: number): string {
  return Buffer.from(`${TOKEN_PREFIX}${index}`).toString('base64');
}

function decodeToken(token: string, total: number): number {
  const text = Buffer.from(token, 'base64').toString();
  const index = Number(text.slice(TOKEN_PREFIX.length));
  if (!text.startsWith(TOKEN_PREFIX) || !Number.isSafeInteger(index) || index < 0 || index >= total) throw invalidArgument(NEXT_TOKEN_INVALID);
  return index;
}
