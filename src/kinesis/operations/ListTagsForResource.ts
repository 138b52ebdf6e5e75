import type { KinesisContext } from '../context.js';
import { parseResourceArn, resourceTags, tagList } from '../tags.js';

interface Input {
  ResourceARN: string;
}

/** KINESIS-SPEC §3.17: every tag of a stream or consumer, keys ascending, no pagination. */
export default async function listTagsForResource(input: Input, context: KinesisContext) {
  return { Tags: tagList(await resourceTags(parseResourceArn(input.ResourceARN), context)) };
}
