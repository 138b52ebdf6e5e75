import { invalidArgument } from '../protocol/errors.js';
import { streamNotActive, streamNotFound } from './errors.js';
import type { KinesisContext } from './context.js';
import { requireStream, streamTarget } from './stream-target.js';

/** Retention bounds in hours: one day to one year (KINESIS-SPEC §3.14). */
export const MIN_RETENTION_HOURS = 24;
export const MAX_RETENTION_HOURS = 8760;

export interface RetentionInput {
  StreamName?: string;
  StreamARN?: string;
  RetentionPeriodHours: number;
}

/**
 * Increase or Decrease: bounds are checked before the stream is looked up, the direction against
 * the current period of an ACTIVE stream; an equal period is accepted by both (§3.14). Decreasing
 * hides older records at once (reads filter by the current period); increasing cannot bring back
 * records that already expired, since the sweep may have trimmed them.
 */
export async function changeRetention(input: RetentionInput, context: KinesisContext, direction: 'increase' | 'decrease'): Promise<void> {
  const hours = input.RetentionPeriodHours;
  const target = streamTarget(input, context);
  if (hours < MIN_RETENTION_HOURS) {
    throw invalidArgument(`Minimum allowed retention period is ${MIN_RETENTION_HOURS} hours. Requested retention period (${hours} hours) is too short.`);
  }
  if (hours > MAX_RETENTION_HOURS) {
    throw invalidArgument(`Maximum allowed retention period is ${MAX_RETENTION_HOURS} hours. Requested retention period (${hours} hours) is too long.`);
  }
  const found = await requireStream(target, context);
  const stored = await context.kinesis.streams.update(target, target.name, (stream) => {
    if (stream.status !== 'ACTIVE') throw streamNotActive(stream.name, target.account, stream.status);
    const current = stream.retentionHours;
    if (direction === 'increase' && hours < current) {
      throw invalidArgument(
        `Requested retention period (${hours} hours) for stream ${stream.name} can not be shorter than existing retention period (${current} hours). Use DecreaseRetentionPeriod API.`,
      );
    }
    if (direction === 'decrease' && hours > current) {
      throw invalidArgument(
        `Requested retention period (${hours} hours) for stream ${stream.name} can not be longer than existing retention period (${current} hours). Use IncreaseRetentionPeriod API.`,
      );
    }
    return hours === current ? undefined : { ...stream, retentionHours: hours };
  });
  if (!stored) throw streamNotFound(found.name, target.account);
}
