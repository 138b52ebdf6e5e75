import { changeShardLevelMetrics, type MonitoringInput } from '../monitoring.js';
import type { KinesisContext } from '../context.js';

/** KINESIS-SPEC §3.15: the current metrics without the given ones (`ALL` clears them). */
export default async function disableEnhancedMonitoring(input: MonitoringInput, context: KinesisContext) {
  return changeShardLevelMetrics(input, context, (current, given) => new Set([...current].filter((m) => !given.has(m))));
}
