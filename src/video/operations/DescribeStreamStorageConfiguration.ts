import type { VideoRequestContext } from '../context.js';

export default async function describeStreamStorageConfiguration(input: { StreamName?: string; StreamARN?: string }, context: VideoRequestContext) {
  const stream = await context.video.streams.find(context.account, context.region, input);
  return { StreamName: stream.StreamName, StreamARN: stream.StreamARN, StreamStorageConfiguration: { DefaultStorageTier: stream.DefaultStorageTier } };
}
