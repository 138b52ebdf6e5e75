import { describeConsumer } from '../domain/consumers.js';
import { requireConsumer, type ConsumerInput } from '../consumer-target.js';
import type { KinesisContext } from '../context.js';

/** KINESIS-SPEC §3.18 */
export default async function describeStreamConsumer(input: ConsumerInput, context: KinesisContext) {
  const { consumer } = await requireConsumer(input, context);
  return { ConsumerDescription: { ...describeConsumer(consumer), StreamARN: consumer.streamArn } };
}
