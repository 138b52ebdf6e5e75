import type { KinesisContext } from '../context.js';
import { streamTarget } from '../stream-target.js';
import { addTags, changeStreamTags, checkNewTags } from '../tags.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  Tags: Record<string, string>;
}

/** KINESIS-SPEC §3.17: adds or overwrites tags of an ACTIVE stream. */
export default async function addTagsToStream(input: Input, context: KinesisContext): Promise<void> {
  const target = streamTarget(input, context);
  const resource = { kind: 'stream', name: target.name, account: target.account } as const;
  await changeStreamTags(
    target,
    context,
    () => checkNewTags(input.Tags, resource),
    (tags) => addTags(tags, input.Tags, resource),
  );
}
