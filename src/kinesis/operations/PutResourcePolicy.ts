import { parsePolicy } from '../domain/access.js';
import { policyHolder } from '../resource-policy.js';
import type { KinesisContext } from '../context.js';

interface Input {
  ResourceARN: string;
  Policy: string;
}

/** KINESIS-SPEC §3.20: validates the document, then replaces any policy of the stream or consumer. */
export default async function putResourcePolicy(input: Input, context: KinesisContext): Promise<void> {
  const holder = await policyHolder(input.ResourceARN, context);
  parsePolicy(input.Policy);
  await holder.write(input.Policy);
}
