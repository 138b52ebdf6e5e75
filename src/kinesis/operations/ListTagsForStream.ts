import type { KinesisContext } from '../context.js';
import { requireStream, streamTarget } from '../stream-target.js';
import { tagList } from '../tags.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  ExclusiveStartTagKey?: string;
  Limit?: number;
}

/** KINESIS-SPEC §3.17: keys ascending, after ExclusiveStartTagKey; without Limit, all of them. */
export default async function listTagsForStream(input: Input, context: KinesisContext) {
  const stream = await requireStream(streamTarget(input, context), context);
  const after = input.ExclusiveStartTagKey;
  const candidates = tagList(stream.tags).filter((tag) => after === undefined || tag.Key > after);
  const page = input.Limit === undefined ? candidates : candidates.slice(0, input.Limit);
  return { Tags: page, HasMoreTags: candidates.length > page.length };
}
