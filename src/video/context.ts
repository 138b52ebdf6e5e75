import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Credentials } from '../protocol/auth.js';
import type { Caller } from '../protocol/authenticator.js';
import type { ServerRequest, ServerResponse } from '../protocol/http-exchange.js';
import type { RestRequestContext } from '../protocol/rest-json.js';
import type { Store } from '../store/store.js';
import type { VideoMetrics } from '../metrics/video-metrics.js';
import type { SignalingChannels } from './domain/signaling-channels.js';
import type { VideoStreamDoc } from './domain/video-stream.js';
import type { VideoStreams } from './domain/video-streams.js';

/** What Video operations work with: below the service and the domain, so imports run one way. */
export interface VideoContext {
  config: Config;
  store: Store;
  streams: VideoStreams;
  channels: SignalingChannels;
  log: Logger;
  /** AWS/KinesisVideo and Prometheus counters (metrics/video-metrics.ts), when the server keeps metrics. */
  metrics?: VideoMetrics;
}

export interface VideoRequestContext extends RestRequestContext {
  video: VideoContext;
  /** The operation's name as the model spells it. */
  operation: string;
  /**
   * The base URL the client reached Millrace by (scheme from TLS, host from Host or :authority,
   * no trailing slash): what GetDataEndpoint answers (VIDEO-SPEC §9.2).
   */
  endpoint: string;
}

/** One file per control operation under `operations/`, named as the API names it, default-exporting this. */
export type Operation = (input: any, context: VideoRequestContext) => Promise<Record<string, unknown> | undefined>;

/**
 * The media side (PutMedia, GetMedia, archived media), supplied by src/video/media/routes.ts.
 * Operations it names are routed from the media and archived-media models; the others of those
 * models are not routed (UnknownOperationException) until it provides them.
 */
export interface VideoMediaRoutes {
  operations: Record<string, (input: any, context: VideoRequestContext) => Promise<Record<string, unknown> | undefined>>;
  /** `POST /putMedia` (in no model): the request is handed over unread, the response is its to write. */
  putMedia(req: ServerRequest, res: ServerResponse, context: VideoRequestContext): Promise<void>;
  /**
   * Unsigned GETs a player makes (HLS/DASH playback URLs, issue 17): the paths claimed, and their
   * handler; a signed GET on a claimed path comes here too.
   */
  playback?: { claims(path: string): boolean; handle(req: ServerRequest, res: ServerResponse): void };
  /** A deleted stream's document, before it is removed: drop its fragments. */
  onStreamDeleted(stream: VideoStreamDoc): Promise<void>;
  /** What GetImages decodes with on this node (choose-decoder.ts), for the start-up banner. */
  readonly imagesDecoder?: string;
  /** At shutdown: stops what the routes run beside requests (GetImages' decoder threads). */
  close?(): Promise<void>;
  /**
   * Checks a PutMedia request's signature with the payload-hash rules PutMedia clients use
   * (VIDEO-SPEC §1 fact 3). Without it the request is authenticated as if its body were empty.
   */
  authenticatePutMedia?(req: ServerRequest, credentials: Credentials): Caller | Promise<Caller>;
}
