import type { VideoRequestContext } from '../context.js';

/** DISABLED until UpdateMediaStorageConfiguration says otherwise. */
export default async function describeMediaStorageConfiguration(input: { ChannelName?: string; ChannelARN?: string }, context: VideoRequestContext) {
  const channel = await context.video.channels.find(context.account, context.region, input);
  return { MediaStorageConfiguration: channel.mediaStorage };
}
