import type { VideoRequestContext } from '../context.js';
import { page } from '../domain/paging.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  MaxResults?: number;
  NextToken?: string;
}

/** The Type a stream's mapped signaling channel is described with (UNVERIFIED: the model's Type is a free string). */
export const SIGNALING_CHANNEL_TYPE = 'SIGNALING_CHANNEL';

/** The signaling channel whose media storage is ENABLED into this stream (at most one: UpdateMediaStorageConfiguration keeps it so). */
export default async function describeMappedResourceConfiguration(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  const stream = await video.streams.find(account, region, input);
  const mapped = (await video.channels.list(account, region)).filter(
    (channel) => channel.mediaStorage.Status === 'ENABLED' && channel.mediaStorage.StreamARN === stream.StreamARN,
  );
  const result = page(mapped, (channel) => channel.ChannelName, input.NextToken, input.MaxResults ?? 1);
  return {
    MappedResourceConfigurationList: result.items.map((channel) => ({ Type: SIGNALING_CHANNEL_TYPE, ARN: channel.ChannelARN })),
    NextToken: result.nextToken,
  };
}
