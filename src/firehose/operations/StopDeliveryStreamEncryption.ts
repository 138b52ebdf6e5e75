import { invalidArgument, resourceInUse } from '../../protocol/errors.js';
import { withinWindow } from '../../kinesis/domain/rolling-window.js';
import type { FirehoseContext } from '../context.js';
import { deliveryStreamNotFound, SSE_ONLY_DIRECT_PUT, sseChangeLimit } from '../errors.js';
import { SSE_CHANGES_PER_DAY, SSE_TRANSITION_MS } from './StartDeliveryStreamEncryption.js';

/** §4 SSE: DISABLING → DISABLED; the key is forgotten. */
export default async function stopDeliveryStreamEncryption(input: { DeliveryStreamName: string }, context: FirehoseContext) {
  const { firehose, account, region } = context;
  const stream = await firehose.streams.update({ account, region }, input.DeliveryStreamName, (stream) => {
    if (stream.type !== 'DirectPut') throw invalidArgument(SSE_ONLY_DIRECT_PUT);
    if (stream.status !== 'ACTIVE') throw resourceInUse(`Firehose ${stream.name} under account ${account} is not ACTIVE, instead in state ${stream.status}.`);
    const now = Date.now();
    const changes = withinWindow(stream.encryptionChanges, now);
    if (changes.length >= SSE_CHANGES_PER_DAY) throw sseChangeLimit(stream.name, SSE_CHANGES_PER_DAY);
    return { ...stream, encryption: { Status: 'DISABLING' as const }, encryptionPendingUntil: now + SSE_TRANSITION_MS, encryptionChanges: [...changes, now] };
  });
  if (!stream) throw deliveryStreamNotFound(input.DeliveryStreamName, account);
  return {};
}
