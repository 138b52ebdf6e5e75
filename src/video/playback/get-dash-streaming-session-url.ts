import type { VideoRequestContext } from '../context.js';
import { DASH_MANIFEST, DASH_PATH } from './dash.js';
import type { PlaybackRuntime } from './runtime.js';
import { createSession, type SessionRequest } from './session-request.js';

/** GetDASHStreamingSessionURL (VIDEO-SPEC §5.5): a manifest URL over the same fMP4 fragments as HLS. */

interface Input extends Omit<SessionRequest, 'selector' | 'maxResults' | 'ContainerFormat' | 'DiscontinuityMode'> {
  DASHFragmentSelector?: SessionRequest['selector'];
  MaxManifestFragmentResults?: number;
}

export async function getDASHStreamingSessionURL(runtime: PlaybackRuntime, input: Input, context: VideoRequestContext) {
  const token = await createSession(runtime, 'dash', { ...input, selector: input.DASHFragmentSelector, maxResults: input.MaxManifestFragmentResults, ContainerFormat: 'FRAGMENTED_MP4' }, context);
  return { DASHStreamingSessionURL: `${context.endpoint}${DASH_PATH}${DASH_MANIFEST}?SessionToken=${token}` };
}
