import type { Authenticator } from '../../protocol/authenticator.js';
import type { VideoContext, VideoMediaRoutes, VideoRequestContext } from '../context.js';
import { getIceServerConfig } from './get-ice-server-config.js';
import { parseIceServers } from './ice-servers.js';
import { SignalingRelay } from './relay.js';
import { sendAlexaOfferToMaster } from './send-alexa-offer-to-master.js';

/**
 * WebRTC signaling on the shared port (issue 17 §6): the WebSocket relay (reached through the
 * HTTP/1.1 upgrade hook, never through the request path) and the kinesis-video-signaling REST
 * operations, which the Video service routes with the other media operations.
 */
export interface Signaling {
  upgrade: SignalingRelay['upgrade'];
  operations: Record<string, (input: any, context: VideoRequestContext) => Promise<Record<string, unknown>>>;
  close(): void;
}

export function createSignaling(video: VideoContext, authenticator: Authenticator): Signaling {
  const relay = new SignalingRelay(video, authenticator);
  const iceServers = parseIceServers(video.config.iceServers);
  return {
    upgrade: relay.upgrade,
    operations: {
      GetIceServerConfig: (input, context) => getIceServerConfig(iceServers, input, context),
      SendAlexaOfferToMaster: (input, context) => sendAlexaOfferToMaster(relay, input, context),
    },
    close: () => relay.close(),
  };
}

/** The media routes with the signaling REST operations added (the service routes them from the signaling model). */
export function withSignaling(routes: VideoMediaRoutes, signaling: Signaling): VideoMediaRoutes {
  return { ...routes, operations: { ...routes.operations, ...signaling.operations } };
}
