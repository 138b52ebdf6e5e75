import type { VideoRequestContext } from '../context.js';
import { resolveStreamRef } from '../domain/tag-targets.js';
import { withoutTags } from '../domain/tags.js';

export default async function untagStream(input: { StreamName?: string; StreamARN?: string; TagKeyList: string[] }, context: VideoRequestContext) {
  const { video, account, region } = context;
  await video.streams.update(account, region, resolveStreamRef(input), (stream) => ({ ...stream, tags: withoutTags(stream.tags, input.TagKeyList) }));
  return {};
}
