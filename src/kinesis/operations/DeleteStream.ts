import { resourceInUse } from '../../protocol/errors.js';
import { consumerPrefix, listConsumers } from '../domain/consumers.js';
import { streamNotFound } from '../errors.js';
import type { KinesisContext } from '../context.js';
import { logStreamEvent } from '../domain/lifecycle-log.js';
import { requireStream, streamTarget } from '../stream-target.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  EnforceConsumerDeletion?: boolean;
}

/**
 * KINESIS-SPEC §3.2, §5.1: CREATING, ACTIVE or UPDATING → DELETING → gone. A stream deleted while
 * CREATING never had shards to show: DescribeStream then answers DELETING with `Shards: []`
 * (recorded by kinesalite against AWS, "should allow stream to be deleted while it is being created").
 */
export default async function deleteStream(input: Input, context: KinesisContext): Promise<void> {
  const { kinesis } = context;
  const target = streamTarget(input, context);
  const found = await requireStream(target, context);
  // Settled first: a consumer whose deregistration delay has passed is no longer associated.
  const associated = await listConsumers(kinesis.store, found.id);
  if (associated.length > 0 && input.EnforceConsumerDeletion !== true) {
    throw resourceInUse(
      `DeleteStream can't delete ${target.account}:${found.name} because there are consumers associated with this data stream. ` +
        `To delete ${found.name} anyway, set the EnforceConsumerDeletion parameter to true to force the deletion of all the consumers that are associated with it.`,
    );
  }
  let deleting = false;
  let from: string | undefined;
  await kinesis.streams.update(target, target.name, (stream) => {
    if (stream.id !== found.id) throw streamNotFound(target.name, target.account);
    deleting = true;
    // Deleting a stream that is already DELETING succeeds and leaves its deadline alone.
    if (stream.status === 'DELETING') return undefined;
    from = stream.status;
    // Nothing was written to a CREATING stream's shards (writes answer not found), so there are no logs to drop.
    const shards = stream.status === 'CREATING' ? [] : stream.shards;
    return { ...stream, status: 'DELETING', statusUntil: Date.now() + kinesis.config.deleteStreamMs, pending: undefined, shards };
  });
  if (!deleting) throw streamNotFound(target.name, target.account);
  if (from) logStreamEvent(context.log, found, 'deleted', { from, to: 'DELETING', consumers: associated.length });
  // Consumers go with their stream (§3.2); their keys stay valid after the stream itself is purged.
  // A consumer's entry may change under us (CREATING → ACTIVE completes on read): retry on conflict.
  const remaining = () => kinesis.store.meta.list(consumerPrefix(found.id));
  for (let entries = await remaining(); entries.length > 0; entries = await remaining()) {
    for (const consumer of entries) await kinesis.store.meta.delete(consumer.key, consumer.revision);
  }
}
