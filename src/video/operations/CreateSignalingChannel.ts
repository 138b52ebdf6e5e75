import type { VideoRequestContext } from '../context.js';
import { MAX_CHANNELS_PER_ACCOUNT } from '../domain/limits.js';
import { channelArn, DEFAULT_MESSAGE_TTL_SECONDS, type SignalingChannelDoc } from '../domain/signaling-channel.js';
import { tagMap, type TagList } from '../domain/tags.js';
import { newVersion } from '../domain/version.js';
import { accountChannelLimit, channelExists } from '../errors.js';

interface Input {
  ChannelName: string;
  ChannelType?: 'SINGLE_MASTER' | 'FULL_MESH';
  SingleMasterConfiguration?: { MessageTtlSeconds?: number };
  Tags?: TagList;
}

/** §2.3: asynchronous like CreateStream (CREATING for --create-video-stream-ms); SINGLE_MASTER with a 60 s message TTL by default. */
export default async function createSignalingChannel(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  if (video.config.enforceLimits && (await video.channels.count(account, region)) >= MAX_CHANNELS_PER_ACCOUNT) throw accountChannelLimit(MAX_CHANNELS_PER_ACCOUNT);
  const now = Date.now();
  const channel: SignalingChannelDoc = {
    account,
    region,
    ChannelName: input.ChannelName,
    ChannelARN: channelArn(region, account, input.ChannelName, now),
    ChannelType: input.ChannelType ?? 'SINGLE_MASTER',
    ChannelStatus: 'CREATING',
    CreationTime: now,
    SingleMasterConfiguration: { MessageTtlSeconds: input.SingleMasterConfiguration?.MessageTtlSeconds ?? DEFAULT_MESSAGE_TTL_SECONDS },
    Version: newVersion(),
    tags: tagMap(input.Tags),
    mediaStorage: { Status: 'DISABLED' },
    pendingUntil: now + video.config.createVideoStreamMs,
  };
  if (!(await video.channels.create(channel))) throw channelExists(input.ChannelName);
  return { ChannelARN: channel.ChannelARN };
}
