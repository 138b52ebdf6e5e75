import { describeCommitment, readAccountSettings } from '../domain/account-settings.js';
import type { KinesisContext } from '../context.js';

/** KINESIS-SPEC §3.22: the caller's account settings; DISABLED until first changed. */
export default async function describeAccountSettings(_input: unknown, context: KinesisContext) {
  return describeCommitment(await readAccountSettings(context.kinesis.store, context.account));
}
