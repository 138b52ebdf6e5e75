import type { VideoRequestContext } from '../context.js';
import { newVersion } from '../domain/version.js';
import { channelNotActive, versionMismatch } from '../errors.js';

interface Input {
  ChannelARN: string;
  CurrentVersion: string;
  SingleMasterConfiguration?: { MessageTtlSeconds?: number };
}

/** Asynchronous (UPDATING for --update-video-stream-ms), with Version CAS, as UpdateStream. */
export default async function updateSignalingChannel(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  await video.channels.update(account, region, { ChannelARN: input.ChannelARN }, (channel) => {
    if (input.CurrentVersion !== channel.Version) throw versionMismatch(input.CurrentVersion, channel.Version);
    if (channel.ChannelStatus !== 'ACTIVE') throw channelNotActive(channel.ChannelName, channel.ChannelStatus);
    const ttl = input.SingleMasterConfiguration?.MessageTtlSeconds ?? channel.SingleMasterConfiguration.MessageTtlSeconds;
    return {
      ...channel,
      SingleMasterConfiguration: { MessageTtlSeconds: ttl },
      Version: newVersion(),
      ChannelStatus: 'UPDATING',
      pendingUntil: Date.now() + video.config.updateVideoStreamMs,
    };
  });
  return {};
}
