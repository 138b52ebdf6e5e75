import { ENCRYPTION_CHANGE, requireKmsType, resolveKmsKey, type EncryptionChange } from './domain/encryption.js';
import { streamNotActive, streamNotFound } from './errors.js';
import { requireStream, streamTarget } from './stream-target.js';
import type { KinesisContext } from './service.js';

export interface EncryptionRequest {
  StreamName?: string;
  StreamARN?: string;
  EncryptionType: string;
  KeyId: string;
}

/**
 * What Start- and StopStreamEncryption share (KINESIS-SPEC §3.16): the same checks, then
 * ACTIVE → UPDATING with the change applied when UPDATING ends.
 */
export async function requestEncryptionChange(
  input: EncryptionRequest,
  context: KinesisContext,
  change: Omit<EncryptionChange, 'kind'>,
): Promise<void> {
  const { kinesis } = context;
  requireKmsType(input.EncryptionType);
  const target = streamTarget(input, context);
  const found = await requireStream(target, context);
  resolveKmsKey(input.KeyId, found.region, found.account);
  const stream = await kinesis.streams.update(target, target.name, (s) => {
    if (s.status !== 'ACTIVE') throw streamNotActive(s.name, s.account, s.status);
    const pending = { kind: ENCRYPTION_CHANGE, ...change } as EncryptionChange;
    return { ...s, status: 'UPDATING', statusUntil: Date.now() + kinesis.config.updateStreamMs, pending };
  });
  if (!stream) throw streamNotFound(found.name, found.account);
}
