import type { Logger } from 'pino';
import { DecoderUnavailable, type ImageDecoder, type ImageRequest } from './decoder.js';
import { annexB, MediaProblem, type VideoTrack } from './keyframes.js';

/** One key frame to turn into an image. */
export interface ImageJob {
  track: VideoTrack;
  /** Names the session header the track comes from: frames of one header share a decoder run. */
  trackKey: string;
  frame: Buffer;
}

/** Session headers whose tracks are remembered (headers are immutable, named by their hash). */
const TRACK_CACHE_SIZE = 256;
/** Why images of a stream failed is logged at most this often per stream. */
const REPORT_INTERVAL_MS = 60_000;

/** The node's image side of GetImages: its decoder (choose-decoder.ts), parsed tracks, and one decoder call per batch. */
export class ImageMaker {
  private readonly tracks = new Map<string, VideoTrack>();
  private readonly reported = new Map<string, number>();

  /** `decoder` undefined: none could be had (forced to ffmpeg without one), every image is MEDIA_ERROR. */
  constructor(private readonly decoder: ImageDecoder | undefined, private readonly log: Logger) {}

  close(): Promise<void> {
    return this.decoder?.close() ?? Promise.resolve();
  }

  async trackOf(key: string, load: () => Promise<VideoTrack>): Promise<VideoTrack> {
    const cached = this.tracks.get(key);
    if (cached) return cached;
    const track = await load();
    if (this.tracks.size >= TRACK_CACHE_SIZE) this.tracks.delete(this.tracks.keys().next().value!);
    this.tracks.set(key, track);
    return track;
  }

  /** Logs why a stream's images are MEDIA_ERROR (the API has no field for it), rate-limited per stream. */
  report(streamArn: string, reason: string): void {
    const now = Date.now();
    if ((this.reported.get(streamArn) ?? 0) > now - REPORT_INTERVAL_MS) return;
    this.reported.set(streamArn, now);
    if (this.reported.size > TRACK_CACHE_SIZE) this.reported.delete(this.reported.keys().next().value!);
    this.log.warn({ stream: streamArn, reason }, 'GetImages: MEDIA_ERROR');
  }

  /** Images of the jobs that could be made; a job missing from the result is MEDIA_ERROR. */
  async make(jobs: ImageJob[], request: ImageRequest, streamArn: string): Promise<Map<ImageJob, Buffer>> {
    const out = new Map<ImageJob, Buffer>();
    if (jobs.length === 0) return out;
    const decoder = this.decoder;
    if (!decoder) {
      this.report(streamArn, 'no decoder: --images-decoder ffmpeg, and no ffmpeg on PATH or at --ffmpeg');
      return out;
    }
    const groups = new Map<string, Array<{ job: ImageJob; unit: Buffer }>>();
    for (const job of jobs) {
      let unit: Buffer;
      try {
        unit = annexB(job.track, job.frame);
      } catch (error) {
        if (!(error instanceof MediaProblem)) throw error;
        this.report(streamArn, error.message);
        continue;
      }
      let group = groups.get(job.trackKey);
      if (!group) groups.set(job.trackKey, (group = []));
      group.push({ job, unit });
    }
    try {
      await Promise.all([...groups.values()].map(async (group) => {
        const decoded = await decoder.decode(group[0].job.track.codec, group.map((g) => g.unit), request);
        group.forEach((g, n) => {
          const image = decoded.images[n];
          if (image) out.set(g.job, image);
        });
        if (decoded.problem) this.report(streamArn, decoded.problem);
      }));
    } catch (error) {
      if (!(error instanceof DecoderUnavailable)) throw error;
      this.report(streamArn, error.message);
    }
    return out;
  }
}
