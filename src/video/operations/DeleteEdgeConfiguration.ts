import type { VideoRequestContext } from '../context.js';
import { edgeConfigurationNotFound } from '../errors.js';

/**
 * AWS sets DELETING while the Edge Agent deletes its media; no agent holds any here, so the
 * configuration is gone at once (a later Describe is StreamEdgeConfigurationNotFoundException).
 */
export default async function deleteEdgeConfiguration(input: { StreamName?: string; StreamARN?: string }, context: VideoRequestContext) {
  const { video, account, region } = context;
  await video.streams.update(account, region, input, (stream) => {
    if (!stream.edge) throw edgeConfigurationNotFound(stream.StreamName);
    return { ...stream, edge: undefined };
  });
  return {};
}
