import { consumerNotFound, deregisterConsumer } from '../domain/consumers.js';
import { endSubscriptionsOf } from '../domain/subscriptions.js';
import { requireConsumer, type ConsumerInput } from '../consumer-target.js';
import type { KinesisContext } from '../context.js';

/** KINESIS-SPEC §3.18: DELETING, then gone; its subscriptions end with ResourceNotFoundException (§6.4). */
export default async function deregisterStreamConsumer(input: ConsumerInput, context: KinesisContext): Promise<void> {
  const { consumer } = await requireConsumer(input, context);
  if (!(await deregisterConsumer(context.kinesis.store, context.kinesis.config, consumer))) {
    throw consumerNotFound(input.ConsumerARN ?? consumer.name, context.account);
  }
  // Subscriptions served by this node end now; those on other nodes notice at their next check.
  endSubscriptionsOf(consumer);
}
