import { describeConsumer, registerConsumer } from '../domain/consumers.js';
import { streamNotActive } from '../errors.js';
import { requireStream, streamTarget } from '../stream-target.js';
import type { KinesisContext } from '../context.js';

interface Input {
  StreamARN: string;
  ConsumerName: string;
  Tags?: Record<string, string>;
}

/** KINESIS-SPEC §3.18 */
export default async function registerStreamConsumer(input: Input, context: KinesisContext) {
  const stream = await requireStream(streamTarget({ StreamARN: input.StreamARN }, context), context);
  // A stream that is still being created or is going away takes no consumers (as for resharding).
  if (stream.status === 'CREATING' || stream.status === 'DELETING') throw streamNotActive(stream.name, stream.account, stream.status);
  const consumer = await registerConsumer(context.kinesis.store, context.kinesis.config, stream, input.ConsumerName, input.Tags ?? {});
  return { Consumer: describeConsumer(consumer) };
}
