import { noPolicy, policyHolder } from '../resource-policy.js';
import type { KinesisContext } from '../context.js';

/** KINESIS-SPEC §3.20: removing a policy that is not there is ResourceNotFoundException. */
export default async function deleteResourcePolicy(input: { ResourceARN: string }, context: KinesisContext): Promise<void> {
  const holder = await policyHolder(input.ResourceARN, context);
  if ((await holder.read()) === undefined) throw noPolicy(holder.arn);
  await holder.write(undefined);
}
