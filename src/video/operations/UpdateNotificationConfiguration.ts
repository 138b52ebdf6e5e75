import type { VideoRequestContext } from '../context.js';
import { requireActive, requireRetention } from '../domain/stream-changes.js';

interface Input {
  StreamName?: string;
  StreamARN?: string;
  NotificationConfiguration?: { Status: 'ENABLED' | 'DISABLED'; DestinationConfig: { Uri: string } };
}

/**
 * §2.3: stored and echoed by DescribeNotificationConfiguration; none (or null) deletes it.
 * Millrace publishes nothing to SNS from it (README).
 */
export default async function updateNotificationConfiguration(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  const config = input.NotificationConfiguration;
  await video.streams.update(account, region, input, (stream) => {
    requireActive(stream);
    if (config) requireRetention(stream);
    return { ...stream, notification: config };
  });
  return {};
}
