import { ENCRYPTION_CHANGE, requireKmsType, resolveKmsKey, type EncryptionChange } from '../domain/encryption.js';
import { streamNotActive, streamNotFound } from '../errors.js';
import { requireStream, streamTarget } from '../stream-target.js';
import type { KinesisContext } from '../service.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  EncryptionType: string;
  KeyId: string;
}

/**
 * KINESIS-SPEC §3.16: ACTIVE → UPDATING → ACTIVE with EncryptionType NONE and no KeyId. Records
 * stored encrypted stay so and are still read in clear.
 */
export default async function stopStreamEncryption(input: Input, context: KinesisContext): Promise<void> {
  const { kinesis } = context;
  requireKmsType(input.EncryptionType);
  const target = streamTarget(input, context);
  const found = await requireStream(target, context);
  resolveKmsKey(input.KeyId, found.region, found.account);
  const stream = await kinesis.streams.update(target, target.name, (s) => {
    if (s.status !== 'ACTIVE') throw streamNotActive(s.name, s.account, s.status);
    const pending: EncryptionChange = { kind: ENCRYPTION_CHANGE, type: 'NONE' };
    return { ...s, status: 'UPDATING', statusUntil: Date.now() + kinesis.config.updateStreamMs, pending };
  });
  if (!stream) throw streamNotFound(found.name, found.account);
}
