import type { VideoRequestContext } from '../context.js';
import { asyncUpdate } from '../domain/stream-changes.js';

interface Input {
  CurrentVersion: string;
  StreamName?: string;
  StreamARN?: string;
  DeviceName?: string;
  MediaType?: string;
}

/** §2.3: DeviceName and MediaType, with Version CAS; UPDATING for --update-video-stream-ms. Members not given keep their values. */
export default async function updateStream(input: Input, context: VideoRequestContext) {
  const { video, account, region } = context;
  await video.streams.update(account, region, input, (stream) =>
    asyncUpdate(stream, input.CurrentVersion, video.config.updateVideoStreamMs, {
      DeviceName: input.DeviceName ?? stream.DeviceName,
      MediaType: input.MediaType ?? stream.MediaType,
    }),
  );
  return {};
}
