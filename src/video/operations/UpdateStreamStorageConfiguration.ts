import type { VideoRequestContext } from '../context.js';
import { asyncUpdate } from '../domain/stream-changes.js';

interface Input {
  CurrentVersion: string;
  StreamName?: string;
  StreamARN?: string;
  StreamStorageConfiguration: { DefaultStorageTier: 'HOT' | 'WARM' };
}

/** §2.3: the storage tier, asynchronous like UpdateStream (Version CAS, UPDATING). Millrace stores every tier alike. */
export default async function updateStreamStorageConfiguration(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  await video.streams.update(account, region, input, (stream) =>
    asyncUpdate(stream, input.CurrentVersion, video.config.updateVideoStreamMs, { DefaultStorageTier: input.StreamStorageConfiguration.DefaultStorageTier }),
  );
  return {};
}
