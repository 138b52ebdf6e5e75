import type { VideoRequestContext } from '../context.js';
import { streamNotActive, versionMismatch } from '../errors.js';

/**
 * §2.3: by ARN only; CurrentVersion, when given, must be the stream's Version. The stream is
 * DELETING for --delete-video-stream-ms; then its media is dropped and the document removed.
 */
export default async function deleteStream(input: { StreamARN: string; CurrentVersion?: string }, context: VideoRequestContext) {
  const { video, account, region } = context;
  await video.streams.update(account, region, { StreamARN: input.StreamARN }, (stream) => {
    if (input.CurrentVersion !== undefined && input.CurrentVersion !== stream.Version) throw versionMismatch(input.CurrentVersion, stream.Version);
    if (stream.Status !== 'ACTIVE') throw streamNotActive(stream.StreamName, stream.Status);
    return { ...stream, Status: 'DELETING', pendingUntil: Date.now() + video.config.deleteVideoStreamMs };
  });
  return {};
}
