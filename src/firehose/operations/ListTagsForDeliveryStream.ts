import type { FirehoseContext } from '../context.js';
import { deliveryStreamNotFound } from '../errors.js';

interface Input {
  DeliveryStreamName: string;
  ExclusiveStartTagKey?: string;
  Limit?: number;
}

/** Model: Limit 1–50; without it, every tag (at most 50). Keys in ascending order, after ExclusiveStartTagKey. */
export default async function listTagsForDeliveryStream(input: Input, context: FirehoseContext) {
  const { firehose, account, region } = context;
  const stream = await firehose.streams.find({ account, region }, input.DeliveryStreamName);
  if (!stream) throw deliveryStreamNotFound(input.DeliveryStreamName, account);
  const after = input.ExclusiveStartTagKey;
  const candidates = [...stream.tags].sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0)).filter((tag) => after === undefined || tag.Key > after);
  const page = input.Limit === undefined ? candidates : candidates.slice(0, input.Limit);
  return { Tags: page.map((tag) => ({ Key: tag.Key, ...(tag.Value !== undefined && { Value: tag.Value }) })), HasMoreTags: candidates.length > page.length };
}
