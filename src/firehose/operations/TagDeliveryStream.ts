import type { FirehoseContext } from '../context.js';
import { deliveryStreamNotFound, tagQuotaExceeded } from '../errors.js';

/** §16: tags per delivery stream. */
export const MAX_TAGS = 50;

/** §4: re-tagging a key replaces its value; more than 50 in all is refused. */
export default async function tagDeliveryStream(input: { DeliveryStreamName: string; Tags: Array<{ Key: string; Value?: string }> }, context: FirehoseContext) {
  const { firehose, account, region } = context;
  const stream = await firehose.streams.update({ account, region }, input.DeliveryStreamName, (stream) => {
    const tags = new Map(stream.tags.map((tag) => [tag.Key, tag]));
    for (const tag of input.Tags) tags.set(tag.Key, tag);
    if (tags.size > MAX_TAGS) throw tagQuotaExceeded(MAX_TAGS);
    return { ...stream, tags: [...tags.values()] };
  });
  if (!stream) throw deliveryStreamNotFound(input.DeliveryStreamName, account);
  return {};
}
