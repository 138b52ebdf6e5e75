import type { VideoRequestContext } from '../context.js';
import { LIST_CHANNELS_DEFAULT_MAX_RESULTS } from '../domain/limits.js';
import { page } from '../domain/paging.js';
import { channelInfo } from '../domain/signaling-channel.js';

interface Input {
  MaxResults?: number;
  NextToken?: string;
  ChannelNameCondition?: { ComparisonOperator?: 'BEGINS_WITH'; ComparisonValue?: string };
}

/** Name order, optional BEGINS_WITH condition, paged by NextToken (500 a page unless MaxResults). */
export default async function listSignalingChannels(input: Input, context: VideoRequestContext) {
  const prefix = input.ChannelNameCondition?.ComparisonValue ?? '';
  const channels = (await context.video.channels.list(context.account, context.region)).filter((channel) => channel.ChannelName.startsWith(prefix));
  const result = page(channels, (channel) => channel.ChannelName, input.NextToken, input.MaxResults ?? LIST_CHANNELS_DEFAULT_MAX_RESULTS);
  return { ChannelInfoList: result.items.map(channelInfo), NextToken: result.nextToken };
}
