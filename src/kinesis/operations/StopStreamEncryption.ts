import { requestEncryptionChange, type EncryptionRequest } from '../encryption-change.js';
import type { KinesisContext } from '../context.js';

/**
 * KINESIS-SPEC §3.16: ACTIVE → UPDATING → ACTIVE with EncryptionType NONE and no KeyId. Records
 * stored encrypted stay so and are still read in clear.
 */
export default async function stopStreamEncryption(input: EncryptionRequest, context: KinesisContext): Promise<void> {
  await requestEncryptionChange(input, context, { type: 'NONE' });
}
