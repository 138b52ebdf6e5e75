import type { VideoRequestContext } from '../context.js';
import { LIST_TAGS_PAGE } from '../domain/limits.js';
import { page } from '../domain/paging.js';
import { resourceKind } from '../domain/tag-targets.js';

export default async function listTagsForResource(input: { ResourceARN: string; NextToken?: string }, context: VideoRequestContext) {
  const { video, account, region } = context;
  const tags =
    resourceKind(input.ResourceARN) === 'stream'
      ? (await video.streams.find(account, region, { StreamARN: input.ResourceARN })).tags
      : (await video.channels.find(account, region, { ChannelARN: input.ResourceARN })).tags;
  const result = page(Object.keys(tags).sort(), (key) => key, input.NextToken, LIST_TAGS_PAGE);
  return { Tags: Object.fromEntries(result.items.map((key) => [key, tags[key]])), NextToken: result.nextToken };
}
