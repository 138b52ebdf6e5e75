import type { FirehoseContext } from '../context.js';
import { deleteWhileCreating, deliveryStreamNotFound } from '../errors.js';

/**
 * §3: allowed in every state but CREATING; DELETING lasts --delete-delivery-stream-ms, then the
 * stream, its ingest log and its progress are gone. AllowForceDelete matters only for KMS grant
 * failures (DELETING_FAILED), which Millrace, without a real KMS, never has.
 */
export default async function deleteDeliveryStream(input: { DeliveryStreamName: string; AllowForceDelete?: boolean }, context: FirehoseContext) {
  const { firehose, account, region } = context;
  const deletingMs = firehose.config.deleteDeliveryStreamMs;
  const existing = await firehose.streams.find({ account, region }, input.DeliveryStreamName);
  if (!existing) throw deliveryStreamNotFound(input.DeliveryStreamName, account);
  // Resolves to undefined once the stream is gone: with no DELETING delay, at once.
  await firehose.streams.update({ account, region }, input.DeliveryStreamName, (stream) => {
    if (stream.status === 'CREATING') throw deleteWhileCreating(stream.name, account);
    if (stream.status === 'DELETING') return undefined;
    return { ...stream, status: 'DELETING', pendingUntil: Date.now() + deletingMs };
  });
  firehose.throughput.forget(existing.arn);
  return {};
}
