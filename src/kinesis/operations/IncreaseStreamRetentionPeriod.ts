import { changeRetention, type RetentionInput } from '../retention.js';
import type { KinesisContext } from '../context.js';

/** KINESIS-SPEC §3.14 */
export default async function increaseStreamRetentionPeriod(input: RetentionInput, context: KinesisContext): Promise<void> {
  await changeRetention(input, context, 'increase');
}
