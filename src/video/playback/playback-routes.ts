import type { VideoContext, VideoRequestContext } from '../context.js';
import type { MediaRuntime } from '../media/runtime.js';
import { getClip } from './get-clip.js';
import { getDASHStreamingSessionURL } from './get-dash-streaming-session-url.js';
import { getHLSStreamingSessionURL } from './get-hls-streaming-session-url.js';
import { isPlaybackPath, playbackHandler } from './playback-http.js';
import { PlaybackRuntime } from './runtime.js';

/**
 * Playback (issue 17 §1–§4): the archived-media operations GetHLSStreamingSessionURL,
 * GetDASHStreamingSessionURL and GetClip, and the GET URLs their sessions hand to players.
 */
export function createPlaybackRoutes(video: Pick<VideoContext, 'store' | 'config' | 'streams' | 'log'>, media: MediaRuntime) {
  const runtime = new PlaybackRuntime(video, media);
  return {
    operations: {
      GetHLSStreamingSessionURL: (input: any, context: VideoRequestContext) => getHLSStreamingSessionURL(runtime, input, context),
      GetDASHStreamingSessionURL: (input: any, context: VideoRequestContext) => getDASHStreamingSessionURL(runtime, input, context),
      GetClip: (input: any, context: VideoRequestContext) => getClip(runtime, input, context),
    },
    playback: { claims: isPlaybackPath, handle: playbackHandler(runtime, video.log) },
  };
}
