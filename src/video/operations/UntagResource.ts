import type { VideoRequestContext } from '../context.js';
import { resourceKind } from '../domain/tag-targets.js';
import { withoutTags } from '../domain/tags.js';

export default async function untagResource(input: { ResourceARN: string; TagKeyList: string[] }, context: VideoRequestContext) {
  const { video, account, region } = context;
  if (resourceKind(input.ResourceARN) === 'stream') {
    await video.streams.update(account, region, { StreamARN: input.ResourceARN }, (stream) => ({ ...stream, tags: withoutTags(stream.tags, input.TagKeyList) }));
  } else {
    await video.channels.update(account, region, { ChannelARN: input.ResourceARN }, (channel) => ({ ...channel, tags: withoutTags(channel.tags, input.TagKeyList) }));
  }
  return {};
}
