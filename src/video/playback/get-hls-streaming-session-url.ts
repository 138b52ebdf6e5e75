import type { VideoRequestContext } from '../context.js';
import { HLS_PATH, MASTER_PLAYLIST } from './hls.js';
import type { PlaybackRuntime } from './runtime.js';
import { createSession, type SessionRequest } from './session-request.js';

/** GetHLSStreamingSessionURL (VIDEO-SPEC §5.4): a master playlist URL on the endpoint the client used. */

interface Input extends Omit<SessionRequest, 'selector' | 'maxResults'> {
  HLSFragmentSelector?: SessionRequest['selector'];
  MaxMediaPlaylistFragmentResults?: number;
}

export async function getHLSStreamingSessionURL(runtime: PlaybackRuntime, input: Input, context: VideoRequestContext) {
  const token = await createSession(runtime, 'hls', { ...input, selector: input.HLSFragmentSelector, maxResults: input.MaxMediaPlaylistFragmentResults }, context);
  return { HLSStreamingSessionURL: `${context.endpoint}${HLS_PATH}${MASTER_PLAYLIST}?SessionToken=${token}` };
}

