import type { VideoRequestContext } from '../context.js';
import { MAX_DATA_RETENTION_HOURS } from '../domain/limits.js';
import { asyncUpdate } from '../domain/stream-changes.js';
import { retentionOutOfRange } from '../errors.js';

interface Input {
  CurrentVersion: string;
  Operation: 'INCREASE_DATA_RETENTION' | 'DECREASE_DATA_RETENTION';
  DataRetentionChangeInHours: number;
  StreamName?: string;
  StreamARN?: string;
}

/**
 * §2.3: the change is added to or subtracted from the current retention (the current SDK
 * documentation; the older "replaces" reading is UNVERIFIED), the result within 0..87,600 hours.
 * A decrease takes effect on stored media through the media side's retention trimming.
 */
export default async function updateDataRetention(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  await video.streams.update(account, region, input, (stream) => {
    const sign = input.Operation === 'INCREASE_DATA_RETENTION' ? 1 : -1;
    const resulting = stream.DataRetentionInHours + sign * input.DataRetentionChangeInHours;
    if (input.CurrentVersion === stream.Version && (resulting < 0 || resulting > MAX_DATA_RETENTION_HOURS)) throw retentionOutOfRange(resulting, MAX_DATA_RETENTION_HOURS);
    return asyncUpdate(stream, input.CurrentVersion, video.config.updateVideoStreamMs, { DataRetentionInHours: resulting });
  });
  return {};
}
