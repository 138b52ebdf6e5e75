import { invalidArgument } from '../protocol/errors.js';
import { parseStreamArn } from './domain/arn.js';
import { consumerNotFound, findConsumer, parseConsumerArn, type ConsumerMeta } from './domain/consumers.js';
import type { StreamMeta } from './domain/stream.js';
import { streamNotFound } from './errors.js';
import type { KinesisContext } from './context.js';

export interface ConsumerInput {
  ConsumerARN?: string;
  StreamARN?: string;
  ConsumerName?: string;
}

/**
 * The consumer an operation addresses: by `ConsumerARN`, or by `StreamARN` + `ConsumerName`; all
 * three are allowed when they agree (§3.18). An ARN names one registration: after a consumer is
 * re-registered its old ARN (older timestamp) no longer resolves.
 */
export async function requireConsumer(input: ConsumerInput, context: KinesisContext): Promise<{ stream: StreamMeta; consumer: ConsumerMeta }> {
  const { store, streams } = context.kinesis;
  if (input.ConsumerARN !== undefined) {
    const parts = parseConsumerArn(input.ConsumerARN);
    const location = parts && parseStreamArn(parts.streamArn);
    if (!parts || !location) throw consumerNotFound(input.ConsumerARN, context.account);
    if (input.StreamARN !== undefined && input.StreamARN !== parts.streamArn) {
      throw invalidArgument(`StreamARN ${input.StreamARN} does not match the stream of ConsumerARN ${input.ConsumerARN}`);
    }
    if (input.ConsumerName !== undefined && input.ConsumerName !== parts.consumerName) {
      throw invalidArgument(`ConsumerName ${input.ConsumerName} does not match the name in ConsumerARN ${input.ConsumerARN}`);
    }
    const stream = await streams.find(location, location.streamName);
    const consumer = stream && (await findConsumer(store, stream.id, parts.consumerName));
    if (!stream || !consumer || consumer.arn !== input.ConsumerARN) throw consumerNotFound(input.ConsumerARN, location.account);
    return { stream, consumer };
  }
  if (input.StreamARN === undefined || input.ConsumerName === undefined) {
    throw invalidArgument('Either ConsumerARN or both StreamARN and ConsumerName must be provided.');
  }
  const location = parseStreamArn(input.StreamARN);
  if (!location) throw invalidArgument(`Invalid StreamARN ${input.StreamARN}`);
  const stream = await streams.find(location, location.streamName);
  if (!stream) throw streamNotFound(location.streamName, location.account);
  const consumer = await findConsumer(store, stream.id, input.ConsumerName);
  if (!consumer) throw consumerNotFound(input.ConsumerName, location.account);
  return { stream, consumer };
}
