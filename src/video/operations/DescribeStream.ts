import type { VideoRequestContext } from '../context.js';
import { streamInfo } from '../domain/video-stream.js';

/** §2.3: the stream by name or ARN, in any status. */
export default async function describeStream(input: { StreamName?: string; StreamARN?: string }, context: VideoRequestContext) {
  const stream = await context.video.streams.find(context.account, context.region, input);
  return { StreamInfo: streamInfo(stream) };
}
