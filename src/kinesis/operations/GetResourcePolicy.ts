import { policyHolder } from '../resource-policy.js';
import type { KinesisContext } from '../context.js';

/** KINESIS-SPEC §3.20: the stored text, or `{}` when no policy is attached. */
export default async function getResourcePolicy(input: { ResourceARN: string }, context: KinesisContext) {
  const holder = await policyHolder(input.ResourceARN, context);
  return { Policy: (await holder.read()) ?? '{}' };
}
