import type { VideoRequestContext } from '../context.js';

/** The configuration as UpdateImageGenerationConfiguration stored it; none when there is none. */
export default async function describeImageGenerationConfiguration(input: { StreamName?: string; StreamARN?: string }, context: VideoRequestContext) {
  const stream = await context.video.streams.find(context.account, context.region, input);
  return { ImageGenerationConfiguration: stream.imageGeneration };
}
