import type { VideoRequestContext } from '../context.js';
import { edgeDescription } from '../domain/edge-configuration.js';
import { edgeConfigurationNotFound } from '../errors.js';

/** The stored edge configuration and its sync status; no EdgeAgentStatus, as no agent ever reported. */
export default async function describeEdgeConfiguration(input: { StreamName?: string; StreamARN?: string }, context: VideoRequestContext) {
  const stream = await context.video.streams.find(context.account, context.region, input);
  if (!stream.edge) throw edgeConfigurationNotFound(stream.StreamName);
  return edgeDescription(stream, stream.edge);
}
