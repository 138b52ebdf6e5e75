import type { FirehoseContext } from '../context.js';
import { deliveryStreamNotFound } from '../errors.js';

interface Input {
  DeliveryStreamName: string;
  Limit?: number;
  ExclusiveStartDestinationId?: string;
}

const epochDate = (ms: number) => new Date(ms);

/** §3: the description with every default filled; secrets are not in the stored description. */
export default async function describeDeliveryStream(input: Input, context: FirehoseContext) {
  const { firehose, account, region } = context;
  const stream = await firehose.streams.find({ account, region }, input.DeliveryStreamName);
  if (!stream) throw deliveryStreamNotFound(input.DeliveryStreamName, account);
  // One destination per stream: it is on the page unless the caller starts after it.
  const destinations = input.ExclusiveStartDestinationId !== undefined && input.ExclusiveStartDestinationId >= stream.destination.DestinationId ? [] : [stream.destination];
  return {
    DeliveryStreamDescription: {
      DeliveryStreamName: stream.name,
      DeliveryStreamARN: stream.arn,
      DeliveryStreamStatus: stream.status,
      ...(stream.failureDescription && { FailureDescription: stream.failureDescription }),
      ...(stream.encryption && { DeliveryStreamEncryptionConfiguration: stream.encryption }),
      DeliveryStreamType: stream.type,
      VersionId: String(stream.version),
      CreateTimestamp: epochDate(stream.createTimestamp),
      ...(stream.lastUpdateTimestamp !== undefined && { LastUpdateTimestamp: epochDate(stream.lastUpdateTimestamp) }),
      ...(stream.source && {
        Source: { KinesisStreamSourceDescription: { ...stream.source, DeliveryStartTimestamp: epochDate(stream.source.DeliveryStartTimestamp) } },
      }),
      Destinations: destinations,
      HasMoreDestinations: false,
    },
  };
}
