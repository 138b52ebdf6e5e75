import type { VideoRequestContext } from '../context.js';
import { channelNotActive, invalidArgument, WEBRTC_NEEDS_MEDIA_STORAGE } from '../errors.js';

interface Input {
  ChannelARN: string;
  SingleMasterChannelEndpointConfiguration?: { Protocols?: Array<'WSS' | 'HTTPS' | 'WEBRTC'>; Role?: 'MASTER' | 'VIEWER' };
}

/** Protocols answered when the request names none (UNVERIFIED: AWS's default is not documented). */
export const DEFAULT_PROTOCOLS = ['WSS', 'HTTPS'] as const;

/**
 * One endpoint per protocol asked for, on the URL the client reached Millrace by: WSS as ws(s)://,
 * HTTPS and WEBRTC as http(s)://. Millrace relays no signaling messages (README); the endpoints
 * are Millrace's own so that a client never leaves the machine. WEBRTC needs a channel whose media
 * storage is ENABLED (the SDK's documentation).
 */
export default async function getSignalingChannelEndpoint(input: Input, context: VideoRequestContext) {
  const channel = await context.video.channels.find(context.account, context.region, { ChannelARN: input.ChannelARN });
  if (channel.ChannelStatus !== 'ACTIVE') throw channelNotActive(channel.ChannelName, channel.ChannelStatus);
  const protocols = [...new Set(input.SingleMasterChannelEndpointConfiguration?.Protocols ?? DEFAULT_PROTOCOLS)];
  if (protocols.includes('WEBRTC') && channel.mediaStorage.Status !== 'ENABLED') throw invalidArgument(WEBRTC_NEEDS_MEDIA_STORAGE);
  const websocket = context.endpoint.replace(/^http/, 'ws');
  return {
    ResourceEndpointList: protocols.map((Protocol) => ({ Protocol, ResourceEndpoint: Protocol === 'WSS' ? websocket : context.endpoint })),
  };
}
