import type { VideoRequestContext } from '../context.js';
import { channelInfo } from '../domain/signaling-channel.js';

export default async function describeSignalingChannel(input: { ChannelName?: string; ChannelARN?: string }, context: VideoRequestContext) {
  const channel = await context.video.channels.find(context.account, context.region, input);
  return { ChannelInfo: channelInfo(channel) };
}
