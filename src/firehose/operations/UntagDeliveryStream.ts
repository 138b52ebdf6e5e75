import type { FirehoseContext } from '../context.js';
import { deliveryStreamNotFound } from '../errors.js';

/** §4: keys the stream does not have are ignored. */
export default async function untagDeliveryStream(input: { DeliveryStreamName: string; TagKeys: string[] }, context: FirehoseContext) {
  const { firehose, account, region } = context;
  const removed = new Set(input.TagKeys);
  const stream = await firehose.streams.update({ account, region }, input.DeliveryStreamName, (stream) =>
    stream.tags.some((tag) => removed.has(tag.Key)) ? { ...stream, tags: stream.tags.filter((tag) => !removed.has(tag.Key)) } : undefined,
  );
  if (!stream) throw deliveryStreamNotFound(input.DeliveryStreamName, account);
  return {};
}
