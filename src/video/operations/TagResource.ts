import type { VideoRequestContext } from '../context.js';
import { resourceKind } from '../domain/tag-targets.js';
import { tagMap, withTags, type TagList } from '../domain/tags.js';

/** §2.3: tags a signaling channel or a stream by ARN; replaces existing keys; 50 at most. */
export default async function tagResource(input: { ResourceARN: string; Tags: TagList }, context: VideoRequestContext) {
  const { video, account, region } = context;
  const added = tagMap(input.Tags);
  if (resourceKind(input.ResourceARN) === 'stream') {
    await video.streams.update(account, region, { StreamARN: input.ResourceARN }, (stream) => ({ ...stream, tags: withTags(stream.tags, added) }));
  } else {
    await video.channels.update(account, region, { ChannelARN: input.ResourceARN }, (channel) => ({ ...channel, tags: withTags(channel.tags, added) }));
  }
  return {};
}
