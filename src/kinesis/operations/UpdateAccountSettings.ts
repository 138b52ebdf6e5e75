import { describeCommitment, updateCommitment } from '../domain/account-settings.js';
import type { KinesisContext } from '../context.js';

interface Input {
  /** Status is required and ENABLED | DISABLED by the model. */
  MinimumThroughputBillingCommitment: { Status: 'ENABLED' | 'DISABLED' };
}

/** KINESIS-SPEC §3.22: synchronous; answers with the settings as they now stand. */
export default async function updateAccountSettings(input: Input, context: KinesisContext) {
  const settings = await updateCommitment(context.kinesis.store, context.account, input.MinimumThroughputBillingCommitment.Status);
  return describeCommitment(settings);
}
