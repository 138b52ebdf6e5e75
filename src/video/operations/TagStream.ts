import type { VideoRequestContext } from '../context.js';
import { withTags } from '../domain/tags.js';
import { resolveStreamRef } from '../domain/tag-targets.js';

/** §2.3: replaces existing keys; 50 tags at most in all. */
export default async function tagStream(input: { StreamName?: string; StreamARN?: string; Tags: Record<string, string> }, context: VideoRequestContext) {
  const { video, account, region } = context;
  await video.streams.update(account, region, resolveStreamRef(input), (stream) => ({ ...stream, tags: withTags(stream.tags, input.Tags) }));
  return {};
}
