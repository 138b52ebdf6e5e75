import type { VideoRequestContext } from '../context.js';

export default async function describeNotificationConfiguration(input: { StreamName?: string; StreamARN?: string }, context: VideoRequestContext) {
  const stream = await context.video.streams.find(context.account, context.region, input);
  return { NotificationConfiguration: stream.notification };
}
