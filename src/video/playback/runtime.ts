import type { VideoContext } from '../context.js';
import type { VideoStreamDoc } from '../domain/video-stream.js';
import { streamNotFound } from '../errors.js';
import { streamLogs, type StoredFragment, type StreamLogs } from '../media/fragment-store.js';
import { retentionHorizon, servesMedia, type MediaRuntime } from '../media/runtime.js';
import type { PlaybackTrack } from './codecs.js';
import { mediaError, tracksChanged } from './errors.js';
import { PlaybackMedia } from './fragment-media.js';
import type { StreamSummary } from './hls.js';
import { timeline } from './selection.js';
import { SessionKeys } from './session-token.js';

/** Archived-media quota points per stream and second (§1 fact 15). */
export const METADATA_POINTS_PER_SECOND = 10_000;
export const MEDIA_POINTS_PER_SECOND = 500;

/** What the playback side shares on one node: nothing authoritative (sessions live in their tokens, media in the store). */
export class PlaybackRuntime {
  readonly media: PlaybackMedia;
  readonly keys: SessionKeys;
  /** Playback requests per session in the current second (--enforce-limits TPS, §5.4). */
  private readonly rates = new Map<string, { second: number; count: number }>();

  constructor(readonly video: Pick<VideoContext, 'store' | 'config' | 'streams'>, readonly mediaRuntime: MediaRuntime) {
    this.media = new PlaybackMedia(mediaRuntime.fragments);
    this.keys = new SessionKeys(video.store);
  }

  get enforceLimits(): boolean {
    return this.mediaRuntime.enforceLimits;
  }

  /** Whether another request of `kind` on the session fits in `perSecond`. */
  admit(sessionKey: string, kind: string, perSecond: number, now = Date.now(), cost = 1): boolean {
    const second = Math.floor(now / 1000);
    const key = `${sessionKey}:${kind}`;
    let entry = this.rates.get(key);
    if (!entry || entry.second !== second) {
      if (this.rates.size > 10_000) for (const [k, v] of this.rates) if (v.second !== second) this.rates.delete(k);
      entry = { second, count: 0 };
      this.rates.set(key, entry);
    }
    if (entry.count + cost > perSecond && entry.count > 0) return false;
    entry.count += cost;
    return true;
  }

  /**
   * Archived-media quota points per stream (§1 fact 15, current quotas): 10,000 metadata and 500
   * media points a second, on this node (like the other --enforce-limits rates). False when the
   * points are not there; nothing is spent then.
   */
  spend(streamArn: string, pool: 'metadata' | 'media', points: number, now = Date.now()): boolean {
    if (!this.enforceLimits) return true;
    return this.admit(`${streamArn}:${pool}`, 'points', pool === 'media' ? MEDIA_POINTS_PER_SECOND : METADATA_POINTS_PER_SECOND, now, points);
  }

  /** A playable stream by ARN (a session's stream may have been deleted meanwhile). */
  async stream(account: string, region: string, streamArn: string): Promise<{ stream: VideoStreamDoc; logs: StreamLogs; horizon: number }> {
    const stream = await this.video.streams.find(account, region, { StreamARN: streamArn });
    if (!servesMedia(stream)) throw streamNotFound();
    return { stream, logs: streamLogs(stream.StreamARN), horizon: retentionHorizon(stream) };
  }

  /**
   * The tracks every listed fragment plays with (the first fragment's), with AWS's errors for
   * unsupported codecs and a track layout that changes within the list.
   */
  async sessionTracks(logs: StreamLogs, list: StoredFragment[]): Promise<PlaybackTrack[]> {
    let tracks: PlaybackTrack[];
    try {
      tracks = (await this.media.tracks(logs, list[0])).tracks;
      const layout = tracks.map((t) => t.config.kind).join();
      const seen = new Set([list[0].header]);
      for (const fragment of list) {
        if (seen.has(fragment.header)) continue;
        seen.add(fragment.header);
        const other = (await this.media.tracks(logs, fragment)).tracks;
        if (other.map((t) => t.config.kind).join() !== layout) throw tracksChanged();
      }
    } catch (error) {
      throw mediaError(error);
    }
    return tracks;
  }

  /** Codecs, frame rate (measured on the first fragment) and peak bandwidth of a list. */
  async summary(logs: StreamLogs, list: StoredFragment[], horizon: number): Promise<StreamSummary> {
    const tracks = await this.sessionTracks(logs, list);
    const times = timeline(list);
    let bandwidth = 0;
    list.forEach((f, k) => {
      if (times[k].seconds > 0) bandwidth = Math.max(bandwidth, (f.size * 8) / times[k].seconds);
    });
    let frameRate: number | undefined;
    if (tracks[0].config.kind !== 'aac') {
      try {
        const { runs } = await this.media.runs(logs, list[0], horizon, undefined, true);
        const samples = runs[0].samples;
        if (samples.length > 1) frameRate = ((samples.length - 1) * runs[0].timescale) / (samples[samples.length - 1].dts - samples[0].dts);
      } catch (error) {
        throw mediaError(error);
      }
    }
    return { tracks, bandwidth, frameRate };
  }
}
