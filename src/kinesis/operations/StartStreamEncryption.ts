import { requestEncryptionChange, type EncryptionRequest } from '../encryption-change.js';
import type { KinesisContext } from '../context.js';

/**
 * KINESIS-SPEC §3.16: ACTIVE → UPDATING → ACTIVE; from then on DescribeStream shows KMS and the
 * key as given, and records put are stored encrypted (domain/encryption.ts).
 */
export default async function startStreamEncryption(input: EncryptionRequest, context: KinesisContext): Promise<void> {
  await requestEncryptionChange(input, context, { type: 'KMS', keyId: input.KeyId });
}
