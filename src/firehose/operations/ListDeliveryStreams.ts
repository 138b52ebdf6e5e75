import type { FirehoseContext } from '../context.js';

interface Input {
  Limit?: number;
  DeliveryStreamType?: string;
  ExclusiveStartDeliveryStreamName?: string;
}

/** §4: name order, Limit default 10, optional type filter, paging after the last name returned. */
export const LIST_DEFAULT_LIMIT = 10;

export default async function listDeliveryStreams(input: Input, context: FirehoseContext) {
  const { firehose, account, region } = context;
  const after = input.ExclusiveStartDeliveryStreamName;
  const names = (await firehose.streams.list({ account, region }))
    .filter((stream) => input.DeliveryStreamType === undefined || stream.type === input.DeliveryStreamType)
    .map((stream) => stream.name)
    .filter((name) => after === undefined || name > after);
  const limit = input.Limit ?? LIST_DEFAULT_LIMIT;
  return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
}
