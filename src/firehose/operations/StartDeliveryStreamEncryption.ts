import { invalidArgument, resourceInUse } from '../../protocol/errors.js';
import { withinWindow } from '../../kinesis/domain/rolling-window.js';
import type { EncryptionDescription } from '../domain/delivery-stream.js';
import type { FirehoseContext } from '../context.js';
import { deliveryStreamNotFound, SSE_KEY_ARN_NOT_ALLOWED, SSE_KEY_ARN_REQUIRED, SSE_ONLY_DIRECT_PUT, sseChangeLimit } from '../errors.js';

/** §16: Start + Stop calls per stream in 24 hours. */
export const SSE_CHANGES_PER_DAY = 25;
/**
 * How long ENABLING / DISABLING last: AWS says records take "up to 5 s" to become (un)encrypted
 * (§4). Millrace has no real KMS, so the change is immediate; the states still pass through the
 * document, read back as ENABLED / DISABLED.
 */
export const SSE_TRANSITION_MS = 0;

/** KeyType and KeyARN go together (§4). */
export function checkEncryptionInput(input: { KeyType: string; KeyARN?: string }): void {
  if (input.KeyType === 'CUSTOMER_MANAGED_CMK' && !input.KeyARN) throw invalidArgument(SSE_KEY_ARN_REQUIRED);
  if (input.KeyType === 'AWS_OWNED_CMK' && input.KeyARN) throw invalidArgument(SSE_KEY_ARN_NOT_ALLOWED);
}

interface Input {
  DeliveryStreamName: string;
  DeliveryStreamEncryptionConfigurationInput?: { KeyType: string; KeyARN?: string };
}

/** §4 SSE: DirectPut only; ENABLING → ENABLED; again on an enabled stream changes the key. */
export default async function startDeliveryStreamEncryption(input: Input, context: FirehoseContext) {
  const { firehose, account, region } = context;
  const config = input.DeliveryStreamEncryptionConfigurationInput ?? { KeyType: 'AWS_OWNED_CMK' };
  const stream = await firehose.streams.update({ account, region }, input.DeliveryStreamName, (stream) => {
    if (stream.type !== 'DirectPut') throw invalidArgument(SSE_ONLY_DIRECT_PUT);
    if (stream.status !== 'ACTIVE') throw resourceInUse(`Firehose ${stream.name} under account ${account} is not ACTIVE, instead in state ${stream.status}.`);
    checkEncryptionInput(config);
    const now = Date.now();
    const changes = withinWindow(stream.encryptionChanges, now);
    if (changes.length >= SSE_CHANGES_PER_DAY) throw sseChangeLimit(stream.name, SSE_CHANGES_PER_DAY);
    const encryption: EncryptionDescription = { Status: 'ENABLING', KeyType: config.KeyType as EncryptionDescription['KeyType'], KeyARN: config.KeyARN };
    return { ...stream, encryption, encryptionPendingUntil: now + SSE_TRANSITION_MS, encryptionChanges: [...changes, now] };
  });
  if (!stream) throw deliveryStreamNotFound(input.DeliveryStreamName, account);
  return {};
}
