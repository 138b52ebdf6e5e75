import type { VideoRequestContext } from '../context.js';
import { channelNotActive } from '../errors.js';
import type { IceServer } from './ice-servers.js';

interface Input {
  ChannelARN: string;
  ClientId?: string;
  Service?: 'TURN';
  Username?: string;
}

/**
 * GetIceServerConfig (kinesis-video-signaling, `POST /v1/get-ice-server-config` on the channel's
 * HTTPS endpoint): the servers `--ice-servers` configures, the same for every client.
 */
export async function getIceServerConfig(iceServers: IceServer[], input: Input, context: VideoRequestContext) {
  const channel = await context.video.channels.find(context.account, context.region, { ChannelARN: input.ChannelARN });
  if (channel.ChannelStatus !== 'ACTIVE') throw channelNotActive(channel.ChannelName, channel.ChannelStatus);
  return { IceServerList: iceServers.map((server) => ({ ...server, Uris: [...server.Uris] })) };
}
