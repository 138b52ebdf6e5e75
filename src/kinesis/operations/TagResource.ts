import type { KinesisContext } from '../context.js';
import { addTags, changeResourceTags, checkNewTags, describedResource, parseResourceArn } from '../tags.js';

interface Input {
  ResourceARN: string;
  Tags: Record<string, string>;
}

/** KINESIS-SPEC §3.17: AddTagsToStream for a stream ARN or a consumer ARN. */
export default async function tagResource(input: Input, context: KinesisContext): Promise<void> {
  const ref = parseResourceArn(input.ResourceARN);
  const resource = describedResource(ref);
  await changeResourceTags(
    ref,
    context,
    () => checkNewTags(input.Tags, resource),
    (tags) => addTags(tags, input.Tags, resource),
  );
}
