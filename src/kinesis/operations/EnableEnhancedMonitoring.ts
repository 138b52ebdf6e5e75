import { changeShardLevelMetrics, type MonitoringInput } from '../monitoring.js';
import type { KinesisContext } from '../context.js';

/** KINESIS-SPEC §3.15: the union of the current and the given metrics. */
export default async function enableEnhancedMonitoring(input: MonitoringInput, context: KinesisContext) {
  return changeShardLevelMetrics(input, context, (current, given) => new Set([...current, ...given]));
}
