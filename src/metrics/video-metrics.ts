import { Stat } from './stat.js';

/**
 * What Kinesis Video Streams counts for AWS/KinesisVideo (dimension StreamName) and Prometheus:
 * the media side calls these hooks once per request, per received chunk and per fragment (never
 * per frame), so the cost is a Map look-up and a few additions.
 *
 * Metric names and units as AWS's "Monitoring Kinesis Video Streams metrics with CloudWatch"
 * page lists them (UNVERIFIED against a recorded response: VIDEO-SPEC does not cover CloudWatch).
 * Frame counts (PutMedia.IncomingFrames, GetMedia.OutgoingFrames) and the ack latencies are not
 * counted: the media path does not see frames one by one.
 */
export const VIDEO_METRICS = {
  'PutMedia.Requests': 'Count',
  'PutMedia.IncomingBytes': 'Bytes',
  'PutMedia.IncomingFragments': 'Count',
  'GetMedia.Requests': 'Count',
  'GetMedia.OutgoingBytes': 'Bytes',
  'GetMedia.OutgoingFragments': 'Count',
  'GetMedia.MillisBehindNow': 'Milliseconds',
  'GetMediaForFragmentList.Requests': 'Count',
  'GetMediaForFragmentList.OutgoingBytes': 'Bytes',
  'GetMediaForFragmentList.OutgoingFragments': 'Count',
} as const;
export type VideoMetricName = keyof typeof VIDEO_METRICS;

/** The stream a hook names (a VideoStreamDoc has these fields). */
export interface VideoStreamRef {
  account: string;
  region: string;
  StreamName: string;
}

export type MediaReadApi = 'GetMedia' | 'GetMediaForFragmentList';

export class VideoStreamMetrics {
  readonly stats = Object.fromEntries(Object.keys(VIDEO_METRICS).map((name) => [name, new Stat()])) as Record<VideoMetricName, Stat>;
  constructor(
    readonly account: string,
    readonly region: string,
    readonly name: string,
  ) {}
}

export class VideoMetrics {
  readonly streams = new Map<string, VideoStreamMetrics>();

  private of(ref: VideoStreamRef): VideoStreamMetrics {
    const key = `${ref.account}/${ref.region}/${ref.StreamName}`;
    let m = this.streams.get(key);
    if (!m) this.streams.set(key, (m = new VideoStreamMetrics(ref.account, ref.region, ref.StreamName)));
    return m;
  }

  /** A PutMedia connection was accepted. */
  putMediaRequest(ref: VideoStreamRef): void {
    this.of(ref).stats['PutMedia.Requests'].add(1);
  }

  /** Bytes of a PutMedia body received. */
  putMediaBytes(ref: VideoStreamRef, bytes: number): void {
    this.of(ref).stats['PutMedia.IncomingBytes'].add(bytes);
  }

  /**
   * Counts the fragments of `committed` from index `from` on (a PutMedia session's committed
   * list, which only grows) and returns the new count, for the next call.
   */
  fragmentsCommitted(ref: VideoStreamRef, committed: ReadonlyArray<unknown>, from: number): number {
    if (committed.length > from) this.of(ref).stats['PutMedia.IncomingFragments'].add(committed.length - from);
    return committed.length;
  }

  /** A GetMedia or GetMediaForFragmentList request was accepted. */
  mediaRequest(ref: VideoStreamRef, api: MediaReadApi): void {
    this.of(ref).stats[`${api}.Requests`].add(1);
  }

  /** A fragment went out to a reader; `behindMs` is how old it was (GetMedia.MillisBehindNow). */
  fragmentOut(ref: VideoStreamRef, api: MediaReadApi, bytes: number, behindMs?: number): void {
    const m = this.of(ref);
    m.stats[`${api}.OutgoingBytes`].add(bytes);
    m.stats[`${api}.OutgoingFragments`].add(1);
    if (api === 'GetMedia' && behindMs !== undefined) m.stats['GetMedia.MillisBehindNow'].add(behindMs);
  }
}
