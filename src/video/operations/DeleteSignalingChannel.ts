import type { VideoRequestContext } from '../context.js';
import { channelNotActive, versionMismatch } from '../errors.js';

/** By ARN; "if you don't specify the channel's current version, the most recent version is deleted". DELETING for --delete-video-stream-ms. */
export default async function deleteSignalingChannel(input: { ChannelARN: string; CurrentVersion?: string }, context: VideoRequestContext) {
  const { video, account, region } = context;
  await video.channels.update(account, region, { ChannelARN: input.ChannelARN }, (channel) => {
    if (input.CurrentVersion !== undefined && input.CurrentVersion !== channel.Version) throw versionMismatch(input.CurrentVersion, channel.Version);
    if (channel.ChannelStatus !== 'ACTIVE') throw channelNotActive(channel.ChannelName, channel.ChannelStatus);
    return { ...channel, ChannelStatus: 'DELETING', pendingUntil: Date.now() + video.config.deleteVideoStreamMs };
  });
  return {};
}
