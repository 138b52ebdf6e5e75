import type { KinesisContext } from '../context.js';
import { streamTarget } from '../stream-target.js';
import { changeStreamTags, checkTagTexts, removeTags } from '../tags.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  TagKeys: string[];
}

/** KINESIS-SPEC §3.17: removes tags of an ACTIVE stream; missing keys are ignored. */
export default async function removeTagsFromStream(input: Input, context: KinesisContext): Promise<void> {
  const target = streamTarget(input, context);
  const resource = { kind: 'stream', name: target.name, account: target.account } as const;
  await changeStreamTags(
    target,
    context,
    () => checkTagTexts(input.TagKeys, 'remove', resource, input.TagKeys),
    (tags) => removeTags(tags, input.TagKeys),
  );
}
