import type { KinesisContext } from '../context.js';
import { changeResourceTags, checkTagTexts, describedResource, parseResourceArn, removeTags } from '../tags.js';

interface Input {
  ResourceARN: string;
  TagKeys: string[];
}

/** KINESIS-SPEC §3.17: RemoveTagsFromStream for a stream ARN or a consumer ARN. */
export default async function untagResource(input: Input, context: KinesisContext): Promise<void> {
  const ref = parseResourceArn(input.ResourceARN);
  await changeResourceTags(
    ref,
    context,
    () => checkTagTexts(input.TagKeys, 'remove', describedResource(ref), input.TagKeys),
    (tags) => removeTags(tags, input.TagKeys),
  );
}
