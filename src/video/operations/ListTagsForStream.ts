import type { VideoRequestContext } from '../context.js';
import { LIST_TAGS_PAGE } from '../domain/limits.js';
import { page } from '../domain/paging.js';
import { resolveStreamRef } from '../domain/tag-targets.js';

export default async function listTagsForStream(input: { StreamName?: string; StreamARN?: string; NextToken?: string }, context: VideoRequestContext) {
  const stream = await context.video.streams.find(context.account, context.region, resolveStreamRef(input));
  const result = page(Object.keys(stream.tags).sort(), (key) => key, input.NextToken, LIST_TAGS_PAGE);
  return { Tags: Object.fromEntries(result.items.map((key) => [key, stream.tags[key]])), NextToken: result.nextToken };
}
