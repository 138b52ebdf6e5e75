import type { PlaybackTrack } from './codecs.js';
import type { Frame } from './matroska.js';
import { timescaleOf } from './mp4.js';

/**
 * Sample times of one track of one fragment (VIDEO-SPEC §9.4 item 3): MKV blocks carry
 * presentation times only, so decode times are the sorted presentation times (equal to them
 * without B-frames; composition offsets otherwise). Times are on the producer's clock (epoch ms,
 * the fragment's ProducerTimestamp plus the block's offset), so consecutive fragments line up
 * and any node computes the same timeline without state.
 */

/** Frame duration assumed for a lone video frame with nothing else to measure (25 fps). UNVERIFIED choice. */
export const FALLBACK_FRAME_MS = 40;
/** The last frame's duration reaches the next fragment when it starts within this many frame durations. */
const CONTIGUOUS_FRAMES = 3;

export interface TimedSample {
  /** Decode and presentation time in the track's timescale. */
  dts: number;
  pts: number;
  duration: number;
  sync: boolean;
  data: Buffer;
}

export interface TrackRun {
  timescale: number;
  samples: TimedSample[];
  bytes: number;
}

/**
 * Timed samples of `track` in `frames`; `startMs` is the fragment's producer timestamp and
 * `nextStartMs` the next fragment's (when there is one), for the last frame's duration.
 */
export function trackRun(track: PlaybackTrack, frames: Frame[], startMs: number, nextStartMs?: number): TrackRun {
  const timescale = timescaleOf(track);
  const own = frames.filter((f) => f.track === track.mkvNumber);
  let bytes = 0;
  for (const f of own) bytes += f.data.length;
  if (own.length === 0) return { timescale, samples: [], bytes };
  if (track.config.kind === 'aac') {
    // Each AAC frame is exactly frameSamples PCM samples: durations are exact, the base is the first frame's time.
    const frameSamples = track.config.frameSamples;
    const base = Math.round(((startMs + own[0].relativeMs) * timescale) / 1000);
    const samples = own.map((f, k) => ({ dts: base + k * frameSamples, pts: base + k * frameSamples, duration: frameSamples, sync: true, data: f.data }));
    return { timescale, samples, bytes };
  }
  const ticks = (ms: number) => Math.round((ms * timescale) / 1000);
  const pts = own.map((f) => ticks(startMs + f.relativeMs));
  const dts = [...pts].sort((a, b) => a - b);
  const samples: TimedSample[] = own.map((f, k) => ({ dts: dts[k], pts: pts[k], duration: 0, sync: f.keyframe, data: f.data }));
  for (let k = 0; k + 1 < samples.length; k++) samples[k].duration = samples[k + 1].dts - samples[k].dts;
  const last = samples[samples.length - 1];
  const average = samples.length > 1 ? (last.dts - samples[0].dts) / (samples.length - 1) : ticks(track.defaultDurationMs ?? FALLBACK_FRAME_MS);
  const toNext = nextStartMs === undefined ? undefined : ticks(nextStartMs) - last.dts;
  last.duration = toNext !== undefined && toNext > 0 && toNext <= average * CONTIGUOUS_FRAMES ? toNext : Math.round(average);
  return { timescale, samples, bytes };
}

/** The run's duration in ms (first decode time to the end of the last sample). */
export function runDurationMs(run: TrackRun): number {
  if (run.samples.length === 0) return 0;
  const last = run.samples[run.samples.length - 1];
  return ((last.dts + last.duration - run.samples[0].dts) * 1000) / run.timescale;
}
